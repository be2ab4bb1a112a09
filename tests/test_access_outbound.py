"""No outbound requests, whatever the query text looks like: SERVICE and LOAD are refused by the
guard for every token-level variant an attacker may try (glued to a literal, a number or an IRI, after
a comment, in codepoint escapes, in any case), and a loopback listener standing in for the target
receives nothing. Each variant is first checked to be one the engine really parses (so the test is a
differential one: what the guard sees against what Oxigraph would do)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore, StoreError
from normgraph.store.guarded import GuardedStore
from normgraph.store.sparql_text import OutboundRefused, check_sparql
from tests.server_helpers import TOKEN, Listener, fixture_store


def _escape(word: str) -> str:
    """The word with its first letter as a SPARQL codepoint escape (\\u0053ERVICE)."""
    return f"\\u{ord(word[0]):04X}{word[1:]}"


def _cases(word: str) -> list[str]:
    return [word, word.lower(), word.capitalize(), _escape(word), _escape(word.lower()), f"\\U{ord(word[0]):08X}{word[1:]}"]


#: what may stand right before the keyword, glued or not
GLUE = ["", " ", '"\\u0022"', '"\\""', "'\\''",
        "true", "false", "1e0", "1", "1.5", "\"x\"", "'x'", "\"\"\"x\"\"\"", "<http://example.org/a>", "#c\n",
        "#c\r", "\t", "?o ", "\"x\"@en ", "\"x\"^^<http://www.w3.org/2001/XMLSchema#string>"]


def service_variants(url: str) -> Iterator[str]:
    for glue, word in itertools.product(GLUE, _cases("SERVICE")):
        yield f"SELECT * WHERE {{ ?s ?p {glue}{word}<{url}>{{ ?a ?b ?c }} }}"
        yield f"SELECT * WHERE {{ ?s ?p ?o . {glue}{word} SILENT <{url}> {{ ?a ?b ?c }} }}"


def load_variants(url: str) -> Iterator[str]:
    for glue, word in itertools.product(["", " ", "#c\n", ";"], _cases("LOAD")):
        yield f"INSERT DATA {{ <http://x/a> <http://x/b> 1 }} ;{glue}{word} <{url}>"
        yield f"{glue}{word} SILENT <{url}> INTO GRAPH <http://x/g>"


#: a triple for every term GLUE may end with
OBJECTS = '<http://x/s> <http://x/p> true, false, 1e0, 1, 1.5, "x", <http://example.org/a>, "x"@en .'


def _parses(text: str, update: bool) -> bool:
    """Does Oxigraph accept the text (on a store of its own, with nothing to reach)?"""
    try:
        if update:
            ox.Store().update(text.replace("http://127.0.0.1", "http://0.0.0.0.invalid"))
        else:
            ox.Store().query(text.replace("SERVICE", "GRAPH").replace("service", "graph"), use_default_graph_as_union=True)
    except SyntaxError:
        return False
    except OSError:
        return True
    return True


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def test_the_guard_refuses_every_service_variant_the_engine_accepts(listener: Listener) -> None:
    url = f"http://127.0.0.1:{listener.port}/x"
    inner = EmbeddedStore()
    inner.load(OBJECTS, "turtle", "http://x/g")  # so the pattern before SERVICE matches and SERVICE runs
    store = GuardedStore(inner, workers=1, timeout=5)
    try:
        tried = 0
        let_through = []
        for text in service_variants(url):
            tried += 1
            try:
                store.query(text)
            except OutboundRefused:
                continue
            except Exception:
                pass
            if check_sparql(text).outbound is None:
                let_through.append(text)
        time.sleep(0.3)
        assert tried > 100
        assert not listener.hits, f"the engine fetched {listener.hits[:1]}; texts let through: {let_through[:5]}"
        assert not let_through, f"{len(let_through)} variants pass the guard, e.g. {let_through[:5]}"
    finally:
        store.close()


def test_the_guard_refuses_every_load_variant(listener: Listener) -> None:
    url = f"http://127.0.0.1:{listener.port}/x"
    accepted = [t for t in load_variants(url) if _parses(t, update=True)]
    assert len(accepted) > 10
    missed = [t for t in accepted if check_sparql(t).outbound is None]
    assert not missed, missed[:5]


def test_the_endpoint_fetches_nothing_for_any_variant(listener: Listener) -> None:
    url = f"http://127.0.0.1:{listener.port}/x"
    store = fixture_store()
    store.load(OBJECTS, "turtle", "http://x/g")
    app = create_app(store, config={"update_token": TOKEN, "workers": 1})
    client = app.test_client()
    try:
        for text in service_variants(url):
            r = client.get("/sparql", query_string={"query": text})
            assert r.status_code in (400, 200), (text, r.status_code)
        for text in load_variants(url):
            r = client.post("/sparql", data=text, content_type="application/sparql-update",
                            headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status_code == 400, (text, r.status_code, r.data)
        time.sleep(0.3)
        assert not listener.hits, listener.hits[:1]
    finally:
        close_app(app)


def test_a_query_worker_cannot_fetch_even_past_the_guard(listener: Listener) -> None:
    """Defence in depth: a worker may not open any descriptor (RLIMIT_NOFILE), so even SERVICE that reached
    the engine directly fails in the worker, and the listener hears nothing; the worker still answers."""
    inner = EmbeddedStore()
    inner.load(OBJECTS, "turtle", "http://x/g")
    store = GuardedStore(inner, workers=1, timeout=5)
    try:
        text = f"SELECT * WHERE {{ ?s ?p true SERVICE <http://127.0.0.1:{listener.port}/x> {{ ?a ?b ?c }} }}"
        with pytest.raises(StoreError, match="open files"):
            store._run("serialized", text, "json", None, None)  # straight to a worker, skipping the guard
        assert b'"value":"8"' in store.query_serialized("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "json")[0]
        time.sleep(0.3)
        assert not listener.hits
    finally:
        store.close()

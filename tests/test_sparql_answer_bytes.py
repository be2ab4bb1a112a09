"""Uncached /sparql answers are byte for byte the engine's own: every named SELECT/ASK query (default
parameters), for a reader of everything and an anonymous one, in each result format, plain and gzip.

The server's request path is made cheaper by memos (decoded query strings, the Accept header's choice) and by
compressing in the query worker; none of that may change a byte. The reference is the embedded store's own
serialisation of the same query on the same data (what the worker computes), and for a gzip answer its
gzip encoding at the server's level (what the server sent before it compressed in the worker)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from normgraph.access import Registry
from normgraph.loading import load_knowledge
from normgraph.queries import get_query, list_queries
from normgraph.server import create_app
from normgraph.server import results as results_module
from normgraph.server.kernel import EXTENSION, close_app
from normgraph.server.negotiation import RESULT_TYPES
from normgraph.server.results import GZIP_LEVEL, GZIP_MIN_BYTES
from normgraph.store import EmbeddedStore
from normgraph.store.guarded import GuardedStore
from normgraph.store.sparql_text import check_sparql

pytestmark = pytest.mark.slow

FORMATS = ("json", "xml", "csv", "tsv")


def named_select_ask() -> list[tuple[str, str]]:
    out = []
    for q in list_queries():
        try:
            text = q.bind()
        except ValueError:  # a parameter without default
            continue
        if check_sparql(text).form in ("select", "ask"):
            out.append((q.name, text))
    return out


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FlaskClient, str, dict[tuple[str, str], bytes], list[tuple[str, str]]]]:
    """A cache-off app on the knowledge and the example organisations, a token of a reader of everything, and
    the engine's own answer of each (query, format), computed on the same store before the app takes it."""
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    queries = named_select_ask()
    assert len(queries) >= 40
    expected = {(name, fmt): store.query_serialized(text, fmt)[0] for name, text in queries for fmt in FORMATS}
    registry = Registry()
    registry.add("reader", admin=True)
    token = registry.new_token("reader")
    app: Flask = create_app(store, config={"workers": 2, "query_timeout": 60, "cache_entries": 0}, registry=registry)
    try:
        yield app.test_client(), token, expected, queries
    finally:
        close_app(app)


def test_uncached_answers_are_the_engines_bytes_plain_and_gzip(
        served: tuple[FlaskClient, str, dict[tuple[str, str], bytes], list[tuple[str, str]]]) -> None:
    client, token, expected, queries = served
    compressed = 0
    for name, text in queries:
        for fmt in FORMATS:
            want = expected[(name, fmt)]
            for encoding in ("identity", "gzip", "gzip"):  # twice: the memos' second answer too
                r = client.get("/sparql", query_string={"query": text},
                               headers={"Accept": RESULT_TYPES[fmt][0], "Accept-Encoding": encoding,
                                        "Authorization": f"Bearer {token}"})
                assert r.status_code == 200, (name, fmt, r.data[:300])
                assert r.mimetype == RESULT_TYPES[fmt][0], (name, fmt)
                if encoding == "gzip" and len(want) >= GZIP_MIN_BYTES:
                    assert r.headers.get("Content-Encoding") == "gzip", (name, fmt)
                    assert r.data == gzip.compress(want, compresslevel=GZIP_LEVEL, mtime=0), (name, fmt)
                    compressed += 1
                else:
                    assert "Content-Encoding" not in r.headers, (name, fmt)
                    assert r.data == want, (name, fmt)
    assert compressed >= 10  # the big answers (explorer-records, the reports' record lists) were among them


def test_anonymous_uncached_answers_plain_and_gzip_agree(
        served: tuple[FlaskClient, str, dict[tuple[str, str], bytes], list[tuple[str, str]]]) -> None:
    """An anonymous reader's answers (its scope: the public graphs, served from the guard's copy of them): the
    gzip answer is the plain one's gzip encoding at the server's level, and asking again gives the same bytes."""
    client, _token, _expected, queries = served
    for name, text in queries:
        answers = []
        for encoding in ("identity", "gzip", "gzip"):
            r = client.get("/sparql", query_string={"query": text, "format": "json"},
                           headers={"Accept-Encoding": encoding})
            assert r.status_code == 200, (name, r.data[:300])
            answers.append(r.data)
        plain = answers[0]
        if len(plain) >= GZIP_MIN_BYTES:
            assert answers[1] == answers[2] == gzip.compress(plain, compresslevel=GZIP_LEVEL, mtime=0), name
        else:
            assert answers[1] == answers[2] == plain, name


def test_cache_off_keeps_no_answer_in_the_server_process(
        served: tuple[FlaskClient, str, dict[tuple[str, str], bytes], list[tuple[str, str]]]) -> None:
    """With NORMGRAPH_CACHE=0 no answer is kept: not in the result cache, and not as a compressed body either
    (the query worker compresses a big answer for the client that asked, so the server's memo of compressed
    bodies, which serves the cached path, stays empty)."""
    client, token, expected, queries = served
    app = client.application
    store = app.extensions[EXTENSION].store
    assert isinstance(store, GuardedStore)
    results_module._gzipped.clear()
    big = [(name, text) for name, text in queries if len(expected[(name, "json")]) >= GZIP_MIN_BYTES]
    assert big
    for name, text in big:
        r = client.get("/sparql", query_string={"query": text, "format": "json"},
                       headers={"Accept-Encoding": "gzip", "Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.headers.get("Content-Encoding") == "gzip", name
        assert client.get("/sparql", query_string={"query": text, "format": "json"},  # anonymous: its own scope
                          headers={"Accept-Encoding": "gzip"}).status_code == 200, name
    assert len(store.cache) == 0
    assert len(results_module._gzipped) == 0


@pytest.mark.parametrize("header", ["gzip;q=0", "gzip; q=0.0", "GZIP;Q=0.000, identity", "identity", "*;q=0"])
def test_gzip_refused_at_quality_zero_is_not_sent(
        served: tuple[FlaskClient, str, dict[tuple[str, str], bytes], list[tuple[str, str]]], header: str) -> None:
    """gzip with a quality of 0, however the client writes it, is a refusal: the answer comes plain."""
    client, token, expected, _queries = served
    text = get_query("explorer-records").bind()
    r = client.get("/sparql", query_string={"query": text}, headers={
        "Accept": "application/sparql-results+json", "Accept-Encoding": header, "Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.headers.get("Content-Encoding") is None
    assert r.data == expected[("explorer-records", "json")]

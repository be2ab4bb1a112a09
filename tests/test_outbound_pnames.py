"""SERVICE / LOAD glued to a prefixed name: Oxigraph's parser has no word boundaries and reads
`SERVICE:x` as the keyword SERVICE followed by the prefixed name `:x` (and `SERVICEs:x` as SERVICE and
`s:x`), so a guard that skipped every prefixed name let the fetch through — on `serve --endpoint` the
remote store fetched, and answered an anonymous client with another server's data.

A differential test: each variant runs on a plain Oxigraph store in this process (which really fetches),
and the guard must refuse every variant that makes the engine reach the loopback listener."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from normgraph.store.sparql_text import check_sparql
from tests.server_helpers import Listener

BEFORE = ["", " ", "\n", "#c\n", "{", ".", "?o ", "?o . ", "} "]
LOCALS = ["", "x", "x.y", "s"]


def _words(word: str) -> list[str]:
    return [word, word.lower(), word.capitalize(), word + "s", f"\\u{ord(word[0]):04X}{word[1:]}"]


HEAD = "PREFIX : <@URL@> PREFIX s: <@URL@s/> "


def query_variants() -> Iterator[str]:
    for before, word, local in itertools.product(BEFORE, _words("SERVICE"), LOCALS):
        yield HEAD + "SELECT * WHERE { ?s ?p ?o " + before + word + ":" + local + " { ?a ?b ?c } }"
        yield HEAD + "SELECT * WHERE { ?s ?p ?o . " + word + " SILENT:" + local + " { ?a ?b ?c } }"


def update_variants() -> Iterator[str]:
    for before, word, local in itertools.product(BEFORE[:4], _words("SERVICE"), LOCALS):
        yield (HEAD + "INSERT { GRAPH <http://x/out> { ?a ?b ?c } } WHERE { ?s ?p ?o " + before + word + ":"
               + local + " { ?a ?b ?c } }")
    for before, word, local in itertools.product(["", " ", "\n", "#c\n"], _words("LOAD"), ["data.ttl", "x"]):
        yield HEAD + before + word + ":" + local + " INTO GRAPH <http://x/g>"


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def _reaches(text: str, listener: Listener, *, update: bool) -> bool:
    """Does Oxigraph itself (no guard) fetch from the listener for this text?"""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("o")))
    before = len(listener.hits)
    try:
        if update:
            store.update(text)
        else:
            list(store.query(text))  # type: ignore[arg-type]
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    # the engine's request is sent before query/update returns; the listener records it a moment later
    deadline = time.monotonic() + 0.05
    while len(listener.hits) == before and time.monotonic() < deadline:
        time.sleep(0.005)
    return len(listener.hits) > before


@pytest.mark.parametrize("update", [False, True], ids=["queries", "updates"])
def test_every_keyword_glued_to_a_prefixed_name_that_fetches_is_refused(listener: Listener, update: bool) -> None:
    url = f"http://127.0.0.1:{listener.port}/"
    texts = [t.replace("@URL@", url) for t in (update_variants() if update else query_variants())]
    fetched = [t for t in texts if _reaches(t, listener, update=update)]
    # the generator is not vacuous: the engine really reads many of these as SERVICE / LOAD
    assert len(fetched) >= 10, f"only {len(fetched)} of {len(texts)} variants reach the engine's HTTP client"
    missed = [t for t in fetched if check_sparql(t).outbound is None]
    assert not missed, f"{len(missed)} variants fetch and pass the guard, e.g. {missed[:3]}"


def test_prefixes_that_only_contain_the_letters_elsewhere_still_work() -> None:
    """A prefixed name whose *local* part holds the word is a name, not a keyword, for both readers."""
    text = "PREFIX ex: <http://x/> SELECT * WHERE { ?s ex:serviceLevel ?o ; ex:loadFactor ?l }"
    assert check_sparql(text).outbound is None

"""GuardedStore: timeouts kill the worker, writes are seen by readers, the cache, on-disk snapshots,
the lexical no-outbound guard."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from normgraph.store import Dataset, EmbeddedStore, QuerySyntaxError, QueryTimeout, SelectResult, Store
from normgraph.store.guarded import GuardedStore, OutboundRefused, ResultTooLarge, check_sparql, keywords
from tests.server_helpers import GRAPH_A, GRAPH_B, fixture_store

HOSTILE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r . ?s ?t ?u . ?v ?w ?x }"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_implements_the_store_protocol() -> None:
    g = GuardedStore(fixture_store())
    try:
        assert isinstance(g, Store)
        assert g.graphs() == [GRAPH_A, GRAPH_B]
        assert g.graph_size(GRAPH_B) == 6
        assert b"Beta one" in g.export("turtle", GRAPH_B)
        r = g.query("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s", dataset=Dataset((GRAPH_B,), ()))
        assert isinstance(r, SelectResult) and len(r) == 6
        assert len(g.query("CONSTRUCT WHERE { ?s ?p ?o }")) == 15  # type: ignore[arg-type]
    finally:
        g.close()


def test_timeout_kills_the_worker_and_a_new_one_serves() -> None:
    g = GuardedStore(fixture_store(), workers=1, timeout=0.5)
    try:
        g.query_serialized("ASK {}", "json")
        (w,) = g._idle
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            g.query_serialized(HOSTILE, "json")
        assert time.monotonic() - started < 2
        time.sleep(0.1)
        assert not alive(w.pid)  # the work really stopped
        body, _media, form = g.query_serialized("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "csv")
        assert form == "select" and body.count(b"\n") == 2
    finally:
        g.close()


def test_per_call_timeout_overrides_default() -> None:
    g = GuardedStore(fixture_store(), workers=1, timeout=None)
    try:
        with pytest.raises(QueryTimeout):
            g.query(HOSTILE, timeout=0.3)
    finally:
        g.close()


def test_writes_are_seen_and_cache_is_invalidated() -> None:
    g = GuardedStore(fixture_store(), workers=2)
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    try:
        first = g.query_serialized(q, "csv")
        assert g.query_serialized(q, "csv") is first  # cached
        gen = g.generation
        g.update(f"INSERT DATA {{ GRAPH <{GRAPH_A}> {{ <http://x/s> <http://x/p> 1 }} }}")
        assert g.generation == gen + 1
        assert b"16" in g.query_serialized(q, "csv")[0]
        g.load(b"<http://x/s> <http://x/p> \"2\" .", "ntriples", "http://x/g")
        assert b"17" in g.query_serialized(q, "csv")[0]
        g.drop("http://x/g")
        assert b"16" in g.query_serialized(q, "csv")[0]
    finally:
        g.close()


def test_errors_come_back_typed() -> None:
    g = GuardedStore(fixture_store(), max_result_bytes=200)
    try:
        with pytest.raises(QuerySyntaxError, match="error at"):
            g.query_serialized("SELECT * {", "json")
        with pytest.raises(ResultTooLarge):
            g.query_serialized("CONSTRUCT WHERE { ?s ?p ?o }", "ntriples")
        with pytest.raises(ValueError):
            g.query_serialized("ASK {}", "turtle")
        with pytest.raises(OutboundRefused):
            g.query("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
        with pytest.raises(OutboundRefused):
            g.update("LOAD <http://127.0.0.1:9/x>")
    finally:
        g.close()


def test_on_disk_store_reads_from_a_snapshot(tmp_path: Path) -> None:
    disk = EmbeddedStore(tmp_path / "db")
    src = fixture_store()
    for graph in src.graphs():
        disk.load(src.export("ntriples", graph), "ntriples", graph)
    g = GuardedStore(disk, workers=1)
    try:
        assert g._reader is not disk
        assert b"15" in g.query_serialized("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "csv")[0]
        g.update(f"INSERT DATA {{ GRAPH <{GRAPH_A}> {{ <http://x/s> <http://x/p> 1 }} }}")
        assert b"16" in g.query_serialized("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "csv")[0]
        assert disk.graph_size(GRAPH_A) == 10  # durable store took the write
    finally:
        g.close()


@pytest.mark.parametrize(
    ("text", "outbound"),
    [
        ("SELECT * { SERVICE <http://x> { ?s ?p ?o } }", "SERVICE"),
        ("select * { service silent ?svc { ?s ?p ?o } }", "SERVICE"),
        ("LOAD <http://x>", "LOAD"),
        ("load silent <http://x> into graph <http://g>", "LOAD"),
        ("SELECT * { \\u0053ERVICE <http://x> {} }", "SERVICE"),
        ('SELECT * { "\\u0022" SERVICE <x> {} "\\u0022" }', "SERVICE"),
        ('SELECT * { ?s ?p "SERVICE <x> {}" }', None),
        ("SELECT * { ?s ?p '''LOAD\n<x>''' }", None),
        ("SELECT * { ?s <http://x/SERVICE> ?service } # SERVICE <x>", None),
        ("PREFIX service: <http://x/> SELECT * { ?s service:load ?o . ?s ?p ex:a.SERVICE }", None),
        ("SELECT * { ?s ?p ?o FILTER(?o < 3 && ?o > 1) SERVICE <x> {} }", "SERVICE"),
    ],
)
def test_lexical_guard(text: str, outbound: str | None) -> None:
    assert check_sparql(text).outbound == outbound


def test_query_forms_and_from() -> None:
    assert check_sparql("PREFIX a: <x:> SELECT * {}").form == "select"
    assert check_sparql("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT * {} } }").form == "graph"
    assert check_sparql("DESCRIBE <x>").form == "graph"
    assert check_sparql("ask FROM <x> {}").has_from and check_sparql("ask FROM <x> {}").form == "ask"
    assert not check_sparql("SELECT * { ?s <http://x/FROM> ?from }").has_from
    assert keywords("SELECT ?x { ?x a ex:Y }") == ["SELECT", "A"]

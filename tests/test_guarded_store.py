"""GuardedStore: timeouts kill the worker, writes are seen by readers, the cache, on-disk snapshots,
the lexical no-outbound guard."""

from __future__ import annotations

import gc
import os
import pickle
import threading
import time
import tracemalloc
import types
from pathlib import Path

import pytest

import normgraph.store.guarded as guarded
from normgraph.backup import dump_bytes
from normgraph.store import Dataset, EmbeddedStore, QuerySyntaxError, QueryTimeout, SelectResult, Store, StoreError
from normgraph.store.base import RdfSyntaxError
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
        # not a speed assertion: unstopped, HOSTILE (15^8 rows) runs for minutes; 20x the timeout shows the stop
        assert time.monotonic() - started < 10
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


def test_clock_and_random_answers_are_never_served_from_the_cache() -> None:
    """"Which evidence has expired by now?" asked with NOW() must be judged at each asking: a cached answer
    would keep yesterday's clock until somebody writes to that organisation."""
    g = GuardedStore(fixture_store(), workers=1)
    try:
        for q in ("SELECT (NOW() AS ?t) WHERE {}", "SELECT (STRUUID() AS ?u) WHERE {}",
                  "SELECT ?s (RAND() AS ?r) WHERE { ?s ?p ?o } LIMIT 1"):
            first = g.query_serialized(q, "csv")
            time.sleep(0.01)
            assert g.query_serialized(q, "csv")[0] != first[0], q
        assert len(g.cache) == 0
        for plain in ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                      "SELECT ?s (SAMPLE(?o) AS ?one) WHERE { ?s ?p ?o } GROUP BY ?s"):  # one of the data's values
            assert g.query_serialized(plain, "csv") is g.query_serialized(plain, "csv")  # still cached
    finally:
        g.close()


def test_every_named_query_but_the_clocked_ones_is_kept_by_the_result_cache() -> None:
    """Only a query reading the clock or chance skips the result cache; the explorer's and the reports' named
    queries (several use SAMPLE) are kept, or the cached endpoint would compute them on every request."""
    from normgraph.queries import list_queries

    skipped = {q.name for q in list_queries(internal=True) if check_sparql(q.bind()).volatile}
    assert skipped == set()  # none reads the clock: the judged date is a parameter (validate-current-evidence)


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
        ("PREFIX ex: <http://x/> SELECT * { ?s ex:service ?o . ?s ?p ex:a.SERVICE }", None),
        # a prefix label is read as a word: Oxigraph reads `service:load` at a pattern's start as SERVICE + :load
        ("PREFIX service: <http://x/> SELECT * { ?s service:load ?o }", "SERVICE"),
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


# -- on-disk stores: writes are replayed on the read snapshot, not copied --------------------------------------


def on_disk(tmp_path: Path) -> tuple[EmbeddedStore, GuardedStore]:
    disk = EmbeddedStore(tmp_path / "db")
    src = fixture_store()
    for graph in src.graphs():
        disk.load(src.export("ntriples", graph), "ntriples", graph)
    return disk, GuardedStore(disk, workers=1)


def same(g: GuardedStore, disk: EmbeddedStore) -> bytes:
    """The canonical dump of the durable store, asserting the read snapshot holds exactly the same."""
    durable = dump_bytes(disk)[0]
    assert dump_bytes(g._reader)[0] == durable
    return durable


def test_on_disk_writes_are_replayed_on_the_snapshot(tmp_path: Path) -> None:
    disk, g = on_disk(tmp_path)
    count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    ttl = tmp_path / "x.ttl"
    ttl.write_text("<http://x/a> <http://x/p> [ <http://x/q> 'blank' ] .\n")
    try:
        assert g.rebuilds == 1  # the copy made at start
        g.update(f"INSERT DATA {{ GRAPH <{GRAPH_A}> {{ <http://x/s> <http://x/p> 1, _:b }} }}")
        same(g, disk)
        g.update(f"DELETE {{ GRAPH <{GRAPH_A}> {{ ?s ?p 1 }} }} WHERE {{ GRAPH <{GRAPH_A}> {{ ?s ?p 1 }} }}")
        same(g, disk)
        g.load(b"<http://x/s> <http://x/p> \"2\" .", "ntriples", "http://x/g")
        same(g, disk)
        g.load(ttl, "turtle", "http://x/g", replace=False)
        same(g, disk)
        g.load(ttl, "turtle", "http://x/g")  # replace
        same(g, disk)
        g.drop(GRAPH_B)
        durable = same(g, disk)
        assert g.rebuilds == 1  # no write copied the store
        assert b"<http://x/q> \"blank\"" in durable and GRAPH_B.encode() not in durable
        assert f"\r\n{len(disk)}\r\n".encode() in g.query_serialized(count, "csv")[0]  # readers see the writes

        # a write the durable store refuses changes neither store (and starts no new generation)
        gen = g.generation
        with pytest.raises(QuerySyntaxError):
            g.update("INSERT DATA {")
        with pytest.raises(RdfSyntaxError, match=r"bad\.ttl"):
            bad = tmp_path / "bad.ttl"
            bad.write_text("<http://x/a> <http://x/p> .")
            g.load(bad, "turtle", GRAPH_A)
        assert same(g, disk) == durable and g.generation == gen and g.rebuilds == 1

        # a durable store that fails mid-write: the snapshot is re-read from it, never ahead of it
        def broken(*_a: object, **_k: object) -> int:
            raise StoreError("disk full")

        real_load, disk.load = disk.load, broken  # type: ignore[method-assign]
        with pytest.raises(StoreError, match="disk full"):
            g.load(b"<http://x/new> <http://x/p> 3 .", "ntriples", GRAPH_A)
        disk.load = real_load  # type: ignore[method-assign]
        assert same(g, disk) == durable
        assert b"<http://x/new>" not in dump_bytes(g._reader)[0]

        # an update that would give another value if run again: what it changed (computed once, in a
        # child) is what both stores get, so they agree without a copy
        rebuilds = g.rebuilds
        g.update(f"INSERT {{ GRAPH <{GRAPH_A}> {{ <http://x/t> <http://x/at> ?now, ?r }} }} "
                 "WHERE { BIND(NOW() AS ?now) BIND(RAND() AS ?r) }")
        assert b"<http://x/at>" in same(g, disk)
        assert g.rebuilds == rebuilds
    finally:
        g.close()


def test_on_disk_write_cost_does_not_depend_on_the_store_size(tmp_path: Path) -> None:
    _disk, g = on_disk(tmp_path)
    try:
        big = "".join(f"<http://x/s{i}> <http://x/p> \"{i}\" .\n" for i in range(20000)).encode()
        g.load(big, "ntriples", "http://x/big")
        copied = g.rebuilds

        def snapshot_forbidden() -> EmbeddedStore:
            raise AssertionError("a one-triple write copied the whole store")

        g._snapshot = snapshot_forbidden  # type: ignore[method-assign]
        g.update(f"INSERT DATA {{ GRAPH <{GRAPH_A}> {{ <http://x/one> <http://x/p> 1 }} }}")
        g.load(b"<http://x/two> <http://x/p> \"2\" .", "ntriples", "http://x/small")
        g.drop("http://x/small")
        assert g.rebuilds == copied == 1
        assert b"20016" in g.query_serialized("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "csv")[0]
    finally:
        g.close()


# -- caches never keep big query texts ----------------------------------------------------------------------------


def test_big_query_texts_are_not_retained() -> None:
    g = GuardedStore(fixture_store(), workers=1)
    try:
        g.query_serialized("ASK {}", "json")  # the worker exists before measuring
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            for i in range(8):
                text = f"SELECT ?n WHERE {{ BIND({i} AS ?n) }} #" + "x" * 2_000_000
                assert check_sparql(text).form == "select"
                assert f"{i}".encode() in g.query_serialized(text, "csv")[0]
                del text
            gc.collect()
            kept = tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()
        assert kept < 1_000_000, f"{kept} bytes kept after 8 distinct 2 MB queries"
        assert len(g.cache) == 9  # the answers (and the ASK) are cached (by the texts' digests)
        assert all(not (isinstance(p, str) and len(p) > 1000) for k in g.cache for p in k)
        small = "SELECT ?n WHERE { BIND(42 AS ?n) }"
        assert g.query_serialized(small, "csv") is g.query_serialized(small, "csv")
    finally:
        g.close()


def test_cache_bytes_count_keys_and_kept_texts() -> None:
    g = GuardedStore(fixture_store(), workers=1, cache_bytes=64 * 1024)
    try:
        text = "SELECT ?n WHERE { BIND(1 AS ?n) } #" + "y" * 4000  # small enough to be kept for re-warming
        body = g.query_serialized(text, "csv")[0]
        assert g.cache.used >= len(body) + len(text)
        for i in range(200):  # many distinct entries: the byte budget holds
            g.query_serialized(f"SELECT ?n WHERE {{ BIND({i} AS ?n) }} #" + "z" * 4000, "csv")
        assert g.cache.used <= 64 * 1024 and len(g.cache) < 200
    finally:
        g.close()


# -- workers are never leaked ----------------------------------------------------------------------------------


def children() -> set[int]:
    """Processes (zombies included) whose parent is this process, from /proc."""
    me, out = os.getpid(), set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == me:
            out.add(int(d))
    return out


def test_a_reply_that_fails_to_decode_does_not_leak_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    before = children()
    g = GuardedStore(fixture_store(), workers=1, timeout=2)
    try:
        g.query_serialized("ASK {}", "json")
        calls = []

        def loads(data: bytes) -> object:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("cannot decode")
            return pickle.loads(data)

        monkeypatch.setattr(guarded, "pickle", types.SimpleNamespace(
            loads=loads, dumps=pickle.dumps, HIGHEST_PROTOCOL=pickle.HIGHEST_PROTOCOL, PicklingError=pickle.PicklingError))
        with pytest.raises(RuntimeError, match="cannot decode"):
            g.query_serialized("SELECT * { ?s ?p ?o } LIMIT 1", "json")
        for n in range(3):  # the pool still has its worker (with none, the query would wait out its 2 s: QueryTimeout)
            assert g.query_serialized(f"SELECT ?n {{ BIND({n} AS ?n) }}", "csv")[2] == "select"
        assert g._live == 1
    finally:
        g.close()
    assert children() - before == set()


def test_close_reaps_busy_workers_too() -> None:
    before = children()
    g = GuardedStore(fixture_store(), workers=2, timeout=None)
    errors: list[BaseException] = []

    def hostile() -> None:
        try:
            g.query_serialized(HOSTILE, "json")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=hostile) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while len(children() - before) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)  # both queries sent
    assert len(children() - before) == 2
    g.close()
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads)
    assert len(errors) == 2 and all(isinstance(e, StoreError) and "closed" in str(e) for e in errors)
    assert children() - before == set()


FINTECH = "https://w3id.org/normgraph/graph/org/fintech"


def test_an_update_on_disk_changes_the_durable_store_and_the_snapshot_alike(tmp_path: Path,
                                                                          example_store: EmbeddedStore) -> None:
    """An update runs once, in a child on the read snapshot, and what it changed is written to the durable
    store and the snapshot: blank nodes included (they keep their ids in the snapshot), with no full copy."""
    disk = EmbeddedStore(tmp_path / "db")
    disk.load(example_store.export("ntriples", FINTECH), "ntriples", FINTECH)
    g = GuardedStore(disk, workers=1)
    try:
        g.update(f"INSERT {{ GRAPH <{FINTECH}> {{ ?risk <http://x/reviewed> [ <http://x/by> \"audit\" ] }} }} "
                 f"WHERE {{ GRAPH <{FINTECH}> {{ ?risk a ?type FILTER(CONTAINS(STR(?type), \"Risk\")) }} }}")
        rebuilds = g.rebuilds
        reviewed = sorted(g.inner.export("nquads").splitlines())
        assert any(b"<http://x/by>" in line for line in reviewed)
        assert sorted(g._reader.export("nquads").splitlines()) == reviewed
        g.update(f"DELETE {{ GRAPH <{FINTECH}> {{ ?review <http://x/by> ?who }} }} "
                 f"WHERE {{ GRAPH <{FINTECH}> {{ ?review <http://x/by> ?who }} }}")
        after = sorted(g.inner.export("nquads").splitlines())
        assert not any(b"<http://x/by>" in line for line in after) and len(after) < len(reviewed)
        assert sorted(g._reader.export("nquads").splitlines()) == after
        assert g.rebuilds == rebuilds
    finally:
        g.close()


def test_an_update_with_a_random_value_is_applied_as_it_ran(example_store: EmbeddedStore) -> None:
    """NOW() / RAND() / STRUUID(): the change computed once is the change applied, and readers see it."""
    inner = EmbeddedStore()
    inner.load(example_store.export("ntriples", FINTECH), "ntriples", FINTECH)
    g = GuardedStore(inner, workers=1)
    try:
        g.update(f"INSERT {{ GRAPH <{FINTECH}> {{ <http://x/t> <http://x/id> ?id }} }} WHERE {{ BIND(STRUUID() AS ?id) }}")
        seen = g.query("SELECT ?id WHERE { GRAPH ?g { <http://x/t> <http://x/id> ?id } }")
        assert isinstance(seen, SelectResult) and len(seen) == 1
        assert f'"{seen.rows[0]["id"]}"'.encode() in inner.export("nquads", FINTECH)
    finally:
        g.close()


@pytest.mark.parametrize("sandboxed", [False, True])
def test_an_update_that_crashes_the_parser_kills_only_its_child(monkeypatch: pytest.MonkeyPatch,
                                                               sandboxed: bool) -> None:
    """Past the nesting check (switched off here), an update nested deep enough to overflow the parser's
    stack is a QuerySyntaxError: it was parsed in a child, which died; the store still answers and writes."""
    import normgraph.store.sandbox as sandbox

    monkeypatch.setattr(sandbox, "refuse_deep", lambda _text: None)
    store: GuardedStore | sandbox.SandboxedStore = (sandbox.SandboxedStore(fixture_store()) if sandboxed
                                                    else GuardedStore(fixture_store(), workers=1))
    try:
        with pytest.raises(QuerySyntaxError, match="cannot be parsed"):
            store.update("INSERT { <http://x/a> <http://x/b> 1 } WHERE " + "{" * 30000 + "}" * 30000)
        store.update(f"INSERT DATA {{ GRAPH <{GRAPH_A}> {{ <http://x/a> <http://x/b> 1 }} }}")
        assert b"<http://x/a>" in store.export("nquads", GRAPH_A)
    finally:
        store.close()

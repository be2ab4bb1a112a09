"""Concurrent clients against a real server on loopback (the real knowledge graph, waitress, GuardedStore):
8 threads for a fixed 10 s, mixing /sparql named queries and explorer pages — zero errors, every answer
correct (SPARQL answers equal the embedded store's own answer as a multiset of rows; explorer pages are
byte-identical to the page served before the load, since the data does not change)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from waitress.server import create_server

from bench.bench_endpoint import fast_queries
from bench.bench_load_test import JSON, PAGES  # the same mix the benchmark measures
from normgraph.access import Registry
from normgraph.loading import load_knowledge
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.server.stopping import stop_server
from normgraph.store import EmbeddedStore

pytestmark = pytest.mark.slow

THREADS = 8
SECONDS = 10.0
#: how much longer the clients may go on until every item of the mix has been answered once
COVER_SECONDS = 120.0
TOKENS: list[str] = []  # one bearer token per client
MAX_QUERY_MS = 1000.0  # named queries slower than this on the bare store are left out of the mix


def rows(body: bytes) -> Counter[str] | bool:
    """A SPARQL JSON answer as a multiset of rows (row order is not part of an unordered query's answer)."""
    data = json.loads(body)
    if "boolean" in data:
        return bool(data["boolean"])
    return Counter(json.dumps(b, sort_keys=True) for b in data["results"]["bindings"])


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, list[tuple[str, str, Any]]]]:
    bare = EmbeddedStore()
    load_knowledge(bare, examples=True)
    # (name, text, expected rows): the benchmark's mix of named queries
    queries: list[tuple[str, str, Any]] = [(name, text, rows(body)) for name, text, body in fast_queries(bare, MAX_QUERY_MS)]
    assert len(queries) >= 10
    # every client is a principal of its own that sees everything (the example organisations too), so the
    # answers equal the bare store's and per-client fairness (normgraph/store/admission.py) treats them apart
    registry = Registry()
    for i in range(THREADS):
        registry.add(f"client-{i}", admin=True)
    TOKENS[:] = [registry.new_token(f"client-{i}") for i in range(THREADS)]
    app = create_app(bare, config={"workers": 2, "query_timeout": 30}, registry=registry)
    server = create_server(app, host="127.0.0.1", port=0, threads=8)

    def run() -> None:
        with contextlib.suppress(OSError):
            server.run()

    threading.Thread(target=run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", queries  # type: ignore[union-attr]
    finally:
        stop_server(server)
        close_app(app)


def test_concurrent_clients_get_no_errors_and_correct_answers(served: tuple[str, list[tuple[str, str, Any]]]) -> None:
    base, queries = served
    pages: dict[str, str] = {}
    for path in PAGES:  # the reference pages (and a warm cache, as after any start)
        r = requests.get(base + path, headers={"Accept": "text/html"}, timeout=120)
        assert r.status_code == 200, (path, r.status_code)
        pages[path] = hashlib.sha256(r.content).hexdigest()
    work: list[tuple[str, str, Any]] = [("q", name, (text, want)) for name, text, want in queries]
    for i, path in enumerate(PAGES):  # pages spread through the queries; the queries start cold (workers busy)
        work.insert(i * (len(work) // len(PAGES) + 1), ("page", path, pages[path]))

    failures: list[str] = []
    counts = Counter[str]()
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS
    # every item of the mix is asked at least once, however slow the machine: the clients go on past
    # SECONDS until each has been answered (bounded by COVER_SECONDS), so the assertions below hold
    # on a loaded CI machine too
    hard_stop = stop + COVER_SECONDS
    done: set[int] = set()

    def more() -> bool:
        now = time.monotonic()
        return now < stop or (now < hard_stop and len(done) < len(work))

    def client(i: int) -> None:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {TOKENS[i]}"
        n = i * 5
        while more():
            item = n % len(work)
            kind, name, spec = work[item]
            n += 1
            started = time.perf_counter()
            try:
                if kind == "q":
                    text, want = spec
                    r = s.get(f"{base}/sparql", params={"query": text}, headers={"Accept": JSON}, timeout=60)
                    while r.status_code == 503 and r.headers.get("Retry-After"):  # every worker busy: come back
                        time.sleep(0.05)
                        r = s.get(f"{base}/sparql", params={"query": text}, headers={"Accept": JSON}, timeout=60)
                    ok = r.status_code == 200 and rows(r.content) == want
                else:
                    r = s.get(base + name, headers={"Accept": "text/html"}, timeout=60)
                    ok = r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == spec
                problem = None if ok else f"{name}: HTTP {r.status_code}, wrong or failed answer"
            except requests.RequestException as e:
                problem = f"{name}: {e}"
            with lock:
                latencies.append(time.perf_counter() - started)
                counts[kind] += 1
                done.add(item)
                if problem:
                    failures.append(problem)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + COVER_SECONDS + 120)
    assert not any(t.is_alive() for t in threads)
    assert failures == [], failures[:10]
    assert len(done) == len(work), f"{len(work) - len(done)} items of the mix never answered"
    assert counts["q"] >= len(queries) and counts["page"] >= len(PAGES), counts
    latencies.sort()
    print(f"\n{len(latencies)} requests, {len(done)} of {len(work)} items of the mix, "
          f"p50 {1000 * latencies[len(latencies) // 2]:.0f} ms, p99 {1000 * latencies[int(0.99 * len(latencies))]:.0f} ms")


def test_after_a_write_the_hot_queries_are_recomputed_in_the_background() -> None:
    """GuardedStore re-warms what was cached before a write, so the next reader does not pay for it."""
    from normgraph.store.guarded import GuardedStore, text_digest
    from tests.server_helpers import fixture_store

    class CountingGuardedStore(GuardedStore):
        """The real GuardedStore, counting the queries it hands to its workers (a cache miss)."""

        runs = 0

        def _run(self, *args: Any, **kwargs: Any) -> Any:
            self.runs += 1
            return super()._run(*args, **kwargs)

    g = CountingGuardedStore(fixture_store(), workers=2, timeout=10)
    try:
        queries = [f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {n}" for n in range(1, 6)]
        for q in queries:
            g.query_serialized(q, "json")
        g.update("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> 1 } }")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(g.cache) < len(queries):
            time.sleep(0.05)
        assert {k[0] for k in g.cache} == {text_digest(q) for q in queries}  # keyed by the texts' sha256
        assert all(k[-1] == g.generation for k in g.cache)
        ran = g.runs
        assert g.query_serialized(queries[0], "json")[0]
        assert g.runs == ran  # a cache hit: no worker was asked
    finally:
        g.close()

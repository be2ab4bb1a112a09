"""Throughput and latency of /sparql under concurrent load, against Oxigraph's own server in the same run.

`python -m bench.bench_endpoint [--seconds 10] [--threads 8]`: starts `normgraph serve` (waitress,
GuardedStore, result cache on) and `oxigraph serve` (PyPI `oxigraph`, loaded with the same graphs via
its /store endpoint) on loopback ports, then for each server runs N client threads for a fixed time,
each sending the named queries (queries/*.rq with default parameters) in turn, Accept: SPARQL JSON.
Reports requests/s, p50/p99 latency and the ratios normgraph/Oxigraph. Figures go to bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from normgraph.iri import graph_for_path
from normgraph.knowledge import ROOT
from normgraph.loading import knowledge_files, load_knowledge
from normgraph.queries import list_queries
from normgraph.store.base import Store
from normgraph.store.sparql_text import check_sparql


def _wait(url: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early: {proc.args!r}")
        try:
            requests.get(url, timeout=2)  # any answer: the server listens
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_normgraph(workers: int, *, cache: bool, threads: int = 16) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "NORMGRAPH_CACHE": "512" if cache else "0"}
    proc = subprocess.Popen([sys.executable, "-m", "normgraph", "serve", "--port", str(port), "--no-examples",
                             "--workers", str(workers), "--threads", str(threads)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/sparql"
    _wait(url, proc)
    return proc, url


def start_oxigraph(location: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(["oxigraph", "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/query", proc)
    for path in knowledge_files(ROOT):
        r = requests.put(f"{base}/store", params={"graph": str(graph_for_path(path, ROOT))},
                         data=path.read_bytes(), headers={"Content-Type": "text/turtle"}, timeout=120)
        r.raise_for_status()
    return proc, f"{base}/query"


def warm_up(url: str, queries: list[str], *, union_param: bool) -> None:
    """Every query once, in turn (same for every server)."""
    for q in queries:
        params = {"query": q, **({"union-default-graph": ""} if union_param else {})}
        requests.get(url, params=params, headers={"Accept": "application/sparql-results+json"}, timeout=120)


def run_load(url: str, queries: list[str], seconds: float, threads: int, *, union_param: bool) -> dict[str, float]:
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        s = requests.Session()
        n = i
        while time.monotonic() < stop:
            q = queries[n % len(queries)]
            n += 1
            params = {"query": q}
            if union_param:
                params["union-default-graph"] = ""
            started = time.perf_counter()
            r = s.get(url, params=params, headers={"Accept": "application/sparql-results+json"}, timeout=60)
            latencies[i].append(time.perf_counter() - started)
            if r.status_code != 200:
                errors[i] += 1

    elapsed = run_clients(client, threads)
    flat = sorted(x for lat in latencies for x in lat)
    return {
        "requests": len(flat),
        "rps": len(flat) / elapsed,
        "p50_ms": 1000 * statistics.median(flat),
        "p99_ms": 1000 * flat[min(len(flat) - 1, int(0.99 * len(flat)))],
        "errors": sum(errors),
    }


def run_clients(client: Callable[[int], None], threads: int) -> float:
    """Run client(0), …, client(threads - 1) at once, one thread each; the wall time until all end."""
    ts = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.monotonic() - started


def fast_queries(store: Store, max_ms: float, *, report: bool = False) -> list[tuple[str, str, bytes]]:
    """(name, text, SPARQL JSON answer) of the named SELECT/ASK queries (default parameters) that
    `store` answers within max_ms — the mix the load benchmarks and tests/test_load.py send."""
    picked = []
    for q in list_queries():
        try:
            text = q.bind()
        except ValueError:
            continue
        if check_sparql(text).form not in ("select", "ask"):
            continue  # the load sends Accept: SPARQL JSON
        started = time.perf_counter()
        body, _media, _form = store.query_serialized(text, "json")
        ms = 1000 * (time.perf_counter() - started)
        if ms > max_ms:
            if report:
                print(f"left out {q.name}: {ms:.0f} ms on the embedded store alone")
            continue
        picked.append((q.name, text, body))
    return picked


def pick_queries(max_ms: float) -> list[str]:
    """The named queries (default parameters) that the embedded store answers within max_ms."""
    from normgraph.store import EmbeddedStore

    store = EmbeddedStore()
    load_knowledge(store)
    return [text for _name, text, _body in fast_queries(store, max_ms, report=True)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2, help="normgraph query worker processes")
    ap.add_argument("--max-ms", type=float, default=1000.0,
                    help="leave out named queries slower than this on the embedded store (reported)")
    ap.add_argument("--server-threads", type=int, default=16, help="waitress threads of normgraph serve")
    ap.add_argument("--only", choices=("all", "normgraph"), default="all",
                    help="normgraph: skip Oxigraph and the cache-off run (quick iterations while tuning)")
    args = ap.parse_args(argv)
    queries = pick_queries(args.max_ms)
    print(f"{len(queries)} named queries, {args.threads} client threads, {args.seconds:g} s per server")
    results = {}
    runs = (("normgraph", True), ("ng-nocache", False)) if args.only == "all" else (("normgraph", True),)
    if args.only == "all":
        with tempfile.TemporaryDirectory() as tmp:
            ox_proc, ox_url = start_oxigraph(Path(tmp) / "ox")
            try:
                # Oxigraph's server: the default graph is the union only with `union-default-graph`
                warm_up(ox_url, queries, union_param=True)
                results["oxigraph"] = run_load(ox_url, queries, args.seconds, args.threads, union_param=True)
            finally:
                ox_proc.terminate()
                ox_proc.wait(30)
    for name, cache in runs:
        ng_proc, ng_url = start_normgraph(args.workers, cache=cache, threads=args.server_threads)
        try:
            warm_up(ng_url, queries, union_param=False)  # fills the cache when it is on
            results[name] = run_load(ng_url, queries, args.seconds, args.threads, union_param=False)
        finally:
            ng_proc.terminate()
            ng_proc.wait(30)
    for name, r in results.items():
        print(f"{name:10s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
              f"({int(r['requests'])} requests, {int(r['errors'])} errors)")
    if "oxigraph" in results:
        ox = results["oxigraph"]
        for name, _cache in runs:
            ng = results[name]
            print(f"ratio {name}/oxigraph: throughput {ng['rps'] / ox['rps']:.2f}x, "
                  f"p50 {ng['p50_ms'] / ox['p50_ms']:.2f}x, p99 {ng['p99_ms'] / ox['p99_ms']:.2f}x")

if __name__ == "__main__":
    main()

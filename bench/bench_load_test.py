"""/sparql and the explorer under concurrent load for a fixed time: throughput, p50/p99 per class, zero errors.

`python -m bench.bench_load_test [--seconds 10] [--threads 8] [--server-threads 8]`: starts `normgraph serve`
(waitress, GuardedStore, result cache on, real data without the example organisations) on a loopback port,
warms it with one sequential pass, then runs N client threads for a fixed time, each cycling through the
SELECT/ASK named queries (Accept: SPARQL JSON) interleaved with explorer pages (Accept: text/html).
Reports requests/s, p50/p99 for each class and overall, errors (exit status 1 if any), and the serving
process's CPU time per request (from /proc, so it is comparable between runs on a busy machine).
Figures go to bench/README.md ("Mixed load: /sparql and the explorer").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time

import requests

from bench.bench_endpoint import pick_queries, run_clients, start_normgraph

PAGES = [
    "/explore/",
    "/explore/catalog/iso27001-2022",
    "/explore/catalog/eu-ai-act",
    "/explore/search?q=supplier",
    "/explore/resource?iri=iso27001:A-5-19",
    "/explore/resource?iri=aiact:art-9",
    "/explore/matrix",
    "/explore/neighbourhood?iri=iso27001:A-5-19",
]
JSON = "application/sparql-results+json"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc), 0.0 where unavailable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def summary(lat: list[float]) -> dict[str, float]:
    lat = sorted(lat)
    if not lat:
        return {"n": 0, "p50_ms": 0.0, "p99_ms": 0.0}
    return {"n": len(lat), "p50_ms": 1000 * statistics.median(lat),
            "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))]}


def run(base: str, queries: list[str], seconds: float, threads: int) -> dict[str, object]:
    work: list[tuple[str, str]] = [("sparql", q) for q in queries]
    for i, path in enumerate(PAGES):
        work.insert(i * (len(work) // len(PAGES) + 1), ("explorer", path))
    lat: dict[str, list[float]] = {"sparql": [], "explorer": []}
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        s = requests.Session()
        n = i * 5
        while time.monotonic() < stop:
            kind, item = work[n % len(work)]
            n += 1
            started = time.perf_counter()
            try:
                if kind == "sparql":
                    r = s.get(f"{base}/sparql", params={"query": item}, headers={"Accept": JSON}, timeout=60)
                else:
                    r = s.get(base + item, headers={"Accept": "text/html"}, timeout=60)
                problem = None if r.status_code == 200 else f"{kind} {item[:60]!r}: HTTP {r.status_code}"
            except requests.RequestException as e:
                problem = f"{kind}: {e}"
            with lock:
                lat[kind].append(time.perf_counter() - started)
                if problem:
                    errors.append(problem)

    elapsed = run_clients(client, threads)
    every = lat["sparql"] + lat["explorer"]
    return {"elapsed": elapsed, "rps": len(every) / elapsed, "all": summary(every),
            "sparql": summary(lat["sparql"]), "explorer": summary(lat["explorer"]), "errors": errors}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=8, help="client threads")
    ap.add_argument("--workers", type=int, default=2, help="normgraph query worker processes")
    ap.add_argument("--server-threads", type=int, default=8, help="waitress threads")
    ap.add_argument("--max-ms", type=float, default=1000.0, help="leave out named queries slower than this")
    args = ap.parse_args(argv)
    queries = [text for _name, text in pick_queries(args.max_ms)]
    proc, url = start_normgraph(args.workers, cache=True, threads=args.server_threads)
    base = url.removesuffix("/sparql")
    try:
        for q in queries:  # one sequential warm-up pass, as after any start
            requests.get(url, params={"query": q}, headers={"Accept": JSON}, timeout=120)
        for path in PAGES:
            requests.get(base + path, headers={"Accept": "text/html"}, timeout=120)
        cpu0 = cpu_seconds(proc.pid)
        res = run(base, queries, args.seconds, args.threads)
        cpu = cpu_seconds(proc.pid) - cpu0
    finally:
        proc.terminate()
        proc.wait(30)
    total = res["all"]["n"]  # type: ignore[index]
    print(f"{len(queries)} named queries + {len(PAGES)} explorer pages, {args.threads} client threads, "
          f"{args.seconds:g} s, waitress threads {args.server_threads}, {args.workers} query workers")
    print(f"overall   {res['rps']:7.1f} req/s  p50 {res['all']['p50_ms']:7.2f} ms  "  # type: ignore[index]
          f"p99 {res['all']['p99_ms']:7.2f} ms  ({total} requests)")  # type: ignore[index]
    for kind in ("sparql", "explorer"):
        r = res[kind]
        print(f"{kind:9s} {r['n']:7d} req    p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms")  # type: ignore[index]
    if total:
        print(f"server CPU {1000 * cpu / total:.2f} ms per request (serving process; workers not counted)")
    errors: list[str] = res["errors"]  # type: ignore[assignment]
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""Throughput and latency of /sparql under concurrent load, against Oxigraph's own server in the same run.

`python -m bench.bench_endpoint [--seconds 10] [--threads 8]`: starts `normgraph serve` (waitress,
GuardedStore, result cache on) and `oxigraph serve` (PyPI `oxigraph`, loaded with the same graphs via
its /store endpoint) on loopback ports, then for each server runs N client threads for a fixed time,
each sending the named queries (queries/*.rq with default parameters) in turn, Accept: SPARQL JSON.
All servers run at once and are measured in turns (`--rounds` slices of --seconds/rounds each), so that on a
shared machine each meets the same load. Reports answers/s, p50/p99 latency, the queries with the worst
p99, and the ratios of normgraph (cache on; cache off) to Oxigraph and Virtuoso. Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

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


def start_normgraph(workers: int, *, cache: bool, threads: int = 16,
                    source: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`normgraph serve` on a free port; `source`: run the code of that source tree (e.g. an earlier commit's
    `git archive`) instead of this one, for a before/after in the same run."""
    port = _free_port()
    # the bench's clients all come from 127.0.0.1: let that one client use every worker (admission.py)
    env = {**os.environ, "NORMGRAPH_CACHE": "512" if cache else "0", "NORMGRAPH_HEAVY_PER_CLIENT": str(workers)}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    proc = subprocess.Popen([sys.executable, "-m", "normgraph", "serve", "--port", str(port), "--no-examples",
                             "--workers", str(workers), "--threads", str(threads)], cwd=source or ROOT, env=env,
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
    """N client threads sending the queries in turn for `seconds`; throughput and latency to the last byte.

    The clients are light (http.client on a kept-alive connection, the request line built once per
    query, the body read but not decoded, as wrk or ab do): with eight Python clients on the same two
    cores, requests' own work and gunzipping big answers under the clients' GIL added tens of ms to the
    measured tail that no server caused. A 503 (normgraph's admission control refusing a query while every
    worker is busy, normgraph/store/admission.py) is retried after RETRY_PAUSE, as a client honouring
    Retry-After would, and the latency counts from the first attempt.

    Throughput ("rps") is answers per second of the slice: an answer that ends after the slice's end counts
    for the share of it that fell inside. Dividing all answers by the time until the last one ended (as
    before, "elapsed") undercounts a server with long queries: its clients stop one by one while the last
    ones finish, and the cores idle meanwhile (Oxigraph's explorer-records took up to 4 s of a 6-s slice)."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    credit = [0.0] * threads  # answers inside the slice, the last one of each client pro rata
    errors = [0] * threads
    retries = [0] * threads
    per_query: list[list[tuple[int, float, int]]] = [[] for _ in range(threads)]  # (query index, seconds, status)
    parts = urlsplit(url)
    extra = {"union-default-graph": ""} if union_param else {}
    paths = [f"{parts.path}?{urlencode({'query': q, **extra})}" for q in queries]
    headers = {"Accept": "application/sparql-results+json", "Accept-Encoding": "gzip"}
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
        n = i
        while time.monotonic() < stop:
            k = n % len(queries)
            n += 1
            started = time.perf_counter()
            began = time.monotonic()
            while True:
                try:
                    conn.request("GET", paths[k], headers=headers)
                    r = conn.getresponse()
                    r.read()
                    status = r.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
                    status = 0
                if status != 503 or time.monotonic() > stop + RETRY_FOR:
                    break
                retries[i] += 1
                time.sleep(RETRY_PAUSE)
            latencies[i].append(time.perf_counter() - started)
            ended = time.monotonic()
            credit[i] += 1.0 if ended <= stop else max(0.0, stop - began) / max(ended - began, 1e-9)
            per_query[i].append((k, latencies[i][-1], status))
            if status != 200:
                errors[i] += 1
        conn.close()

    elapsed = run_clients(client, threads)
    flat = sorted(x for lat in latencies for x in lat)
    LAST_PER_QUERY[:] = [x for pq in per_query for x in pq]
    LAST_LATENCIES[:] = flat
    return {
        "elapsed": elapsed,
        "requests": len(flat),
        "credit": sum(credit),
        "window": seconds,
        "rps": sum(credit) / seconds,
        "p50_ms": 1000 * statistics.median(flat),
        "p99_ms": 1000 * flat[min(len(flat) - 1, int(0.99 * len(flat)))],
        "errors": sum(errors),
        "retries": sum(retries),
    }


#: a refused (503) request is sent again after this pause, for at most RETRY_FOR seconds past the run's end
RETRY_PAUSE = 0.01
RETRY_FOR = 30.0
#: (query index, seconds, HTTP status) of every request of the last run_load (for the per-query tail)
LAST_PER_QUERY: list[tuple[int, float, int]] = []
#: the latencies of the last run_load, sorted
LAST_LATENCIES: list[float] = []


def tail_by_query(names: list[str], top: int = 5) -> list[str]:
    """The queries with the highest p99 in the last run, and any that answered other than 200."""
    by: dict[int, list[tuple[float, int]]] = {}
    for k, sec, status in LAST_PER_QUERY:
        by.setdefault(k, []).append((sec, status))
    lines = []
    for k, got in sorted(by.items(), key=lambda kv: -sorted(s for s, _ in kv[1])[int(0.99 * (len(kv[1]) - 1))])[:top]:
        lat = sorted(s for s, _ in got)
        lines.append(f"  {names[k]:40s} n={len(lat):4d} p50 {1000 * statistics.median(lat):7.1f} ms  "
                     f"p99 {1000 * lat[int(0.99 * (len(lat) - 1))]:7.1f} ms")
    bad = {names[k]: status for k, _s, status in LAST_PER_QUERY if status != 200}
    lines += [f"  not 200: {name} -> {status}" for name, status in sorted(bad.items())]
    return lines


def process_cpu(pid: int | None) -> tuple[float, float]:
    """(CPU seconds of the process, of its live child processes) so far, from /proc; (0, 0) where unreadable.

    A normgraph server's query workers are its children; Oxigraph's and Virtuoso's servers work in their own
    process (threads)."""
    if pid is None:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")

    def own(p: int | str) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

    children: set[str] = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                children.update((task / "children").read_text().split())
    except OSError:
        pass
    return own(pid), sum(own(c) for c in children)


def run_clients(client: Callable[[int], None], threads: int) -> float:
    """Run client(0), …, client(threads - 1) at once, one thread each; the wall time until all end."""
    ts = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.monotonic() - started


def fast_queries(store: Store, max_ms: float, *, report: bool = False,
                 min_ms: float = 0.0) -> list[tuple[str, str, bytes]]:
    """(name, text, SPARQL JSON answer) of the named SELECT/ASK queries (default parameters) that
    `store` answers within max_ms — the mix the load benchmarks and tests/test_load.py send; with min_ms,
    only those taking at least that long (the heavy end of the mix)."""
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
        if ms > max_ms or ms < min_ms:
            if report:
                print(f"left out {q.name}: {ms:.1f} ms on the embedded store alone")
            continue
        picked.append((q.name, text, body))
    return picked


def pick_queries(max_ms: float, min_ms: float = 0.0) -> list[tuple[str, str]]:
    """(name, text) of the named queries (default parameters) that the embedded store answers in min_ms to
    max_ms."""
    from normgraph.store import EmbeddedStore

    store = EmbeddedStore()
    load_knowledge(store)
    return [(name, text) for name, text, _body in fast_queries(store, max_ms, report=True, min_ms=min_ms)]


@contextmanager
def virtuoso_endpoint() -> Iterator[tuple[str, int]]:
    """Virtuoso 7 (tests/virtuoso_server.py) with the knowledge loaded graph by graph; its anonymous /sparql
    and the server's process id.

    Its default graph is the union of every graph it holds (Virtuoso's own system graphs too), so the
    named queries run there as they are, without a dataset."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from virtuoso_server import virtuoso_server

    with virtuoso_server() as server:
        store = server.store(gsp=True, timeout=300)
        for path in knowledge_files(ROOT):
            store.load(path, "turtle", str(graph_for_path(path, ROOT)))
        yield server.query_url, server.process.pid


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2, help="normgraph query worker processes")
    ap.add_argument("--max-ms", type=float, default=1000.0,
                    help="leave out named queries slower than this on the embedded store (reported)")
    ap.add_argument("--min-ms", type=float, default=0.0,
                    help="leave out named queries quicker than this on the embedded store (reported): with "
                         "--max-ms, the light or the heavy end of the mix alone")
    ap.add_argument("--server-threads", type=int, default=8, help="waitress threads of normgraph serve")
    ap.add_argument("--runs", default="oxigraph,virtuoso,normgraph,ng-nocache",
                    help="which servers: oxigraph, virtuoso, normgraph (cache on), ng-nocache; a normgraph run named "
                         "with -w<N> has N query workers (ng-nocache-w3), one named with -base runs --baseline's code")
    ap.add_argument("--baseline", type=Path, help="a source tree (e.g. `git archive` of an earlier commit) for the "
                                                  "-base runs: before and after in the same run")
    ap.add_argument("--rounds", type=int, default=4, help="turns each server gets (--seconds in all, per server)")
    ap.add_argument("--serial-seconds", type=float, default=0.0,
                    help="then each server for this long with one client, one query at a time (its cost per answer "
                         "without concurrency: the ratio the scheduler cannot move)")
    args = ap.parse_args(argv)
    picked = pick_queries(args.max_ms, args.min_ms)
    names = [n for n, _t in picked]
    queries = [t for _n, t in picked]
    runs = args.runs.split(",")
    print(f"{len(queries)} named queries, {args.threads} client threads, {args.seconds:g} s per server; "
          f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    # every server up at once and measured in turns, `rounds` slices each: on a shared machine the load moves
    # from minute to minute, and interleaved slices give each server the same conditions
    samples: dict[str, list[tuple[list[float], float, int, int, list[tuple[int, float, int]]]]] = {n: [] for n in runs}
    cpu: dict[str, list[float]] = {n: [0.0, 0.0] for n in runs}  # CPU seconds: server process, its children
    credits: dict[str, float] = {n: 0.0 for n in runs}  # answers inside the slices (run_load's "credit")
    with ExitStack() as stack:
        urls = {name: stack.enter_context(_server(name, args)) for name in runs}
        for url, union_param, _pid in urls.values():
            warm_up(url, queries, union_param=union_param)  # fills normgraph's cache when it is on
        for _round in range(args.rounds):
            for name, (url, union_param, pid) in urls.items():
                before = process_cpu(pid)
                r = run_load(url, queries, args.seconds / args.rounds, args.threads, union_param=union_param)
                after = process_cpu(pid)
                cpu[name][0] += after[0] - before[0]
                cpu[name][1] += after[1] - before[1]
                samples[name].append((LAST_LATENCIES[:], r["elapsed"], int(r["errors"]), int(r["retries"]),
                                      LAST_PER_QUERY[:]))
                credits[name] += r["credit"]
        serial = {name: run_load(url, queries, args.serial_seconds, 1, union_param=union_param)
                  for name, (url, union_param, _pid) in urls.items()} if args.serial_seconds > 0 else {}
    results: dict[str, dict[str, float]] = {}
    for name, got in samples.items():
        flat = sorted(x for lat, *_rest in got for x in lat)
        elapsed = sum(g[1] for g in got)
        results[name] = r = {"rps": credits[name] / args.seconds, "p50_ms": 1000 * statistics.median(flat),
                             "p99_ms": 1000 * flat[min(len(flat) - 1, int(0.99 * len(flat)))]}
        own, children = (1000 * c / max(1, len(flat)) for c in cpu[name])
        print(f"{name:10s} {r['rps']:8.1f} req/s (all answers / time to the last: {len(flat) / elapsed:.1f})  "
              f"p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
              f"({len(flat)} answers, {sum(g[2] for g in got)} errors, {sum(g[3] for g in got)} refusals retried; "
              f"CPU per answer: server process {own:.2f} ms" + (f", query workers {children:.2f} ms)" if children else ")"))
        LAST_PER_QUERY[:] = [x for g in got for x in g[4]]
        for line in tail_by_query(names):
            print(line)
    for name, r in serial.items():
        print(f"one at a time: {name:10s} {r['rps']:8.1f} answers/s, mean {1000 / r['rps']:.2f} ms per answer "
              f"({r['requests']} answers)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    for ref in ("oxigraph", "virtuoso", "ng-nocache-base"):
        if ref not in results:
            continue
        for name in results:
            if name != ref and name.startswith(("normgraph", "ng-nocache")):
                ng, other = results[name], results[ref]
                print(f"ratio {name}/{ref}: throughput {ng['rps'] / other['rps']:.2f}x, "
                      f"p50 {ng['p50_ms'] / other['p50_ms']:.2f}x, p99 {ng['p99_ms'] / other['p99_ms']:.2f}x"
                      + (f"; one at a time {serial[name]['rps'] / serial[ref]['rps']:.2f}x"
                         if name in serial and ref in serial else ""))


@contextmanager
def _server(name: str, args: argparse.Namespace) -> Iterator[tuple[str, bool, int | None]]:
    """(query URL, whether to ask for the union default graph, server process id) of one server, stopped
    afterwards."""
    if name == "virtuoso":
        with virtuoso_endpoint() as (url, pid):
            yield url, False, pid
        return
    if name == "oxigraph":
        with tempfile.TemporaryDirectory() as tmp:
            proc, url = start_oxigraph(Path(tmp) / "ox")
            try:
                # Oxigraph's server: the default graph is the union only with `union-default-graph`
                yield url, True, proc.pid
            finally:
                proc.terminate()
                proc.wait(30)
        return
    parts = name.split("-")
    if parts[0] not in ("normgraph", "ng") or (parts[0] == "ng" and parts[1:2] != ["nocache"]):
        raise SystemExit(f"unknown server {name!r}")
    workers = next((int(p[1:]) for p in parts if p[:1] == "w" and p[1:].isdigit()), args.workers)
    source = None
    if "base" in parts:
        if args.baseline is None:
            raise SystemExit(f"{name}: give --baseline SOURCE_TREE")
        source = args.baseline.resolve()
    proc, url = start_normgraph(workers, cache=parts[0] == "normgraph", threads=args.server_threads, source=source)
    try:
        yield url, False, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()

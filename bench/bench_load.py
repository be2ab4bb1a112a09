"""Load time, build time, and every named query's time as a ratio to a full scan of the same store.

- loading: every knowledge file (with the example organisations) into the embedded store vs rdflib
  parsing the same files;
- build: the full `normgraph build` (catalogs + mappings + composition), in check mode (writes nothing);
- queries: every queries/*.rq with its default parameters (internal ones marked), uncached, on the
  embedded store (in process, answer serialised as /sparql would: SPARQL JSON or N-Triples), on Oxigraph's
  own server (PyPI `oxigraph`, `serve-read-only --union-default-graph`, the same quads, over loopback HTTP)
  and on Virtuoso 7 (tests/virtuoso_server.py, the same graphs loaded through the Graph Store Protocol),
  queried as normgraph queries it: a RemoteStore with the `virtuoso` profile, which sends normgraph's graphs
  as the dataset so that Virtuoso's own system graphs stay out (engine "virtuoso"), and, for reference, the
  text POSTed to its anonymous /sparql, whose default graph is the union of all its graphs, system graphs
  included (engine "virtuoso-native") — each time also divided by the time of
  queries/full-scan.rq (COUNT of every triple of every named graph) on the same store, timed right after it.
  Budget (issue 13): no named query above about 2 scans on the embedded store.

`python -m bench.bench_load [--engines embedded,oxigraph,virtuoso,virtuoso-native] [--repeat 5] [--no-build]`
`python -m bench.bench_load --split explorer-records,mapping-records`: only those queries on the embedded store,
evaluation (the solutions iterated) apart from evaluation and serialisation, each as full scans.
`python -m bench.bench_load --baseline <source tree>`: before and after on one embedded store — every named query
whose text differs in <tree>/queries, each text timed in turn (CPU time of this thread, the least of --repeat
runs: on a shared machine the least is what the load disturbs least), and the endpoint's mix (one of each named
SELECT/ASK) summed both ways.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph
import requests
from rdflib import Dataset

from normgraph.iri import graph_for_path
from normgraph.knowledge import ROOT
from normgraph.loading import knowledge_files, load_files
from normgraph.queries import NamedQuery, QueryError, get_query, list_queries, parse_query_file, with_prefixes
from normgraph.store import EmbeddedStore
from normgraph.store.base import Store
from normgraph.store.sparql_text import check_sparql

REPEAT = 5
#: a query slower than this on a server is stopped and reported as ">CAP"
CAP_S = 60.0
SCAN = "full-scan"
#: budget in full scans (issue 13)
BUDGET = 2.0


def post_query(url: str, sparql: str, accept: str) -> None:
    """One SPARQL Protocol POST (form-encoded: Virtuoso 7 waits forever on a direct application/sparql-query
    body), the answer read in full."""
    requests.post(url, data={"query": sparql}, timeout=CAP_S, headers={"Accept": accept}).raise_for_status()


def timed(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    """Median wall time of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def oxigraph_server(nquads: Path, workdir: Path) -> Iterator[str]:
    """`oxigraph serve-read-only --union-default-graph` over a store loaded from `nquads`; its query URL."""
    location = workdir / "oxigraph-db"
    subprocess.run(["oxigraph", "load", "--location", str(location), "--file", str(nquads)], check=True,
                   capture_output=True)
    port = free_port()
    proc = subprocess.Popen(["oxigraph", "serve-read-only", "--location", str(location), "--bind",
                             f"127.0.0.1:{port}", "--union-default-graph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    try:
        for _ in range(200):
            try:
                requests.get(url, timeout=1)  # any answer: the server listens
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        else:
            raise RuntimeError("oxigraph server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def virtuoso_endpoint(files: list[Path]) -> Iterator[tuple[str, Store]]:
    """Virtuoso 7 from tests/virtuoso_server.py, the knowledge files loaded graph by graph (GSP); its /sparql and
    a RemoteStore on it with the `virtuoso` profile."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from virtuoso_server import virtuoso_server

    with virtuoso_server() as server:
        store = server.store(gsp=True, timeout=CAP_S)
        started = time.perf_counter()
        for f in files:
            store.load(f, "turtle", str(graph_for_path(f, ROOT)))
        print(f"virtuoso: started in {server.startup_seconds:.1f} s, {len(files)} graphs loaded through GSP in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        yield server.query_url, server.store(timeout=CAP_S)


def result_format(sparql: str) -> tuple[str, str]:
    """(normgraph's format name, Accept media type) the answer is written in, as /sparql would by default."""
    if check_sparql(sparql).form in ("select", "ask"):
        return "json", "application/sparql-results+json"
    return "ntriples", "application/n-triples"


def runnable() -> list[tuple[NamedQuery, str]]:
    """Every named query (internal ones too) that binds with its defaults, and its text."""
    out = []
    for q in list_queries(internal=True):
        try:
            out.append((q, with_prefixes(q.bind())))
        except QueryError:
            continue  # a required parameter without default: nothing to run unattended
    return out


def engine_timer(name: str, target: object, repeat: int) -> Callable[[str], float | str]:
    """A function timing one query text on an engine: seconds, or why not ('>60s', the error's name)."""
    def run(sparql: str) -> float | str:
        fmt, accept = result_format(sparql)
        try:
            if isinstance(target, str):  # a SPARQL endpoint URL
                return timed(lambda: post_query(target, sparql, accept), repeat)
            assert isinstance(target, (EmbeddedStore, Store))
            return timed(lambda: target.query_serialized(sparql, fmt, timeout=CAP_S), repeat)
        except Exception as e:  # a server's timeout or refusal: reported in the table
            text = str(e).lower()
            return f">{CAP_S:g}s" if "time" in text else type(e).__name__
    run.__name__ = name
    return run


def query_table(timers: dict[str, Callable[[str], float | str]], queries: list[tuple[NamedQuery, str]]) -> list[str]:
    """Markdown rows: per query, each engine's ms and ratio to its own full scan; the scans first.

    Each ratio divides by a scan timed on the same engine right after the query (the first row shows the
    scan at the start): on a shared machine the load moves within a run, and a scan measured once at the
    start made single ratios swing by 2x and more."""
    scan_text = with_prefixes(get_query(SCAN).bind())
    scans = {name: timer(scan_text) for name, timer in timers.items()}
    head = "| query | " + " | ".join(f"{n} ms | {n} / scan" for n in timers) + " |"
    rows = [head, "|---|" + "---|---|" * len(timers)]
    rows.append(f"| **full scan** ({SCAN}) | " + " | ".join(
        f"{scans[n] * 1000:.1f} | 1" if isinstance(scans[n], float) else f"{scans[n]} | –" for n in timers) + " |")
    print("\n".join(rows), flush=True)
    over: list[str] = []
    mix: dict[str, list[tuple[float, float]]] = {name: [] for name in timers}  # the endpoint mix: (s, scans)
    for q, text in queries:
        if q.name == SCAN:
            continue
        cells = []
        for name, timer in timers.items():
            t = timer(text)
            scan = timer(scan_text) if isinstance(t, float) else scans[name]  # the scan next to the query
            if isinstance(t, float) and isinstance(scan, float):
                ratio = t / scan
                if not q.internal and result_format(text)[0] == "json":
                    mix[name].append((t, ratio))
                cells.append(f"{t * 1000:.1f} | {ratio:.2f}")
                if name == "embedded" and ratio > BUDGET and not q.internal:
                    over.append(q.name)
            else:
                cells.append(f"{t} | –")
        rows.append(f"| {q.name}{' (internal)' if q.internal else ''} | " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    rows.append("")
    rows.append("named SELECT/ASK queries (the endpoint's mix, one of each), summed: " + "; ".join(
        f"{name} {sum(t for t, _ in r) * 1000:.0f} ms, {sum(x for _, x in r):.2f} of its scans ({len(r)} answered)"
        for name, r in mix.items()))
    rows.append(f"named queries over {BUDGET:g} full scans on the embedded store: {', '.join(over) or 'none'}")
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--engines", default="embedded,oxigraph,virtuoso")
    ap.add_argument("--repeat", type=int, default=REPEAT)
    ap.add_argument("--no-build", action="store_true", help="skip the full build timing")
    ap.add_argument("--split", help="comma-separated query names: evaluation apart from serialisation, then stop")
    ap.add_argument("--baseline", type=Path, help="a source tree: its queries/ against these, then stop")
    args = ap.parse_args(argv)
    if args.split:
        split(args.split.split(","), args.repeat)
        return
    if args.baseline:
        baseline(args.baseline / "queries", args.repeat)
        return
    engines = args.engines.split(",")
    print(f"load average at the start: {_load()}", flush=True)
    files = knowledge_files(ROOT, examples=True)
    store = EmbeddedStore()
    load_s = timed(lambda: load_files(EmbeddedStore(), files, ROOT), repeat=3)
    load_files(store, files, ROOT)
    triples = len(store)

    def rdflib_parse() -> Dataset:
        ds = Dataset(default_union=True)
        for f in files:
            ds.graph(f.as_uri()).parse(f, format="turtle")
        return ds

    rdflib_s = timed(rdflib_parse, repeat=1)
    print(f"knowledge graph: {len(files)} files, {triples} triples")
    print(f"load into embedded Oxigraph: {load_s * 1000:.0f} ms; rdflib parse of the same files: "
          f"{rdflib_s * 1000:.0f} ms (ratio rdflib/embedded {rdflib_s / load_s:.1f}x)", flush=True)
    if not args.no_build:
        from normgraph.catalogs.build import default_sources, run_build

        if default_sources().is_dir():
            build_s = timed(lambda: run_build(default_sources(), check=True), repeat=1)
            print(f"full build (catalogs + mappings + composition, check mode): {build_s:.1f} s", flush=True)

    queries = runnable()
    with tempfile.TemporaryDirectory() as tmp, _engines(engines, store, files, Path(tmp), args.repeat) as timers:
        print(f"\n{len(queries)} named queries, median of {args.repeat} runs each (servers: of {max(1, args.repeat // 2)})")
        for row in query_table(timers, queries)[-3:]:
            print(row)
    print(f"load average at the end: {_load()}", flush=True)


def _load() -> str:
    """The 1-, 5- and 15-minute load averages: every figure is recorded with the load it was measured under."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def split(names: list[str], repeat: int) -> None:
    """Where a query's time goes on the embedded store: evaluating it (solutions iterated, nothing written)
    and evaluating plus serialising, each as full scans, for queries whose answers are big."""

    store = EmbeddedStore()
    load_files(store, knowledge_files(ROOT, examples=True), ROOT)
    ox = store.oxigraph

    def evaluate(text: str) -> Callable[[], object]:
        def run() -> int:
            result = ox.query(text, use_default_graph_as_union=True)
            return sum(1 for _ in result) if not isinstance(result, pyoxigraph.QueryBoolean) else 1
        return run

    def serialise(text: str, fmt: str) -> Callable[[], object]:
        return lambda: store.query_serialized(text, fmt)

    scan = timed(evaluate(with_prefixes(get_query(SCAN).bind())), repeat)
    print(f"full scan {scan * 1000:.1f} ms")
    for name in names:
        text = with_prefixes(get_query(name).bind())
        fmt, _accept = result_format(text)
        ev = timed(evaluate(text), repeat)
        full = timed(serialise(text, fmt), repeat)
        size = len(store.query_serialized(text, fmt)[0])
        print(f"{name}: evaluate {ev * 1000:.1f} ms ({ev / scan:.2f} scans); evaluate + serialise {full * 1000:.1f} ms "
              f"({full / scan:.2f} scans); answer {size:,} bytes", flush=True)


def baseline(folder: Path, repeat: int) -> None:
    """Each named query whose text differs in `folder` (another tree's queries/), old and new timed in turn on one
    embedded store, as full scans; then the endpoint's mix (one of each named SELECT/ASK) summed, old and new."""
    store = EmbeddedStore()
    load_files(store, knowledge_files(ROOT, examples=True), ROOT)

    def cpu(text: str, fmt: str) -> float:
        times = []
        for _ in range(repeat):
            start = time.thread_time()
            store.query_serialized(text, fmt)
            times.append(time.thread_time() - start)
        return min(times)

    scan_text = with_prefixes(get_query(SCAN).bind())
    print(f"load average at the start: {_load()}")
    print("| query | before ms | before / scan | after ms | after / scan |\n|---|---|---|---|---|", flush=True)
    mix = [0.0, 0.0]
    for q in list_queries():
        old_file = folder / f"{q.name}.rq"
        if not old_file.is_file():
            continue
        try:
            new, old = with_prefixes(q.bind()), with_prefixes(parse_query_file(old_file).bind())
        except QueryError:
            continue
        fmt = result_format(new)[0]
        before, after = cpu(old, fmt), cpu(new, fmt)
        scan = cpu(scan_text, "json")
        if fmt == "json":
            mix[0] += before
            mix[1] += after
        if old != new:
            print(f"| {q.name} | {before * 1000:.1f} | {before / scan:.2f} | {after * 1000:.1f} | {after / scan:.2f} |",
                  flush=True)
    print(f"\nthe endpoint's mix (named SELECT/ASK, one of each), CPU: before {mix[0] * 1000:.0f} ms, after "
          f"{mix[1] * 1000:.0f} ms ({mix[0] / mix[1]:.2f}x); load average at the end: {_load()}")


@contextmanager
def _engines(engines: list[str], store: EmbeddedStore, files: list[Path], tmp: Path,
             repeat: int) -> Iterator[dict[str, Callable[[str], float | str]]]:
    timers: dict[str, Callable[[str], float | str]] = {}
    server_repeat = max(1, repeat // 2)
    with _maybe(engines, "oxigraph", lambda: _oxigraph(store, tmp)) as ox_url, \
            _maybe([e.split("-")[0] for e in engines], "virtuoso", lambda: virtuoso_endpoint(files)) as virtuoso:
        if "embedded" in engines:
            timers["embedded"] = engine_timer("embedded", store, repeat)
        if ox_url is not None:
            timers["oxigraph"] = engine_timer("oxigraph", ox_url, server_repeat)
        if isinstance(virtuoso, tuple):
            if "virtuoso" in engines:
                timers["virtuoso"] = engine_timer("virtuoso", virtuoso[1], server_repeat)
            if "virtuoso-native" in engines:
                timers["virtuoso-native"] = engine_timer("virtuoso-native", virtuoso[0], server_repeat)
        yield timers


@contextmanager
def _oxigraph(store: EmbeddedStore, tmp: Path) -> Iterator[str]:
    nq = tmp / "all.nq"
    nq.write_bytes(store.export("nquads"))
    with oxigraph_server(nq, tmp) as url:
        yield url


@contextmanager
def _maybe(engines: list[str], name: str, start: Callable[[], object]) -> Iterator[object | None]:
    if name not in engines:
        yield None
        return
    with start() as value:  # type: ignore[attr-defined]
        yield value


if __name__ == "__main__":
    main()

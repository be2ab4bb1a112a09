"""Load time, build time and named-query times: embedded Oxigraph against reference engines.

- loading: every knowledge file into the embedded store vs rdflib parsing the same files;
- build: the full `normgraph build` (catalogs + mappings + composition), in check mode (writes nothing);
- queries: every queries/*.rq (defaults bound) on the embedded store, on Oxigraph's own server
  (PyPI `oxigraph`, loaded with the same quads, union default graph), and on rdflib's own SPARQL
  engine — all in the same run, reported as ratios.
"""

from __future__ import annotations

import multiprocessing
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import requests
from rdflib import Dataset

from normgraph.knowledge import ROOT
from normgraph.loading import knowledge_files, load_files
from normgraph.queries import QueryError, list_queries, with_prefixes
from normgraph.store import EmbeddedStore

REPEAT = 5


def post_query(url: str, sparql: str) -> None:
    """One SPARQL Protocol POST, the answer read in full."""
    requests.post(url, data=sparql.encode(), timeout=60, headers={
        "Content-Type": "application/sparql-query",
        "Accept": "application/sparql-results+json, application/n-triples;q=0.9"}).raise_for_status()


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
        return s.getsockname()[1]


def start_oxigraph(nquads: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    location = workdir / "oxigraph-db"
    subprocess.run(["oxigraph", "load", "--location", str(location), "--file", str(nquads)], check=True,
                   capture_output=True)
    port = free_port()
    proc = subprocess.Popen(["oxigraph", "serve-read-only", "--location", str(location), "--bind",
                             f"127.0.0.1:{port}", "--union-default-graph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    for _ in range(100):
        try:
            requests.get(url, timeout=1)  # any answer: the server listens
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("oxigraph server did not start")


RDFLIB_CAP_S = 30


def rdflib_time(reference: Dataset, sparql: str) -> float | str:
    """One run of rdflib's engine in a forked child, stopped after RDFLIB_CAP_S (it can take minutes)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()

    def run() -> None:
        try:
            child.send(timed(lambda: list(reference.query(sparql)), repeat=1))
        except Exception as e:  # rdflib does not support everything Oxigraph does
            child.send(type(e).__name__)

    proc = ctx.Process(target=run)
    proc.start()
    result = parent.recv() if parent.poll(RDFLIB_CAP_S) else f">{RDFLIB_CAP_S}s"
    proc.kill()
    proc.join()
    return result


def main() -> None:
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
    reference = rdflib_parse()

    from normgraph.catalogs.build import default_sources, run_build

    build_s = timed(lambda: run_build(default_sources(), check=True), repeat=1) if default_sources().is_dir() else None

    print(f"knowledge graph: {len(files)} files, {triples} triples")
    print(f"load into embedded Oxigraph: {load_s * 1000:.0f} ms; rdflib parse of the same files: "
          f"{rdflib_s * 1000:.0f} ms (ratio rdflib/embedded {rdflib_s / load_s:.1f}x)")
    if build_s is not None:
        print(f"full build (catalogs + mappings + composition, check mode): {build_s:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        nq = Path(tmp) / "all.nq"
        nq.write_bytes(store.export("nquads"))
        proc, url = start_oxigraph(nq, Path(tmp))
        try:
            print(f"\n{'query':40} {'embedded ms':>12} {'oxigraph srv ms':>16} {'rdflib ms':>10} {'srv/emb':>8} {'rdflib/emb':>10}")
            for q in list_queries():
                try:
                    sparql = with_prefixes(q.bind())
                except QueryError:
                    continue  # a required parameter without default: nothing to run unattended
                emb = timed(partial(store.query, sparql))
                srv = timed(partial(post_query, url, sparql))
                ref = rdflib_time(reference, sparql)
                if isinstance(ref, float):
                    ref_txt, ratio = f"{ref * 1000:10.0f}", f"{ref / emb:9.0f}x"
                else:
                    ref_txt, ratio = f"{ref:>10}", f"{'-':>10}"
                print(f"{q.name:40} {emb * 1000:12.1f} {srv * 1000:16.1f} {ref_txt} {srv / emb:7.1f}x {ratio}")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()

"""Organisations at scale: import, validation and peak memory at 1x, 10x and 100x the realistic organisation,
and 100 organisations in one store.

`python -m bench.bench_scale [--scales 1,10,100] [--orgs 100] [--cap-seconds 1800] [--cap-gib 8]`

- one scale = the synthetic organisation of bench/bench_validation.py (1x: 50 AI systems, 200 risks, 5,000
  evidence items, an SoA over both Annex A sets) times the scale, written as the four template CSVs, imported
  with `normgraph.orgdata.import_files` (parse, check every cell, one store.load) into an embedded store that
  holds the knowledge, then validated (`validate_org`, pyshacl-turbo, on 2026-12-01);
- many organisations = the 1x organisation imported once and its graph copied under N - 1 more slugs into
  one store, then the first and the last validated and their SoA built (does one organisation's cost grow
  with the others' data?).

Each run is a child process (`--child`), so its peak RSS (getrusage ru_maxrss) is its own; the parent stops a
child that passes --cap-seconds or --cap-gib of RSS and says so. The exponent of a step is
log(t_b / t_a) / log(triples_b / triples_a): 1 is linear.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

TODAY = date(2026, 12, 1)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child_scale(scale: int) -> dict[str, float]:
    from rdflib import Graph

    from bench.bench_validation import write_org
    from normgraph.loading import load_knowledge
    from normgraph.orgdata import import_files
    from normgraph.store import EmbeddedStore
    from normgraph.validation import prepare_data, run_engine, validate_org

    store = EmbeddedStore()
    load_knowledge(store)
    base = _rss_mib()
    with tempfile.TemporaryDirectory() as tmp:
        files = write_org(Path(tmp), scale)
        t0 = time.perf_counter()
        triples = import_files(store, files, f"scale{scale}")
        t_import = time.perf_counter() - t0
    after_import = _rss_mib()
    t0 = time.perf_counter()
    result = validate_org(store, f"scale{scale}", TODAY, engine="turbo")
    n_results = len(result.results)
    t_validate = time.perf_counter() - t0
    peak = _rss_mib()
    # where validation's time goes, measured again after it: building the data graph (org graph, catalog facts, the
    # applicability engine, the validation facts), and the SHACL engine reading that graph with no shape at all
    del result
    t0 = time.perf_counter()
    prepared = prepare_data(store, f"scale{scale}", TODAY)
    t_prepare = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_engine(prepared.store, Graph(), "turbo")
    t_engine_input = time.perf_counter() - t0
    return {"scale": scale, "triples": triples, "import_s": t_import, "validate_s": t_validate,
            "results": n_results, "rss_knowledge_mib": base, "rss_after_import_mib": after_import,
            "peak_rss_mib": peak, "prepare_s": t_prepare, "engine_input_s": t_engine_input,
            "data_graph_triples": len(prepared.store)}


def child_orgs(n: int) -> dict[str, float]:
    """The 1x organisation imported once, then its graph copied under n - 1 more slugs (the import itself is
    measured per scale above); validation and the SoA of the first and the last organisation."""
    from bench.bench_validation import write_org
    from normgraph.iri import org_graph
    from normgraph.loading import load_knowledge
    from normgraph.orgdata import import_files
    from normgraph.reports import soa
    from normgraph.store import EmbeddedStore
    from normgraph.validation import validate_org

    store = EmbeddedStore()
    load_knowledge(store)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        import_files(store, write_org(Path(tmp), 1), "org-000")
        t_import = time.perf_counter() - t0
    first = store.export("ntriples", str(org_graph("org-000"))).decode()
    t0 = time.perf_counter()
    for i in range(1, n):
        slug = f"org-{i:03d}"
        store.load(first.replace("/org/org-000/", f"/org/{slug}/"), "ntriples", str(org_graph(slug)))
    t_copies = time.perf_counter() - t0
    out: dict[str, float] = {"orgs": n, "triples": len(store), "import_first_s": t_import, "copies_s": t_copies}
    for which, slug in (("first", "org-000"), ("last", f"org-{n - 1:03d}")):
        t0 = time.perf_counter()
        validate_org(store, slug, TODAY, engine="turbo")
        out[f"validate_{which}_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        soa.build(store, slug, TODAY)
        out[f"soa_{which}_s"] = time.perf_counter() - t0
    out["peak_rss_mib"] = _rss_mib()
    return out


def run_child(args: list[str], cap_seconds: float, cap_gib: float) -> dict[str, float] | str:
    """One child's JSON answer, or why there is none (stopped at a cap, or failed)."""
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_scale", "--child", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    peak = 0.0
    while proc.poll() is None:
        time.sleep(0.5)
        peak = max(peak, _proc_rss_gib(proc.pid))
        if time.monotonic() - started > cap_seconds or peak > cap_gib:
            proc.kill()
            proc.wait()
            return (f"stopped after {time.monotonic() - started:.0f} s at {peak:.1f} GiB RSS "
                    f"(caps {cap_seconds:g} s, {cap_gib:g} GiB)")
    out, err = proc.communicate()
    if proc.returncode != 0:
        return f"failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}"
    return dict(json.loads(out.strip().splitlines()[-1]))


def _proc_rss_gib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def exponent(a: dict[str, float], b: dict[str, float], key: str) -> float:
    return math.log(b[key] / a[key]) / math.log(b["triples"] / a["triples"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--scales", default="1,10,100")
    ap.add_argument("--orgs", type=int, default=100, help="organisations in one store (0: skip)")
    ap.add_argument("--cap-seconds", type=float, default=1800.0)
    ap.add_argument("--cap-gib", type=float, default=8.0)
    ap.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, n = args.child[0], int(args.child[1])
        print(json.dumps(child_scale(n) if kind == "scale" else child_orgs(n)))
        return
    import os

    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores, shared)")
    print("| organisation | triples | import | validation (turbo) | of which: data graph built | results | peak RSS | "
          "RSS of the knowledge alone | SHACL engine reading the data graph, no shape |")
    print("|---|---|---|---|---|---|---|---|---|")
    done: list[dict[str, float]] = []
    for scale in (int(s) for s in args.scales.split(",")):
        r = run_child(["scale", str(scale)], args.cap_seconds, args.cap_gib)
        if isinstance(r, str):
            print(f"| synthetic {scale}x | – | {r} | | | | | | |", flush=True)
            continue
        done.append(r)
        print(f"| synthetic {scale}x | {int(r['triples']):,} | {r['import_s']:.1f} s | {r['validate_s']:.1f} s | "
              f"{r['prepare_s']:.1f} s | {int(r['results']):,} | {r['peak_rss_mib']:,.0f} MiB | "
              f"{r['rss_knowledge_mib']:,.0f} MiB | {r['engine_input_s']:.1f} s ({int(r['data_graph_triples']):,} triples) |",
              flush=True)
    for a, b in itertools.pairwise(done):
        print(f"exponent {int(a['scale'])}x -> {int(b['scale'])}x: import {exponent(a, b, 'import_s'):.2f}, "
              f"validation {exponent(a, b, 'validate_s'):.2f} (data graph built {exponent(a, b, 'prepare_s'):.2f}, "
              f"engine reading it {exponent(a, b, 'engine_input_s'):.2f}), peak RSS {exponent(a, b, 'peak_rss_mib'):.2f} "
              "(1 = linear)", flush=True)
    if args.orgs:
        r = run_child(["orgs", str(args.orgs)], args.cap_seconds, args.cap_gib)
        if isinstance(r, str):
            print(f"{args.orgs} organisations in one store: {r}")
            return
        print(f"\n{args.orgs} organisations (1x each) in one store: {int(r['triples']):,} triples; the first imported "
              f"in {r['import_first_s']:.1f} s, {args.orgs - 1} copies of its graph loaded in {r['copies_s']:.1f} s; "
              f"validation first {r['validate_first_s']:.1f} s, last {r['validate_last_s']:.1f} s; SoA first "
              f"{r['soa_first_s']:.2f} s, last {r['soa_last_s']:.2f} s; peak RSS {r['peak_rss_mib']:,.0f} MiB")


if __name__ == "__main__":
    main()

"""Organisations at scale: import, validation and peak memory at 1x, 10x and 100x the realistic organisation,
and 100 organisations in one store.

`python -m bench.bench_scale [--scales 1,10,100] [--whole-max-scale 10] [--chunk 10000] [--orgs 100]
[--cap-seconds 1800] [--cap-gib 8]`

- one scale = the synthetic organisation of bench/bench_validation.py (1x: 50 AI systems, 200 risks, 5,000
  evidence items, an SoA over both Annex A sets) times the scale, written as the four template CSVs, imported
  with `normgraph.orgdata.import_files` (parse, check every cell, one store.load) into an embedded store that
  holds the knowledge, then validated (`validate_org`, pyshacl-turbo, on 2026-12-01) in chunks (`chunk_from=0`:
  whatever the size; by default only a data graph over CHUNK_FROM triples is) and, up to --whole-max-scale, also whole
  (`chunk_triples=0`: the data graph at once) in another child, whose result rows must be the same (compared by
  digest); "default" says which of the two `validate_org` picks at that size;
- many organisations = the 1x organisation imported once and its graph copied under N - 1 more slugs into
  one store, then the first and the last validated and their SoA built (does one organisation's cost grow
  with the others' data?).

Each run is a child process (`--child`), so its memory is its own: validation's peak RSS is VmHWM, reset just before
validation (/proc/self/clear_refs), so the import's peak does not hide it; the process peak is getrusage's ru_maxrss.
Validation's time is given as wall-clock and as the child's CPU time (user + system), which the other processes on a shared
machine move less. The parent stops a child that passes --cap-seconds or --cap-gib of RSS and says so. The exponent of a step is
log(t_b / t_a) / log(triples_b / triples_a): 1 is linear.
"""

from __future__ import annotations

import argparse
import inspect
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


def _status_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s() -> float:
    """CPU time of this process so far (user + system): less moved by the other processes on the machine than the
    wall-clock time."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _reset_peak() -> None:
    """Start VmHWM afresh (Linux >= 4.0), so the next peak is validation's own and not the import's."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def child_scale(scale: int, chunk: int) -> dict[str, float | str]:
    import gc
    import hashlib
    from dataclasses import astuple

    from bench.bench_validation import write_org
    from normgraph.loading import load_knowledge
    from normgraph.orgdata import import_files
    from normgraph.store import EmbeddedStore
    from normgraph.validation import prepare_data, validate_org

    store = EmbeddedStore()
    load_knowledge(store)
    base = _rss_mib()
    with tempfile.TemporaryDirectory() as tmp:
        files = write_org(Path(tmp), scale)
        t0 = time.perf_counter()
        triples = import_files(store, files, f"scale{scale}")
        t_import = time.perf_counter() - t0
    gc.collect()
    _reset_peak()
    before = _status_mib("VmRSS")
    # chunks whatever the size (chunk_from=0), also on a commit from before CHUNK_FROM (which chunked over `chunk`)
    force = {"chunk_from": 0} if "chunk_from" in inspect.signature(validate_org).parameters else {}
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    result = validate_org(store, f"scale{scale}", TODAY, engine="turbo", chunk_triples=chunk, **force)  # type: ignore[arg-type]
    t_validate = time.perf_counter() - t0
    cpu_validate = _cpu_s() - cpu0
    peak_validation = _status_mib("VmHWM")
    n_results = len(result.results)
    digest = hashlib.sha256(repr([astuple(r) for r in result.results]).encode()).hexdigest()[:12]
    # where validation's time goes, measured again after it: building the data graph (the organisation graph, the
    # catalog facts it names, the applicability engine's answers, the validation facts)
    del result
    t0 = time.perf_counter()
    prepared = prepare_data(store, f"scale{scale}", TODAY)
    t_prepare = time.perf_counter() - t0
    return {"scale": scale, "chunk": chunk, "triples": triples, "import_s": t_import, "validate_s": t_validate,
            "validate_cpu_s": cpu_validate,
            "results": n_results, "digest": digest, "rss_knowledge_mib": base, "rss_before_validation_mib": before,
            "peak_validation_mib": peak_validation, "peak_rss_mib": _rss_mib(), "prepare_s": t_prepare,
            "data_graph_triples": len(prepared.store)}


def child_orgs(n: int) -> dict[str, float]:
    """n organisations at 1x, each imported for real from the same generated files under its own slug; then, for the
    first and the last organisation, validation and every report (SoA, risk register, the three gap reports and the
    audit pack with validation, built whole as a download is). The last against the first is the cost of sharing a
    store with n - 1 other organisations."""
    from bench.bench_validation import write_org
    from normgraph.loading import load_knowledge
    from normgraph.orgdata import import_files
    from normgraph.reports import TARGETS
    from normgraph.reports.dispatch import build_report
    from normgraph.store import EmbeddedStore
    from normgraph.validation import validate_org

    store = EmbeddedStore()
    load_knowledge(store)
    imports: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        files = write_org(Path(tmp), 1)
        for i in range(n):
            t0 = time.perf_counter()
            import_files(store, files, f"org-{i:03d}")
            imports.append(time.perf_counter() - t0)
    out: dict[str, float] = {"orgs": n, "triples": len(store), "import_first_s": imports[0],
                             "import_last_s": imports[-1], "import_all_s": sum(imports)}
    reports = [("soa", ""), ("risks", ""), *(("gap", target) for target in TARGETS), ("audit-pack", "")]
    for which, slug in (("first", "org-000"), ("last", f"org-{n - 1:03d}")):
        t0 = time.perf_counter()
        validate_org(store, slug, TODAY, engine="turbo")
        out[f"validate_{which}_s"] = time.perf_counter() - t0
        for kind, target in reports:
            t0 = time.perf_counter()
            build_report(store, kind, slug, target or "iso42001-2023", TODAY)
            out[f"{kind}{'-' + target if target else ''}_{which}_s"] = time.perf_counter() - t0
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


def _row(r: dict[str, float]) -> str:
    return (f"{r['validate_s']:.1f} s ({r['validate_cpu_s']:.1f} s CPU) | {r['peak_validation_mib']:,.0f} MiB")


def main(argv: list[str] | None = None) -> None:
    from normgraph import validation_chunks
    from normgraph.validation_chunks import CHUNK_TRIPLES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--scales", default="1,10,100")
    ap.add_argument("--whole-max-scale", type=int, default=10,
                    help="also validate unchunked (the whole data graph at once, as before) up to this scale")
    ap.add_argument("--chunk", type=int, default=CHUNK_TRIPLES, help="triples per validation chunk")
    ap.add_argument("--orgs", type=int, default=100, help="organisations in one store (0: skip)")
    ap.add_argument("--cap-seconds", type=float, default=1800.0)
    ap.add_argument("--cap-gib", type=float, default=8.0)
    ap.add_argument("--child", nargs=3, metavar=("KIND", "N", "CHUNK"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, n, chunk = args.child[0], int(args.child[1]), int(args.child[2])
        print(json.dumps(child_scale(n, chunk) if kind == "scale" else child_orgs(n)))
        return
    import os

    # a commit from before CHUNK_FROM chunked every data graph over the chunk size
    chunk_from = getattr(validation_chunks, "CHUNK_FROM", args.chunk)
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores, shared); chunks of {args.chunk:,} triples; "
          f"by default chunked over {chunk_from:,} data-graph triples")
    print("| organisation | triples | import | validation in chunks | its peak RSS | validation whole | its peak RSS | "
          "default | data graph built | results (same rows?) | RSS before validation | process peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    done: dict[str, list[dict[str, float]]] = {"chunks": [], "whole": []}
    for scale in (int(s) for s in args.scales.split(",") if s):  # --scales "": only the organisations in one store
        r = run_child(["scale", str(scale), str(args.chunk)], args.cap_seconds, args.cap_gib)
        w: dict[str, float] | str | None = None
        if scale <= args.whole_max_scale:
            w = run_child(["scale", str(scale), "0"], args.cap_seconds, args.cap_gib)
        if isinstance(r, str):
            print(f"| synthetic {scale}x | – | {r} | | | | | | | | | |", flush=True)
            continue
        done["chunks"].append(r)
        whole = "not run | –"
        same = ""
        if isinstance(w, dict):
            done["whole"].append(w)
            whole = _row(w)
            same = " (same)" if w["digest"] == r["digest"] else " (DIFFERENT)"
        elif isinstance(w, str):
            whole = f"{w} | –"
        default = "chunks" if r["data_graph_triples"] > chunk_from else "whole"
        print(f"| synthetic {scale}x | {int(r['triples']):,} | {r['import_s']:.1f} s | {_row(r)} | {whole} | {default} | "
              f"{r['prepare_s']:.1f} s | {int(r['results']):,}{same} | {r['rss_before_validation_mib']:,.0f} MiB | "
              f"{r['peak_rss_mib']:,.0f} MiB |", flush=True)
    for how, runs in done.items():
        for a, b in itertools.pairwise(runs):
            print(f"exponent {int(a['scale'])}x -> {int(b['scale'])}x ({how}): validation {exponent(a, b, 'validate_s'):.2f} "
                  f"(data graph built {exponent(a, b, 'prepare_s'):.2f}), import {exponent(a, b, 'import_s'):.2f}, "
                  f"peak RSS during validation {exponent(a, b, 'peak_validation_mib'):.2f} (1 = linear)", flush=True)
    if args.orgs:
        r = run_child(["orgs", str(args.orgs), "0"], args.cap_seconds, args.cap_gib)
        if isinstance(r, str):
            print(f"{args.orgs} organisations in one store: {r}")
            return
        print(f"\n{args.orgs} organisations (1x each, each imported) in one store: {int(r['triples']):,} triples; "
              f"imports {r['import_all_s']:.1f} s in all (the first {r['import_first_s']:.1f} s, the last "
              f"{r['import_last_s']:.1f} s); peak RSS {r['peak_rss_mib']:,.0f} MiB", flush=True)
        print("| step | first organisation (s) | last organisation (s) | last / first |")
        print("|---|---|---|---|")
        for key in [k[:-len("_first_s")] for k in r if k.endswith("_first_s")]:
            first, last = r[f"{key}_first_s"], r[f"{key}_last_s"]
            print(f"| {key} | {first:.2f} | {last:.2f} | {last / first:.2f} |")


if __name__ == "__main__":
    main()

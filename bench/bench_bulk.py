"""Bulk load into the on-disk store: normgraph's embedded store against `oxigraph load`, in the same run.

`python -m bench.bench_bulk [--triples 1000000,10000000] [--batch-max 1000000] [--cap-seconds 1800]`

For each size, a synthetic N-Triples file (organisation-like data: typed resources with labels, dates,
numbers and links; deterministic) is written to a temp folder, then loaded into a fresh on-disk store by
- normgraph: `EmbeddedStore(path).load(file, "ntriples", graph)`, the file streamed by Oxigraph's bulk
  loader (a new graph of an on-disk store);
- `oxigraph load --location … --file … --graph …` (the CLI of the PyPI `oxigraph` package);
- normgraph's write-batch path (the file's bytes given to `load`, one transaction in memory), up to
  --batch-max triples only: it holds the whole file and its index entries in memory.
Each loader runs in its own process: wall time and that process's peak RSS (wait4's ru_maxrss).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRAPH = "https://w3id.org/normgraph/graph/org/bulk"
ID = "https://w3id.org/normgraph/id/org/bulk/"
NG = "https://w3id.org/normgraph/ont#"
XSD = "http://www.w3.org/2001/XMLSchema#"


def write_triples(path: Path, n: int, seed: int = 7) -> None:
    """n triples, 8 per resource: a type, a label, a date, an integer, a string, three links."""
    rnd = random.Random(seed)
    kinds = ("Evidence", "Risk", "AISystem", "SoAEntry")
    resources = max(1, n // 8)
    with path.open("w", encoding="utf-8") as f:
        written = 0
        for r in range(resources):
            s = f"<{ID}{kinds[r % 4].lower()}/r{r}>"
            lines = [
                f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{NG}{kinds[r % 4]}> .\n",
                f'{s} <http://www.w3.org/2004/02/skos/core#prefLabel> "Item {r} of the bulk organisation" .\n',
                f'{s} <{NG}issued> "{2020 + r % 7}-{1 + r % 12:02d}-{1 + r % 28:02d}"^^<{XSD}date> .\n',
                f'{s} <{NG}likelihood> "{1 + r % 5}"^^<{XSD}integer> .\n',
                f'{s} <{NG}location> "https://dms.example/{r}" .\n',
            ]
            lines += [f"{s} <{NG}supports> <{ID}item/r{rnd.randrange(resources)}> .\n" for _ in range(3)]
            take = lines[: n - written]
            f.writelines(take)
            written += len(take)
            if written >= n:
                break


def run(cmd: list[str], cap_seconds: float) -> tuple[float, float] | str:
    """(wall seconds, peak RSS in MiB) of a command, or why not."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + cap_seconds
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            return f"stopped after {cap_seconds:g} s"
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode(errors="replace").strip().splitlines() if proc.stderr else []
        return f"failed: {err[-1] if err else status}"
    return elapsed, usage.ru_maxrss / 1024


def child(mode: str, file: str, location: str) -> None:
    from normgraph.store import EmbeddedStore

    store = EmbeddedStore(location)
    data: Path | bytes = Path(file) if mode == "bulk" else Path(file).read_bytes()
    n = store.load(data, "ntriples", GRAPH)
    store.close()
    print(n)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--triples", default="1000000,10000000")
    ap.add_argument("--batch-max", type=int, default=1_000_000)
    ap.add_argument("--cap-seconds", type=float, default=1800.0)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores, shared)")
    print("| triples | file | loader | wall time | triples/s | peak RSS | vs oxigraph load |")
    print("|---|---|---|---|---|---|---|")
    for n in (int(x) for x in args.triples.split(",")):
        with tempfile.TemporaryDirectory(prefix="normgraph-bulk-") as tmp:
            file = Path(tmp) / "bulk.nt"
            write_triples(file, n)
            size = f"{file.stat().st_size / 2**20:,.0f} MiB"
            loaders = {
                "oxigraph load": ["oxigraph", "load", "--location", f"{tmp}/ox", "--file", str(file), "--graph", GRAPH],
                "normgraph (bulk loader)": [sys.executable, "-m", "bench.bench_bulk", "--child", "bulk", str(file),
                                            f"{tmp}/ng"],
            }
            if n <= args.batch_max:
                loaders["normgraph (write batch)"] = [sys.executable, "-m", "bench.bench_bulk", "--child", "batch",
                                                      str(file), f"{tmp}/ngb"]
            reference: float | None = None
            for name, cmd in loaders.items():
                r = run(cmd, args.cap_seconds)
                if isinstance(r, str):
                    print(f"| {n:,} | {size} | {name} | {r} | | | |", flush=True)
                    continue
                seconds, rss = r
                reference = seconds if name == "oxigraph load" else reference
                ratio = f"{seconds / reference:.2f}x" if reference else "–"
                print(f"| {n:,} | {size} | {name} | {seconds:.1f} s | {n / seconds:,.0f} | {rss:,.0f} MiB | {ratio} |",
                      flush=True)


if __name__ == "__main__":
    main()

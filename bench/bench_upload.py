"""What one organisation upload at the import's row cap costs the server process: hospital's risk register
grown to MAX_ROWS rows (header included), uploaded as an editor to `/org/hospital/upload` (parse, check
every cell, diff, validate; the preview kept), once read in the capped child process (as the server does)
and once in the server process itself (`make_preview` called directly, as before), in the same run.

Reported: the server process's resident memory (VmRSS) before and after each, and the wall time; the
ratios child / in-process. The child's own peak is the largest of the process's children (RUSAGE_CHILDREN).

    flock /tmp/team/bench.lock python -m bench.bench_upload [--rows N] [--format csv|xlsx]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import io
import os
import resource
import tempfile
import time
from pathlib import Path

from rdflib import Graph

from normgraph.access import Registry
from normgraph.iri import org_graph
from normgraph.loading import load_knowledge
from normgraph.orgdata.export import export_rows, write_export
from normgraph.orgdata.limits import MAX_ROWS
from normgraph.orgdata.preview import _scratch, make_preview
from normgraph.orgdata.templates import TEMPLATES
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]


def row_cap_risks(rows: int = MAX_ROWS - 1, fmt: str = "csv") -> bytes:
    """hospital's risk register with `rows` rows: its own, then copies of them under new ids (R-100000 …)."""
    own = export_rows(Graph().parse(ROOT / "data" / "examples" / "hospital.ttl"), "hospital", "risks")
    out = list(own)
    n = 100_000
    while len(out) < rows:
        base = own[len(out) % len(own)]
        out.append(dict(base, id=f"R-{n}", title=f"{base['title']} (site {n})", inherent_score=""))
        n += 1
    if fmt == "xlsx":
        return write_export(out[:rows], "risks", "xlsx")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=TEMPLATES["risk-register"].names, lineterminator="\n")
    w.writeheader()
    w.writerows(out[:rows])
    return buf.getvalue().encode("utf-8")


def rss() -> int:
    """This process's resident memory in bytes."""
    gc.collect()
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rows", type=int, default=MAX_ROWS - 1, help="data rows (the header makes MAX_ROWS)")
    ap.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    args = ap.parse_args(argv)
    body = row_cap_risks(args.rows, args.format)
    name = f"risks.{args.format}"
    print(f"upload: {args.rows} rows, {len(body)} bytes ({args.format}); load {os.getloadavg()[0]:.2f}")

    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    registry = Registry()
    registry.add("editor")
    registry.grant("editor", "hospital", "editor")
    app = create_app(store, config={"workers": 1, "query_timeout": 60}, registry=registry)
    try:
        c = app.test_client()
        c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {registry.new_token('editor')}"
        c.get("/org/hospital/spreadsheets")  # the first request sets up what every later one uses
        before = rss()
        started = time.perf_counter()
        r = c.post("/org/hospital/upload?format=json", data={"file": (io.BytesIO(body), name)},
                   content_type="multipart/form-data")
        child_s = time.perf_counter() - started
        child_mb = (rss() - before) / 2**20
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"in a child:     server RSS {before / 2**20:.0f} -> +{child_mb:.0f} MiB, {child_s:.1f} s "
              f"(largest child peak {peak_mb:.0f} MiB); {len(r.get_json()['diff']['added'])} rows added")

        current = store.export("ntriples", str(org_graph("hospital")))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(body)
            before = rss()
            started = time.perf_counter()
            # as the server did before: the knowledge exported and copied into a scratch store, in-process
            made = make_preview(current, path, name, "hospital", None, lambda: _scratch(store, "hospital"),
                                dt.date.today())
            own_s = time.perf_counter() - started
            own_mb = (rss() - before) / 2**20
        print(f"in the server:  server RSS {before / 2**20:.0f} -> +{own_mb:.0f} MiB, {own_s:.1f} s; "
              f"{len(made.diff.added)} rows added")
        print(f"ratio child / in-process: RSS growth {child_mb / own_mb if own_mb > 0 else float('nan'):.3f}, "
              f"wall {child_s / own_s:.2f}; load {os.getloadavg()[0]:.2f}")
    finally:
        close_app(app)


if __name__ == "__main__":
    main()

"""Import and validation of a large synthetic organisation (default 50 AI systems, 200 risks, 5,000 evidence
items, SoA over both Annex A sets; `--scale 10` for ten times that): CSV import via the templates, then SHACL
validation with pySHACL (reference) and pyshacl-turbo, reported as ratios; the two example organisations first.

    python -m bench.bench_validation [--scales 1,10] [--pyshacl-max-scale 1] [--no-examples]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import tempfile
import time
from datetime import date
from pathlib import Path

from normgraph.loading import load_knowledge
from normgraph.orgdata import import_files
from normgraph.orgdata.limits import MAX_ROWS
from normgraph.orgdata.templates import TEMPLATES
from normgraph.store.embedded import EmbeddedStore
from normgraph.validation import validate_org

C27 = [f"A.5.{i}" for i in range(1, 38)] + [f"A.6.{i}" for i in range(1, 9)] + [f"A.7.{i}" for i in range(1, 15)] + [
    f"A.8.{i}" for i in range(1, 35)]
C42 = [
    "A.2.2", "A.2.3", "A.2.4", "A.3.2", "A.3.3", "A.4.2", "A.4.3", "A.4.4", "A.4.5", "A.4.6", "A.5.2", "A.5.3", "A.5.4",
    "A.5.5", "A.6.1.2", "A.6.1.3", "A.6.2.2", "A.6.2.3", "A.6.2.4", "A.6.2.5", "A.6.2.6", "A.6.2.7", "A.6.2.8", "A.7.2",
    "A.7.3", "A.7.4", "A.7.5", "A.7.6", "A.8.2", "A.8.3", "A.8.4", "A.8.5", "A.9.2", "A.9.3", "A.9.4", "A.10.2",
    "A.10.3", "A.10.4",
]
KINDS = ("policy", "procedure", "log", "test-report", "event-log", "technical-documentation", "risk-management-record",
         "data-governance-record", "instructions-for-use", "human-oversight-measure", "quality-management-system")
RISK_KINDS = ("confidentiality", "integrity", "availability", "bias", "drift", "robustness", "privacy", "hallucination")
STATUS = ("implemented", "implemented", "implemented", "partially-implemented", "planned")


def write_org(folder: Path, scale: int = 1, seed: int = 7) -> list[Path]:
    """The four template CSVs of a synthetic organisation (deterministic for a seed); a table of more than
    MAX_ROWS rows is written in parts, as an organisation that size has to import it."""
    rnd = random.Random(seed)
    n_sys, n_risk, n_ev = 50 * scale, 200 * scale, 5000 * scale
    out: list[Path] = []

    def table(kind: str, rows: list[list[str]]) -> None:
        # an import file holds at most MAX_ROWS rows with its header (orgdata/limits.py): bigger tables go in parts
        step = MAX_ROWS - 1
        for part, start in enumerate(range(0, max(1, len(rows)), step), start=1):
            p = folder / (f"{kind}.csv" if part == 1 else f"{kind}-{part}.csv")
            with p.open("w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(TEMPLATES[kind].names)
                w.writerows(rows[start:start + step])
            out.append(p)

    systems = [f"sys-{i:04d}" for i in range(n_sys)]
    inventory = []
    for s in systems:
        role = rnd.choice(["provider", "deployer", "provider; deployer"])
        category = rnd.choice(["high-risk", "minimal-risk", "art-50-system"])
        area = rnd.choice(["", "", "5(b)", "4(a)", "5(a)"])
        # an Annex III system is high-risk unless it claims the Art. 6(3) derogation (the import refuses the rest)
        inventory.append([s, f"System {s}", role, "high-risk" if area else category, area, "operation-monitoring",
                          f"Purpose of {s}", "", ""])
    table("ai-systems", inventory)
    soa = [["iso27001", c, "yes", "risk", "", rnd.choice(STATUS), "Measure", "owner-1"] for c in C27]
    soa += [["iso42001", c, "yes", "risk; legal", "", rnd.choice(STATUS), "Measure", "owner-2"] for c in C42]
    table("soa", soa)
    table("risk-register", [[f"R-{i:05d}", f"Risk {i}", rnd.choice(RISK_KINDS), str(rnd.randint(1, 5)), str(rnd.randint(1, 5)),
                             "", "1", f"owner-{i % 9}", "iso27001", "; ".join(rnd.sample(C27, 2)), "Reduce",
                             rnd.choice(systems)] for i in range(n_risk)])
    rows = []
    for i in range(n_ev):
        refs = [f"iso27001:{c.replace('.', '-')}" for c in rnd.sample(C27, 2)] + [f"iso42001:{rnd.choice(C42).replace('.', '-')}"]
        issued = date(2026, rnd.randint(1, 10), rnd.randint(1, 28))
        until = date(issued.year + rnd.choice([0, 1, 1, 1]), issued.month, issued.day)
        rows.append([f"EV-{i:06d}", f"Evidence {i}", "; ".join(rnd.sample(KINDS, 2)), issued.isoformat(), until.isoformat(),
                     f"owner-{i % 9}", f"https://dms.example/EV-{i:06d}", hashlib.sha256(str(i).encode()).hexdigest(), "",
                     "; ".join(refs), rnd.choice(systems) if rnd.random() < 0.6 else ""])
    table("evidence-register", rows)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scales", default="1,10")
    ap.add_argument("--pyshacl-max-scale", type=int, default=1, help="run pySHACL only up to this scale (it is slow)")
    ap.add_argument("--no-examples", action="store_true", help="skip the example organisations")
    args = ap.parse_args(argv)
    store = EmbeddedStore()
    load_knowledge(store, examples=not args.no_examples)
    today = date(2026, 12, 1)
    print("| organisation | triples | import (parse+check+load) | turbo | pySHACL | pySHACL / turbo | results |")
    print("|---|---|---|---|---|---|---|")
    if not args.no_examples:
        validate_org(store, "hospital", today, engine="turbo")  # warm-up: imports, shapes parsed once per process
        for slug in ("hospital", "fintech"):
            size = store.graph_size(f"https://w3id.org/normgraph/graph/org/{slug}")
            t0 = time.perf_counter()
            turbo = validate_org(store, slug, today, engine="turbo")
            t_turbo = time.perf_counter() - t0
            t0 = time.perf_counter()
            ref = validate_org(store, slug, today, engine="pyshacl")
            t_py = time.perf_counter() - t0
            agree = " (engines agree)" if {r.key() for r in ref.results} == {r.key() for r in turbo.results} else " (ENGINES DISAGREE)"
            print(f"| {slug} | {size:,} | – | {t_turbo:.2f} s | {t_py:.2f} s | {t_py / t_turbo:.0f}× | {len(turbo.results)}{agree} |",
                  flush=True)
    for scale in (int(s) for s in args.scales.split(",")):
        slug = f"bench{scale}"
        with tempfile.TemporaryDirectory() as tmp:
            files = write_org(Path(tmp), scale)
            t0 = time.perf_counter()
            size = import_files(store, files, slug)
            t_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        turbo = validate_org(store, slug, today, engine="turbo")
        t_turbo = time.perf_counter() - t0
        t_ref: float | None = None
        agree = ""
        if scale <= args.pyshacl_max_scale:
            t0 = time.perf_counter()
            ref = validate_org(store, slug, today, engine="pyshacl")
            t_ref = time.perf_counter() - t0
            agree = " (engines agree)" if {r.key() for r in ref.results} == {r.key() for r in turbo.results} else " (ENGINES DISAGREE)"
        py = f"{t_ref:.1f} s" if t_ref is not None else "not run"
        ratio = f"{t_ref / t_turbo:.0f}×" if t_ref is not None else "–"
        print(f"| synthetic {scale}× | {size:,} | {t_import:.1f} s | {t_turbo:.1f} s | {py} | {ratio} | "
              f"{len(turbo.results):,}{agree} |", flush=True)
        store.drop(f"https://w3id.org/normgraph/graph/org/{slug}")


if __name__ == "__main__":
    main()

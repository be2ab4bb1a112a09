"""Time each report (build + HTML + XLSX) for the example organisations and a large synthetic one.

`python -m bench.bench_reports [--scale 10]`. Validation is left out of the audit pack timing
(`validate=False`; it is the validation module's own benchmark) and measured once separately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from bench.gen_report_org import generate
from normgraph.reports import audit_pack, gap, org_slugs, prepare_store, risks, soa
from normgraph.reports.render import to_html, to_xlsx
from normgraph.store import EmbeddedStore

TODAY = dt.date(2026, 12, 1)


def timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def run(store: EmbeddedStore, slug: str) -> dict[str, tuple[float, float]]:
    builders = {
        "soa": lambda: soa.build(store, slug, TODAY),
        "risks": lambda: risks.build(store, slug, TODAY),
        "gap iso42001": lambda: gap.build(store, slug, "iso42001-2023", TODAY),
        "gap eu-ai-act": lambda: gap.build(store, slug, "eu-ai-act", TODAY),
        "gap ai-rmf": lambda: gap.build(store, slug, "nist-ai-rmf-1.0", TODAY),
        "audit-pack": lambda: audit_pack.build(store, slug, TODAY, validate=False),
    }
    out = {}
    for name, fn in builders.items():
        report, t_build = timed(fn)
        _, t_render = timed(lambda r=report: (to_html(r), to_xlsx(r)))
        out[name] = (t_build, t_render)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, nargs="*", default=[1, 10])
    args = ap.parse_args()
    store = EmbeddedStore()
    prepare_store(store)
    slugs = org_slugs(store.graphs())
    for scale in args.scale:
        slug = f"synthetic-x{scale}"
        _, t = timed(lambda s=scale, sl=slug: generate(store, sl, s))
        print(f"generated {slug} ({store.graph_size('https://w3id.org/normgraph/graph/org/' + slug)} triples) in {t:.1f} s")
        slugs.append(slug)
    print("| organisation | report | build (s) | HTML + XLSX (s) |\n|---|---|---|---|")
    for slug in slugs:
        for name, (b, r) in run(store, slug).items():
            print(f"| {slug} | {name} | {b:.2f} | {r:.2f} |", flush=True)


if __name__ == "__main__":
    main()

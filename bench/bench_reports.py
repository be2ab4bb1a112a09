"""Time the organisation reports for the example organisations and large synthetic ones.

`python -m bench.bench_reports [--scale 1 10] [--validate] [--pages-only]`

Two tables. "whole": each report built whole and written as HTML + XLSX (what a download costs; the audit pack
without validation unless --validate, validation being the validation module's own benchmark). "pages": what the
server's report pages cost through one ReportCache (normgraph.reports.cache), per section: the first page of a
report (cold, a cache of its own: it pays for the shared inputs — applicability answers, the evidence queries, and
with --validate the validation results), another section of the same report (its inputs already kept for the data
generation), and a repeat view; then (unless --validate) each first view in one cache for the organisation that was
warmed after the write as the server does (ReportCache.warm; how long warming took is its own row), measured first,
so the cold views after it do not profit from anything it kept. Then, unless --validate, the audit pack's findings page
as a server first shows it with validation: a large organisation's page says the results are being computed while
validation runs once in the background (how long it took is printed), then the same page once they are there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.gen_report_org import generate
from normgraph.reports import audit_pack, gap, org_slugs, prepare_store, risks, soa
from normgraph.reports.cache import ReportCache
from normgraph.reports.page import OVERVIEW
from normgraph.reports.render import to_html, to_xlsx
from normgraph.store import EmbeddedStore
from normgraph.store.epochs import lasting_generation

TODAY = dt.date(2026, 12, 1)
#: (kind, target, the section first asked for, another section of it); "key*": the first section whose key starts so
PAGES = [("soa", "", None, "27001-A.5"), ("soa", "", "27001-A.8", "42001-A.6"),
         ("soa", "", "ai-act-duties*", None), ("risks", "", None, None),
         ("gap", "iso42001-2023", None, None), ("gap", "eu-ai-act", None, None), ("gap", "nist-ai-rmf-1.0", None, None),
         ("audit-pack", "", None, "27001-A.5"), ("audit-pack", "", "evidence-1", "ai-act"),
         ("audit-pack", "", "findings", "42001-A.6")]


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def render_both(report: Any) -> tuple[str, bytes]:
    return to_html(report), to_xlsx(report)


def no_validation(cache: ReportCache, store: EmbeddedStore, slug: str) -> None:
    """The validation results as the cache would hold them: none, as computed for the data generation. Both where a
    small organisation's pages keep them (memo) and where a large one's look for them (the background inputs): else
    the first pack page of a large organisation starts validating it in the background (a minute at 10x), and every
    view timed after it shares the process with that validation (the runs before 2026-12-04 evening did)."""
    cache.memo(store)(("validation", slug, TODAY.isoformat()), lambda: [])
    cache.background.put(("validation", slug, TODAY.isoformat()), lasting_generation(store), [])


def whole(store: EmbeddedStore, slug: str, validate: bool) -> dict[str, tuple[float, float]]:
    builders: dict[str, Callable[[], Any]] = {
        "soa": lambda: soa.build(store, slug, TODAY),
        "risks": lambda: risks.build(store, slug, TODAY),
        "gap iso42001": lambda: gap.build(store, slug, "iso42001-2023", TODAY),
        "gap eu-ai-act": lambda: gap.build(store, slug, "eu-ai-act", TODAY),
        "gap ai-rmf": lambda: gap.build(store, slug, "nist-ai-rmf-1.0", TODAY),
        "audit-pack": lambda: audit_pack.build(store, slug, TODAY, validate=validate),
    }
    out = {}
    for name, fn in builders.items():
        report, t_build = timed(fn)
        _, t_render = timed(partial(render_both, report))
        out[name] = (t_build, t_render)
    return out


def pages(store: EmbeddedStore, slug: str, validate: bool) -> list[tuple[str, float, float | None, float]]:
    """(page, first view, another section, repeat view) through one ReportCache per report."""
    out = []
    for kind, target, wanted, other in PAGES:
        first = resolve(store, kind, slug, target, wanted)
        cache = ReportCache()
        if not validate and kind == "audit-pack":
            no_validation(cache, store, slug)

        def view(section: str | None, c: ReportCache = cache, k: str = kind, t: str = target) -> Any:
            return c.page(store, k, slug, t, TODAY, section=section, embed=True)

        _, t_first = timed(partial(view, first))
        t_other = timed(partial(view, other))[1] if other else None
        _, t_repeat = timed(partial(view, first))
        out.append((f"{kind}{' ' + target if target else ''} [{first or 'overview'}]" + (f" then [{other}]" if other else ""),
                    t_first, t_other, t_repeat))
    if not validate:
        out.append(findings_with_validation(store, slug))
    return out


def warmed(store: EmbeddedStore, slug: str) -> tuple[float, list[float]]:
    """The server's way after a write: one ReportCache for the organisation, warmed in the background
    (ReportCache.warm); how long warming took, then each page's first view in that cache."""
    cache = ReportCache()
    no_validation(cache, store, slug)
    started = time.perf_counter()
    cache.warm(store, slug, TODAY)
    while cache.warming(slug):
        time.sleep(0.01)
    took = time.perf_counter() - started
    firsts = [timed(partial(cache.page, store, kind, slug, target, TODAY, section=resolve(store, kind, slug, target, wanted),
                            embed=True))[1]
              for kind, target, wanted, _other in PAGES]
    return took, firsts


class Collections:
    """Python's garbage collections of generation 2 (full ones) while it is on, with when each began and how long it
    took: a full collection after a large validation can take a second, wherever it falls."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, float, int]] = []  # (began, seconds, objects collected)
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seen.append((self._began, time.perf_counter() - self._began, info["collected"]))

    def __enter__(self) -> Collections:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)

    def within(self, start: float, end: float) -> float:
        return sum(took for began, took, _n in self.seen if start <= began < end)


def findings_with_validation(store: EmbeddedStore, slug: str) -> tuple[str, float, float | None, float]:
    """The findings page with validation as the server runs it: first view (a large organisation: validation started
    in the background, the page says so), the page once validation is done, a repeat view. The name says how long the
    full garbage collections in the view once ready took, and the longest one from the end of validation to that view."""
    cache = ReportCache()

    def view() -> Any:
        return cache.page(store, "audit-pack", slug, "", TODAY, section="findings", embed=True)

    with Collections() as collections:
        _, t_first = timed(view)
        started = time.perf_counter()
        while not cache.has(store, ("validation", slug, TODAY.isoformat())):
            time.sleep(0.1)
            if (time.perf_counter() - started > 30 and int(time.perf_counter() - started) % 30 == 0
                    and not cache.has(store, ("validation", slug, TODAY.isoformat()))):
                view()  # raises what the background validation raised, if it failed (not the timed view once ready)
        waited = time.perf_counter() - started
        ready_at = time.perf_counter()
        _, t_ready = timed(view)
    in_view = collections.within(ready_at, ready_at + t_ready)
    last = [took for began, took, _n in collections.seen if began < ready_at][-1:]
    _, t_repeat = timed(view)
    return (f"audit-pack [findings] with validation, then once ready (background validation {waited:.1f} s more; "
            f"full collections in the view once ready {in_view:.2f} s, the last one before it {sum(last):.2f} s)",
            t_first, t_ready, t_repeat)


def resolve(store: EmbeddedStore, kind: str, slug: str, target: str, section: str | None) -> str | None:
    """A section key; "prefix*" is the first of the report's sections whose key starts with prefix (asked of a cache
    of its own, so the timed views start cold)."""
    if section is None or not section.endswith("*"):
        return section
    parts = ReportCache().report(store, kind, slug, target, TODAY, part=OVERVIEW).extra["parts"]
    return next(p.key for p in parts if p.key.startswith(section[:-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, nargs="*", default=[1, 10])
    ap.add_argument("--validate", action="store_true", help="include validation in the audit pack")
    ap.add_argument("--pages-only", action="store_true", help="only the report pages (not the whole downloads)")
    args = ap.parse_args()
    store = EmbeddedStore()
    prepare_store(store)
    slugs = org_slugs(store.graphs())
    for scale in args.scale:
        slug = f"synthetic-x{scale}"
        _, t = timed(partial(generate, store, slug, scale))
        print(f"generated {slug} ({store.graph_size('https://w3id.org/normgraph/graph/org/' + slug)} triples) in {t:.1f} s")
        slugs.append(slug)
    print("\nwhole reports\n| organisation | report | build (s) | HTML + XLSX (s) |\n|---|---|---|---|")
    for slug in [] if args.pages_only else slugs:
        for name, (b, r) in whole(store, slug, args.validate).items():
            print(f"| {slug} | {name} | {b:.2f} | {r:.2f} |", flush=True)
    print("\nreport pages (ReportCache, embed=True)\n| organisation | page | first view (s) | another section (s) | repeat (s) "
          "| first view, warmed (s) |\n|---|---|---|---|---|---|")
    for slug in slugs:
        took, firsts = warmed(store, slug) if not args.validate else (0.0, [])
        for n, (name, first, other, repeat) in enumerate(pages(store, slug, args.validate)):
            warm = f"{firsts[n]:.2f}" if n < len(firsts) else ""
            print(f"| {slug} | {name} | {first:.2f} | {'' if other is None else f'{other:.2f}'} | {repeat:.4f} | {warm} |",
                  flush=True)
        if not args.validate:
            print(f"| {slug} | (warming the shared inputs after the write, in the background: {took:.2f} s) | | | | |",
                  flush=True)


if __name__ == "__main__":
    main()

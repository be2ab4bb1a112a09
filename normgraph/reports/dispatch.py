"""Which report, in which format: the one dispatch the CLI (`normgraph report`) and the server
(/org/<slug>/…) both call.

`build_report(store, kind, org, target, today)` gives the Report object; `report_file(...)` gives
its bytes, media type and file name in one of FORMATS (the audit pack also as a "zip" bundle).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from normgraph.reports import ReportError, audit_pack, check_target, gap, risks, soa
from normgraph.reports.duties import Memo, assessed
from normgraph.reports.model import Report
from normgraph.reports.render import MEDIA, render
from normgraph.store.base import Store

KINDS = ("soa", "risks", "gap", "audit-pack")
#: what the report pages and downloads call each report (breadcrumbs, the dashboard's links, "being prepared")
TITLES = {"soa": "Statement of Applicability", "risks": "Risk register", "gap": "Gap analysis",
          "audit-pack": "Audit evidence pack"}
#: file formats of every report; the audit pack also comes as its offline "zip" bundle
FORMATS = ("html", "csv", "xlsx", "jsonld")
ZIP_MEDIA = "application/zip"
_SUFFIX = {"html": "html", "csv": "csv", "xlsx": "xlsx", "jsonld": "jsonld", "zip": "zip"}


@dataclass(frozen=True)
class ReportFile:
    data: bytes
    media_type: str
    filename: str


def formats(kind: str) -> tuple[str, ...]:
    return (*FORMATS, "zip") if kind == "audit-pack" else FORMATS


def check_format(kind: str, fmt: str) -> None:
    """ReportError naming the known formats when `fmt` is not one of `kind`."""
    if fmt not in formats(kind):
        raise ReportError(f"unknown format {fmt!r} (known: {', '.join(formats(kind))})")


def build_report(store: Store, kind: str, org: str, target: str, today: dt.date, *, part: str | None = None,
                 memo: Memo | None = None, later: Memo | None = None) -> Report:
    """The report `kind` of organisation `org` (ReportError for an unknown kind, organisation or target).

    `part`: only what the page of that section (or "overview") shows, where the report builds per section (the
    audit pack; the SoA, whose control sections do not ask the applicability engine); the others build whole.
    `memo` keeps expensive inputs between pages (normgraph.reports.cache); `later`, when given, computes the audit
    pack's validation results in the background for a large organisation (its pages say they are being computed)."""
    if kind == "soa":
        return soa.build(store, org, today, memo, part=part)
    if kind == "risks":
        return risks.build(store, org, today, memo)
    if kind == "gap":
        check_target(target)
        return gap.build(store, org, target, today, memo)
    if kind == "audit-pack":
        return audit_pack.build(store, org, today, part=part, memo=memo, later=later)
    raise ReportError(f"unknown report {kind!r} (known: {', '.join(KINDS)})")


def warm_inputs(store: Store, org: str, today: dt.date, memo: Memo, current: Callable[[], bool] = lambda: True) -> None:
    """Compute the inputs the organisation's reports share (each module's `inputs`), kept by `memo`, in the order a
    reader's first pages need them; stop when `current()` says the data changed meanwhile (ReportCache.warm)."""
    for module in (soa, gap, audit_pack):
        for step in module.inputs(store, org, today, memo):
            if not current():
                return
            step()


def alongside(store: Store, kind: str, org: str, target: str, today: dt.date, memo: Memo) -> list[Callable[[], object]]:
    """The inputs a build of the report reads that a second thread can compute, kept by `memo`, while the build runs its
    own first queries (ReportCache.report, on a cold view): the engine evaluates a query without holding Python's lock,
    so the two overlap. The build asks for them later and waits for what is not ready yet (ReportCache._get); the values
    are the same either way. What the build reads first stays with it: the SoA and the AI Act gap read their rows and
    evidence first and the applicability answers after; the audit pack the answers first and its evidence counts after."""
    answers: Callable[[], object] = lambda: assessed(store, org, today, memo)  # noqa: E731
    if kind == "soa":
        return [answers]
    if kind == "gap" and target == "eu-ai-act":
        return [answers, gap.inputs(store, org, today, memo)[1]]  # then the obligations' own evidence
    if kind == "audit-pack":
        return audit_pack.inputs(store, org, today, memo)
    return []


def report_name(kind: str, org: str, target: str) -> str:
    """The file name (without suffix) a download of the report gets."""
    return f"{org}-{kind}" + (f"-{target}" if kind == "gap" else "")


def render_file(report: Report, store: Store, fmt: str, name: str) -> ReportFile:
    """A built report in `fmt` (the audit pack's "zip": its offline bundle)."""
    check_format(report.kind, fmt)
    if fmt == "zip":
        with tempfile.TemporaryDirectory() as tmp:
            data = audit_pack.write_bundle(report, store, Path(tmp) / f"{name}.zip").read_bytes()
        return ReportFile(data, ZIP_MEDIA, f"{name}.zip")
    return ReportFile(render(report, fmt, store), MEDIA[fmt], f"{name}.{_SUFFIX[fmt]}")


def report_file(store: Store, kind: str, org: str, target: str, today: dt.date, fmt: str) -> ReportFile:
    """Build the report and write it in `fmt`: (bytes, media type, file name)."""
    check_format(kind, fmt)
    report = build_report(store, kind, org, target, today)
    return render_file(report, store, fmt, report_name(kind, org, target))


__all__ = ["FORMATS", "KINDS", "TITLES", "ReportFile", "alongside", "build_report", "check_format", "formats", "render_file",
           "report_file", "report_name", "warm_inputs"]

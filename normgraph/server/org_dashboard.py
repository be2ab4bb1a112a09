"""The organisation workspace's read models: which organisations a reader may see, and one organisation's
dashboard (issue 12).

Nothing here decides access: the store handed in is the request's scoped store (normgraph/server/kernel.py),
so an organisation the reader is not granted is not in it — not listed, and unknown to `dashboard()`.

Every figure of the dashboard is taken from the report it summarises (`reports(kind, target, part)` gives the built
report, cached per data generation by the caller), so the dashboard and the report pages cannot disagree:
SoA status counts from the SoA, coverage per target from the gap report's totals (full, implemented without
current evidence, partial and none kept apart, normgraph.reports.coverage), open violations from the audit
pack's validation, risks from the risk register, the AI Act duties per system (the applicability engine's answers,
dated, DESIGN.md §13) as the audit pack and the SoA list them; evidence that stops being current soon is
queries/org-evidence-expiring.rq.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from normgraph.iri import NGG
from normgraph.reports import TARGETS, ReportError, check_target, coverage, joined, num, run, text, vocab_local
from normgraph.reports.common import org_info
from normgraph.reports.coverage import GroupStats
from normgraph.reports.duties import SystemDuties
from normgraph.reports.model import Report
from normgraph.reports.page import OVERVIEW
from normgraph.store.base import Store

#: evidence that stops being current within this many days of the judged date is listed
EXPIRY_WINDOW = dt.timedelta(days=90)
#: SoA implementation statuses (ngv:implementation-status/*, and the SoA's "no SoA entry") in the order a reader
#: goes through them, from done to not begun
SOA_STATUSES = ("implemented", "partially-implemented", "planned", "not-started", "not-applicable", "no SoA entry")
#: risks with the highest residual scores shown when the organisation records no risk appetite
TOP_RISKS = 5

#: (kind, target, part) -> the built report of this organisation and date (part: the section a page needs, None = all)
ReportSource = Callable[[str, str, "str | None"], Report]


@dataclass(frozen=True)
class OrgEntry:
    """One organisation the reader may see, as the list shows it."""

    slug: str
    label: str
    systems: int
    risks: int
    evidence: int


def organisations(store: Store) -> list[OrgEntry]:
    """The organisations in `store` (the reader's scoped store: exactly those the reader may see), by slug."""
    prefix = f"{NGG}org/"
    out = []
    for row in run(store, "org-list").rows:
        graph = text(row["graph"])
        slug = graph[len(prefix):]
        if not slug or "/" in slug:  # a graph below an organisation's graph is part of it, not another one
            continue
        out.append(OrgEntry(slug, text(row.get("label")) or slug, num(row.get("systems")) or 0,
                            num(row.get("risks")) or 0, num(row.get("evidenceItems")) or 0))
    return out


@dataclass(frozen=True)
class SoAStatus:
    """One standard's Annex A in the SoA: how many controls, applicable or not, and per implementation status."""

    standard: str
    controls: int
    applicable: int
    excluded: int
    not_assessed: int
    statuses: tuple[tuple[str, str, int], ...]  # (status, label, count) in SOA_STATUSES order, zero counts left out


@dataclass(frozen=True)
class TargetCoverage:
    """How one gap target is covered on the judged date: the gap report's totals (the four statuses apart,
    never added together), or why the target cannot be judged."""

    target: str
    title: str
    stats: GroupStats | None
    error: str = ""  # the gap report could not be built (e.g. contradictory AI Act facts): why

    @property
    def cells(self) -> list[tuple[str, int, float]]:
        """(status, count, percent) per coverage status, in normgraph.reports.coverage's order."""
        st = self.stats
        return [] if st is None else [(s, getattr(st, s), st.pct(getattr(st, s))) for s in coverage.STATUSES]


@dataclass(frozen=True)
class RiskLine:
    label: str
    kind: str
    residual: int | None
    inherent: int | None
    owner: str
    iri: str


@dataclass(frozen=True)
class ExpiringEvidence:
    label: str
    kind: str
    valid_until: dt.date
    supports: str
    iri: str


@dataclass
class Dashboard:
    slug: str
    label: str
    today: dt.date
    soa: list[SoAStatus] = field(default_factory=list)
    coverage: list[TargetCoverage] = field(default_factory=list)
    violations: int | None = 0  # None: the validation results are being computed (a large organisation)
    warnings: int | None = 0
    appetite: int | None = None
    risks: int = 0
    above_appetite: list[RiskLine] = field(default_factory=list)
    top_risks: list[RiskLine] = field(default_factory=list)  # when no appetite is recorded
    expiring: list[ExpiringEvidence] = field(default_factory=list)
    expiry_until: dt.date | None = None
    duties: list[SystemDuties] = field(default_factory=list)  # as the SoA and the audit pack list them
    errors: dict[str, str] = field(default_factory=dict)  # part -> why it cannot be shown on this date


def soa_status(report: Report) -> list[SoAStatus]:
    """The SoA report's summary per standard, in a fixed order of statuses."""
    out = []
    for standard, counts in report.extra["summary"].items():
        statuses = tuple((s, s.replace("-", " "), counts[s]) for s in SOA_STATUSES if counts.get(s))
        out.append(SoAStatus(standard, counts.get("controls", 0), counts.get("applicable: yes", 0),
                             counts.get("applicable: no", 0), counts.get("applicable: not assessed", 0), statuses))
    return out


def target_coverage(target: str, reports: ReportSource) -> TargetCoverage:
    _scheme, title = check_target(target)
    try:
        return TargetCoverage(target, title, reports("gap", target, None).extra["total"])
    except ReportError as e:  # the organisation exists (checked first): the target cannot be judged
        return TargetCoverage(target, title, None, str(e))


def risk_lines(report: Report) -> list[RiskLine]:
    """The register's risks, highest residual score first (unscored last)."""
    lines = [RiskLine(str(r["risk"]), str(r["kind"]), _int(r["residual_score"]), _int(r["inherent_score"]),
                      str(r["owner"] or ""), str(r["iri"])) for r in report.table("risks").rows]
    return sorted(lines, key=lambda r: (r.residual is None, -(r.residual or 0), r.label))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def expiring(store: Store, graph: str, today: dt.date) -> list[ExpiringEvidence]:
    rows = run(store, "org-evidence-expiring", graph=graph, **{"from": today.isoformat(),
                                                                  "until": (today + EXPIRY_WINDOW).isoformat()}).rows
    return [ExpiringEvidence(text(r.get("label")) or text(r["evidence"]).rsplit("/", 1)[-1], vocab_local(r.get("kind")),
                             dt.date.fromisoformat(text(r["validUntil"])), joined(r.get("supports"), "; "),
                             text(r["evidence"])) for r in rows]


def risk_appetite(store: Store, graph: str) -> int | None:
    """The organisation's recorded risk appetite (ng:riskAppetite: the highest residual score it accepts), None
    when none is recorded (the dashboard then says so rather than assume one)."""
    rows = run(store, "org-risk-appetite", graph=graph).rows
    return num(rows[0]["appetite"]) if rows else None


def dashboard(store: Store, slug: str, today: dt.date, reports: ReportSource) -> Dashboard:
    """The dashboard of organisation `slug` on `today` (ReportError when the store has no such organisation).

    Once the organisation is known, a report that cannot be built (e.g. contradictory AI Act facts on that
    date) costs only its own part: the part says why (`errors[part]`) and the rest is shown."""
    info = org_info(store, slug)
    board = Dashboard(slug, info.label, today)

    def part(name: str, fill: Callable[[], None]) -> None:
        try:
            fill()
        except ReportError as e:
            board.errors[name] = str(e)

    def soa() -> None:
        board.soa = soa_status(reports("soa", "", None))

    def pack() -> None:  # its overview: the validation counts and the AI Act duties, without every evidence row
        overview = reports("audit-pack", "", OVERVIEW)
        counts = overview.extra["counts"]
        board.violations, board.warnings = counts["violations"], counts["warnings"]
        if overview.extra.get("validation_pending"):
            board.violations = board.warnings = None
        board.duties = overview.extra["duties"]
        if overview.extra["duties_problem"]:
            board.errors["ai-act"] = overview.extra["duties_problem"]

    def risks() -> None:
        lines = risk_lines(reports("risks", "", None))
        board.risks = len(lines)
        board.appetite = risk_appetite(store, info.graph)
        if board.appetite is None:
            board.top_risks = lines[:TOP_RISKS]
        else:
            board.above_appetite = [r for r in lines if r.residual is not None and r.residual > board.appetite]

    part("soa", soa)
    board.coverage = [target_coverage(t, reports) for t in TARGETS]
    part("findings", pack)
    if "findings" in board.errors:  # the pack's overview also carries the duties
        board.errors["ai-act"] = board.errors["findings"]
    part("risks", risks)
    board.expiring = expiring(store, info.graph, today)
    board.expiry_until = today + EXPIRY_WINDOW
    return board


__all__ = ["EXPIRY_WINDOW", "Dashboard", "OrgEntry", "ReportSource", "dashboard", "organisations"]

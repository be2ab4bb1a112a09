"""Combined risk register: security and AI risks in one table, with inherent/residual heat maps.

Where a risk sits on the residual heat map is the register query's rule (queries/report-risk-register.rq:
the treatment's own likelihood and impact, else the cell nearest the recorded residual score); the heat
maps here only count the register's rows. A treatment naming a control no catalog knows is flagged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from normgraph.reports import boolean, num, run, short, text, vocab_local
from normgraph.reports.common import Memo, org_info
from normgraph.reports.model import Report, Table, Value
from normgraph.reports.multi import SEP, distinct, each, grouped
from normgraph.reports.page import Part
from normgraph.store.base import Store

COLUMNS = ["risk", "kind", "risk_kind", "system_or_asset", "likelihood", "impact", "inherent_score",
           "residual_score", "residual_likelihood", "residual_impact", "residual_placement", "owner",
           "treatment_controls", "unknown_controls", "iri"]
#: risks per section of the register (an organisation with more has its register in sections)
PAGE = 200
#: the single-valued figures of a risk, in the order figures() ranks its rows by
FIGURES = ("inherent", "residual", "likelihood", "impact", "resL", "resI")
PHASES = {"inherent": ("likelihood", "impact"), "residual": ("residual_likelihood", "residual_impact")}


@dataclass(frozen=True)
class TreatmentControl:
    """A control a risk is treated by: its IRI and notation ('' when no catalog knows it)."""

    iri: str
    notation: str

    @property
    def known(self) -> bool:
        return bool(self.notation)


def treatment_controls(cell: str) -> list[TreatmentControl]:
    """The register query's ?controls lines ("IRI notation (standard)"), sorted by notation."""
    out = []
    for line in filter(None, cell.split("\n")):
        iri, _, notation = line.partition(" ")
        out.append(TreatmentControl(iri, notation.strip()))
    return sorted(out, key=lambda c: (not c.known, c.notation, c.iri))


def on_scale(*values: Value) -> bool:
    return all(isinstance(v, int) and 1 <= v <= 5 for v in values)


def heatmap(rows: list[dict[str, Value]]) -> dict[str, list[list[int]]]:
    """phase -> 5x5 counts, indexed [likelihood-1][impact-1], from the register's rows."""
    grid = {phase: [[0] * 5 for _ in range(5)] for phase in PHASES}
    for row in rows:
        for phase, (lcol, icol) in PHASES.items():
            likelihood, impact = row[lcol], row[icol]
            if on_scale(likelihood, impact):
                assert isinstance(likelihood, int) and isinstance(impact, int)
                grid[phase][likelihood - 1][impact - 1] += 1
    return grid


def placement(row: dict[str, Value], exact: bool | None) -> str:
    if row["residual_likelihood"] is None:
        return "no residual rating" if row["residual_score"] is None else "not placed (no likelihood or impact)"
    where = f"likelihood {row['residual_likelihood']} × impact {row['residual_impact']}"
    return where if exact is not False else f"{where} (nearest cell to score {row['residual_score']})"


def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The row a risk's single-valued figures (likelihood, impact, scores, residual cell) come from when the risk has
    several: the highest inherent score (where the query's order puts the risk), then the highest of the others, so
    the pick never depends on storage order."""
    return max(rows, key=lambda r: tuple(num(r.get(c)) or 0 for c in FIGURES))


def build(store: Store, slug: str, today: dt.date, memo: Memo | None = None) -> Report:
    info = org_info(store, slug, memo)
    table = Table("risks", COLUMNS, key="iri")
    controls: dict[str, list[TreatmentControl]] = {}
    rows = run(store, "report-risk-register", graph=info.graph).rows
    for iri, group in grouped(rows, lambda r: text(r["risk"])).items():
        row = figures(group)
        kinds = {text(r["kind"]) for r in group}  # a risk typed ng:Risk and ng:SecurityRisk: the specific kind
        treated = treatment_controls(text(row.get("controls")))
        controls[iri] = treated
        record: dict[str, Value] = {
            "risk": each(group, lambda r: text(r.get("label"))) or short(iri),
            "kind": distinct(kinds - {"other"}) or "other",
            "risk_kind": each(group, lambda r: vocab_local(r.get("riskKind"))),
            "system_or_asset": each(group, lambda r: text(r.get("affectsLabel")) or short(r.get("affects"))),
            "likelihood": num(row.get("likelihood")),
            "impact": num(row.get("impact")),
            "inherent_score": num(row.get("inherent")),
            "residual_score": num(row.get("residual")),
            "residual_likelihood": num(row.get("resL")),
            "residual_impact": num(row.get("resI")),
            "owner": each(group, lambda r: text(r.get("ownerName")) or short(r.get("owner"))),
            "treatment_controls": "; ".join(c.notation for c in treated if c.known),
            "unknown_controls": "; ".join(short(c.iri) for c in treated if not c.known),
            "iri": iri,
        }
        record["residual_placement"] = placement(record, boolean(row.get("resExact")))
        table.rows.append(record)
    grid = heatmap(table.rows)
    unplaced = sum(1 for r in table.rows if r["residual_likelihood"] is None)
    off_scale = [str(r["risk"]) for r in table.rows
                 if any(isinstance(v, int) and not 1 <= v <= 5 for v in (r["likelihood"], r["impact"]))]
    pages = [table.rows[i:i + PAGE] for i in range(0, len(table.rows), PAGE)] if len(table.rows) > PAGE else []
    parts = [Part(f"register-{n}", f"Register: risks {(n - 1) * PAGE + 1}–{(n - 1) * PAGE + len(rows)}", "register", len(rows), rows)
             for n, rows in enumerate(pages, start=1)]
    unknown = [(str(r["risk"]), str(r["iri"]), short(c.iri)) for r in table.rows for c in controls[str(r["iri"])] if not c.known]
    return Report("risks", "Risk register (information security and AI risks)", slug, info.label, info.graph,
                  today, [table], {"heatmap": grid, "residual_unplaced": unplaced, "off_scale": off_scale,
                                   "controls": controls, "unknown_controls": unknown, "parts": parts, "page_size": PAGE,
                                   "risk_sections": {str(row["iri"]): p.key for p in parts for row in p.data},
                                   "counts": {k: sum(1 for r in table.rows if k in str(r["kind"]).split(SEP))
                                              for k in ("security", "AI", "other")}})

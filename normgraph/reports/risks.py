"""Combined risk register: security and AI risks in one table, with inherent/residual heat maps."""

from __future__ import annotations

import datetime as dt

from normgraph.reports import joined, num, run, short, text, vocab_local
from normgraph.reports.common import org_info
from normgraph.reports.model import Report, Table, Value
from normgraph.store.base import Store

COLUMNS = ["risk", "kind", "risk_kind", "system_or_asset", "likelihood", "impact", "inherent_score",
           "residual_score", "residual_likelihood", "residual_impact", "owner", "treatment_controls", "iri"]


def heatmap(store: Store, graph: str) -> dict[str, list[list[int]]]:
    """phase -> 5x5 counts, indexed [likelihood-1][impact-1]."""
    grid = {"inherent": [[0] * 5 for _ in range(5)], "residual": [[0] * 5 for _ in range(5)]}
    for row in run(store, "report-risk-heatmap", graph=graph).rows:
        likelihood, impact, n = num(row["l"]), num(row["i"]), num(row["n"]) or 0
        if likelihood is not None and impact is not None and 1 <= likelihood <= 5 and 1 <= impact <= 5:
            grid[text(row["phase"])][likelihood - 1][impact - 1] += n
    return grid


def build(store: Store, slug: str, today: dt.date) -> Report:
    info = org_info(store, slug)
    table = Table("risks", COLUMNS, key="iri")
    seen: dict[str, dict[str, Value]] = {}
    for row in run(store, "report-risk-register", graph=info.graph).rows:
        iri = text(row["risk"])
        kind = text(row["kind"])
        if iri in seen:
            if seen[iri]["kind"] == "other" and kind != "other":
                seen[iri]["kind"] = kind
            continue
        record: dict[str, Value] = {
            "risk": text(row.get("label")) or short(iri),
            "kind": kind,
            "risk_kind": vocab_local(row.get("riskKind")),
            "system_or_asset": text(row.get("affectsLabel")) or short(row.get("affects")),
            "likelihood": num(row.get("likelihood")),
            "impact": num(row.get("impact")),
            "inherent_score": num(row.get("inherent")),
            "residual_score": num(row.get("residual")),
            "residual_likelihood": num(row.get("resL")),
            "residual_impact": num(row.get("resI")),
            "owner": text(row.get("ownerName")) or short(row.get("owner")),
            "treatment_controls": joined(row.get("controls"), "; "),
            "iri": iri,
        }
        seen[iri] = record
        table.rows.append(record)
    grid = heatmap(store, info.graph)
    unplaced = sum(1 for r in table.rows if r["residual_likelihood"] is None)
    off_scale = [str(r["risk"]) for r in table.rows
                 if any(isinstance(v, int) and not 1 <= v <= 5 for v in (r["likelihood"], r["impact"]))]
    return Report("risks", "Risk register (information security and AI risks)", slug, info.label, info.graph,
                  today, [table], {"heatmap": grid, "residual_unplaced": unplaced, "off_scale": off_scale,
                                   "counts": {k: sum(1 for r in table.rows if r["kind"] == k) for k in ("security", "AI", "other")}})

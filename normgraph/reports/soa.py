"""Unified Statement of Applicability over ISO/IEC 27001:2022 and ISO/IEC 42001:2023 Annex A.

One row per Annex A control of both standards (93 + 38 = 131), whether or not the organisation has
an SoA entry for it (a control without an entry is "not assessed": a finding in itself). Each row
also names the AI Act obligations and AI RMF subcategories the control relates to through mapping
records (queries/report-soa-links.rq).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from normgraph.reports import joined, num, run, short, text, vocab_local
from normgraph.reports.common import org_info
from normgraph.reports.model import Report, Table
from normgraph.store.base import Store

COLUMNS = [
    "control", "standard", "title", "applicable", "inclusion_reasons", "exclusion_justification",
    "implementation_status", "measures", "owner", "evidence_current", "evidence_expired",
    "ai_act_obligations", "ai_rmf_subcategories", "links_via", "iri",
]


def applicability(value: str) -> str:
    return {"true": "yes", "false": "no"}.get(value, "not assessed")


def soa_links(store: Store) -> dict[str, dict[str, list[str]]]:
    """control IRI -> {"obligation": [notations], "airmf": [...], "via": ["A.2.2 (record)"]}."""
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"obligation": [], "airmf": [], "via": []})
    for row in run(store, "report-soa-links").rows:
        entry = out[text(row["control"])]
        notation = text(row["itemNotation"])
        kind = text(row["kind"])
        if notation not in entry[kind]:
            entry[kind].append(notation)
        if row.get("viaRecord") is not None:
            via = f"{short(row['via'])} [{short(row['viaRecord'])}]"
            if via not in entry["via"]:
                entry["via"].append(via)
    return out


def build(store: Store, slug: str, today: dt.date) -> Report:
    info = org_info(store, slug)
    links = soa_links(store)
    table = Table("soa", COLUMNS, key="control")
    for row in run(store, "report-soa", graph=info.graph, today=today.isoformat()).rows:
        iri = text(row["control"])
        lk = links.get(iri, {"obligation": [], "airmf": [], "via": []})
        table.rows.append({
            "control": text(row["notation"]),
            "standard": text(row["standard"]),
            "title": text(row.get("title")),
            "applicable": applicability(text(row.get("applicable"))),
            "inclusion_reasons": joined(row.get("reasons"), ", "),
            "exclusion_justification": text(row.get("justification")),
            "implementation_status": vocab_local(row.get("status")) or ("" if row.get("entry") else "no SoA entry"),
            "measures": joined(row.get("measures"), " | "),
            "owner": text(row.get("ownerName")) or short(row.get("owner")),
            "evidence_current": num(row.get("evidenceCurrent")) or 0,
            "evidence_expired": num(row.get("evidenceExpired")) or 0,
            "ai_act_obligations": "; ".join(lk["obligation"]),
            "ai_rmf_subcategories": "; ".join(lk["airmf"]),
            "links_via": "; ".join(lk["via"]),
            "iri": iri,
        })
    summary = summarise(table)
    return Report("soa", "Statement of Applicability (ISO/IEC 27001:2022 + ISO/IEC 42001:2023 Annex A)",
                  slug, info.label, info.graph, today, [table], {"summary": summary, "systems": info.systems})


def summarise(table: Table) -> dict[str, dict[str, int]]:
    """Per standard: rows, applicable, excluded, not assessed, and counts per implementation status."""
    out: dict[str, dict[str, int]] = {}
    for r in table.rows:
        s = out.setdefault(str(r["standard"]), defaultdict(int))
        s["controls"] += 1
        s[f"applicable: {r['applicable']}"] += 1
        if r["implementation_status"]:
            s[str(r["implementation_status"])] += 1
    return {k: dict(v) for k, v in out.items()}

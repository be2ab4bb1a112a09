"""Unified Statement of Applicability over ISO/IEC 27001:2022 and ISO/IEC 42001:2023 Annex A.

One row per Annex A control of both standards (93 + 38 = 131), whether or not the organisation has
an SoA entry for it (a control without an entry is "not assessed": a finding in itself). Each row
also names the AI Act obligations (only those the organisation owes, by the applicability engine) and
AI RMF subcategories the control relates to through mapping records (queries/report-soa-links.rq), and
the SoA lists each AI system's AI Act duties with their dates and reasons, from the applicability engine (normgraph.reports.duties).

Sections: one per Annex A theme or objective of each standard (27001 A.5–A.8, 42001 A.2–A.10) and
one for the AI Act duties; the overview has the counts and each system's duties in brief.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from normgraph.reports import joined, num, text, vocab_local
from normgraph.reports.common import org_info
from normgraph.reports.duties import Memo, duties_or_problem, duties_table, duty_parts, owed_obligations, sections_of, shared_rows, unjudged
from normgraph.reports.model import Report, Table, Value
from normgraph.reports.page import OVERVIEW, Part
from normgraph.store.base import Store

COLUMNS = [
    "control", "standard", "title", "applicable", "inclusion_reasons", "exclusion_justification",
    "implementation_status", "measures", "owner", "evidence_current", "evidence_expired",
    "ai_act_obligations", "ai_rmf_subcategories", "links_via", "iri",
]
STANDARD_SHORT = {"ISO/IEC 27001:2022": "27001", "ISO/IEC 42001:2023": "42001"}
DUTIES = "ai-act-duties"


def applicability(value: str) -> str:
    return {"true": "yes", "false": "no"}.get(value, "not assessed")


@dataclass
class Links:
    """What one control is linked to: (IRI, notation) of obligations, AI RMF subcategories, and the 42001
    controls a 27001 control reaches them through."""

    obligation: list[tuple[str, str]] = field(default_factory=list)
    airmf: list[tuple[str, str]] = field(default_factory=list)
    via: list[tuple[str, str]] = field(default_factory=list)

    def add(self, kind: str, item: tuple[str, str]) -> None:
        bucket: list[tuple[str, str]] = getattr(self, kind)
        if item not in bucket:
            bucket.append(item)


def soa_links(store: Store, notations: dict[str, str], memo: Memo | None = None) -> dict[str, Links]:
    """control IRI -> its Links; `notations` names the via controls ("42001 A.10.3")."""
    out: dict[str, Links] = defaultdict(Links)
    for row in shared_rows(store, memo, "report-soa-links"):
        entry = out[text(row["control"])]
        entry.add(text(row["kind"]), (text(row["item"]), text(row["itemNotation"])))
        if row.get("via") is not None:
            via = text(row["via"])
            entry.add("via", (via, notations.get(via, via)))
    for entry in out.values():
        for bucket in (entry.obligation, entry.airmf, entry.via):
            bucket.sort(key=lambda pair: natural(pair[1]))
    return out


def natural(notation: str) -> list[object]:
    """Sort key reading the numbers in a notation as numbers: A.5.2 < A.5.10, Art. 9 < Art. 10."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", notation)]


def family_key(standard: str, family_title: str) -> str:
    """The section key of a theme: "27001-A.5", "42001-A.10"."""
    return f"{STANDARD_SHORT.get(standard, standard)}-{family_title.split(' ', 1)[0] or 'other'}"


def inputs(store: Store, slug: str, today: dt.date, memo: Memo) -> list[Callable[[], object]]:
    """What every page of the SoA reads, each kept by `memo` for the data generation (ReportCache.warm computes them
    after a write)."""
    graph = org_info(store, slug, memo).graph
    return [lambda: shared_rows(store, memo, "report-soa", graph=graph),
            lambda: evidence_counts(store, graph, today, memo),
            lambda: shared_rows(store, memo, "report-soa-links"),
            lambda: owed_obligations(store, slug, today, memo)]


def evidence_counts(store: Store, graph: str, today: dt.date, memo: Memo | None = None) -> dict[str, tuple[int, int]]:
    """Item IRI -> how many evidence items supporting it are current on `today`, and how many not
    (report-soa-evidence; apart from report-soa, whose controls and entries the audit pack reads without them)."""
    rows = shared_rows(store, memo, "report-soa-evidence", graph=graph, today=today.isoformat())
    return {text(r["control"]): (num(r.get("evidenceCurrent")) or 0, num(r.get("evidenceExpired")) or 0) for r in rows}


def build(store: Store, slug: str, today: dt.date, memo: Memo | None = None, part: str | None = None) -> Report:
    """The SoA; with `part` a control section's key, its page lists no duties (the table of contents names the duty
    sections from the systems alone) — the engine is still asked which obligations are owed, for the rows' AI Act
    column (once per data generation with the report cache's `memo`)."""
    info = org_info(store, slug, memo)
    rows = shared_rows(store, memo, "report-soa", graph=info.graph)
    counts = evidence_counts(store, info.graph, today, memo)
    notations = {text(r["control"]): f"{STANDARD_SHORT.get(text(r['standard']), '')} {text(r['notation'])}".strip()
                 for r in rows}
    links = soa_links(store, notations, memo)
    owed = owed_obligations(store, slug, today, memo)  # the column names only duties the organisation owes
    table = Table("soa", COLUMNS, key="control")
    families: dict[str, tuple[str, list[dict[str, Value]]]] = {}
    for row in rows:
        iri = text(row["control"])
        lk = links.get(iri, Links())
        record: dict[str, Value] = {
            "control": text(row["notation"]),
            "standard": text(row["standard"]),
            "title": text(row.get("title")),
            "applicable": applicability(text(row.get("applicable"))),
            "inclusion_reasons": joined(row.get("reasons"), ", "),
            "exclusion_justification": text(row.get("justification")),
            "implementation_status": vocab_local(row.get("status")) or ("" if row.get("entry") else "no SoA entry"),
            "measures": joined(row.get("measures"), " | "),
            "owner": text(row.get("ownerName")) or ("(unnamed)" if row.get("owner") is not None else ""),
            "evidence_current": counts.get(iri, (0, 0))[0],
            "evidence_expired": counts.get(iri, (0, 0))[1],
            "ai_act_obligations": "; ".join(n for i, n in lk.obligation if i in owed),
            "ai_rmf_subcategories": "; ".join(n for _i, n in lk.airmf),
            "links_via": "; ".join(n for _i, n in lk.via),
            "iri": iri,
        }
        table.rows.append(record)
        standard, family = text(row["standard"]), text(row.get("familyTitle")).strip()
        key = family_key(standard, family)
        families.setdefault(key, (f"{standard} {family}".strip(), []))[1].append(record)
    judged = part is None or part == OVERVIEW or part.startswith(DUTIES)
    systems, problem = duties_or_problem(store, slug, today, memo) if judged else (unjudged(store, slug), "")
    duties = duties_table(systems)
    sections = [Part(key, label, "controls", len(members), members) for key, (label, members) in families.items()]
    duty_sections = duty_parts(systems, DUTIES, counted=judged)
    sections += duty_sections
    return Report("soa", "Statement of Applicability (ISO/IEC 27001:2022 + ISO/IEC 42001:2023 Annex A)",
                  slug, info.label, info.graph, today, [table, duties],
                  {"summary": summarise(table), "systems": info.systems, "duties": systems, "duties_problem": problem,
                   "duty_sections": sections_of(duty_sections), "links": dict(links),
                   "parts": sections})


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

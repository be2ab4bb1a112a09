"""Audit evidence pack: per control of both Annex A sets, per AI Act obligation the organisation's AI systems owe
(from the applicability engine, with each system's duties, dates and reasons) and per other item evidence
serves, the evidence that serves it and the validation results (normgraph.validation.validate_org) that
concern it; an evidence register with each item once and everything it serves; every validation result.

Sections: one per Annex A theme or objective (27001 A.5–A.8, 42001 A.2–A.10), the AI Act, other items,
evidence register pages of PAGE items, and the findings; the overview has the counts, the violations with
links to their rows, and each system's AI Act duties in brief. `build` makes all of it (downloads, the
offline bundle); `build(..., part=KEY)` only what that section's page shows, with bounded queries, so a
page of a large organisation is not the whole pack.

`write_bundle` writes one self-contained folder (or .zip) an auditor opens offline: index.html (every
section, inline CSS, no external assets) and pack.jsonld (the organisation's graph plus the report, with
its @context inline).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from normgraph.reports import ReportError, num, run, short, text, texts, vocab_local, words
from normgraph.reports.common import org_info
from normgraph.reports.duties import (
    Memo,
    SystemDuties,
    by_obligation,
    duties_or_problem,
    duties_table,
    duty_parts,
    plain,
    sections_of,
    shared_rows,
)
from normgraph.reports.model import Report, Table
from normgraph.reports.multi import each, grouped
from normgraph.reports.page import OVERVIEW, Links, Part, anchor
from normgraph.reports.soa import STANDARD_SHORT, applicability, family_key, natural
from normgraph.store.base import Store

EVIDENCE_COLUMNS = ["evidence", "kind", "issued", "valid_until", "valid", "owner", "serves", "location", "sha256",
                    "system", "evidence_iri"]
FINDING_COLUMNS = ["item", "severity", "message", "focus", "shape", "source_provision"]
AI_ACT, OTHER, FINDINGS, EVIDENCE, DUTIES = "ai-act", "other", "findings", "evidence-", "ai-act-duties"
KIND_AI_ACT = "AI Act obligation"
#: evidence items per page of the register, and listed under one control before "and N more"
PAGE, SHOWN = 200, 10
#: validation results per page of the findings (a large organisation has thousands: one page of them took seconds)
FINDINGS_PAGE = 500
#: evidence rows a section page reads in one query before it asks per item
BATCH = 2000
#: rows read per evidence item listed (an item has one row per combination of its kinds, owners, systems …)
ROWS_PER_ITEM = 4
#: evidence items up to which a page validates the organisation in the request (the examples: well under a second);
#: above, validation runs once per data generation in the background and the pages say its results are coming
#: (validation grows with the organisation: about 15 s at 5,000 evidence items, a minute at 50,000)
SYNC_EVIDENCE = 1000
PENDING = ("Validation results are being computed for this version of the data (once, in the background); "
           "reload this page in a moment to see them.")


@dataclass
class Section:
    """One control, obligation or other item in the pack: its evidence and findings."""

    iri: str
    notation: str
    title: str
    kind: str  # "ISO/IEC 27001:2022" | "ISO/IEC 42001:2023" | "AI Act obligation" | a catalog name
    status: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    evidence_total: int = 0
    evidence_valid: int = 0
    duties: list[Any] = field(default_factory=list)  # AI Act: the systems' duties under the obligation
    part: str = ""  # the report section it is drawn in

    @property
    def anchor(self) -> str:
        return anchor(f"{self.kind[:13]}-{self.notation}")

    @property
    def state(self) -> str:
        if any(f["severity"] == "Violation" for f in self.findings):
            return "violation"
        if self.evidence_total and not self.evidence_valid:
            return "expired"
        if any(f["severity"] == "Warning" for f in self.findings):
            return "warning"
        return "ok" if self.evidence_total else "no evidence"


def validation_rows(store: Store, slug: str, today: dt.date) -> list[dict[str, str]]:
    """validate_org's results as plain dicts.

    The pack uses the Rust engine (pyshacl-turbo): the tests hold it to pySHACL's exact results on
    every shape fixture and both example organisations, and it is 30–50× faster. Errors propagate:
    a pack must not silently claim "no findings".
    """
    from normgraph.validation import validate_org

    result = validate_org(store, slug, today, engine="turbo")
    return [{"focus": str(r.focus), "focus_label": str(r.focus_label), "shape": str(r.shape), "severity": str(r.severity),
             "message": str(r.message), "source_provision": str(r.source_provision)} for r in result.results]


#: the evidence register's cells, each from one row of the report-audit-evidence queries; an item with several rows
#: (two kinds, two owners …) shows every value of each (normgraph.reports.multi)
CELLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "evidence": lambda row: text(row.get("label")) or short(row["evidence"]),
    "kind": lambda row: vocab_local(row.get("kind")),
    "issued": lambda row: text(row.get("issued")),
    "valid_until": lambda row: text(row.get("validUntil")),
    "owner": lambda row: text(row.get("ownerName")) or ("(unnamed)" if row.get("owner") is not None else ""),
    "location": lambda row: text(row.get("location")),
    "sha256": lambda row: text(row.get("sha256")),
    "system": lambda row: short(row.get("system")),
}


def evidence_item(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One evidence item from its rows of the report-audit-evidence queries (without what it serves): every value of
    each cell, sorted; valid only when every row is (two end dates: valid by both, as report-audit-counts decides)."""
    item: dict[str, Any] = {column: each(rows, cell) for column, cell in CELLS.items()}
    item["valid"] = all(text(row.get("valid")) == "true" for row in rows)
    item["evidence_iri"] = text(rows[0]["evidence"])
    return {column: item[column] for column in EVIDENCE_COLUMNS if column in item}


def register(rows: list[dict[str, Any]], name_of: Callable[[str, dict[str, Any]], str]) -> list[dict[str, Any]]:
    """Evidence rows once each, with everything they serve ("serves": notations; "serves_iris": (IRI, notation))."""
    out: dict[str, dict[str, Any]] = {}
    for iri, group in grouped(rows, lambda r: text(r["evidence"])).items():
        item = out[iri] = {**evidence_item(group), "serves_iris": []}
        for row in group:
            target = text(row["supports"])
            pair = (target, name_of(target, row))
            if pair not in item["serves_iris"]:
                item["serves_iris"].append(pair)
    for item in out.values():
        item["serves_iris"].sort(key=lambda p: natural(p[1]))
        item["serves"] = "; ".join(n for _i, n in item["serves_iris"])
    return sorted(out.values(), key=lambda e: e["evidence_iri"])


class Pack:
    """Builds the pack, or one part of it."""

    def __init__(self, store: Store, slug: str, today: dt.date, validate: bool, memo: Memo,
                 later: Memo | None = None) -> None:
        self.store, self.slug, self.today, self.validate, self.memo = store, slug, today, validate, memo
        self.later = later
        self.pending = False  # the validation results are being computed in the background
        self.info = org_info(store, slug, memo)
        self.day = today.isoformat()
        self.sections: dict[str, Section] = {}
        self.entry_of: dict[str, str] = {}
        self.families: dict[str, str] = {}  # key -> label
        self.duties_problem = ""
        self.duty_sections: list[Part] = []

    # ── inputs ──
    def shared(self, name: str) -> list[dict[str, Any]]:
        """The rows of a query every page of the pack reads (what evidence supports, the counts), kept by the memo so
        that paging through one pack runs them once per data generation."""
        return shared_rows(self.store, self.memo, name, graph=self.info.graph, today=self.day)

    def register_ids(self) -> list[str]:
        """Every evidence item's IRI in register order (by IRI), kept per data generation: a register page is a slice."""
        def ids() -> list[str]:
            return sorted(texts(self.store, "report-audit-evidence-ids", "evidence", graph=self.info.graph))

        found: list[str] = self.memo(("evidence-ids", self.info.graph), ids)
        return found

    def blank_rows(self) -> dict[str, list[dict[str, Any]]]:
        """The rows of the evidence items that are blank nodes, by their label in register_ids (a page cannot bind
        them into report-audit-evidence-page), kept per data generation."""
        def rows() -> dict[str, list[dict[str, Any]]]:
            found = run(self.store, "report-audit-evidence-blank", graph=self.info.graph, today=self.day).rows
            return grouped(found, lambda r: text(r["evidence"]))

        found: dict[str, list[dict[str, Any]]] = self.memo(("evidence-blank", self.info.graph, self.day), rows)
        return found

    def controls(self) -> None:
        """A section per Annex A control (the SoA's rows, shared with it; their evidence is counted by supported(), or
        listed by whole())."""
        for row in shared_rows(self.store, self.memo, "report-soa", graph=self.info.graph):
            iri, standard = text(row["control"]), text(row["standard"])
            family = text(row.get("familyTitle")).strip()
            key = family_key(standard, family)
            self.families.setdefault(key, f"{standard} {family}".strip())
            status = applicability(text(row.get("applicable"))) + (f", {vocab_local(row.get('status'))}" if row.get("status") else "")
            self.sections[iri] = Section(iri, text(row["notation"]), text(row.get("title")), standard, status, part=key)
            if row.get("entry") is not None:
                self.entry_of[text(row["entry"])] = iri

    def duties(self) -> list[SystemDuties]:
        systems, self.duties_problem = duties_or_problem(self.store, self.slug, self.today, self.memo)
        self.duty_sections = duty_parts(systems, DUTIES)
        for iri, listed in by_obligation(systems).items():
            first = listed[0]
            sec = self.sections.setdefault(iri, Section(iri, first.notation, first.title, KIND_AI_ACT, part=AI_ACT))
            sec.duties = listed
            sec.status = "; ".join(f"{d.system_label}: {d.state}" for d in listed)
        return systems

    def findings(self, evidence_items: int = 0) -> list[dict[str, str]]:
        """The validation results; for a large organisation with `later` (pages), [] and self.pending until the
        background run is done."""
        if not self.validate:
            return []
        key = ("validation", self.slug, self.day)

        def compute() -> list[dict[str, str]]:
            return validation_rows(self.store, self.slug, self.today)

        if self.later is not None and evidence_items > SYNC_EVIDENCE:
            ready: list[dict[str, str]] | None = self.later(key, compute)
            self.pending = ready is None
            return ready or []
        rows: list[dict[str, str]] = self.memo(key, compute)
        return rows

    def name_of(self, target: str, row: dict[str, Any]) -> str:
        sec = self.sections.get(target)
        if sec is not None:
            return f"{STANDARD_SHORT.get(sec.kind, '')} {sec.notation}".strip()
        return text(row.get("supportsNotation")) or short(target)

    def other(self, target: str, row: dict[str, Any]) -> Section:
        """The section of an item evidence serves that is neither an Annex A control nor a listed obligation."""
        sec = self.sections.get(target)
        if sec is None:
            kind = short(row.get("scheme")) or "other"
            from normgraph.catalogs.registry import catalog_of

            found = catalog_of(target)
            sec = self.sections[target] = Section(target, text(row.get("supportsNotation")) or short(target), "",
                                                  found.title if found is not None else kind, part=OTHER)
        return sec

    def supported(self) -> None:
        """Counts of every supported item (the sections of other items too), without listing the evidence."""
        for row in self.shared("report-audit-supported"):
            sec = self.other(text(row["supports"]), row)
            sec.evidence_total, sec.evidence_valid = num(row.get("total")) or 0, num(row.get("valid")) or 0

    def attach(self, findings: list[dict[str, str]], serves_of: dict[str, list[str]]) -> list[dict[str, Any]]:
        """Each finding under the sections it concerns; the findings table's rows (with where their row is)."""
        out = []
        provisions = sorted({f["source_provision"] for f in findings if f["source_provision"].startswith("http")})
        named = {text(r["item"]): words.item_name(text(r["item"]), text(r["notation"]))
                 for r in (run(self.store, "notations", items=" ".join(provisions)).rows if provisions else [])}
        for number, f in enumerate(findings, start=1):
            targets = {f["focus"], f["source_provision"]}
            if f["focus"] in self.entry_of:
                targets.add(self.entry_of[f["focus"]])
            targets.update(serves_of.get(f["focus"], []))
            hit = [self.sections[t] for t in sorted(targets) if t in self.sections]
            for s in hit:
                s.findings.append(f)
            out.append({"item": "; ".join(s.notation for s in hit) or "(organisation)", "severity": f["severity"],
                        "message": f["message"], "focus": f["focus_label"] or short(f["focus"]), "shape": short(f["shape"]),
                        "source_provision": named.get(f["source_provision"]) or short(f["source_provision"]),
                        "provision_iri": f["source_provision"], "page": findings_key(number),
                        "at": [(s.part, s.anchor, s.notation, s.iri) for s in hit], "number": number})
        return out

    def listed(self, wanted: list[Section]) -> None:
        """The first SHOWN evidence items of each section, with bounded queries: all of them in one query when there
        is little evidence, else one query of SHOWN rows per item."""
        with_evidence = [s for s in wanted if s.evidence_total]
        batch = sum(min(s.evidence_total, BATCH) for s in with_evidence) <= BATCH
        groups = [with_evidence] if batch else [[s] for s in with_evidence]
        for group in filter(None, groups):
            limit = ROWS_PER_ITEM * (BATCH if batch else SHOWN)  # rows: an item has one per combination of its values
            rows = run(self.store, "report-audit-evidence-of", graph=self.info.graph, today=self.day,
                       items=" ".join(s.iri for s in group), limit=str(limit + 1)).rows
            by_iri = {s.iri: s for s in group}
            items = grouped(rows, lambda r: (text(r["supports"]), text(r["evidence"])))
            if len(rows) > limit:  # the last item may be cut off: never list it with only some of its values
                items.popitem()
            for (target, _iri), rows_of in items.items():
                sec = by_iri[target]
                if not batch and len(sec.evidence) == SHOWN:
                    continue
                sec.evidence.append({**evidence_item(rows_of), "serves": sec.notation})
                sec.evidence_total = num(rows_of[0].get("total")) or sec.evidence_total

    # ── the pack ──
    def whole(self) -> Report:
        self.controls()
        systems = self.duties()
        rows = run(self.store, "report-audit-evidence", graph=self.info.graph, today=self.day).rows
        serves_of: dict[str, list[str]] = {}
        for (target, iri), rows_of in grouped(rows, lambda r: (text(r["supports"]), text(r["evidence"]))).items():
            sec = self.other(target, rows_of[0])
            sec.evidence.append({**evidence_item(rows_of), "serves": sec.notation})
            serves_of.setdefault(iri, []).append(target)
        for sec in self.sections.values():
            if sec.evidence or sec.part == OTHER:
                sec.evidence_total = len(sec.evidence)
                sec.evidence_valid = sum(1 for e in sec.evidence if e["valid"])
        items = register(rows, self.name_of)
        finding_rows = self.attach(self.findings(), serves_of)
        counts = self.counts(len(items), len({e["evidence_iri"] for e in items if not e["valid"]}), finding_rows)
        counts["links"] = sum(len(e["serves_iris"]) for e in items)
        parts = self.parts(counts, systems, finding_rows, items)
        tables = [Table("evidence", EVIDENCE_COLUMNS, items, key="evidence_iri"),
                  Table("findings", FINDING_COLUMNS, finding_rows), duties_table(systems)]
        return self.report(tables, counts, systems, finding_rows, parts)

    def one(self, key: str) -> Report:
        """Only what the page of section `key` (or the overview) shows; the table of contents is always whole."""
        self.controls()
        systems = self.duties()
        self.supported()
        row = self.shared("report-audit-counts")[0]
        items_n, expired = num(row.get("items")) or 0, num(row.get("expired")) or 0
        wanted = [s for s in self.sections.values() if s.part == key]
        self.listed(wanted)
        page_items: list[dict[str, Any]] = []
        if key.startswith(EVIDENCE):
            number = _page_number(key)
            ids = self.register_ids()[(number - 1) * PAGE:number * PAGE]
            if ids:  # the page's items first, then their description: the engine then reads only those
                named = [i for i in ids if ":" in i]  # an IRI has a scheme; a blank node's label has no ':'
                blank = self.blank_rows() if len(named) < len(ids) else {}
                rows = run(self.store, "report-audit-evidence-page", graph=self.info.graph, today=self.day,
                           evidence=" ".join(named)).rows if named else []
                page_items = register(rows + [r for i in ids for r in blank.get(i, [])], self.name_of)
        serves_of = {e["evidence_iri"]: [s.iri for s in wanted] for s in wanted for e in s.evidence}
        # the register's and the duties' pages show no validation result: they never wait for validation
        validated = not (key.startswith(EVIDENCE) or key.startswith(DUTIES))
        finding_rows = self.attach(self.findings(items_n) if validated else [], serves_of)
        validated = validated and not self.pending
        counts = self.counts(items_n, expired, finding_rows)
        counts["links"] = sum(s.evidence_total for s in self.sections.values())
        parts = self.parts(counts, systems, finding_rows, page_items, only=key, validated=validated)
        tables = [Table("evidence", EVIDENCE_COLUMNS, page_items, key="evidence_iri"),
                  Table("findings", FINDING_COLUMNS, finding_rows), duties_table(systems)]
        return self.report(tables, counts, systems, finding_rows, parts)

    def counts(self, items: int, expired: int, findings: list[dict[str, Any]]) -> dict[str, int]:
        return {"evidence_items": items, "expired": expired,
                "violations": sum(1 for f in findings if f["severity"] == "Violation"),
                "warnings": sum(1 for f in findings if f["severity"] == "Warning")}

    def parts(self, counts: dict[str, int], systems: list[SystemDuties], findings: list[dict[str, Any]],
              items: list[dict[str, Any]], only: str | None = None, validated: bool = True) -> list[Part]:
        """The table of contents; the section `only` (or all, when None) with its data."""
        def members(key: str) -> list[Section]:
            if only is not None and key != only:
                return []
            return sorted((s for s in self.sections.values() if s.part == key), key=lambda s: natural(s.notation))

        def count(key: str) -> int:
            return sum(1 for s in self.sections.values() if s.part == key)

        out = [Part(key, label, "sections", count(key), members(key)) for key, label in self.families.items()]
        out.append(Part(AI_ACT, "AI Act obligations: the systems that owe them and their evidence", "sections", count(AI_ACT),
                        members(AI_ACT)))
        out += [p if only in (None, p.key) else replace(p, data=[]) for p in self.duty_sections]
        if count(OTHER):
            out.append(Part(OTHER, "Other requirements evidence serves (clauses, GDPR …)", "sections", count(OTHER), members(OTHER)))
        pages = max(1, -(-counts["evidence_items"] // PAGE))
        for n in range(1, pages + 1):
            key = f"{EVIDENCE}{n}"
            first, last = (n - 1) * PAGE + 1, min(n * PAGE, counts["evidence_items"])
            shown = items[(n - 1) * PAGE:n * PAGE] if only is None else (items if only == key else [])
            out.append(Part(key, f"Evidence register {first}–{last}" if pages > 1 else "Evidence register",
                            "register", last - first + 1 if counts["evidence_items"] else 0, shown))
        if not validated or len(findings) <= FINDINGS_PAGE:
            out.append(Part(FINDINGS, "All validation results", "findings", len(findings) if validated else None,
                            findings if only in (None, FINDINGS) else []))
            return out
        for n in range(1, -(-len(findings) // FINDINGS_PAGE) + 1):
            key, first = findings_key((n - 1) * FINDINGS_PAGE + 1), (n - 1) * FINDINGS_PAGE
            chunk = findings[first:first + FINDINGS_PAGE]
            out.append(Part(key, f"Validation results {first + 1}–{first + len(chunk)}", "findings", len(chunk),
                            chunk if only in (None, key) else []))
        return out

    def report(self, tables: list[Table], counts: dict[str, int], systems: list[SystemDuties],
               findings: list[dict[str, Any]], parts: list[Part]) -> Report:
        kinds = ("ISO/IEC 27001:2022", "ISO/IEC 42001:2023", KIND_AI_ACT)
        ordered = sorted(self.sections.values(),
                         key=lambda s: (kinds.index(s.kind) if s.kind in kinds else 3, natural(s.notation)))
        violations = [f for f in findings if f["severity"] == "Violation"]
        return Report("audit-pack", "Audit evidence pack (ISO/IEC 27001 + ISO/IEC 42001 + EU AI Act)", self.slug,
                      self.info.label, self.info.graph, self.today, tables,
                      {"sections": ordered, "counts": counts, "duties": systems, "duties_problem": self.duties_problem,
                       "duty_sections": sections_of(self.duty_sections),
                       "violations": violations, "parts": parts,
                       "validation_note": PENDING if self.pending else "" if self.validate else "validation not run",
                       "validation_pending": self.pending, "page_size": PAGE, "shown": SHOWN})


def findings_key(number: int) -> str:
    """The section of the findings that lists validation result `number` (1-based): "findings", "findings-2", …"""
    page = (number - 1) // FINDINGS_PAGE + 1
    return FINDINGS if page == 1 else f"{FINDINGS}-{page}"


def _page_number(key: str) -> int:
    try:
        return max(1, int(key[len(EVIDENCE):]))
    except ValueError:
        raise ReportError(f"no section {key!r} in the audit pack") from None


def inputs(store: Store, slug: str, today: dt.date, memo: Memo) -> list[Callable[[], object]]:
    """What every page of the pack reads besides the SoA's rows and the engine's answers (soa.inputs), each kept by
    `memo` for the data generation (ReportCache.warm computes them after a write). Not the validation results: they
    are computed when a page first asks (a minute at 10x organisation size: not after every write)."""
    pack = Pack(store, slug, today, False, memo)
    return [lambda: pack.shared("report-audit-supported"), lambda: pack.shared("report-audit-counts")]


def build(store: Store, slug: str, today: dt.date, *, validate: bool = True, part: str | None = None,
          memo: Memo | None = None, later: Memo | None = None) -> Report:
    """The whole pack (part None), or what the page of section `part` (or OVERVIEW) shows; with `later` (the server's
    pages) a large organisation's validation runs in the background and the page says its results are coming."""
    pack = Pack(store, slug, today, validate, memo or plain, later)
    return pack.whole() if part is None else pack.one(part)


def write_bundle(report: Report, store: Store, out: Path, *, links: Links | None = None) -> Path:
    """index.html + pack.jsonld into the folder `out` (created), or into a zip when out ends in .zip; `links`: where
    requirement links go (default: the server's explorer paths)."""
    from normgraph.reports.page import ALL, render_html
    from normgraph.reports.render import to_jsonld

    files = {
        "index.html": render_html(report, links=links, section=ALL).html.encode("utf-8"),
        "pack.jsonld": json.dumps(to_jsonld(report, store, include_graph=True), indent=1, ensure_ascii=False).encode("utf-8"),
    }
    if out.suffix == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(f"audit-pack-{report.org}/{name}", data)
        out.write_bytes(buf.getvalue())
        return out
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out


__all__ = ["OVERVIEW", "PAGE", "SHOWN", "Section", "build", "write_bundle"]

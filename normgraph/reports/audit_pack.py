"""Audit evidence pack: per control of both Annex A sets and per applicable AI Act obligation, the
evidence items that serve it (each item listed under every control and obligation it serves) and the
validation results (normgraph.validation.validate_org, when available) that concern it.

`write_bundle` writes one self-contained folder (or .zip) an auditor opens offline: index.html with
inline CSS and no external assets, and pack.jsonld (the organisation's graph plus the report, with
its @context inline).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from normgraph.reports import run, short, text, vocab_local
from normgraph.reports.common import org_info
from normgraph.reports.model import Report, Table
from normgraph.store.base import Store

EVIDENCE_COLUMNS = ["serves", "serves_kind", "evidence", "kind", "issued", "valid_until", "valid", "owner",
                    "location", "sha256", "system", "evidence_iri"]
FINDING_COLUMNS = ["item", "severity", "message", "focus", "shape", "source_provision"]


@dataclass
class Section:
    iri: str
    notation: str
    title: str
    kind: str  # "ISO/IEC 27001:2022" | "ISO/IEC 42001:2023" | "AI Act obligation"
    status: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def state(self) -> str:
        if any(f["severity"] == "Violation" for f in self.findings):
            return "violation"
        if self.evidence and not any(e["valid"] for e in self.evidence):
            return "expired"
        if any(f["severity"] == "Warning" for f in self.findings):
            return "warning"
        return "ok" if self.evidence else "no evidence"


def validation_rows(store: Store, slug: str, today: dt.date) -> tuple[list[dict[str, str]], str]:
    """validate_org's results as plain dicts, and a note ('' or why there are none).

    The pack uses the Rust engine (pyshacl-turbo): the tests hold it to pySHACL's exact results on
    every shape fixture and both example organisations, and it is 30–50× faster. Errors propagate:
    a pack must not silently claim "no findings".
    """
    from normgraph.validation import validate_org

    result = validate_org(store, slug, today, engine="turbo")
    rows = [{"focus": str(r.focus), "focus_label": str(r.focus_label), "shape": str(r.shape), "severity": str(r.severity),
             "message": str(r.message), "source_provision": str(r.source_provision)} for r in result.results]
    return rows, ""


def build(store: Store, slug: str, today: dt.date, *, validate: bool = True) -> Report:
    from normgraph.reports import soa as soa_mod

    info = org_info(store, slug)
    sections: dict[str, Section] = {}
    entry_of: dict[str, str] = {}  # SoA entry IRI -> control IRI
    for row in run(store, "report-soa", graph=info.graph, today=today.isoformat()).rows:
        iri = text(row["control"])
        sections[iri] = Section(iri, text(row["notation"]), text(row.get("title")), text(row["standard"]),
                                soa_mod.applicability(text(row.get("applicable"))) + (
                                    f", {vocab_local(row.get('status'))}" if row.get("status") else ""))
        if row.get("entry") is not None:
            entry_of[text(row["entry"])] = iri
    for row in run(store, "report-gap-targets-eu-ai-act", graph=info.graph).rows:
        iri = text(row["target"])
        sections.setdefault(iri, Section(iri, text(row["notation"]), text(row.get("title")), "AI Act obligation", "applies"))
    evidence_rows: list[dict[str, Any]] = []
    serves_of: dict[str, list[str]] = {}
    for row in run(store, "report-audit-evidence", graph=info.graph, today=today.isoformat()).rows:
        target = text(row["supports"])
        item: dict[str, Any] = {
            "serves": text(row.get("supportsNotation")) or short(target),
            "serves_kind": sections[target].kind if target in sections else short(row.get("scheme")) or "other",
            "evidence": text(row.get("label")) or short(row["evidence"]),
            "kind": vocab_local(row.get("kind")),
            "issued": text(row.get("issued")),
            "valid_until": text(row.get("validUntil")),
            "valid": text(row.get("valid")) == "true",
            "owner": text(row.get("ownerName")) or short(row.get("owner")),
            "location": text(row.get("location")),
            "sha256": text(row.get("sha256")),
            "system": short(row.get("system")),
            "evidence_iri": text(row["evidence"]),
        }
        evidence_rows.append(item)
        serves_of.setdefault(item["evidence_iri"], []).append(target)
        if target not in sections:  # e.g. a clause or a GDPR article: still part of the pack
            sections[target] = Section(target, item["serves"], "", item["serves_kind"])
        sections[target].evidence.append(item)
    findings, note = validation_rows(store, slug, today) if validate else ([], "validation not run")
    finding_rows: list[dict[str, Any]] = []
    for f in findings:
        targets = {f["focus"], f["source_provision"]}
        if f["focus"] in entry_of:
            targets.add(entry_of[f["focus"]])
        targets.update(serves_of.get(f["focus"], []))
        hit = [sections[t] for t in sorted(targets) if t in sections]
        for s in hit:
            s.findings.append(f)
        finding_rows.append({"item": "; ".join(s.notation for s in hit) or "(organisation)",
                             "severity": f["severity"], "message": f["message"], "focus": f["focus_label"] or short(f["focus"]),
                             "shape": short(f["shape"]), "source_provision": short(f["source_provision"])})
    kinds = ("ISO/IEC 27001:2022", "ISO/IEC 42001:2023", "AI Act obligation")
    ordered = sorted(sections.values(),
                     key=lambda s: (kinds.index(s.kind) if s.kind in kinds else 3, _natural(s.notation)))
    tables = [Table("evidence", EVIDENCE_COLUMNS, evidence_rows, key="evidence_iri"),
              Table("findings", FINDING_COLUMNS, finding_rows)]
    counts = {"evidence_items": len(serves_of), "links": len(evidence_rows),
              "expired": len({e["evidence_iri"] for e in evidence_rows if not e["valid"]}),
              "violations": sum(1 for f in findings if f["severity"] == "Violation"),
              "warnings": sum(1 for f in findings if f["severity"] == "Warning")}
    return Report("audit-pack", "Audit evidence pack (ISO/IEC 27001 + ISO/IEC 42001 + EU AI Act)", slug, info.label,
                  info.graph, today, tables, {"sections": ordered, "validation_note": note, "counts": counts})


def _natural(notation: str) -> list[object]:
    import re

    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", notation)]


def write_bundle(report: Report, store: Store, out: Path) -> Path:
    """index.html + pack.jsonld into the folder `out` (created), or into a zip when out ends in .zip."""
    from normgraph.reports.render import to_html, to_jsonld

    files = {
        "index.html": to_html(report).encode("utf-8"),
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

"""Export an organisation's SoA, risk register, evidence register and AI-system inventory AS the import templates.

The columns are the templates' own (normgraph/orgdata/templates.py), and every cell is written the way the
importer (tabular.py) reads it, so importing an unchanged export gives back the same triples (the round trip,
tests/test_org_roundtrip.py). Cells are canonical: lists sorted and joined with "; ", booleans yes/no, ISO
Annex A controls as `standard` + notation, other references as CURIEs, a blank `inherent_score` when it is
likelihood × impact. Files are written by the report writers (normgraph/reports/render.py), so cells that a
spreadsheet would run as a formula are neutralised there, once for every export.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from normgraph.iri import NG, NGV, PREFIXES, curie, local_id
from normgraph.orgdata.tabular import row_key as _row_key
from normgraph.orgdata.templates import AI_ACT_FACTS, STANDARDS, TEMPLATES, Template

Row = dict[str, str]

#: the kinds as the web pages and the CLI name them → template kind
KINDS = {"soa": "soa", "risks": "risk-register", "evidence": "evidence-register", "ai-systems": "ai-systems"}
#: the class whose instances are the rows of each template
ROW_CLASS = {"soa": NG.SoAEntry, "risk-register": NG.Risk, "evidence-register": NG.Evidence, "ai-systems": NG.AISystem}
#: the column that names a row (with `standard` for the SoA)
KEY_COLUMN = {"soa": "control", "risk-register": "id", "evidence-register": "id", "ai-systems": "id"}
FORMATS = ("csv", "xlsx")

_ISO = {v: k for k, v in STANDARDS.items() if k.startswith("iso")}  # iso27001-2022 -> iso27001
_NOTATION = re.compile(r"^(A\.)?\d+(\.\d+)*$")


def template_kind(kind: str) -> str:
    """`soa`, `risks`, `evidence`, `ai-systems` or a template kind → the template kind (KeyError otherwise)."""
    if kind in TEMPLATES:
        return kind
    return KINDS[kind]


class _Reader:
    """Reads the cells of one organisation graph."""

    def __init__(self, graph: Graph, slug: str) -> None:
        self.g = graph
        self.base = f"{PREFIXES['ngorg']}{local_id(slug)}/"

    def one(self, s: Node, p: URIRef) -> Node | None:
        values = sorted(self.g.objects(s, p), key=str)
        return values[0] if values else None

    def text(self, s: Node, p: URIRef) -> str:
        v = self.one(s, p)
        return "" if v is None else str(v)

    def flag(self, s: Node, p: URIRef) -> str:
        v = self.one(s, p)
        if not isinstance(v, Literal):
            return ""
        return "yes" if v.toPython() is True else "no" if v.toPython() is False else str(v)

    def vocab(self, s: Node, p: URIRef) -> str:
        return "; ".join(sorted(self._vocab_local(o) for o in self.g.objects(s, p)))

    @staticmethod
    def _vocab_local(o: Node) -> str:
        text = str(o)
        return text.rsplit("/", 1)[-1] if text.startswith(str(NGV)) else curie(text)

    def local(self, o: Node | None, kind: str) -> str:
        """The identifier of an organisation IRI …/<kind>/<id>, or the CURIE / IRI when it is not one."""
        if o is None:
            return ""
        text = str(o)
        prefix = f"{self.base}{kind}/"
        return text[len(prefix):] if text.startswith(prefix) else curie(text)

    def locals(self, s: Node, p: URIRef, kind: str) -> str:
        return "; ".join(sorted(self.local(o, kind) for o in self.g.objects(s, p)))

    def rows_of(self, kind: str) -> list[Node]:
        return sorted((s for s in self.g.subjects(RDF.type, ROW_CLASS[kind]) if str(s).startswith(self.base)), key=str)


def reference(iri: str, standard: str) -> str:
    """A catalog reference as the importer reads it: a bare notation when it is in `standard`, else a CURIE."""
    for key, short in _ISO.items():
        ns = f"{PREFIXES['ngid']}{key}/"
        if iri.startswith(ns) and short == standard:
            local = iri[len(ns):]
            notation = local.replace("-", ".")
            if _NOTATION.match(notation) and local_id(notation) == local:
                return notation
    return curie(iri)


def _standard_of(iri: str) -> str:
    for key, short in _ISO.items():
        if iri.startswith(f"{PREFIXES['ngid']}{key}/"):
            return short
    return ""


def _references(iris: Iterable[Node]) -> tuple[str, str]:
    """(standard, cell) for a list of references: ISO/IEC 27001 items as notations when there are any."""
    texts = sorted(str(i) for i in iris)
    standard = "iso27001" if any(_standard_of(t) == "iso27001" for t in texts) else ""
    cells = [reference(t, standard) for t in texts]
    return (standard if any(c != curie(t) for c, t in zip(cells, texts, strict=True)) else ""), "; ".join(cells)


def _soa(r: _Reader, e: Node) -> Row:
    control = r.one(e, NG.forControl)
    standard = _standard_of(str(control)) if control is not None else ""
    return {
        "standard": standard,
        "control": reference(str(control), standard) if control is not None else "",
        "applicable": r.flag(e, NG.applicable),
        "inclusion_reason": r.vocab(e, NG.inclusionReason),
        "exclusion_justification": r.text(e, NG.exclusionJustification),
        "implementation_status": r.vocab(e, NG.implementationStatus),
        "implementing_measure": r.text(e, NG.implementingMeasure),
        "owner": r.locals(e, NG.owner, "person"),
    }


def _risk(r: _Reader, ri: Node) -> Row:
    likelihood, impact, inherent = (r.text(ri, p) for p in (NG.likelihood, NG.impact, NG.inherentScore))
    if inherent and likelihood.isdigit() and impact.isdigit() and inherent == str(int(likelihood) * int(impact)):
        inherent = ""  # the importer computes it: an edited likelihood or impact moves it too
    standard, treated = _references(r.g.objects(ri, NG.treatedBy))
    treatments = sorted(r.g.objects(ri, NG.hasTreatment), key=str)
    return {
        "id": r.text(ri, SKOS.notation) or r.local(ri, "risk"),
        "title": r.text(ri, RDFS.label),
        "kind": r.vocab(ri, NG.riskKind),
        "likelihood": likelihood,
        "impact": impact,
        "inherent_score": inherent,
        "residual_score": r.text(ri, NG.residualScore),
        "owner": r.locals(ri, NG.owner, "person"),
        "standard": standard,
        "treated_by": treated,
        "treatment": "; ".join(r.text(t, NG.implementingMeasure) for t in treatments),
        "affects": r.locals(ri, NG.affects, "ai-system"),
    }


def _evidence(r: _Reader, e: Node) -> Row:
    standard, supports = _references(r.g.objects(e, NG.supports))
    return {
        "id": r.text(e, SKOS.notation) or r.local(e, "evidence"),
        "title": r.text(e, RDFS.label),
        "kind": r.vocab(e, NG.evidenceKind),
        "issued": r.text(e, NG.issued),
        "valid_until": r.text(e, NG.validUntil),
        "owner": r.locals(e, NG.owner, "person"),
        "location": r.text(e, NG.location),
        "sha256": r.text(e, NG.sha256),
        "standard": standard,
        "supports": supports,
        "concerns_system": r.locals(e, NG.concernsSystem, "ai-system"),
    }


def _annex_iii(o: Node | None) -> str:
    if o is None:
        return ""
    m = re.fullmatch(re.escape(PREFIXES["aiact"]) + r"annex-III-(\d)(?:-([a-e]))?", str(o))
    if m:
        return m.group(1) + (f"({m.group(2)})" if m.group(2) else "")
    return curie(str(o))


def _ai_system(r: _Reader, s: Node) -> Row:
    placed = r.text(s, NG.placedOnMarket)
    if not placed and r.flag(s, NG.notYetPlacedOnMarket) == "yes":
        placed = "not-yet"
    row = {
        "id": r.local(s, "ai-system"),
        "name": r.text(s, RDFS.label),
        "role": r.vocab(s, NG.aiActRole),
        "risk_category": r.vocab(s, NG.riskCategory),
        "annex_iii_area": _annex_iii(r.one(s, NG.annexIIIArea)),
        "lifecycle_stage": r.vocab(s, NG.lifecycleStage),
        "intended_purpose": r.text(s, NG.intendedPurpose),
        "models": r.locals(s, NG.usesModel, "model"),
        "supplier": r.locals(s, NG.suppliedBy, "supplier"),
        "placed_on_market": placed,
    }
    for f in AI_ACT_FACTS:  # concept values (; separated) or yes/no, as the importer reads them
        row[f.column] = r.vocab(s, NG[f.prop]) if f.scheme else r.flag(s, NG[f.prop])
    return row


ROW_WRITERS: dict[str, Callable[[_Reader, Node], Row]] = {
    "soa": _soa, "risk-register": _risk, "evidence-register": _evidence, "ai-systems": _ai_system,
}


def row_key(kind: str, row: Row) -> str:
    """What names a row: `iso27001 A.5.19` for the SoA, the id otherwise (as the importer reads it)."""
    return _row_key(template_kind(kind), row)


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", text) if p)


def export_subject_rows(graph: Graph, slug: str, kind: str) -> list[tuple[Node, Row]]:
    """(subject, row) of every row of one template, in the template's columns, sorted by the row's key."""
    kind = template_kind(kind)
    reader = _Reader(graph, slug)
    names = TEMPLATES[kind].names
    out = []
    for s in reader.rows_of(kind):
        cells = ROW_WRITERS[kind](reader, s)
        out.append((s, {n: cells.get(n, "") for n in names}))
    return sorted(out, key=lambda sr: _natural(row_key(kind, sr[1])))


def export_rows(graph: Graph, slug: str, kind: str) -> list[Row]:
    """The rows of one template, in the template's columns, sorted by their key (numbers in natural order)."""
    return [row for _s, row in export_subject_rows(graph, slug, kind)]


def write_export(rows: list[Row], kind: str, fmt: str) -> bytes:
    """The rows as the template's CSV, or XLSX with the data sheet first and the `columns` sheet after it."""
    from normgraph.reports.model import Table
    from normgraph.reports.render import to_csv

    kind = template_kind(kind)
    template = TEMPLATES[kind]
    table = Table(kind, template.names, [dict(r) for r in rows])
    if fmt == "csv":
        return to_csv(table).encode("utf-8")
    if fmt != "xlsx":
        raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    return _xlsx(table, template)


def _xlsx(table: object, template: Template) -> bytes:
    import datetime as dt

    from normgraph.reports.model import Report, Table
    from normgraph.reports.render import to_xlsx

    assert isinstance(table, Table)
    doc = Table("columns", ["column", "required", "meaning"],
                [{"column": c.name, "required": "yes" if c.required else "no", "meaning": c.doc} for c in template.columns])
    report = Report(kind=template.kind, title=template.title, org="", org_label="", graph="", generated=dt.date.today(),
                    tables=[table, doc])
    return to_xlsx(report)


def export_file(graph: Graph, slug: str, kind: str, fmt: str, path: Path) -> int:
    """Write one export to `path`; returns the number of rows."""
    rows = export_rows(graph, slug, kind)
    path.write_bytes(write_export(rows, kind, fmt))
    return len(rows)


__all__ = ["FORMATS", "KEY_COLUMN", "KINDS", "ROW_CLASS", "export_file", "export_rows", "export_subject_rows", "reference", "row_key",
           "template_kind", "write_export"]

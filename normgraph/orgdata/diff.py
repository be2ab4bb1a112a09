"""What an uploaded table changes in an organisation graph: the new graph, and the change line by line.

One table (SoA, risk register, evidence register or AI-system inventory) is the complete list of its rows:
- a row whose subject is new adds it; a row that is gone removes its subject with every triple about it;
- a row that stays has the triples its columns state (OWNED) replaced by the upload's, and keeps every other
  triple about it (an AI system's components and scope, a treatment's status, labels written in Turtle);
- everything that is not a row of this table stays as it is.
So an unchanged export, imported again, gives back the same graph (tests/test_org_roundtrip.py), and the
change is shown as the export of the old graph beside the export of the new one, cell by cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from normgraph.iri import NG, PREFIXES, local_id
from normgraph.orgdata.errors import OrgDataError
from normgraph.orgdata.export import ROW_CLASS, Row, export_rows, export_subject_rows, row_key, template_kind
from normgraph.orgdata.tabular import read_table
from normgraph.orgdata.templates import AI_ACT_FACTS, TEMPLATES

_SOA = {NG.forControl, NG.applicable, NG.inclusionReason, NG.exclusionJustification, NG.implementationStatus,
        NG.implementingMeasure, NG.owner}
_RISK = {SKOS.notation, RDFS.label, NG.riskKind, NG.likelihood, NG.impact, NG.inherentScore, NG.residualScore,
         NG.owner, NG.treatedBy, NG.hasTreatment, NG.affects}
_EVIDENCE = {SKOS.notation, RDFS.label, NG.evidenceKind, NG.issued, NG.validUntil, NG.owner, NG.location, NG.sha256,
             NG.supports, NG.concernsSystem}
_AI_SYSTEM = {RDFS.label, NG.aiActRole, NG.riskCategory, NG.annexIIIArea, NG.lifecycleStage, NG.intendedPurpose,
              NG.usesModel, NG.suppliedBy, NG.placedOnMarket, NG.notYetPlacedOnMarket,
              *(NG[f.prop] for f in AI_ACT_FACTS)}

#: per template: the properties of a row's subject that its columns state (tabular.py writes them)
OWNED: dict[str, frozenset[URIRef]] = {
    "soa": frozenset(_SOA), "risk-register": frozenset(_RISK), "evidence-register": frozenset(_EVIDENCE),
    "ai-systems": frozenset(_AI_SYSTEM),
}
#: per template: the rdf:types of a row's subject that its columns decide
OWNED_TYPES: dict[str, frozenset[URIRef]] = {
    "soa": frozenset({NG.SoAEntry}), "risk-register": frozenset({NG.Risk, NG.SecurityRisk, NG.AIRisk}),
    "evidence-register": frozenset({NG.Evidence, NG.ImpactAssessment}), "ai-systems": frozenset({NG.AISystem}),
}
#: a risk's `treatment` column states these about the treatment node it links with ng:hasTreatment
TREATMENT_OWNED = frozenset({NG.implementingMeasure, NG.owner})


def owned(kind: str, p: Node, o: Node) -> bool:
    """Does a column of template `kind` state the triple (row subject, p, o)?"""
    if p == RDF.type:
        return o in OWNED_TYPES[kind]
    return p in OWNED[kind]


def _rows(graph: Graph, kind: str, base: str) -> set[Node]:
    return {s for s in graph.subjects(RDF.type, ROW_CLASS[kind]) if str(s).startswith(base)}


def merge(current: Graph, table: Graph, slug: str, kind: str, kept: Iterable[Node] = ()) -> Graph:
    """The organisation graph after uploading one complete table: `table` holds the importer's triples of its
    converted rows, `kept` the subjects of the rows that came back exactly as exported (left as they are)."""
    kind = template_kind(kind)
    base = f"{PREFIXES['ngorg']}{local_id(slug)}/"
    unchanged = set(kept)
    before, after = _rows(current, kind, base), _rows(table, kind, base) | unchanged
    changed = (before & after) - unchanged
    treatments = {t for s in changed | (before - after) for t in current.objects(s, NG.hasTreatment)} \
        if kind == "risk-register" else set()
    out = Graph()
    for s, p, o in current:
        if s in before and (s not in after or (s in changed and owned(kind, p, o))):
            continue
        if s in treatments and (p in TREATMENT_OWNED or (p == RDF.type and o == NG.RiskTreatment)):
            continue
        out.add((s, p, o))
    for s, p, o in table:
        if s in changed and not owned(kind, p, o) and (s, p, None) in current:
            continue  # e.g. the importer's SoA label: the one written before stays
        out.add((s, p, o))
    _drop_orphan_treatments(out, treatments)
    _operated_by(out, after - before, kind)
    return out


def _drop_orphan_treatments(g: Graph, treatments: set[Node]) -> None:
    """A treatment no risk links to any more goes with everything said about it."""
    for t in treatments:
        if (None, NG.hasTreatment, t) not in g:
            g.remove((t, None, None))


def _operated_by(g: Graph, new: set[Node], kind: str) -> None:
    """A new AI system is operated by the organisation, when the graph names exactly one."""
    orgs = set(g.subjects(RDF.type, NG.Organisation))
    if kind == "ai-systems" and len(orgs) == 1:
        (org,) = orgs
        for s in new:
            g.add((s, NG.operatedBy, org))


@dataclass(frozen=True)
class CellChange:
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class RowChange:
    key: str
    cells: tuple[CellChange, ...]


@dataclass
class TableDiff:
    """The change one upload makes, as lines of the table and as triples."""

    kind: str
    added: list[Row] = field(default_factory=list)
    removed: list[Row] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    unchanged: int = 0
    triples_added: int = 0
    triples_removed: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.triples_added or self.triples_removed)

    def key(self, row: Row) -> str:
        return row_key(self.kind, row)

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "added": [self.key(r) for r in self.added],
            "removed": [self.key(r) for r in self.removed],
            "changed": [{"key": c.key, "cells": [c.__dict__ for c in c.cells]} for c in self.changed],
            "unchanged": self.unchanged,
            "triples_added": self.triples_added,
            "triples_removed": self.triples_removed,
        }


def diff_rows(kind: str, old: list[Row], new: list[Row]) -> TableDiff:
    """Lines added, removed and changed (cell by cell, in the template's column order)."""
    kind = template_kind(kind)
    names = TEMPLATES[kind].names
    before = {row_key(kind, r): r for r in old}
    after = {row_key(kind, r): r for r in new}
    out = TableDiff(kind)
    out.removed = [r for k, r in before.items() if k not in after]
    out.added = [r for k, r in after.items() if k not in before]
    for k, r in after.items():
        if k not in before:
            continue
        cells = tuple(CellChange(n, before[k].get(n, ""), r.get(n, "")) for n in names
                      if before[k].get(n, "") != r.get(n, ""))
        if cells:
            out.changed.append(RowChange(k, cells))
        else:
            out.unchanged += 1
    return out


def diff_graphs(current: Graph, new: Graph, slug: str, kind: str) -> TableDiff:
    """The change from `current` to `new`, read through the table of `kind`, with the triple counts."""
    kind = template_kind(kind)
    d = diff_rows(kind, export_rows(current, slug, kind), export_rows(new, slug, kind))
    d.triples_added = sum(1 for t in new if t not in current)
    d.triples_removed = sum(1 for t in current if t not in new)
    return d


@dataclass
class Plan:
    """An upload read against the graph as it is: the graph it would give and the change, not yet applied."""

    kind: str
    new: Graph
    diff: TableDiff
    sheet: str | None


def plan(current: Graph, path: Path, slug: str, kind: str | None = None) -> Plan:
    """Read one CSV/XLSX table against `current`, nothing applied. OrgDataError names file, sheet, row and
    column of a bad cell, or the header when `kind` is given and the table is another template."""
    exported: dict[str, dict[str, tuple[Node, Row]]] = {}

    def keep(template: str) -> Mapping[str, Row]:
        if kind is not None and template != template_kind(kind):
            raise OrgDataError(path, 1, None, f"this is a {template} table, not {template_kind(kind)}")
        exported[template] = {row_key(template, row): (s, row) for s, row in export_subject_rows(current, slug, template)}
        return {k: row for k, (_s, row) in exported[template].items()}

    done = read_table(path, slug, keep)
    found = done.template.kind
    kept = [exported[found][k][0] for k in done.kept]
    new = merge(current, done.graph, slug, found, kept)
    return Plan(found, new, diff_graphs(current, new, slug, found), done.sheet)


__all__ = ["OWNED", "OWNED_TYPES", "CellChange", "Plan", "RowChange", "TableDiff", "diff_graphs", "diff_rows", "merge", "owned",
           "plan"]

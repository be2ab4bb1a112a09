"""Import an organisation's own data (SoA, risk register, evidence register, AI-system inventory) into its graph.

Formats: CSV and XLSX (the templates in templates.py, documented in README.md), Turtle and JSON-LD.
`import_file(path, slug)` parses and checks one file and returns its triples; `import_files(store, paths, slug)`
parses and checks ALL files first and then loads them into ngg:org/<slug> in one store.load, so a bad row in any
file loads nothing of the call. IRIs are minted as …/id/org/<slug>/<kind>/<local> (DESIGN.md §1).

The spreadsheet round trip: export.py writes the four tables back as their templates, diff.py reads an edited
table against the graph as it is (the new graph and the change, cell by cell), preview.py validates that new
state and keeps previews waiting for confirmation; normgraph.backup.OrgHistory keeps the state before each write.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef

from normgraph.iri import NG, NGORG, local_id, org_graph
from normgraph.orgdata.errors import OrgDataError
from normgraph.store.base import Store

TABULAR = {".csv", ".xlsx"}
RDF_SUFFIXES = {".ttl", ".jsonld", ".json"}


def import_file(path: Path | str, org_slug: str) -> Graph:
    """One file → its triples for organisation `org_slug`; raises OrgDataError(file, row, column, reason)."""
    path = Path(path)
    try:
        local_id(org_slug)
    except ValueError as e:
        raise OrgDataError(path, None, None, f"bad organisation slug: {e}") from None
    if not path.is_file():
        raise OrgDataError(path, None, None, "no such file")
    suffix = path.suffix.lower()
    if suffix in TABULAR:
        from normgraph.orgdata.tabular import import_table

        return import_table(path, org_slug)
    if suffix in RDF_SUFFIXES:
        from normgraph.orgdata.rdfimport import import_rdf

        return import_rdf(path, org_slug)
    raise OrgDataError(path, None, None, f"unsupported file type {suffix!r} (want .csv, .xlsx, .ttl, .jsonld, .json)")


def import_files(store: Store, paths: Iterable[Path | str], org_slug: str, *, replace: bool = True) -> int:
    """Parse every file, then load their union into the organisation's graph in one atomic store.load.

    replace=True (the default) makes the files the complete new content of ngg:org/<slug>; replace=False adds
    to what the graph holds. Returns the graph's size afterwards. Nothing is loaded when any file fails.
    """
    union = Graph()
    for p in paths:
        union += import_file(p, org_slug)
    existing = None if replace else store.export("ntriples", str(org_graph(org_slug)))
    link_systems_to_organisation(union, org_slug, existing)
    data = union.serialize(format="nt", encoding="utf-8")
    return store.load(data, "ntriples", str(org_graph(org_slug)), replace=replace)


def link_systems_to_organisation(g: Graph, org_slug: str, existing: bytes | None = None) -> None:
    """Every AI system operated by the organisation (ISO/IEC 42001 4.3, A.4.2): an import of spreadsheets alone
    has no Turtle stating the organisation, so the organisation is recorded (…/id/org/<slug>/organisation/<slug>,
    labelled with its slug) when neither the files nor the graph already there (`existing`, N-Triples) have one,
    and each AI system not linked to an operator is linked to it."""
    systems = [s for s in g.subjects(RDF.type, NG.AISystem) if (s, NG.operatedBy, None) not in g]
    if not systems:
        return
    orgs = sorted(g.subjects(RDF.type, NG.Organisation), key=str)
    if not orgs and existing:
        before = Graph().parse(data=existing, format="nt")
        orgs = sorted(before.subjects(RDF.type, NG.Organisation), key=str)
    if orgs:
        org = orgs[0]
    else:
        org = URIRef(f"{NGORG}{org_slug}/organisation/{local_id(org_slug)}")
        g.add((org, RDF.type, NG.Organisation))
        g.add((org, RDFS.label, Literal(org_slug)))
    for s in systems:
        g.add((s, NG.operatedBy, org))


__all__ = ["OrgDataError", "import_file", "import_files", "link_systems_to_organisation"]

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
from typing import TYPE_CHECKING

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from normgraph.iri import NG, NGORG, local_id, org_graph
from normgraph.orgdata.errors import OrgDataError
from normgraph.orgdata.ntriples import Triple, ntriples
from normgraph.store.base import Store

if TYPE_CHECKING:
    from normgraph.orgdata.tabular import TableImport

TABULAR = {".csv", ".xlsx"}
RDF_SUFFIXES = {".ttl", ".jsonld", ".json"}


def _parse(path: Path | str, org_slug: str) -> TableImport | Graph:
    """One file read and checked: a table's TableImport, or an RDF file's graph."""
    path = Path(path)
    try:
        local_id(org_slug)
    except ValueError as e:
        raise OrgDataError(path, None, None, f"bad organisation slug: {e}") from None
    if not path.is_file():
        raise OrgDataError(path, None, None, "no such file")
    suffix = path.suffix.lower()
    if suffix in TABULAR:
        from normgraph.orgdata.tabular import read_table

        return read_table(path, org_slug)
    if suffix in RDF_SUFFIXES:
        from normgraph.orgdata.rdfimport import import_rdf

        return import_rdf(path, org_slug)
    raise OrgDataError(path, None, None, f"unsupported file type {suffix!r} (want .csv, .xlsx, .ttl, .jsonld, .json)")


def import_file(path: Path | str, org_slug: str) -> Graph:
    """One file → its triples for organisation `org_slug`; raises OrgDataError(file, row, column, reason)."""
    got = _parse(path, org_slug)
    return got if isinstance(got, Graph) else got.graph


class CheckedFiles:
    """Files parsed and checked one by one for one organisation, kept as N-Triples once checked (no rdflib
    Graph of the union: building one cost more than the whole conversion and ten times the memory). The
    CLI, the server's upload child and `import_files` all gather an import this way."""

    def __init__(self, org_slug: str) -> None:
        self.org_slug = org_slug
        self._chunks: list[bytes] = []
        self._operators = _Operators()

    def add(self, path: Path | str) -> int:
        """Parse and check one file (OrgDataError naming file, row and column); the number of its triples."""
        got = _parse(path, self.org_slug)
        if isinstance(got, Graph):
            self._operators.see(got)
            self._chunks.append(got.serialize(format="nt", encoding="utf-8"))
            return len(got)
        self._operators.see(got.triples)
        self._chunks.append(got.ntriples)
        return len(set(got.triples))

    def ntriples(self, existing: bytes | None = None) -> bytes:
        """Every file's triples, and the links of each AI system to its organisation (`existing`: the graph added
        to, as N-Triples; None when the files replace it). A triple stated by several files is there twice;
        the store keeps one."""
        return b"".join([*self._chunks, ntriples(self._operators.links(self.org_slug, existing))])


def distinct_lines(data: bytes) -> int:
    """How many different triples an N-Triples document (one triple a line, as written here) holds."""
    return len({line for line in data.splitlines() if line.strip()})


def import_files(store: Store, paths: Iterable[Path | str], org_slug: str, *, replace: bool = True) -> int:
    """Parse every file, then load their union into the organisation's graph in one atomic store.load.

    replace=True (the default) makes the files the complete new content of ngg:org/<slug>; replace=False adds
    to what the graph holds. Returns the graph's size afterwards. Nothing is loaded when any file fails.
    """
    files = CheckedFiles(org_slug)
    for p in paths:
        files.add(p)
    existing = None if replace else store.export("ntriples", str(org_graph(org_slug)))
    return store.load(files.ntriples(existing), "ntriples", str(org_graph(org_slug)), replace=replace)


class _Operators:
    """What linking AI systems to their organisation needs to know of the triples seen (subjects only)."""

    def __init__(self) -> None:
        self.systems: set[Node] = set()
        self.operated: set[Node] = set()
        self.orgs: set[Node] = set()

    def see(self, triples: Iterable[Triple]) -> None:
        # compared as text (str.__eq__, in C): rdflib's term equality is Python code, run for every triple here
        same = str.__eq__
        a, system, org, operated_by = str(RDF.type), str(NG.AISystem), str(NG.Organisation), str(NG.operatedBy)
        for s, p, o in triples:
            if not isinstance(p, URIRef):
                continue
            if same(p, a) and isinstance(o, URIRef):
                if same(o, system):
                    self.systems.add(s)
                elif same(o, org):
                    self.orgs.add(s)
            elif same(p, operated_by):
                self.operated.add(s)

    def links(self, org_slug: str, existing: bytes | None) -> list[Triple]:
        """Every AI system is operated by the organisation (ISO/IEC 42001 4.3, A.4.2): an import of spreadsheets
        alone has no Turtle stating the organisation, so the organisation is recorded (…/id/org/<slug>/
        organisation/<slug>, labelled with its slug) when neither the files nor the graph already there
        (`existing`, N-Triples) have one, and each AI system not linked to an operator is linked to it."""
        systems = self.systems - self.operated
        if not systems:
            return []
        orgs = sorted(self.orgs, key=str)
        if not orgs and existing:
            before = Graph().parse(data=existing, format="nt")
            orgs = sorted(before.subjects(RDF.type, NG.Organisation), key=str)
        out: list[Triple] = []
        if orgs:
            org = orgs[0]
        else:
            org = URIRef(f"{NGORG}{org_slug}/organisation/{local_id(org_slug)}")
            out += [(org, RDF.type, NG.Organisation), (org, RDFS.label, Literal(org_slug))]
        out += [(s, NG.operatedBy, org) for s in sorted(systems, key=str)]
        return out


def link_systems_to_organisation(g: Graph, org_slug: str, existing: bytes | None = None) -> None:
    """The links CheckedFiles adds, added to a Graph of imported triples (`import_file`'s answers)."""
    operators = _Operators()
    operators.see(g)
    for t in operators.links(org_slug, existing):
        g.add(t)


__all__ = ["CheckedFiles", "OrgDataError", "distinct_lines", "import_file", "import_files",
           "link_systems_to_organisation"]

"""Validate one organisation's data against the SHACL shapes in shapes/ (GUIDE §6).

The pipeline, for one organisation graph `ngg:org/<slug>`:

1. read the organisation graph from the store (nothing else of the organisation world);
2. extract only the catalog facts the shapes need — types, schemes, notations, the skos:broader closure and
   the mapping relations of every catalog or vocabulary IRI the organisation graph mentions, plus
   `ng:Requirement` for catalog items (so no OWL inference runs at validation time);
3. run the classification CONSTRUCTs (queries/classify-high-risk.rq, then queries/classify-art-27-deployer.rq) —
   classification is not validation;
4. add the validation date as `<urn:normgraph:validation> dct:date "…"^^xsd:date` (passed in, never NOW());
5. validate with pySHACL (default, the reference) or pyshacl-turbo (`engine="turbo"`, fast); both must agree
   (tests/test_validation.py compares the sets of (focus, path, shape, severity)).

`validate_org(store, slug, today)` returns a `ValidationResult` whose `.results` are `ResultRow`s and whose
`.conforms` is True when there is no sh:Violation (Warnings and Infos do not fail a validation).
"""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDFS, SH, SKOS, XSD
from rdflib.term import BNode, Node

from normgraph import ROOT
from normgraph.iri import CATALOGS, NGID, curie, local_id, org_graph
from normgraph.queries import get_query
from normgraph.store.base import GraphResult, SelectResult, Store

SHAPES_DIR = ROOT / "shapes"
#: Classification CONSTRUCTs, run in this order before validation (each sees the previous one's output).
CLASSIFIERS: tuple[str, ...] = ("classify-high-risk", "classify-art-27-deployer")
#: The node that carries the validation date in the data graph (`dct:date`).
VALIDATION_NODE = URIRef("urn:normgraph:validation")
ENGINES = ("pyshacl", "turbo")
SEVERITIES = ("Violation", "Warning", "Info")

_EXTRACT = """
PREFIX ng: <https://w3id.org/normgraph/ont#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
CONSTRUCT { ?x ?p ?o }
WHERE {
  { SELECT DISTINCT ?x WHERE {
      GRAPH <%(graph)s> { ?s ?pp ?x }
      FILTER (isIRI(?x) && STRSTARTS(STR(?x), "https://w3id.org/normgraph/id/")
              && !STRSTARTS(STR(?x), "https://w3id.org/normgraph/id/org/"))
  } }
  {
    VALUES ?p { rdf:type skos:inScheme skos:notation skos:prefLabel }
    ?x ?p ?o .
  } UNION {
    ?x skos:broader+ ?o . BIND (skos:broader AS ?p)
  } UNION {
    VALUES ?p { ng:equalTo ng:subsetOf ng:supersetOf ng:intersectsWith }
    ?x ?p ?o .
  } UNION {
    ?x skos:inScheme ?scheme .
    FILTER (!STRSTARTS(STR(?scheme), "https://w3id.org/normgraph/id/vocab/"))
    BIND (rdf:type AS ?p) BIND (ng:Requirement AS ?o)
  }
}
"""


class ValidationError(ValueError):
    """Validation could not run: unknown organisation, unknown engine, broken shapes (message says which)."""


@dataclass(frozen=True)
class ResultRow:
    """One SHACL result, flattened for reports."""

    focus: str
    focus_label: str
    shape: str
    severity: str  # "Violation" | "Warning" | "Info"
    message: str
    source_provision: str  # the shape's dct:source (a provision IRI)
    path: str | None = None
    value: str | None = None
    standard: str = ""  # e.g. "ISO/IEC 27001:2022" (from the provision's catalog)
    clause: str = ""  # e.g. "6.1.3", "Art. 27" (the provision's skos:notation)

    def key(self) -> tuple[str, str | None, str, str]:
        """What the engines must agree on."""
        return (self.focus, self.path, self.shape, self.severity)


@dataclass
class ValidationResult:
    org: str
    today: date
    engine: str
    results: list[ResultRow]
    report: Graph = field(repr=False)
    #: Triples derived by the classification CONSTRUCTs (e.g. `?sys a ng:HighRiskAISystem`).
    derived: Graph = field(repr=False, default_factory=Graph)

    @property
    def conforms(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEVERITIES, 0)
        for r in self.results:
            out[r.severity] = out.get(r.severity, 0) + 1
        return out

    def grouped(self) -> dict[tuple[str, str], list[ResultRow]]:
        """Results grouped by (standard, clause), groups and rows in a stable order."""
        groups: dict[tuple[str, str], list[ResultRow]] = defaultdict(list)
        for r in self.results:
            groups[(r.standard, r.clause)].append(r)
        return {k: sorted(v, key=lambda r: (SEVERITIES.index(r.severity), r.focus, r.shape, r.value or ""))
                for k, v in sorted(groups.items(), key=lambda kv: (kv[0][0], _clause_sort(kv[0][1])))}

    def to_json(self) -> dict[str, object]:
        return {
            "org": self.org,
            "date": self.today.isoformat(),
            "engine": self.engine,
            "conforms": self.conforms,
            "counts": self.counts(),
            "groups": [
                {"standard": std, "clause": clause, "results": [asdict(r) for r in rows]}
                for (std, clause), rows in self.grouped().items()
            ],
        }

    def to_turtle(self) -> str:
        return self.report.serialize(format="turtle")


def _clause_sort(clause: str) -> tuple[object, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[^A-Za-z0-9]+", clause) if p)


# -- inputs -----------------------------------------------------------------------------------------

def load_shapes(folder: Path = SHAPES_DIR) -> Graph:
    """All shapes files of a folder as one graph."""
    g = Graph()
    files = sorted(folder.glob("*.ttl"))
    if not files:
        raise ValidationError(f"no shapes in {folder}")
    for path in files:
        try:
            g.parse(path, format="turtle")
        except Exception as e:  # rdflib raises several parser exception types
            raise ValidationError(f"{path}: {e}") from None
    return g


def _to_oxigraph(g: Graph) -> ox.Store:
    st = ox.Store()
    st.load(g.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    return st


def _ox_graph_to_rdflib(triples: Iterable[ox.Triple]) -> Graph:
    buf = io.BytesIO()
    ox.serialize(list(triples), buf, ox.RdfFormat.N_TRIPLES)
    g = Graph()
    if buf.getvalue():
        g.parse(data=buf.getvalue().decode("utf-8"), format="nt")
    return g


def classify(data: Graph) -> Graph:
    """Run the classification CONSTRUCTs over `data` (org + catalog facts); returns only the derived triples."""
    st = _to_oxigraph(data)
    derived = Graph()
    for name in CLASSIFIERS:
        text = get_query(name).bind()
        new = _ox_graph_to_rdflib(st.query(text))  # type: ignore[arg-type]
        if len(new):
            st.load(new.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
        derived += new
    return derived


def catalog_facts(store: Store, graph: str) -> Graph:
    """The catalog and vocabulary facts about every IRI the organisation graph mentions."""
    res = store.query(_EXTRACT % {"graph": graph})
    assert isinstance(res, GraphResult)
    return res.graph


def org_data(store: Store, org_slug: str) -> Graph:
    graph = str(org_graph(org_slug))
    if graph not in store.graphs():
        known = ", ".join(g.rsplit("/", 1)[-1] for g in store.graphs() if g.startswith(graph.rsplit("/", 1)[0] + "/"))
        raise ValidationError(f"no organisation {org_slug!r} in {store.location} (graph <{graph}>); known: {known or 'none'}")
    g = Graph()
    g.parse(data=store.export("ntriples", graph).decode("utf-8"), format="nt")
    return g


def build_data_graph(store: Store, org_slug: str, today: date) -> tuple[Graph, Graph]:
    """(data graph for SHACL, derived triples): org data + catalog facts + classification + validation date."""
    data = org_data(store, org_slug)
    data += catalog_facts(store, str(org_graph(org_slug)))
    derived = classify(data)
    data += derived
    data.add((VALIDATION_NODE, DCTERMS.date, Literal(today.isoformat(), datatype=XSD.date)))
    return data, derived


# -- running the engines ----------------------------------------------------------------------------

def run_engine(data: Graph, shapes: Graph, engine: str = "pyshacl") -> Graph:
    """Validate and return the sh:ValidationReport graph."""
    if engine == "pyshacl":
        import pyshacl

        _conforms, report, _text = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", advanced=False, allow_infos=True, allow_warnings=True,
            abort_on_first=False, meta_shacl=False, do_owl_imports=False,
        )
    elif engine == "turbo":
        import pyshacl_turbo

        _conforms, report, _text = pyshacl_turbo.validate(
            data, shacl_graph=shapes, inference="none", advanced=False, allow_infos=True, allow_warnings=True,
            abort_on_first=False, do_owl_imports=False,
        )
    else:
        raise ValidationError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    if not isinstance(report, Graph):
        raise ValidationError(f"{engine} could not validate: {_text if isinstance(_text, str) else report!r}")
    return report


def _label(g: Graph, node: Node) -> str:
    for p in (RDFS.label, SKOS.prefLabel, FOAF.name, SKOS.notation):
        v = g.value(node, p)
        if v is not None:
            return str(v)
    return curie(str(node)) if isinstance(node, URIRef) else str(node)


def _provision_names(store: Store | None, sources: set[str]) -> dict[str, tuple[str, str]]:
    """provision IRI -> (standard title, clause notation)."""
    out: dict[str, tuple[str, str]] = {}
    notations: dict[str, str] = {}
    if store is not None and sources:
        values = " ".join(f"<{s}>" for s in sorted(sources))
        res = store.query(
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
            f"SELECT ?s ?n WHERE {{ VALUES ?s {{ {values} }} ?s skos:notation ?n }}"
        )
        assert isinstance(res, SelectResult)
        notations = {str(r["s"]): str(r["n"]) for r in res}
    for s in sources:
        key = s[len(str(NGID)):].split("/", 1)[0] if s.startswith(str(NGID)) else ""
        title = CATALOGS[key][1] if key in CATALOGS else "other"
        out[s] = (title, notations.get(s) or s.rsplit("/", 1)[-1])
    return out


def parse_report(report: Graph, data: Graph, shapes: Graph, store: Store | None = None) -> list[ResultRow]:
    rows: list[tuple[Node, ...]] = []
    for r in report.subjects(SH.resultSeverity, None):
        focus = report.value(r, SH.focusNode)
        shape = report.value(r, SH.sourceShape)
        sev = report.value(r, SH.resultSeverity)
        msgs = sorted(str(m) for m in report.objects(r, SH.resultMessage))
        if not msgs and shape is not None:
            msgs = sorted(str(m) for m in shapes.objects(shape, SH.message))
        rows.append((focus, shape, sev, Literal(msgs[0] if msgs else ""), report.value(r, SH.resultPath), report.value(r, SH.value)))
    sources = {str(shapes.value(s, DCTERMS.source) or "") for _f, s, *_ in rows} - {""}
    names = _provision_names(store, sources)
    out: list[ResultRow] = []
    for focus, shape, sev, msg, path, value in rows:
        src = str(shapes.value(shape, DCTERMS.source) or "")
        std, clause = names.get(src, ("other", ""))
        out.append(ResultRow(
            focus=str(focus),
            focus_label=_label(data, focus) if focus is not None else "",
            shape=str(shape) if not isinstance(shape, BNode) else f"_:{shape}",
            severity=str(sev).rsplit("#", 1)[-1],
            message=str(msg),
            source_provision=src,
            path=None if path is None or isinstance(path, BNode) else str(path),
            value=None if value is None else str(value),
            standard=std,
            clause=clause,
        ))
    out.sort(key=lambda r: (r.standard, _clause_sort(r.clause), r.focus, r.shape, r.value or ""))
    return out


def validate_graph(data: Graph, shapes: Graph | None = None, engine: str = "pyshacl",
                   store: Store | None = None) -> tuple[Graph, list[ResultRow]]:
    """Validate a prepared data graph (already classified and dated); used by tests on fixtures."""
    shapes = shapes if shapes is not None else load_shapes()
    report = run_engine(data, shapes, engine)
    return report, parse_report(report, data, shapes, store)


def validate_org(store: Store, org_slug: str, today: date | None = None, *, engine: str = "pyshacl",
                 shapes: Graph | None = None) -> ValidationResult:
    """Validate organisation `org_slug` (its graph ngg:org/<slug>) as of `today` (default: the current date)."""
    if engine not in ENGINES:
        raise ValidationError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    today = today or date.today()
    local_id(org_slug)  # raises on an empty slug
    data, derived = build_data_graph(store, org_slug, today)
    report, rows = validate_graph(data, shapes, engine, store)
    return ValidationResult(org=org_slug, today=today, engine=engine, results=rows, report=report, derived=derived)


def result_json(result: ValidationResult) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False)


__all__ = [
    "CLASSIFIERS", "ENGINES", "SHAPES_DIR", "VALIDATION_NODE", "ResultRow", "ValidationError", "ValidationResult",
    "build_data_graph", "catalog_facts", "classify", "load_shapes", "parse_report", "result_json", "run_engine",
    "validate_graph", "validate_org",
]

"""Validate one organisation's data against the SHACL shapes in shapes/ (DESIGN.md §7, §11).

The pipeline, for one organisation graph `ngg:org/<slug>`, all of it in an in-memory Oxigraph store:

1. load the organisation graph (exported from the store as N-Triples; nothing else of the organisation world);
2. load only the catalog facts the shapes need — types, schemes, notations, the skos:broader closure and
   the mapping relations of every catalog or vocabulary IRI the organisation graph mentions, plus
   `ng:Requirement` for catalog items (so no OWL inference runs at validation time);
3. ask the AI Act applicability engine (normgraph.applicability, the one derivation every consumer uses) over the
   same facts — classification is not validation. Its answers become the classification (`?sys a
   ng:HighRiskAISystem`, `?sys dpv:hasObligation aiactob:art-27-1-deployer`: `ValidationResult.derived`) and the
   validation-only facts `?sys ngsh:mayOwe ?obligation` for every obligation that applies, or cannot be told yet
   while the system is certainly in its category (on any date: the shapes measure readiness; a missing condition
   fact never hides a gap); the AI Act shapes check evidence only where the engine says the obligation is owed, so
   validation and the engine agree by construction; and `?sys ngsh:undecided "record COLUMN: decides …"` for every
   fact the engine still needs (its "cannot tell yet" answers), which ngsh:ApplicabilityUndecidedShape reports as
   a Warning, one per system and missing fact;
4. add the validation date as `<urn:normgraph:validation> dct:date "…"^^xsd:date` (passed in, never NOW());
5. run the validation-fact CONSTRUCTs (queries/validate-*.rq, `VALIDATION_FACTS`): joins over all evidence and the
   date comparisons, precomputed once instead of per focus node, as validation-only facts in the
   `ngsh:` namespace (`ngsh:currentEvidenceKind`, `ngsh:currentOrgWideEvidenceKind`, `ngsh:hasCurrentEvidence`,
   `ngsh:implementedCounterpart`; see the query's header). They are an implementation detail of the shapes:
   not part of `ValidationResult.derived`, never written back to the store;
6. validate with pySHACL (default, the reference; it gets an rdflib copy of the store) or pyshacl-turbo
   (`engine="turbo"`, fast; it reads the Oxigraph store itself); both must agree
   (tests/test_validation.py compares the sets of (focus, path, shape, severity)). A data graph of more than
   `chunk_from` (default CHUNK_FROM) triples is validated in chunks of focus nodes (normgraph.validation_chunks:
   each chunk holds the triples its nodes' shapes read; only its own nodes' results are kept), so the engine never
   reads, copies or parses the whole organisation and its cost grows linearly; the results are exactly the unchunked
   ones (tests/test_validation_chunks.py).

The shapes graph is parsed once per process (`load_shapes`, re-read when a shapes file changes).
`validate_org(store, slug, today)` returns a `ValidationResult` whose `.results` are `ResultRow`s and whose
`.conforms` is True when there is no sh:Violation (Warnings and Infos do not fail a validation).
"""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SH, SKOS, XSD
from rdflib.term import BNode, Node

from normgraph import knowledge
from normgraph.applicability import APPLIES, CANNOT_TELL, Answer, Applicability, ApplicabilityError, assess
from normgraph.applicability.inputs import UnknownOrganisation, catalog_ntriples, org_ntriples
from normgraph.catalogs.registry import catalog_of
from normgraph.iri import NG, curie, local_id, org_graph
from normgraph.knowledge import ROOT
from normgraph.queries import get_query
from normgraph.store.base import SelectResult, Store
from normgraph.validation_chunks import CHUNK_FROM, CHUNK_TRIPLES, Chunk, ChunkingUnsupported, chunks, owns, reads

SHAPES_DIR = ROOT / "shapes"
#: The obligation whose duty validation also states as `dpv:hasObligation` in the classification it returns.
OBLIGATION_NS = "https://w3id.org/normgraph/id/eu-ai-act-obligation/"
FRIA = URIRef("https://w3id.org/normgraph/id/eu-ai-act-obligation/art-27-1-deployer")
#: Validation facts (ngsh: terms the shapes read), derived after classification and the validation date.
VALIDATION_FACTS: tuple[str, ...] = ("validate-current-evidence",)
#: Validation-only fact: the system owes (or may owe: cannot tell yet) the obligation, on some date (shapes/ai-act-*.ttl).
MAY_OWE = URIRef("https://w3id.org/normgraph/shapes#mayOwe")
#: Validation-only fact: a question the applicability engine cannot answer yet for the system, as "record COLUMN:
#: decides OBLIGATIONS" (one per missing fact), reported by ngsh:ApplicabilityUndecidedShape as a Warning.
UNDECIDED = URIRef("https://w3id.org/normgraph/shapes#undecided")
DPV_HAS_OBLIGATION = URIRef("https://w3id.org/dpv#hasObligation")
#: The node that carries the validation date in the data graph (`dct:date`).
VALIDATION_NODE = URIRef("urn:normgraph:validation")
ENGINES = ("pyshacl", "turbo")
SEVERITIES = ("Violation", "Warning", "Info")

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
    """All shapes files of a folder as one graph, parsed once per process (re-read when a file changes).

    The returned graph is shared: callers must not modify it.
    """
    files = knowledge.files(folder)  # KnowledgeMissing when the folder is missing or holds no shapes
    return _load_shapes(tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))


@lru_cache(maxsize=8)
def _load_shapes(files: tuple[tuple[str, int, int], ...]) -> Graph:
    g = Graph()
    for name, _mtime, _size in files:
        try:
            g.parse(name, format="turtle")
        except Exception as e:  # rdflib raises several parser exception types
            raise ValidationError(f"{name}: {e}") from None
    return g


def _nt(triples: object) -> bytes:
    """A CONSTRUCT result (or any triple iterable) of pyoxigraph as N-Triples bytes."""
    buf = io.BytesIO()
    ox.serialize(triples, buf, ox.RdfFormat.N_TRIPLES)  # type: ignore[arg-type]
    return buf.getvalue()


def _rdflib(nt: bytes) -> Graph:
    g = Graph()
    if nt:
        g.parse(data=nt, format="nt")
    return g


def _run_constructs(st: ox.Store, names: Iterable[str]) -> bytes:
    """Run CONSTRUCTs in order, each seeing the previous ones' output; returns what they derived (N-Triples)."""
    out = b""
    for name in names:
        nt = _nt(st.query(get_query(name).bind()))
        if nt:
            st.load(nt, ox.RdfFormat.N_TRIPLES)
        out += nt
    return out


def catalog_facts(store: Store, graph: str) -> Graph:
    """The catalog and vocabulary facts about every IRI the organisation graph mentions."""
    return _rdflib(catalog_ntriples(store, graph))


def _org_nt(store: Store, org_slug: str) -> bytes:
    try:
        return org_ntriples(store, org_slug)
    except UnknownOrganisation as e:
        raise ValidationError(str(e)) from None


def org_data(store: Store, org_slug: str) -> Graph:
    return _rdflib(_org_nt(store, org_slug))


@dataclass
class PreparedData:
    """The data graph handed to SHACL, held in Oxigraph: org graph + catalog facts + classification + date +
    validation facts (queries/validate-*.rq)."""

    store: ox.Store
    #: The classification CONSTRUCTs' output (N-Triples).
    derived: bytes
    #: The validation facts' output (N-Triples), ngsh: terms only.
    facts: bytes
    #: (subject IRI, obligation IRI) → the engine's owed answer on the validation date (severity follows it).
    owed: dict[tuple[str, str], Answer] = field(default_factory=dict)

    def nt(self) -> bytes:
        return _nt(self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))

    def graph(self) -> Graph:
        """The whole data graph as an rdflib Graph (for pySHACL)."""
        return _store_to_rdflib(self.store)


_XSD_STRING = str(XSD.string)


def _store_to_rdflib(st: ox.Store) -> Graph:
    """The default graph of an Oxigraph store as an rdflib Graph: terms converted once each (twice as fast as
    serialising to N-Triples and parsing that with rdflib)."""
    cache: dict[object, Node] = {}

    def term(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
        r = cache.get(t)
        if r is None:
            if isinstance(t, ox.NamedNode):
                r = URIRef(t.value)
            elif isinstance(t, ox.BlankNode):
                r = BNode(t.value)
            elif t.language:
                r = Literal(t.value, lang=t.language)
            else:
                dt = t.datatype.value
                r = Literal(t.value, datatype=None if dt == _XSD_STRING else URIRef(dt))
            cache[t] = r
        return r

    g = Graph()
    g.addN((term(q.subject), term(q.predicate), term(q.object), g)  # type: ignore[arg-type]
           for q in st.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return g


def prepare_data(store: Store, org_slug: str, today: date) -> PreparedData:
    """Org data + catalog facts + classification + validation date + validation facts, built in Oxigraph."""
    st = ox.Store()
    st.load(_org_nt(store, org_slug), ox.RdfFormat.N_TRIPLES)
    st.load(catalog_ntriples(store, str(org_graph(org_slug))), ox.RdfFormat.N_TRIPLES)
    answers: dict[tuple[str, str], Answer] = {}
    derived = _classification(store, org_slug, today, st, answers)
    st.add(ox.Quad(ox.NamedNode(str(VALIDATION_NODE)), ox.NamedNode(str(DCTERMS.date)),
                   ox.Literal(today.isoformat(), datatype=ox.NamedNode(str(XSD.date)))))
    facts = _run_constructs(st, VALIDATION_FACTS)
    return PreparedData(st, derived, facts, answers)


def _obligations_of(shapes: Graph, shape: Node) -> set[str]:
    """The AI Act obligations a shape checks (the ngsh:mayOwe values it names, anywhere under it)."""
    seen: set[Node] = set()
    todo: list[Node] = [shape]
    found: set[str] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for _p, o in shapes.predicate_objects(node):
            if isinstance(o, URIRef) and str(o).startswith(OBLIGATION_NS):
                found.add(str(o))
            elif isinstance(o, BNode):
                todo.append(o)
    return found


def follow_the_engine(rows: list[ResultRow], shapes: Graph, owed: dict[tuple[str, str], Answer], today: date) -> list[ResultRow]:
    """Severity follows the engine's answer on `today`: a duty in force stays a Violation; one that applies later is a
    Warning "due from DATE"; one the engine cannot tell yet is left to the ApplicabilityUndecided Warning."""
    out: list[ResultRow] = []
    for row in rows:
        if row.severity != "Violation" or row.shape.startswith("_:"):
            out.append(row)
            continue
        answers = [owed[(row.focus, o)] for o in _obligations_of(shapes, URIRef(row.shape)) if (row.focus, o) in owed]
        if not answers or any(a.due_on(today) for a in answers):
            out.append(row)
            continue
        later = sorted(a.applies_from for a in answers if a.status == APPLIES and a.applies_from is not None)
        if later:
            out.append(replace(row, severity="Warning", message=f"{row.message} (due from {later[0].isoformat()})"))
    return out


def _classification(store: Store, org_slug: str, today: date, st: ox.Store,
                    answers: dict[tuple[str, str], Answer] | None = None) -> bytes:
    """The engine's answers as triples, loaded into `st`: classification (returned) and ngsh:mayOwe (not returned)."""
    try:
        result = assess(store, org_slug, today, facts=st, check=False)
    except ApplicabilityError as e:
        raise ValidationError(str(e)) from None
    derived = Graph()
    for iri in result.high_risk():
        derived.add((URIRef(iri), RDF.type, NG.HighRiskAISystem))
    if answers is not None:
        answers.update({(a.subject.iri, a.obligation.iri): a for a in result.owed_answers()})
    owed = Graph()
    for obligation, subjects in result.owed().items():
        for subject in subjects:
            owed.add((URIRef(subject), MAY_OWE, URIRef(obligation)))
            if obligation == str(FRIA):
                derived.add((URIRef(subject), DPV_HAS_OBLIGATION, FRIA))
    for (subject, column), notations in sorted(undecided(result).items()):
        owed.add((URIRef(subject), UNDECIDED, Literal(f"record {column}: decides {', '.join(notations)}")))
    out = derived.serialize(format="nt", encoding="utf-8")
    for g in (derived, owed):
        if len(g):
            st.load(g.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    return out if len(derived) else b""


def undecided(result: Applicability) -> dict[tuple[str, str], list[str]]:
    """(subject IRI, template column) → the obligations (notations, catalog order) that cannot be told yet for the
    subject until the column is recorded: the engine's "cannot tell yet" answers, one question per missing fact."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a in result.answers:
        if a.status == CANNOT_TELL:
            for column in a.record:
                out[(a.subject.iri, column)].append(a.obligation.notation)
    return dict(out)


def build_data_graph(store: Store, org_slug: str, today: date) -> tuple[Graph, Graph]:
    """(data graph for SHACL, derived triples): org data + catalog facts + classification + validation date
    + validation facts."""
    prepared = prepare_data(store, org_slug, today)
    return prepared.graph(), _rdflib(prepared.derived)


# -- running the engines ----------------------------------------------------------------------------

#: pyshacl-turbo's compiled shapes of the last shapes graphs seen, by identity and size (load_shapes' graph is shared,
#: never modified; a caller's graph changed in place by adding or removing triples is compiled again).
_TURBO: dict[int, tuple[Graph, int, object]] = {}


def _turbo_program(shapes: Graph) -> Any:
    known = _TURBO.get(id(shapes))
    if known is None or known[0] is not shapes or known[1] != len(shapes):
        import pyshacl_turbo

        if len(_TURBO) >= 8:
            _TURBO.pop(next(iter(_TURBO)))
        known = _TURBO[id(shapes)] = (shapes, len(shapes), pyshacl_turbo.compile_shapes(shapes, advanced=False))
    return known[2]


def _turbo_input(nquads: str) -> object:
    """N-Quads text as pyshacl-turbo's input: the very object it makes of an Oxigraph Store (by dumping it to this
    text), without building a Store for a text we already have."""
    from pyshacl_turbo.rdf import Input

    return Input(nquads, "oxigraph-nquads", None, {}, preserve_ids=True)


def run_engine(data: Graph | ox.Store | object, shapes: Graph, engine: str = "pyshacl", *,
               focus_nodes: list[str] | None = None) -> Graph:
    """Validate and return the sh:ValidationReport graph (turbo also takes the Oxigraph store directly, or
    `_turbo_input`); with `focus_nodes` (IRIs), only the targets among them are validated."""
    if engine == "pyshacl":
        import pyshacl

        if isinstance(data, ox.Store):
            data = _store_to_rdflib(data)
        if not isinstance(data, Graph):
            raise ValidationError("pySHACL validates an rdflib Graph or an Oxigraph Store")
        _conforms, report, _text = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", advanced=False, allow_infos=True, allow_warnings=True,
            abort_on_first=False, meta_shacl=False, do_owl_imports=False, focus_nodes=focus_nodes,
        )
    elif engine == "turbo":
        import pyshacl_turbo

        try:
            # what pyshacl_turbo.validate does, minus compiling the shapes again for every chunk (~7 ms each)
            _conforms, report, _text = _turbo_program(shapes).validate(
                data, inference=None, allow_infos=True, allow_warnings=True, abort_on_first=False,
                focus_nodes=focus_nodes, _normalize_report_literals=True,  # validate()'s default
            )
        except pyshacl_turbo.ValidationFailure as e:
            raise ValidationError(f"{engine} could not validate: {e}") from None
    else:
        raise ValidationError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    if not isinstance(report, Graph):
        raise ValidationError(f"{engine} could not validate: {_text if isinstance(_text, str) else report!r}")
    return report


_LABEL_PROPS = (RDFS.label, SKOS.prefLabel, FOAF.name, SKOS.notation)


def _fallback_label(node: Node) -> str:
    return curie(str(node)) if isinstance(node, URIRef) else str(node)


def _label(g: Graph, node: Node) -> str:
    for p in _LABEL_PROPS:
        v = g.value(node, p)
        if v is not None:
            return str(v)
    return _fallback_label(node)


def _labels(data: Graph | ox.Store, nodes: set[Node]) -> dict[Node, str]:
    """A display label for each node (rdfs:label, skos:prefLabel, foaf:name, skos:notation, else its CURIE)."""
    if isinstance(data, Graph):
        return {n: _label(data, n) for n in nodes}
    props = [ox.NamedNode(str(p)) for p in _LABEL_PROPS]
    out: dict[Node, str] = {}
    for n in nodes:
        label = None
        if isinstance(n, URIRef):
            subject = ox.NamedNode(str(n))
            for p in props:
                q = next(data.quads_for_pattern(subject, p, None, ox.DefaultGraph()), None)
                if q is not None and not isinstance(q.object, ox.Triple):
                    label = q.object.value
                    break
        out[n] = label if label is not None else _fallback_label(n)
    return out


def _provision_names(store: Store | None, sources: set[str]) -> dict[str, tuple[str, str]]:
    """provision IRI -> (standard title, clause notation)."""
    out: dict[str, tuple[str, str]] = {}
    notations: dict[str, str] = {}
    if store is not None and sources:
        res = store.query(get_query("notations").bind({"items": " ".join(sorted(sources))}))
        assert isinstance(res, SelectResult)
        notations = {str(r["item"]): str(r["notation"]) for r in res}
    for s in sources:
        cat = catalog_of(s)
        out[s] = (cat.title if cat else "other", notations.get(s) or s.rsplit("/", 1)[-1])
    return out


def parse_report(report: Graph, data: Graph | ox.Store, shapes: Graph, store: Store | None = None) -> list[ResultRow]:
    rows: list[tuple[Node | None, ...]] = []
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
    labels = _labels(data, {f for f, *_ in rows if f is not None})
    out: list[ResultRow] = []
    for focus, shape, sev, msg, path, value in rows:
        src = str(shapes.value(shape, DCTERMS.source) or "")
        std, clause = names.get(src, ("other", ""))
        out.append(ResultRow(
            focus=str(focus),
            focus_label=labels[focus] if focus is not None else "",
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


def run_in_chunks(data: ox.Store, shapes: Graph, engine: str = "pyshacl", size: int = CHUNK_TRIPLES) -> Graph:
    """Validate the data graph chunk by chunk (normgraph.validation_chunks) and return one sh:ValidationReport holding
    each chunk's results about the nodes it owns: the report the engine gives for the whole graph, in bounded memory.
    ChunkingUnsupported when the shapes read what a chunk would not hold."""
    spec = reads(shapes)
    shape_nodes = {n for n in shapes.all_nodes() if isinstance(n, BNode)}
    merged = Graph(store="SimpleMemory")  # no context indexes: half the cost of adding a triple
    report = BNode()
    merged.add((report, RDF.type, SH.ValidationReport))
    conforms = True
    for chunk in chunks(data, spec, size):
        # turbo validates only the owned targets (it skips the neighbours the chunk holds for their sake) and reads the
        # chunk as the N-Quads text it would dump a Store to; pySHACL's focus_nodes also filters the value nodes of
        # nested shapes (sh:not [ sh:property … ]), which changes answers, so it validates every target of the chunk
        if engine == "turbo":
            part = run_engine(_turbo_input(chunk.nquads()), shapes, engine, focus_nodes=chunk.focus_nodes())
        else:
            part = run_engine(chunk.store(), shapes, engine)
        conforms = _merge_owned(merged, report, part, chunk, shape_nodes) and conforms
        for prefix, ns in part.namespaces():
            merged.bind(prefix, ns, override=False)
    merged.add((report, SH.conforms, Literal(conforms)))
    return merged


def _merge_owned(merged: Graph, report: BNode, part: Graph, chunk: Chunk, shape_nodes: set[BNode]) -> bool:
    """Add to `merged` (under `report`) the results of `part` whose focus node the chunk owns, with every blank node of
    theirs (not a shape's, not the data's) renamed, since each chunk's report numbers them afresh; whether none is a
    Violation."""
    results = list(part.objects(None, SH.result))
    kept = [r for r in results if owns(chunk, part.value(r, SH.focusNode))]
    conforms = all(part.value(r, SH.resultSeverity) != SH.Violation for r in kept)
    if len(kept) == len(results):  # every result is ours (turbo): every blank node of the report but its root
        roots = set(part.subjects(RDF.type, SH.ValidationReport))
        reach: set[Node] = {n for n in part.subjects() if isinstance(n, BNode) and n not in shape_nodes and n not in roots}
    else:  # a result about another chunk's node (pySHACL, or a blank-node target): only what ours reach
        reach = _reachable(part, kept, shape_nodes)
    # a blank node of the data (a blank-node focus or value node the engine describes) keeps the store's label, as
    # validating whole gives it: only the report's own blank nodes are renamed
    data = {t.value for q in chunk.quads for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
    fresh = {n: BNode() for n in reach if str(n) not in data}
    merged.addN((fresh.get(s, s), p, fresh.get(o, o), merged) for s, p, o in part if s in reach)
    merged.addN((report, SH.result, fresh.get(r, r), merged) for r in kept)
    return conforms


def _reachable(part: Graph, start: list[Node], shape_nodes: set[BNode]) -> set[Node]:
    """The blank nodes of a report reachable from `start` that are subjects in it and not a shape's."""
    out: set[Node] = set()
    todo = [n for n in start if isinstance(n, BNode) and n not in shape_nodes]
    while todo:
        n = todo.pop()
        if n in out or (n, None, None) not in part:
            continue
        out.add(n)
        todo.extend(o for o in part.objects(n, None) if isinstance(o, BNode) and o not in shape_nodes and o not in out)
    return out


def validate_graph(data: Graph | ox.Store, shapes: Graph | None = None, engine: str = "pyshacl",
                   store: Store | None = None) -> tuple[Graph, list[ResultRow]]:
    """Validate a prepared data graph (already classified, dated and with its validation facts)."""
    shapes = shapes if shapes is not None else load_shapes()
    report = run_engine(data, shapes, engine)
    return report, parse_report(report, data, shapes, store)


def validate_org(store: Store, org_slug: str, today: date | None = None, *, engine: str = "pyshacl",
                 shapes: Graph | None = None, chunk_triples: int = CHUNK_TRIPLES,
                 chunk_from: int = CHUNK_FROM) -> ValidationResult:
    """Validate organisation `org_slug` (its graph ngg:org/<slug>) as of `today` (default: the current date).

    A data graph of more than `chunk_from` triples is validated in chunks of about `chunk_triples` (`run_in_chunks`:
    the same results, in linear time and bounded memory; below CHUNK_FROM they would cost more time than they save);
    `chunk_triples=0` validates it whole."""
    if engine not in ENGINES:
        raise ValidationError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    today = today or date.today()
    local_id(org_slug)  # raises on an empty slug
    prepared = prepare_data(store, org_slug, today)
    shapes = shapes if shapes is not None else load_shapes()
    report: Graph | None = None
    if chunk_triples and len(prepared.store) > chunk_from:
        try:
            report = run_in_chunks(prepared.store, shapes, engine, chunk_triples)
        except ChunkingUnsupported:
            report = None
    if report is not None:
        rows = parse_report(report, prepared.store, shapes, store)
    else:
        # turbo reads the Oxigraph store natively; pySHACL needs an rdflib graph (one N-Triples parse)
        data: Graph | ox.Store = prepared.store if engine == "turbo" else prepared.graph()
        report, rows = validate_graph(data, shapes, engine, store)
    rows = follow_the_engine(rows, shapes, prepared.owed, today)
    return ValidationResult(org=org_slug, today=today, engine=engine, results=rows, report=report,
                            derived=_rdflib(prepared.derived))


def result_json(result: ValidationResult) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False)


__all__ = [
    "ENGINES", "FRIA", "MAY_OWE", "SHAPES_DIR", "UNDECIDED", "VALIDATION_FACTS", "VALIDATION_NODE", "PreparedData", "ResultRow",
    "ValidationError", "ValidationResult", "build_data_graph", "catalog_facts", "load_shapes",
    "org_data", "parse_report", "prepare_data", "result_json", "run_engine", "run_in_chunks",
    "undecided", "validate_graph", "validate_org",
]

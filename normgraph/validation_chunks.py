"""Validation in chunks of focus nodes, so its time grows linearly with the organisation and its memory is bounded.

Why this is exact. After `prepare_data` every join over the whole organisation (current evidence, ISO 42001
counterparts, the applicability engine's answers) is a fact in the data graph, and every shape in shapes/ reads, from
its focus node, only triples along the predicates it names: `sh:path`s, the target predicates, the property-pair
constraints, the IRIs in its SPARQL, and `rdf:type` / `rdfs:subClassOf` for `sh:class` and class targets (`reads`).
So a focus node's results depend only on the triples reachable from it along those predicates. A chunk is a set of
*owned* targets (the nodes a shape can target: only they have results) with that closure (and, for a node targeted as
the object of a predicate, one triple naming it so); the engine validates the chunk and only the results about owned
nodes are kept. Every target is owned by exactly one chunk and a chunk is a subgraph of the data graph (targets and
constraints only grow with triples), so the union of the chunks' results is the unchunked result set. Shapes this
reasoning does not cover (inverse paths, `sh:closed`, SPARQL-based targets, a variable predicate in SPARQL) raise
ChunkingUnsupported: the caller validates unchunked.

What a chunk costs: the targets are read through the store's indexes (rdf:type and the target predicates), not a scan
of every triple; each node's triples once a chunk (the neighbours many chunks share, once in all); the chunk goes to
pyshacl-turbo as the N-Quads text it would otherwise dump a Store to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, RDFS, SH, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node, Variable

from normgraph.store.oxigraph import to_oxigraph

#: Triples per chunk (the owned targets' and the neighbours they reach). The SHACL engine's cost per triple grows with
#: the graph it reads; chunks this small keep it flat and the engine's copy of its input small, while the neighbours
#: each chunk repeats (catalog terms, people, systems) stay a small share. 5,000 to 40,000 cost the same at 10x
#: (bench/README.md).
CHUNK_TRIPLES = 10_000
#: Data graphs of more triples than this are validated in chunks, smaller ones whole. Measured (bench/README.md,
#: bench_scale): chunks cost the same as whole at the 1x organisation (78k data-graph triples), 5 % less at 2x (150k),
#: 9 % less at 3x and 10 % less at 10x; under ~100k the engine's cost per triple hardly grows with the graph, so the
#: chunks' own cost (building, one engine call each) is not paid back. Memory would favour chunks at any size, but under
#: 100k triples validation peaks at ~200 MiB either way: time decides.
CHUNK_FROM = 100_000

_PATH_OF = (SH.path, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals, SH.targetSubjectsOf, SH.targetObjectsOf)
_NESTED_PATH = (SH.alternativePath, SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath)
_IRI = re.compile(r"<([^<>\s]*)>")
_PNAME = re.compile(r"(?<![\w?$])([A-Za-z][\w.-]*)?:([A-Za-z_][\w-]*)")
#: A variable in predicate position: `?s ?p ?o` (or `$this ?p ?o`) in a SPARQL body.
_VARIABLE_PREDICATE = re.compile(r"[?$]\w+\s+[?$]\w+\s+[^\s.;,})]")
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
_RDF_TYPE = ox.NamedNode(str(RDF.type))


class ChunkingUnsupported(Exception):
    """The shapes read something a chunk would not hold (the message says what): validate unchunked."""


@dataclass(frozen=True)
class Reads:
    """What the shapes read from a focus node: the predicates followed, and the predicates whose objects are targets."""

    predicates: frozenset[str]
    subject_targets: frozenset[str]
    object_targets: frozenset[str]
    target_nodes: frozenset[Node]


#: reads() of the last shapes graphs seen, by identity and size (load_shapes hands out one shared graph that is never
#: modified; a caller's graph changed in place by adding or removing triples is read again): reading its SPARQL
#: constraints' algebra costs ~80 ms, a twentieth of validating a 1x organisation.
_READS: dict[int, tuple[Graph, int, Reads | ChunkingUnsupported]] = {}


def reads(shapes: Graph) -> Reads:
    """The predicates the shapes follow from a focus node (ChunkingUnsupported for what chunks cannot hold)."""
    known = _READS.get(id(shapes))
    if known is None or known[0] is not shapes or known[1] != len(shapes):
        try:
            answer: Reads | ChunkingUnsupported = _reads(shapes)
        except ChunkingUnsupported as e:
            answer = e
        if len(_READS) >= 8:
            _READS.pop(next(iter(_READS)))
        known = _READS[id(shapes)] = (shapes, len(shapes), answer)
    if isinstance(known[2], ChunkingUnsupported):
        raise ChunkingUnsupported(str(known[2]))
    return known[2]


def _reads(shapes: Graph) -> Reads:
    preds = {str(RDF.type), str(RDFS.subClassOf)}
    for s, p, o in shapes:
        if p in _PATH_OF:
            _path(shapes, o, preds)
        elif p in (SH.select, SH.ask):
            _sparql(shapes, str(o), preds)
        elif p == SH.closed and o == Literal(True):
            raise ChunkingUnsupported(f"{s} is closed: it reads every predicate of its focus node")
        elif p == SH.target:
            raise ChunkingUnsupported(f"{s} has a SPARQL-based or custom target")
    return Reads(frozenset(preds), frozenset(str(o) for o in shapes.objects(None, SH.targetSubjectsOf)),
                 frozenset(str(o) for o in shapes.objects(None, SH.targetObjectsOf)),
                 frozenset(shapes.objects(None, SH.targetNode)))


def _path(shapes: Graph, path: Node, preds: set[str]) -> None:
    if isinstance(path, URIRef):
        preds.add(str(path))
        return
    if shapes.value(path, SH.inversePath) is not None:
        raise ChunkingUnsupported(f"inverse path {path}: a chunk holds the triples going out of its nodes only")
    if shapes.value(path, RDF.first) is not None:  # a sequence path
        for member in Collection(shapes, path):
            _path(shapes, member, preds)
        return
    for p in _NESTED_PATH:
        inner = shapes.value(path, p)
        if inner is not None:
            _path(shapes, inner, preds)
            return
    raise ChunkingUnsupported(f"path {path} is not one the chunks understand")


def _sparql(shapes: Graph, text: str, preds: set[str]) -> None:
    """Every IRI a SPARQL constraint names counts as read (predicates and constants alike: a superset is harmless)."""
    body = text[text.find("{"):]
    if "^" in body.replace("^^", ""):
        raise ChunkingUnsupported("a SPARQL constraint follows an inverse path")
    if _VARIABLE_PREDICATE.search(_IRI.sub("<>", body)):
        raise ChunkingUnsupported("a SPARQL constraint reads a variable predicate")
    prefixes = {str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace)) for d in shapes.objects(None, SH.declare)}
    prefixes.update(re.findall(r"PREFIX\s+([\w.-]*):\s*<([^>]*)>", text, flags=re.IGNORECASE))
    _forward_from_this(text, prefixes)
    preds.update(_IRI.findall(body))
    for prefix, local in _PNAME.findall(_IRI.sub("<>", body)):
        if prefix in prefixes:
            preds.add(prefixes[prefix] + local)


def _triple_patterns(node: object, out: list[tuple[object, object, object]]) -> None:
    if isinstance(node, CompValue):
        if node.name == "BGP":
            out.extend(node.triples)
        elif node.name == "TriplesBlock":  # inside EXISTS / NOT EXISTS: flat lists, three terms a pattern
            for block in node.triples:
                out.extend(tuple(block[i:i + 3]) for i in range(0, len(block) - 2, 3))
        for value in node.values():
            _triple_patterns(value, out)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _triple_patterns(value, out)
    elif isinstance(node, dict):
        for value in node.values():
            _triple_patterns(value, out)


def _forward_from_this(text: str, prefixes: dict[str, str]) -> None:
    """A chunk holds what leads out of its nodes: every triple pattern of the constraint (FILTER EXISTS ones too)
    must start at $this or at a variable reached from it. A pattern pointing into $this (`?x ng:serves $this`),
    one over other subjects (a count or uniqueness over the organisation) or one naming a constant subject could
    read triples another chunk holds, and is validated whole."""
    try:
        algebra = prepareQuery(text, initNs={k: v for k, v in prefixes.items() if k != "None"}).algebra
    except Exception as e:  # a text the reader cannot follow: do not guess what it reads
        raise ChunkingUnsupported(f"a SPARQL constraint could not be read ({type(e).__name__})") from None
    patterns: list[tuple[object, object, object]] = []
    _triple_patterns(algebra, patterns)
    reached: set[object] = {Variable("this")}
    grown = True
    while grown:
        grown = False
        for subject, _predicate, obj in patterns:
            if subject in reached and isinstance(obj, Variable) and obj not in reached:
                reached.add(obj)
                grown = True
    if any(subject not in reached for subject, _predicate, _obj in patterns):
        raise ChunkingUnsupported("a SPARQL constraint reads a triple that does not lead out of $this")
    if any(_negated(predicate) for _subject, predicate, _obj in patterns):
        raise ChunkingUnsupported("a SPARQL constraint follows a negated property set: it reads predicates it does not name")


def _negated(path: object) -> bool:
    """Whether a pattern's predicate is, or holds, a negated property set (`!ex:p`): it reads every other predicate."""
    if isinstance(path, NegatedPath):
        return True
    if isinstance(path, (AlternativePath, SequencePath)):
        return any(_negated(arg) for arg in path.args)
    if isinstance(path, InvPath):
        return _negated(path.arg)
    if isinstance(path, MulPath):
        return _negated(path.path)
    return False


@dataclass
class Chunk:
    """A subgraph of the data graph to validate (its triples, as quads of the default graph), and the nodes whose
    results it answers for."""

    quads: list[ox.Quad]
    owned: set[Term]

    def nquads(self) -> str:
        """The chunk as N-Quads text: what pyshacl-turbo reads (it would dump a Store to the same text)."""
        return bytes(ox.serialize(self.quads, format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")

    def store(self) -> ox.Store:
        st = ox.Store()
        st.extend(self.quads)
        return st

    def focus_nodes(self) -> list[str] | None:
        """The owned nodes as the engines' `focus_nodes` (IRIs only; None, i.e. every target, if any is not an IRI):
        the engine then skips the neighbours the chunk holds for its owned nodes' sake."""
        if all(isinstance(n, ox.NamedNode) for n in self.owned):
            return sorted(n.value for n in self.owned if isinstance(n, ox.NamedNode))
        return None


def targets(data: ox.Store, spec: Reads) -> tuple[list[Term], dict[Term, ox.Quad]]:
    """Every node a shape can target (the only nodes results are about), in a stable order, and for each node targeted
    as an object one triple naming it so: typed nodes (class targets, implicit ones included), subjects and objects of
    the target predicates, the target nodes. Read through the store's indexes, not a scan of every triple."""
    default = ox.DefaultGraph()
    nodes: set[Term] = {q.subject for q in data.quads_for_pattern(None, _RDF_TYPE, None, default)}
    for p in sorted(spec.subject_targets):
        nodes.update(q.subject for q in data.quads_for_pattern(None, ox.NamedNode(p), None, default))
    witness: dict[Term, ox.Quad] = {}
    for p in sorted(spec.object_targets):
        for q in data.quads_for_pattern(None, ox.NamedNode(p), None, default):
            witness.setdefault(q.object, q)
    nodes.update(witness)
    nodes.update(to_oxigraph(n) for n in spec.target_nodes)
    return sorted(nodes, key=_sort_key), witness


def chunks(data: ox.Store, spec: Reads, size: int = CHUNK_TRIPLES) -> Iterator[Chunk]:
    """The data graph (default graph of `data`) in chunks of about `size` triples, every target owned by one chunk:
    targets are added in order, each with every triple reachable from it along the predicates read, until the chunk
    holds `size` triples. A node that is no target is never a focus node, so it needs no owner: it is in the chunks
    whose targets reach it."""
    order, witness = targets(data, spec)
    reader = _Reader(data, spec.predicates, size)
    owned: set[Term] = set()
    seen: set[Term] = set()
    quads: list[ox.Quad] = []
    for node in order:
        owned.add(node)
        w = witness.get(node)
        if w is not None:
            quads.append(w)
        if node not in seen:
            seen.add(node)
            if not isinstance(node, ox.Literal):
                reader.closure(node, seen, quads)
        if len(quads) >= size:
            yield Chunk(quads, owned)
            owned, seen, quads = set(), set(), []
    if owned:
        yield Chunk(quads, owned)


class _Reader:
    """The triples along the predicates read, node by node. The neighbours many chunks reach (catalog terms, AI
    systems, people) are read once: up to `budget` of their triples are kept for the next chunks."""

    def __init__(self, data: ox.Store, predicates: frozenset[str], budget: int) -> None:
        self.data = data
        self.read = {ox.NamedNode(p) for p in predicates}
        self.default = ox.DefaultGraph()
        self.kept: dict[Term, list[ox.Quad]] = {}
        self.budget = budget

    def closure(self, node: ox.NamedNode | ox.BlankNode | ox.Triple, seen: set[Term], quads: list[ox.Quad]) -> None:
        """Add to `quads` every triple reachable from `node` along the predicates read and not yet in the chunk
        (`seen`: its nodes)."""
        todo: list[Term] = [node]
        read, kept = self.read, self.kept
        while todo:
            n = todo.pop()
            out = kept.get(n)
            if out is None:
                out = [q for q in self.data.quads_for_pattern(n, None, None, self.default)  # type: ignore[arg-type]
                       if q.predicate in read]
                if n is not node and len(out) <= self.budget:  # a neighbour: other chunks are likely to reach it
                    kept[n] = out
                    self.budget -= len(out)
            quads.extend(out)
            for q in out:
                o = q.object
                if o not in seen and type(o) is not ox.Literal and type(o) is not ox.Triple:
                    seen.add(o)
                    todo.append(o)


def _sort_key(t: Term) -> tuple[int, str]:
    return (0 if isinstance(t, ox.NamedNode) else 1 if isinstance(t, ox.BlankNode) else 2, str(t))


def owns(chunk: Chunk, focus: Node | None) -> bool:
    """Whether a result about `focus` belongs to this chunk."""
    return focus is not None and to_oxigraph(focus) in chunk.owned


__all__ = ["CHUNK_FROM", "CHUNK_TRIPLES", "Chunk", "ChunkingUnsupported", "Reads", "chunks", "owns", "reads"]

"""The mapping relations and their facts, read once from the ontology (ontology/mappings.ttl).

The only Python source of relation semantics: the inverse of each relation (owl:inverseOf, or itself
for an owl:SymmetricProperty), how relations compose (ng:composesFrom), what coverage a record gives
(ng:coverageStrength) and the words, symbol and rank the explorer shows. Adding a relation to the
ontology with these facts needs no change here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from normgraph.iri import NG
from normgraph.knowledge import path as knowledge_path

FULL = "full"
PARTIAL = "partial"


@dataclass(frozen=True)
class Relation:
    """One mapping relation and its facts as the ontology states them."""

    iri: URIRef
    inverse: URIRef
    coverage: str  # "full" | "partial": reading "S rel T" as "implementing S covers T"
    words: str
    symbol: str
    rank: int
    definition: str = ""  # the relation's skos:definition, for the explorer's legend

    @property
    def name(self) -> str:
        """The local name ('subsetOf')."""
        return str(self.iri).rsplit("#", 1)[-1]

    @property
    def symmetric(self) -> bool:
        return self.inverse == self.iri

    @property
    def full(self) -> bool:
        return self.coverage == FULL


@dataclass(frozen=True)
class Relations:
    """Every mapping relation, strongest first, with the composition table."""

    by_iri: dict[URIRef, Relation]
    compositions: dict[tuple[URIRef, URIRef], URIRef]  # (first, second) -> composed relation
    composable: frozenset[URIRef]  # the relations that take part in some composition; the others never chain
    full: frozenset[URIRef]  # the relations whose reading covers fully
    confidence: str = ""  # the skos:definition of ng:confidence (the 0-1 scale), for the explorer's legend

    def __iter__(self) -> Iterator[Relation]:
        return iter(self.by_iri.values())

    def __contains__(self, iri: object) -> bool:
        return iri in self.by_iri

    def __getitem__(self, iri: URIRef | str) -> Relation:
        return self.by_iri[URIRef(str(iri))]

    def get(self, iri: URIRef | str) -> Relation | None:
        return self.by_iri.get(URIRef(str(iri)))

    def by_name(self, name: str) -> Relation | None:
        """The relation by local name ('subsetOf') or full IRI."""
        return next((r for r in self if name in (r.name, str(r.iri))), None)

    def inverse(self, iri: URIRef | str) -> URIRef:
        return self[iri].inverse

    def compose(self, first: URIRef | str, second: URIRef | str) -> URIRef | None:
        """The relation of S→U given "S first T" and "T second U", or None when nothing follows."""
        return self.compositions.get((URIRef(str(first)), URIRef(str(second))))

    def rank(self, iri: URIRef | str) -> int:
        """Sort key, strongest first; unknown relations last."""
        rel = self.get(iri)
        return rel.rank if rel is not None else 1_000


class RelationFactMissing(ValueError):
    """The ontology states a mapping relation without one of the facts every relation needs."""


def _one(g: Graph, s: URIRef, p: URIRef) -> object:
    value = g.value(s, p)
    if value is None:
        raise RelationFactMissing(f"{s} states no {p}")
    return value


def from_graph(g: Graph) -> Relations:
    """The relations (every sub-property of skos:mappingRelation) of an ontology graph."""
    out: list[Relation] = []
    for iri in set(g.subjects(RDFS.subPropertyOf, SKOS.mappingRelation)):
        assert isinstance(iri, URIRef)
        inverse = g.value(iri, OWL.inverseOf) or (iri if (iri, RDF.type, OWL.SymmetricProperty) in g else None)
        if not isinstance(inverse, URIRef):
            raise RelationFactMissing(f"{iri} states neither owl:inverseOf nor owl:SymmetricProperty")
        coverage = str(_one(g, iri, NG.coverageStrength))
        if coverage not in (FULL, PARTIAL):
            raise RelationFactMissing(f"{iri}: ng:coverageStrength must be 'full' or 'partial', not {coverage!r}")
        rank = _one(g, iri, NG.relationRank)
        assert isinstance(rank, Literal)
        out.append(Relation(iri, inverse, coverage, str(_one(g, iri, RDFS.label)),
                            str(_one(g, iri, NG.relationSymbol)), int(rank.toPython()), str(_one(g, iri, SKOS.definition))))
    out.sort(key=lambda r: (r.rank, str(r.iri)))
    compositions: dict[tuple[URIRef, URIRef], URIRef] = {}
    for r in out:
        for head in g.objects(r.iri, NG.composesFrom):
            pair = [URIRef(str(x)) for x in Collection(g, head)]
            if len(pair) != 2:
                raise RelationFactMissing(f"{r.iri}: ng:composesFrom needs a list of two relations, not {pair}")
            compositions[(pair[0], pair[1])] = r.iri
    composable = frozenset(r for pair in compositions for r in pair)
    return Relations({r.iri: r for r in out}, compositions, composable, frozenset(r.iri for r in out if r.full),
                     str(_one(g, NG.confidence, SKOS.definition)))


@cache
def relations() -> Relations:
    """The relation facts of the packaged ontology (read once)."""
    return from_graph(Graph().parse(knowledge_path("ontology", "mappings.ttl"), format="turtle"))

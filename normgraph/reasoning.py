"""OWL RL (owlrl) over the mapping relations: the ontology's own semantics, as a cross-check.

The mappings module declares ng:subsetOf the inverse of ng:supersetOf, ng:equalTo and
ng:intersectsWith symmetric, ng:equalTo and ng:subsetOf transitive (ontology/mappings.ttl).
`relation_closure` applies exactly that with owlrl's OWL RL engine to plain relation triples.
The composition step (normgraph.mappings.compose) derives the same triples with provenance
records, plus what OWL cannot say without property chains (equal∘subset = subset); the tests
check that everything OWL RL derives is in data/derived/mapping-triples.ttl (reflexive
`x equalTo x`, which OWL RL adds for any transitive symmetric property, aside). OWL RL never
chains ng:intersectsWith: it is not transitive, which is the point (DESIGN.md §10).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import owlrl
from rdflib import Graph, URIRef

from normgraph.iri import NG
from normgraph.knowledge import ROOT

RELATIONS = frozenset({NG.equalTo, NG.subsetOf, NG.supersetOf, NG.intersectsWith, NG.relatedTo})
MAPPINGS_ONTOLOGY = ROOT / "ontology" / "mappings.ttl"


def relation_closure(
    triples: Iterable[tuple[URIRef, URIRef, URIRef]], ontology: Path = MAPPINGS_ONTOLOGY
) -> set[tuple[URIRef, URIRef, URIRef]]:
    """The relation triples of the OWL RL closure of `triples` under the mappings ontology."""
    g = Graph().parse(ontology, format="turtle")
    for t in triples:
        g.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
    return {
        (s, p, o)  # type: ignore[misc]
        for s, p, o in g
        if p in RELATIONS and isinstance(s, URIRef) and not str(s).startswith(str(NG))
    }

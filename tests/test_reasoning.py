"""OWL RL and the composition rules agree on the committed crosswalk, and intersects never chains."""

from rdflib import Graph, URIRef
from repo import ROOT

from normgraph.iri import NG
from normgraph.mappings.records import NO_TERM_FOUND, records_from_graph
from normgraph.reasoning import RELATIONS, relation_closure

A, B, C = (URIRef(f"https://w3id.org/normgraph/id/iso27001-2022/A-5-{n}") for n in (1, 2, 3))
X = URIRef("https://w3id.org/normgraph/id/iso42001-2023/A-2-2")


def test_owl_rl_gives_inverse_symmetric_and_transitive_but_never_chains_intersects() -> None:
    closure = relation_closure([(A, NG.subsetOf, X), (X, NG.subsetOf, C), (A, NG.intersectsWith, B),
                                (B, NG.intersectsWith, C)])
    assert (X, NG.supersetOf, A) in closure  # inverse
    assert (A, NG.subsetOf, C) in closure  # transitive subset
    assert (B, NG.intersectsWith, A) in closure  # symmetric
    assert (A, NG.intersectsWith, C) not in closure  # intersects does not chain


def test_everything_owl_rl_derives_from_the_records_is_in_the_derived_graph() -> None:
    asserted = set()
    for f in sorted((ROOT / "data" / "mappings").glob("*.ttl")):
        for r in records_from_graph(Graph().parse(f, format="turtle")):
            if r.object != NO_TERM_FOUND:
                asserted.add((r.subject, r.predicate, r.object))
    closure = {t for t in relation_closure(asserted) if t[0] != t[2]}  # x equalTo x is no news
    derived = {t for t in Graph().parse(ROOT / "data" / "derived" / "mapping-triples.ttl") if t[1] in RELATIONS}
    assert len(asserted) > 2000
    missing = closure - derived
    assert not missing, sorted(missing)[:10]

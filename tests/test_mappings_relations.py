"""The relation facts come from the ontology, and the derived readings follow them (both ends, no chains)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from repo import ROOT

from normgraph.iri import NG, NGG, SEMAPV, expand
from normgraph.knowledge import path as knowledge_path
from normgraph.mappings.compose import compose_rel
from normgraph.mappings.readings import derive, refresh
from normgraph.mappings.records import MappingRecord, chain_of, records_from_graph
from normgraph.mappings.relations import RelationFactMissing, from_graph, relations
from normgraph.store import EmbeddedStore

E, SUB, SUP, INT, REL = (NG[n] for n in ("equalTo", "subsetOf", "supersetOf", "intersectsWith", "relatedTo"))
OVERLAPS = NG.overlapsWith  # a relation only this test's ontology states


def test_the_facts_of_the_five_relations() -> None:
    rels = relations()
    assert [r.iri for r in rels] == [E, SUB, SUP, INT, REL]  # strongest first
    assert {r.iri: r.inverse for r in rels} == {E: E, SUB: SUP, SUP: SUB, INT: INT, REL: REL}
    assert rels.full == {E, SUP}
    assert rels.composable == {E, SUB, SUP}
    assert [(r.words, r.symbol) for r in rels] == [("equal to", "="), ("subset of", "⊂"), ("superset of", "⊃"),
                                                   ("intersects with", "∩"), ("related to", "~")]
    assert rels.compose(E, SUB) == rels.compose(SUB, E) == rels.compose(SUB, SUB) == SUB
    assert rels.compose(SUP, E) == SUP and rels.compose(E, E) == E
    assert rels.compose(SUB, SUP) is None and rels.compose(INT, E) is None and rels.compose(E, REL) is None
    assert rels.by_name("supersetOf") is rels[SUP]
    # the explorer's legend: each relation's definition and the confidence scale, from the ontology
    assert rels[SUB].definition.startswith("Everything S requires, T requires too")
    assert all(r.definition for r in rels)
    assert "0.9 clear-cut, 0.7 sound judgement, 0.5 arguable" in rels.confidence


def test_a_relation_without_a_definition_is_refused() -> None:
    g = _ontology_with_a_new_relation(False)
    g.remove((OVERLAPS, SKOS.definition, None))
    with pytest.raises(RelationFactMissing, match="definition"):
        from_graph(g)


def _ontology_with_a_new_relation(composes: bool) -> Graph:
    g = Graph().parse(knowledge_path("ontology", "mappings.ttl"), format="turtle")
    g.add((OVERLAPS, RDF.type, OWL.ObjectProperty))
    g.add((OVERLAPS, RDF.type, OWL.SymmetricProperty))
    g.add((OVERLAPS, RDFS.subPropertyOf, SKOS.mappingRelation))
    g.add((OVERLAPS, RDFS.label, Literal("overlaps with", lang="en")))
    g.add((OVERLAPS, NG.coverageStrength, Literal("partial")))
    g.add((OVERLAPS, NG.relationSymbol, Literal("≈")))
    g.add((OVERLAPS, NG.relationRank, Literal(6)))
    g.add((OVERLAPS, SKOS.definition, Literal("S and T overlap.", lang="en")))
    if composes:
        from rdflib.collection import Collection
        from rdflib.term import BNode

        head = BNode()
        Collection(g, head, [E, OVERLAPS])
        g.add((OVERLAPS, NG.composesFrom, head))
    return g


@pytest.mark.parametrize("composes", [False, True])
def test_a_relation_added_to_the_ontology_needs_no_python(composes: bool) -> None:
    rels = from_graph(_ontology_with_a_new_relation(composes))
    new = rels[OVERLAPS]
    assert (new.inverse, new.coverage, new.words, new.symbol) == (OVERLAPS, "partial", "overlaps with", "≈")
    assert list(rels)[-1] == new
    assert (OVERLAPS in rels.composable) is composes
    assert rels.compose(E, OVERLAPS) == (OVERLAPS if composes else None)


def test_the_readings_query_reads_a_new_relation_from_the_ontology_too() -> None:
    store = EmbeddedStore()
    store.load(_ontology_with_a_new_relation(False).serialize(format="nt", encoding="utf-8"), "ntriples",
               f"{NGG}ontology/mappings")
    store.load(b"""<https://w3id.org/normgraph/id/mapping/t/1> <https://w3id.org/normgraph/ont#mappingSubject>
        <https://w3id.org/normgraph/id/iso27001-2022/A-5-1> ;
        <https://w3id.org/normgraph/ont#mappingPredicate> <https://w3id.org/normgraph/ont#overlapsWith> ;
        <https://w3id.org/normgraph/ont#mappingObject> <https://w3id.org/normgraph/id/iso42001-2023/A-2-2> .""",
               "turtle", f"{NGG}mappings/t")
    g = derive(store)
    readings = {(g.value(r, NG.readFrom), g.value(r, NG.readRelation), g.value(r, NG.coverage).toPython())  # type: ignore[union-attr]
                for r in g.subjects(RDF.type, NG.MappingReading)}
    assert readings == {(expand("iso27001:A-5-1"), OVERLAPS, "partial"), (expand("iso42001:A-2-2"), OVERLAPS, "partial")}


@pytest.fixture(scope="module")
def committed() -> tuple[Graph, dict[URIRef, MappingRecord]]:
    readings = Graph().parse(ROOT / "data" / "derived" / "mapping-readings.ttl", format="turtle")
    records: dict[URIRef, MappingRecord] = {}
    for f in [*sorted((ROOT / "data" / "mappings").glob("*.ttl")), ROOT / "data" / "derived" / "inferred-mappings.ttl"]:
        records.update((r.iri, r) for r in records_from_graph(Graph().parse(f, format="turtle")))
    return readings, records


def test_every_record_is_read_from_both_ends_with_the_inverse_from_its_object(
        committed: tuple[Graph, dict[URIRef, MappingRecord]]) -> None:
    g, records = committed
    rels = relations()
    by_record: dict[URIRef, list[tuple[object, ...]]] = defaultdict(list)
    for r in g.subjects(RDF.type, NG.MappingReading):
        rec = g.value(r, NG.readingOf)
        assert isinstance(rec, URIRef)
        by_record[rec].append(tuple(g.value(r, p) for p in (NG.readFrom, NG.readRelation, NG.readTo, NG.readInversely,
                                                             NG.coverage)))
    assert set(by_record) == set(records) and len(records) > 2000
    for iri, rec in records.items():
        inverse = rels.inverse(rec.predicate)
        assert sorted(by_record[iri], key=str) == sorted([
            (rec.subject, rec.predicate, rec.object, Literal(False), Literal(rels[rec.predicate].coverage)),
            (rec.object, inverse, rec.subject, Literal(True), Literal(rels[inverse].coverage)),
        ], key=str), iri


def test_readings_never_chain_intersects_or_related(committed: tuple[Graph, dict[URIRef, MappingRecord]]) -> None:
    """A reading is one record read from one end: its items are that record's, whatever the relation."""
    g, records = committed
    for r in g.subjects(NG.readRelation, INT):
        rec = records[g.value(r, NG.readingOf)]  # type: ignore[index]
        assert {g.value(r, NG.readFrom), g.value(r, NG.readTo)} == {rec.subject, rec.object}
    inferred = [rec for rec in records.values() if rec.inferred]
    assert inferred and all(rec.predicate in relations().composable for rec in inferred)
    for rec in inferred:
        assert all(origin.predicate in relations().composable for origin in chain_of(rec, records))


def test_refresh_adds_the_readings_of_records_written_later() -> None:
    store = EmbeddedStore()
    store.load(knowledge_path("ontology", "mappings.ttl"), "turtle", f"{NGG}ontology/mappings")
    store.load(b"""@prefix ng: <https://w3id.org/normgraph/ont#> .
        <https://w3id.org/normgraph/id/mapping/t/1> ng:mappingSubject <https://w3id.org/normgraph/id/iso27001-2022/A-5-1> ;
          ng:mappingPredicate ng:subsetOf ; ng:mappingObject <https://w3id.org/normgraph/id/iso42001-2023/A-2-2> .""",
               "turtle", f"{NGG}mappings/t")
    assert refresh(store) == 14
    rows = store.query("""PREFIX ng: <https://w3id.org/normgraph/ont#>
        SELECT ?rel WHERE { ?r ng:readFrom <https://w3id.org/normgraph/id/iso42001-2023/A-2-2> ; ng:readRelation ?rel }""")
    assert [row["rel"] for row in rows] == [SUP]  # type: ignore[union-attr]
    store.drop(f"{NGG}mappings/t")
    assert refresh(store) == 0
    assert len(store.query("PREFIX ng: <https://w3id.org/normgraph/ont#> SELECT * { ?r ng:readFrom ?x }")) == 0  # type: ignore[arg-type]


def test_the_committed_readings_are_the_rule_applied_to_the_loaded_records(
        committed: tuple[Graph, dict[URIRef, MappingRecord]]) -> None:
    from normgraph.loading import load_knowledge

    store = EmbeddedStore()
    load_knowledge(store)
    readings, _records = committed
    assert set(derive(store)) == {t for t in readings if t[0] != URIRef(f"{NGG}derived/mapping-readings")}


def _rec(s: str, p: URIRef, o: str, **kw: object) -> MappingRecord:
    return MappingRecord(expand(s), p, expand(o), "t", SEMAPV.ManualMappingCuration, "test", confidence=Decimal("0.9"),
                         **kw)  # type: ignore[arg-type]


def test_chain_walk_orders_the_origins_from_the_subject_and_expands_inferred_ones() -> None:
    a = _rec("iso42001:A-1", E, "iso27001:A-2")
    b = _rec("iso27001:A-2", SUB, "sp80053:AC-1")
    c = _rec("csf:GV-OC-01", SUP, "sp80053:AC-1")
    ab = _rec("iso42001:A-1", SUB, "sp80053:AC-1", inferred=True, derived_from=(b.iri, a.iri), local="ab")
    abc = _rec("iso42001:A-1", SUB, "csf:GV-OC-01", inferred=True, derived_from=(c.iri, ab.iri), local="abc")
    by_iri = {r.iri: r for r in (a, b, c, ab, abc)}
    assert chain_of(ab, by_iri) == [a, b]
    assert chain_of(abc, by_iri) == [a, b, c]
    assert chain_of(a, by_iri) == []
    assert compose_rel(compose_rel(E, SUB), relations().inverse(SUP)) == SUB  # type: ignore[arg-type]


CHAIN_TTL = """
@prefix ng: <https://w3id.org/normgraph/ont#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix t: <https://w3id.org/normgraph/id/mapping/t/> .
@prefix inf: <https://w3id.org/normgraph/id/mapping/inferred/> .
t:z-first ng:mappingSubject <https://w3id.org/normgraph/id/iso42001-2023/A-1> ; ng:mappingPredicate ng:equalTo ;
  ng:mappingObject <https://w3id.org/normgraph/id/iso27001-2022/A-2> ; a ng:MappingRecord .
t:a-second ng:mappingSubject <https://w3id.org/normgraph/id/iso27001-2022/A-2> ; ng:mappingPredicate ng:subsetOf ;
  ng:mappingObject <https://w3id.org/normgraph/id/nist-sp800-53r5/AC-1> ; a ng:MappingRecord .
inf:x ng:mappingSubject <https://w3id.org/normgraph/id/iso42001-2023/A-1> ; ng:mappingPredicate ng:subsetOf ;
  ng:mappingObject <https://w3id.org/normgraph/id/nist-sp800-53r5/AC-1> ; a ng:MappingRecord ; ng:inferred true ;
  prov:wasDerivedFrom t:a-second , t:z-first .
"""


def test_the_gap_report_names_an_inferred_links_origins_by_the_same_chain_walk() -> None:
    from normgraph.reports.gap import Link, Requirement, walk_chains

    store = EmbeddedStore()
    store.load(CHAIN_TTL.encode(), "turtle", f"{NGG}mappings/t")
    m = "https://w3id.org/normgraph/id/mapping/"
    link = Link("https://w3id.org/normgraph/id/iso42001-2023/A-1", "A.1", "iso42001-2023", "implemented", "soa", (),
                "subsetOf", f"{m}inferred/x", "", "", "", "", True, (f"{m}t/a-second", f"{m}t/z-first"), "")
    req = Requirement("https://w3id.org/normgraph/id/nist-sp800-53r5/AC-1", "AC-1", "", "", "", "", 0, links=[link])
    walk_chains(store, [req])
    assert req.links[0].derived_from == (f"{m}t/z-first", f"{m}t/a-second")  # from the subject's end

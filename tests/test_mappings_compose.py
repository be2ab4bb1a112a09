"""Composition (DESIGN.md §10): the rule table, both reading directions, no chaining through
intersects/related, cycle safety, idempotence, and the derived graphs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV

from normgraph.iri import NG, SEMAPV, expand
from normgraph.mappings import build_all, compose
from normgraph.mappings.records import (
    EQUAL,
    INTERSECTS,
    RELATED,
    SUBSET,
    SUPERSET,
    MappingRecord,
    records_from_graph,
)
from normgraph.mappings.relations import relations

E, SUB, SUP, INT, REL = EQUAL, SUBSET, SUPERSET, INTERSECTS, RELATED

# first ∘ second → result (None: nothing follows). Every one of the 25 pairs is listed.
TABLE: list[tuple[URIRef, URIRef, URIRef | None]] = [
    (E, E, E),
    (E, SUB, SUB),
    (E, SUP, SUP),
    (E, INT, None),
    (E, REL, None),
    (SUB, E, SUB),
    (SUB, SUB, SUB),
    (SUB, SUP, None),
    (SUB, INT, None),
    (SUB, REL, None),
    (SUP, E, SUP),
    (SUP, SUB, None),
    (SUP, SUP, SUP),
    (SUP, INT, None),
    (SUP, REL, None),
    (INT, E, None),
    (INT, SUB, None),
    (INT, SUP, None),
    (INT, INT, None),
    (INT, REL, None),
    (REL, E, None),
    (REL, SUB, None),
    (REL, SUP, None),
    (REL, INT, None),
    (REL, REL, None),
]


def test_table_is_complete() -> None:
    known = [r.iri for r in relations()]  # every relation the ontology states
    assert {(a, b) for a, b, _ in TABLE} == {(a, b) for a in known for b in known}


@pytest.mark.parametrize(("first", "second", "result"), TABLE)
def test_compose_rel(first: URIRef, second: URIRef, result: URIRef | None) -> None:
    assert compose.compose_rel(first, second) == result


def rec(s: str, p: URIRef, o: str, conf: str = "0.9", slug: str = "fx") -> MappingRecord:
    return MappingRecord(
        subject=expand(s),
        predicate=p,
        object=expand(o),
        set_slug=slug,
        justification=SEMAPV.ManualMappingCuration,
        creator="test",
        confidence=Decimal(conf),
        date=dt.date(2026, 1, 1),
    )


@pytest.mark.parametrize(("first", "second", "result"), TABLE)
def test_infer_follows_table(first: URIRef, second: URIRef, result: URIRef | None) -> None:
    out = compose.infer([rec("iso42001:A-1", first, "iso27001:A-2"), rec("iso27001:A-2", second, "sp80053:AC-1")])
    got = {(r.subject, r.predicate, r.object) for r in out}
    if result is None:
        assert got == set()
    else:
        s, o = expand("iso42001:A-1"), expand("sp80053:AC-1")
        expected = {(o, SUBSET, s)} if result == SUPERSET else {(s, result, o)}
        if result == EQUAL:
            expected = {(min(s, o, key=str), EQUAL, max(s, o, key=str))}
        assert got == expected


def test_records_are_used_in_both_directions() -> None:
    # "B supersetOf A" is stated from B; read from A it is "A subsetOf B", and with "B subsetOf C" gives A ⊆ C.
    out = compose.infer([rec("iso27001:A-2", SUP, "iso42001:A-1"), rec("iso27001:A-2", SUB, "sp80053:AC-1")])
    assert [(r.subject, r.predicate, r.object) for r in out] == [(expand("iso42001:A-1"), SUBSET, expand("sp80053:AC-1"))]


def test_no_chaining_through_intersects() -> None:
    records = [
        rec("iso42001:A-1", EQUAL, "iso27001:A-2"),
        rec("iso27001:A-2", INTERSECTS, "sp80053:AC-1"),
        rec("sp80053:AC-1", EQUAL, "cmmc:AC-L1-3-1-1"),
        rec("iso42001:A-1", RELATED, "csf:GV-OC-01"),
        rec("csf:GV-OC-01", EQUAL, "airmf:GOVERN-1-1"),
    ]
    out = compose.infer(records)
    touched = {(r.subject, r.object) for r in out}
    assert all(expand("sp80053:AC-1") not in pair and expand("cmmc:AC-L1-3-1-1") not in pair for pair in touched)
    assert all(expand("airmf:GOVERN-1-1") not in pair for pair in touched)
    assert out == []


def test_cycle_is_safe_and_bounded() -> None:
    cycle = [
        rec("iso42001:A-1", EQUAL, "iso27001:A-2"),
        rec("iso27001:A-2", EQUAL, "sp80053:AC-1"),
        rec("sp80053:AC-1", EQUAL, "csf:GV-OC-01"),
        rec("csf:GV-OC-01", EQUAL, "iso42001:A-1"),
    ]
    out = compose.infer(cycle)  # returns at all: a cycle is not walked round and round
    pairs = {frozenset((r.subject, r.object)) for r in out}
    assert pairs == {
        frozenset((expand("iso42001:A-1"), expand("sp80053:AC-1"))),
        frozenset((expand("iso27001:A-2"), expand("csf:GV-OC-01"))),
    }
    assert all(r.predicate == EQUAL and r.chain_length == 2 for r in out)


def test_max_chain_length() -> None:
    chain = [
        rec(f"iso42001:A-{i}" if i % 2 else f"iso27001:A-{i}", SUBSET, f"iso27001:A-{i + 1}" if i % 2 else f"iso42001:A-{i + 1}")
        for i in range(1, 6)
    ]
    out = compose.infer(chain)
    assert out and max(r.chain_length or 0 for r in out) == compose.MAX_CHAIN


def test_no_pairs_inside_one_catalog_or_already_asserted() -> None:
    records = [
        rec("iso42001:A-1", EQUAL, "iso27001:A-2"),
        rec("iso27001:A-2", EQUAL, "iso42001:A-3"),  # A-1 ~ A-3: same catalog
        rec("iso27001:A-2", SUBSET, "sp80053:AC-1"),
        rec("iso42001:A-1", RELATED, "sp80053:AC-1"),  # already asserted (any relation)
    ]
    out = compose.infer(records)
    pairs = {frozenset((r.subject, r.object)) for r in out}
    assert frozenset((expand("iso42001:A-1"), expand("iso42001:A-3"))) not in pairs
    assert frozenset((expand("iso42001:A-1"), expand("sp80053:AC-1"))) not in pairs
    assert frozenset((expand("iso42001:A-3"), expand("sp80053:AC-1"))) in pairs


def test_inferred_record_shape_and_confidence() -> None:
    a = rec("iso42001:A-1", SUBSET, "iso27001:A-2", "0.8")
    b = rec("iso27001:A-2", EQUAL, "sp80053:AC-1", "0.7")
    (out,) = compose.infer([a, b])
    assert out.inferred and out.justification == SEMAPV.MappingChaining and out.chain_length == 2
    assert set(out.derived_from) == {a.iri, b.iri}
    assert out.confidence is not None and out.confidence < min(a.confidence, b.confidence)  # type: ignore[type-var]
    assert out.confidence == Decimal("0.504")
    assert out.rationale and out.rationale.startswith("Composed from 2 records")
    g = compose.inferred_graph([out], [a, b], [])
    assert set(g.objects(out.iri, PROV.wasDerivedFrom)) == {a.iri, b.iri}
    assert (out.iri, NG.inferred, None) in g


def test_idempotent() -> None:
    records = [rec("iso42001:A-1", EQUAL, "iso27001:A-2"), rec("iso27001:A-2", SUBSET, "sp80053:AC-1")]
    first = compose.infer(records)
    second = compose.infer([*records, *first])
    assert first == second
    g1 = compose.inferred_graph(first, records, [])
    assert compose.infer([*records, *records_from_graph(g1)]) == first


def test_triples_both_directions() -> None:
    g = compose.triples_graph([rec("iso42001:A-1", SUBSET, "iso27001:A-2"), rec("iso42001:A-1", INTERSECTS, "sp80053:AC-1")], [])
    a, b, c = expand("iso42001:A-1"), expand("iso27001:A-2"), expand("sp80053:AC-1")
    assert (a, SUBSET, b) in g and (b, SUPERSET, a) in g
    assert (a, INTERSECTS, c) in g and (c, INTERSECTS, a) in g


def test_build_all_is_deterministic(repo_root: Path, sources: Path) -> None:
    graphs, issues = build_all(repo_root, sources)
    assert "data/derived/inferred-mappings.ttl" in graphs and "data/derived/mapping-triples.ttl" in graphs
    again, _ = build_all(repo_root, sources)
    assert isomorphic(graphs["data/derived/inferred-mappings.ttl"], again["data/derived/inferred-mappings.ttl"])
    assert issues

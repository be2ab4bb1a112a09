"""Golden results of queries/crosswalk-*.rq and the other mapping queries on small fixtures."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from repo import ROOT

from normgraph.iri import NGG, curie
from normgraph.queries import get_query

FIXTURES = Path(__file__).parent / "fixtures"


def _store(files: dict[str, str]) -> ox.Store:
    """The fixture graphs, the mappings ontology and the readings derived from them (as the build does)."""
    store = ox.Store()
    for name, graph in files.items():
        store.load(path=str(FIXTURES / f"crosswalk-{name}.ttl"), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f"{NGG}{graph}"))
    store.load(path=str(ROOT / "ontology" / "mappings.ttl"), format=ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode(f"{NGG}ontology/mappings"))
    readings = ox.NamedNode(f"{NGG}derived/mapping-readings")
    derived = store.query(get_query("derive-mapping-readings").bind(), use_default_graph_as_union=True)
    store.extend([ox.Quad(t.subject, t.predicate, t.object, readings) for t in list(derived)])  # type: ignore[union-attr]
    return store


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return _store({"catalog": "fx/catalog", "mappings": "fx/mappings", "triples": "derived/mapping-triples"})


def run(store: ox.Store, name: str, columns: tuple[str, ...], **params: str) -> list[tuple[str, ...]]:
    result = store.query(get_query(name).bind(params), use_default_graph_as_union=True)
    rows = []
    for row in result:
        cells = []
        for c in columns:
            term = row[c]
            cells.append("" if term is None else curie(term.value) if isinstance(term, ox.NamedNode) else term.value)
        rows.append(tuple(cells))
    return rows


def test_crosswalk_of_requirement(store: ox.Store) -> None:
    rows = run(
        store, "crosswalk-of-requirement", ("counterpart", "relation", "direction", "confidence", "inferred"), requirement="iso42001:A-10-3"
    )
    assert sorted(rows) == [
        ("aiact:art-9-1", "ng:relatedTo", "as stated", "0.5", "false"),
        ("airmf:MAP-4-2", "ng:relatedTo", "inverse reading", "", "false"),
        ("iso27001:A-5-19", "ng:intersectsWith", "as stated", "0.7", "false"),
        ("iso27001:A-5-20", "ng:subsetOf", "as stated", "0.8", "false"),
    ]


def test_crosswalk_reads_subset_inversely(store: ox.Store) -> None:
    rows = run(store, "crosswalk-of-requirement", ("counterpart", "relation"), requirement="iso27001:A-5-20")
    assert rows == [("iso42001:A-10-3", "ng:supersetOf")]


def test_obligations_for_42001_control(store: ox.Store) -> None:
    rows = run(store, "obligations-for-42001-control", ("obligation", "provision", "path", "relation"), control="iso42001:A-6-2-7")
    assert sorted(rows) == [
        ("aiactob:art-11-1-provider", "aiact:art-11-1", "via provision", "ng:subsetOf"),
        ("aiactob:art-9-1-provider", "aiact:art-9-1", "direct", "ng:intersectsWith"),
    ]


def test_airmf_for_ai_act_article(store: ox.Store) -> None:
    rows = run(store, "airmf-for-ai-act-article", ("subcategory", "path", "relation", "via", "provision"), article="aiact:art-9")
    assert sorted(rows) == [
        ("airmf:GOVERN-1-1", "direct", "ng:relatedTo", "", "aiact:art-9"),
        ("airmf:MAP-4-2", "via ISO/IEC 42001", "", "iso42001:A-10-3", "aiact:art-9-1"),
    ]


def test_no_counterpart(store: ox.Store) -> None:
    rows = run(store, "no-counterpart", ("requirement", "explicit"), catalogA="ngid:iso27001-2022", catalogB="ngid:iso42001-2023")
    assert rows == [("iso42001:6-1-4", "true"), ("iso42001:A-2-2", "")]


def test_coverage_matrix(store: ox.Store) -> None:
    rows = run(store, "coverage-matrix", ("a", "relation", "b", "coverage"), catalogA="ngid:iso27001-2022", catalogB="ngid:iso42001-2023")
    assert sorted(rows) == [
        ("iso27001:4-1", "ng:subsetOf", "iso42001:A-6-2-7", "partial"),
        ("iso27001:A-5-19", "ng:intersectsWith", "iso42001:A-10-3", "partial"),
        ("iso27001:A-5-20", "ng:supersetOf", "iso42001:A-10-3", "full"),
    ]


def test_mappings_by_source(store: ox.Store) -> None:
    rows = run(store, "mappings-by-source", ("set", "relation", "records"))
    counts = {(r[0].rsplit("/", 1)[-1].rstrip(">"), r[1]): int(r[2]) for r in rows}
    assert counts == {
        ("iso42001-2023_to_eu-ai-act-fx", "ng:intersectsWith"): 1,
        ("iso42001-2023_to_eu-ai-act-fx", "ng:relatedTo"): 1,
        ("iso42001-2023_to_eu-ai-act-fx", "ng:subsetOf"): 1,
        ("iso42001-2023_to_iso27001-2022-fx", "ng:intersectsWith"): 1,
        ("iso42001-2023_to_iso27001-2022-fx", "ng:relatedTo"): 1,
        ("iso42001-2023_to_iso27001-2022-fx", "ng:subsetOf"): 1,
        ("iso42001-2023_to_iso27001-2022-fx", "ng:supersetOf"): 1,
        ("nist-ai-rmf-1.0_to_iso42001-2023-fx", "ng:relatedTo"): 2,
    }


def test_mapping_set_diff() -> None:
    store = _store({"diff-old": "mappings/old", "diff-new": "mappings/new"})
    rows = run(
        store,
        "mapping-set-diff",
        ("change", "subject", "object", "oldConfidence", "newConfidence"),
        old="ngg:mappings/old",
        new="ngg:mappings/new",
    )
    assert rows == [
        ("added", "iso42001:A-6-2-7", "iso27001:4-1", "", "0.6"),
        ("changed", "iso42001:A-10-3", "iso27001:A-5-19", "0.7", "0.75"),
        ("removed", "iso42001:A-10-3", "iso27001:A-5-20", "0.8", ""),
    ]

"""Every shape: a valid fixture with no result and an invalid one with exactly the expected result (both engines).

Fixtures: tests/fixtures/shapes/base.valid.ttl (the valid organisation, conforming to every shape while giving
each one focus nodes) and <Shape>.invalid.ttl (base + one change; expected.json names the focus, severity, path).
They run through the whole pipeline — catalog extract, classification CONSTRUCTs, SHACL — on the real catalogs.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH

from normgraph.iri import org_graph
from normgraph.loading import load_knowledge
from normgraph.store.embedded import EmbeddedStore
from normgraph.validation import ENGINES, load_shapes, validate_org

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
EXPECTED: dict[str, dict[str, str | None]] = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
NGSH = "https://w3id.org/normgraph/shapes#"
TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    st = EmbeddedStore()
    load_knowledge(st)
    return st


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


def _run(store: EmbeddedStore, shapes: Graph, fixture: Path, engine: str):  # type: ignore[no-untyped-def]
    store.load(fixture, "turtle", str(org_graph("fx")))
    return validate_org(store, "fx", TODAY, engine=engine, shapes=shapes)


def _constraint_shapes(shapes: Graph) -> set[str]:
    """Shapes that can report a result (have a severity); container shapes only group sh:property."""
    return {str(s) for s in shapes.subjects(SH.severity, None) if isinstance(s, URIRef)}


def test_every_reporting_shape_has_label_message_source_and_fixtures(shapes: Graph, store: EmbeddedStore) -> None:
    names = _constraint_shapes(shapes)
    assert {n.removeprefix(NGSH) for n in names} == set(EXPECTED), "every shape needs a mutation in make_fixtures.py"
    for n in names:
        s = URIRef(n)
        assert shapes.value(s, RDFS.label), n
        assert shapes.value(s, SH.message), n
        src = shapes.value(s, DCTERMS.source)
        assert src is not None, n
        # dct:source is a real provision of a catalog in the store
        assert store.query(f"ASK {{ <{src}> ?p ?o }}").value, f"{n}: dct:source {src} is not in the catalogs"
        assert (FIXTURES / f"{n.removeprefix(NGSH)}.invalid.ttl").is_file()
    for s in shapes.subjects(RDF.type, SH.NodeShape):
        if isinstance(s, URIRef) and str(s) not in names:
            assert list(shapes.objects(s, SH.property)), f"{s}: a shape without severity must only group property shapes"


@pytest.mark.parametrize("engine", ENGINES)
def test_valid_fixture_has_no_result(store: EmbeddedStore, shapes: Graph, engine: str) -> None:
    res = _run(store, shapes, FIXTURES / "base.valid.ttl", engine)
    assert res.results == []
    assert res.conforms
    # the valid fixture exercises the classification (S1 provider and S3 deployer are high-risk; S3 owes a FRIA)
    hr = {str(s) for s in res.derived.subjects(RDF.type, URIRef("https://w3id.org/normgraph/ont#HighRiskAISystem"))}
    assert hr == {"https://w3id.org/normgraph/id/org/fx/ai-system/S1", "https://w3id.org/normgraph/id/org/fx/ai-system/S3"}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shape", sorted(EXPECTED))
def test_invalid_fixture_reports_exactly_its_shape(store: EmbeddedStore, shapes: Graph, shape: str, engine: str) -> None:
    exp = EXPECTED[shape]
    res = _run(store, shapes, FIXTURES / f"{shape}.invalid.ttl", engine)
    got = [(r.focus, r.shape, r.severity, r.path) for r in res.results]
    assert got == [(exp["focus"], NGSH + shape, exp["severity"], exp["path"])]
    r = res.results[0]
    assert r.message and r.source_provision.startswith("https://w3id.org/normgraph/id/")
    assert r.standard in ("ISO/IEC 27001:2022", "ISO/IEC 42001:2023", "EU AI Act (Regulation (EU) 2024/1689)")
    assert res.conforms == (exp["severity"] != "Violation")


def test_shape_messages_are_plain_words() -> None:
    """Audit-pack findings quote sh:message: no property names, camelCase or datatype CURIEs."""
    import re

    from rdflib.namespace import SH

    from normgraph.validation import load_shapes

    shapes = load_shapes()
    messages = [str(m) for m in shapes.objects(None, SH.message)]
    assert messages
    bad = [m for m in messages if re.search(r"\b(ng|xsd|ngsh):\w|\b[a-z]+[A-Z]\w*", m)]
    assert not bad, bad

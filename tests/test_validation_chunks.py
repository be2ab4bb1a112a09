"""Validation in chunks of focus nodes gives exactly the unchunked results: same rows (focus, label, shape, severity,
message, provision, path, value) in the same order, same conformance, on the example organisations (chunks of a
few hundred triples) and on the synthetic 1× organisation of bench/ (chunks of the default size)."""

from __future__ import annotations

import tempfile
from dataclasses import astuple, replace
from datetime import date
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import SH

from bench.bench_validation import write_org
from normgraph.loading import load_knowledge
from normgraph.orgdata import import_files
from normgraph.store.embedded import EmbeddedStore
from normgraph.validation import ValidationResult, load_shapes, validate_org
from normgraph.validation_chunks import CHUNK_TRIPLES, ChunkingUnsupported, reads

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    st = EmbeddedStore()
    load_knowledge(st, examples=True)
    return st


def _same(whole: ValidationResult, chunked: ValidationResult) -> None:
    assert [astuple(r) for r in chunked.results] == [astuple(r) for r in whole.results]
    assert chunked.conforms == whole.conforms
    assert len(set(chunked.report.objects(None, SH.result))) == len(set(whole.report.objects(None, SH.result)))
    assert set(chunked.report.objects(None, SH.conforms)) == set(whole.report.objects(None, SH.conforms))
    assert set(chunked.derived) == set(whole.derived)


@pytest.mark.parametrize("org", ["hospital", "fintech"])
@pytest.mark.parametrize("size", [200, 1_500])
def test_example_orgs_validate_the_same_in_chunks(store: EmbeddedStore, org: str, size: int) -> None:
    whole = validate_org(store, org, TODAY, engine="turbo", chunk_triples=0)
    chunked = validate_org(store, org, TODAY, engine="turbo", chunk_triples=size, chunk_from=0)
    assert whole.results  # the documented gaps (tests/test_validation.py)
    _same(whole, chunked)


@pytest.mark.slow
@pytest.mark.parametrize("org", ["hospital", "fintech"])
def test_example_orgs_validate_the_same_in_chunks_with_pyshacl(store: EmbeddedStore, org: str) -> None:
    _same(validate_org(store, org, TODAY, chunk_triples=0), validate_org(store, org, TODAY, chunk_triples=500, chunk_from=0))


@pytest.mark.slow
def test_synthetic_organisation_validates_the_same_in_chunks(store: EmbeddedStore) -> None:
    """The 1× organisation (72,911 triples: 5,000 evidence items, 200 risks, 50 AI systems, 515 results) in chunks of
    the default size; results about AI systems, risks, SoA entries, evidence and catalog terms alike."""
    with tempfile.TemporaryDirectory() as tmp:
        triples = import_files(store, write_org(Path(tmp), 1), "synthetic")
    try:
        assert triples > 5 * CHUNK_TRIPLES
        whole = validate_org(store, "synthetic", TODAY, engine="turbo", chunk_triples=0)
        chunked = validate_org(store, "synthetic", TODAY, engine="turbo", chunk_from=0)  # chunks of the default size
        assert len(whole.results) > 500
        _same(whole, chunked)
    finally:
        store.drop("https://w3id.org/normgraph/graph/org/synthetic")


def test_the_shapes_read_only_what_chunks_hold() -> None:
    """Every shape in shapes/ can be chunked: the predicates it follows include its SPARQL's."""
    spec = reads(load_shapes())
    ng = "https://w3id.org/normgraph/ont#"
    assert {ng + "usesModel", ng + "trainedOn", ng + "qualityCheck", ng + "forControl"} <= spec.predicates
    assert ng + "supports" in spec.object_targets


@pytest.mark.parametrize("shape", [
    "ngsh:S a sh:NodeShape ; sh:targetClass ng:Risk ; sh:property [ sh:path [ sh:inversePath ng:affects ] ; sh:minCount 1 ] .",
    "ngsh:S a sh:NodeShape ; sh:targetClass ng:Risk ; sh:closed true .",
    'ngsh:S a sh:NodeShape ; sh:targetClass ng:Risk ; sh:sparql [ sh:select "SELECT $this WHERE { $this ?p ?o }" ] .',
    # a pattern pointing into $this, and one over other subjects: their triples may sit in another chunk
    'ngsh:S a sh:NodeShape ; sh:targetClass ng:Risk ; sh:sparql [ sh:select '
    '"SELECT $this WHERE { ?x <https://w3id.org/normgraph/ont#affects> $this }" ] .',
    'ngsh:S a sh:NodeShape ; sh:targetClass ng:Risk ; sh:sparql [ sh:select "SELECT $this WHERE { $this '
    '<https://w3id.org/normgraph/ont#id> ?id . FILTER EXISTS { ?other <https://w3id.org/normgraph/ont#id> ?id } }" ] .',
    # a negated property set reads every predicate but the one it names
    'ngsh:S a sh:NodeShape ; sh:targetClass ng:Risk ; sh:sparql [ sh:select '
    '"SELECT $this WHERE { $this !<https://w3id.org/normgraph/ont#id> ?v }" ] .',
    'ngsh:S a sh:NodeShape ; sh:targetClass ng:Risk ; sh:sparql [ sh:select '
    '"SELECT $this WHERE { $this <https://w3id.org/normgraph/ont#affects>/!<https://w3id.org/normgraph/ont#id> ?v }" ] .',
])
def test_shapes_a_chunk_cannot_answer_are_validated_whole(shape: str) -> None:
    g = Graph().parse(data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ng: <https://w3id.org/normgraph/ont#> . "
                           "@prefix ngsh: <https://w3id.org/normgraph/shapes#> . " + shape, format="turtle")
    with pytest.raises(ChunkingUnsupported):
        reads(g)


TARGETS_DATA = """@prefix ex: <http://example.org/> .
ex:a a ex:Thing ; ex:link ex:shared .
ex:b a ex:Thing ; ex:link ex:shared .
ex:shared ex:status "bad" .
ex:u ex:owner "x" .
ex:v ex:refersTo ex:w , "literal" .
"""
TARGETS_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ( ex:link ex:status ) ; sh:in ( "good" ) ] .
ex:OwnerShape a sh:NodeShape ; sh:targetSubjectsOf ex:owner ; sh:property [ sh:path ex:owner ; sh:datatype xsd:integer ] .
ex:ObjectShape a sh:NodeShape ; sh:targetObjectsOf ex:refersTo ; sh:nodeKind sh:IRI .
ex:NamedShape a sh:NodeShape ; sh:targetNode ex:missing ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
"""


@pytest.mark.parametrize("engine", ["turbo", "pyshacl"])
def test_every_kind_of_target_is_owned_by_a_chunk(engine: str) -> None:
    """Chunks own the nodes a shape can target, read through the store's indexes: a typed node, an untyped subject of
    a target predicate, an IRI and a literal that are only objects of one, a target node absent from the data; a
    node that is no target (ex:shared) is read by every chunk whose targets reach it. One target a chunk."""
    import pyoxigraph as ox

    from normgraph.validation import parse_report, run_engine, run_in_chunks

    data = ox.Store()
    data.load(TARGETS_DATA.encode(), ox.RdfFormat.TURTLE)
    shapes = Graph().parse(data=TARGETS_SHAPES, format="turtle")
    whole = parse_report(run_engine(data, shapes, engine), data, shapes)
    chunked = parse_report(run_in_chunks(data, shapes, engine, size=1), data, shapes)
    assert {r.focus for r in whole} == {"http://example.org/a", "http://example.org/b", "http://example.org/u",
                                        "literal", "http://example.org/missing"}
    assert [astuple(r) for r in chunked] == [astuple(r) for r in whole]


@pytest.mark.parametrize("engine", ["turbo", "pyshacl"])
def test_a_blank_node_focus_keeps_its_label_in_chunks(engine: str) -> None:
    """A blank-node target (an uploaded item without an IRI) is named in chunked results by the store's own label,
    as validating whole names it: its findings attach to the item it is about, run after run."""
    import pyoxigraph as ox

    from normgraph.validation import parse_report, run_engine, run_in_chunks

    data = ox.Store()
    data.load(b"""@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
_:item a ex:Thing ; rdfs:label "Fire drill log 2026" .
ex:named a ex:Thing ; rdfs:label "Named item" .""", ox.RdfFormat.TURTLE)
    shapes = Graph().parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .""",
                           format="turtle")
    label = next(q.subject.value for q in data.quads_for_pattern(None, None, None) if isinstance(q.subject, ox.BlankNode))
    whole = parse_report(run_engine(data, shapes, engine), data, shapes)
    chunked = parse_report(run_in_chunks(data, shapes, engine, size=1), data, shapes)
    assert label in {r.focus for r in whole}
    # every field but the engine's own message: for a blank node without sh:message it describes the node with the
    # triples the engine holds, and a chunk holds only what the shapes read (our shapes state their messages)
    assert [replace(r, message="") for r in chunked] == [replace(r, message="") for r in whole]

"""Exports: SSSOM TSV read back by sssom-py; JSON-LD expands (pyld) to exactly the graph's triples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic

from normgraph.exports.jsonld import CONTEXT_URL, context, document_loader, to_jsonld
from normgraph.exports.sssom_tsv import to_sssom_tsv
from normgraph.mappings.records import records_from_graph

FIXTURES = Path(__file__).parent / "fixtures"


def _expand_to_graph(doc: dict) -> Graph:  # type: ignore[type-arg]
    from pyld import jsonld

    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": document_loader})
    return Graph().parse(data=nquads, format="nt")  # no @graph name: every quad is a triple


def _assert_same(g: Graph, back: Graph) -> None:
    if not isomorphic(g, back):
        _both, only_g, only_back = graph_diff(g, back)
        raise AssertionError(f"lost: {sorted(only_g)[:5]} gained: {sorted(only_back)[:5]}")


def _graphs(repo_root: Path) -> list[Path]:
    files = [FIXTURES / "crosswalk-mappings.ttl", FIXTURES / "crosswalk-catalog.ttl"]
    files += sorted((repo_root / "data" / "mappings").glob("*.ttl"))[:3]
    files += sorted((repo_root / "data").glob("iso*.ttl"))[:1]
    files += [repo_root / "data" / "derived" / "inferred-mappings.ttl"]
    return [f for f in files if f.exists()]


def test_sssom_round_trip(tmp_path: Path) -> None:
    from sssom.parsers import parse_sssom_table

    g = Graph().parse(FIXTURES / "crosswalk-mappings.ttl")
    # one set per export: take the 42001→27001 fixture set
    from rdflib import URIRef
    from rdflib.namespace import RDF

    from normgraph.iri import NG

    wanted = URIRef("https://w3id.org/normgraph/id/mapping-set/iso42001-2023_to_iso27001-2022-fx")
    one = Graph()
    for s in set(g.subjects(NG.inMappingSet, wanted)) | {wanted}:
        for t in g.triples((s, None, None)):
            one.add(t)
    assert (wanted, RDF.type, NG.MappingSet) in one
    path = tmp_path / "fx.sssom.tsv"
    path.write_text(to_sssom_tsv(one), encoding="utf-8")
    msdf = parse_sssom_table(str(path))
    df = msdf.df
    assert len(df) == 4
    triples = set(zip(df["subject_id"], df["predicate_id"], df["object_id"], strict=True))
    assert ("iso42001:A-10-3", "ng:subsetOf", "iso27001:A-5-20") in triples
    assert ("iso42001:6-1-4", "ng:relatedTo", "sssom:NoTermFound") in triples
    assert sorted(df["confidence"].astype(float)) == [0.6, 0.7, 0.8, 0.9]
    assert msdf.metadata["mapping_set_id"] == str(wanted)


def test_sssom_of_official_set_parses(repo_root: Path, tmp_path: Path) -> None:
    from sssom.parsers import parse_sssom_table

    src = repo_root / "data" / "mappings" / "nist-sp800-171r2_to_nist-sp800-53r5.ttl"
    g = Graph().parse(src)
    path = tmp_path / "x.sssom.tsv"
    path.write_text(to_sssom_tsv(g), encoding="utf-8")
    assert len(parse_sssom_table(str(path)).df) == len(records_from_graph(g)) == 191


def test_context_is_documented_and_stable() -> None:
    ctx = context()
    assert ctx["ng"] == "https://w3id.org/normgraph/ont#"
    assert ctx["mappingSubject"] == {"@id": "ng:mappingSubject", "@type": "@id"}
    assert ctx["confidence"] == {"@id": "ng:confidence", "@type": "xsd:decimal"}


def test_context_offers_every_prefix_as_normgraph_states_it() -> None:
    """The published context is a file; it must not drift from iri.PREFIXES (catalogs: the registry)."""
    from normgraph.iri import PREFIXES

    ctx = context()
    assert {p: ctx.get(p) for p in PREFIXES} == dict(PREFIXES)


def test_jsonld_expands_to_the_graph(repo_root: Path) -> None:
    for path in _graphs(repo_root):
        g = Graph().parse(path)
        doc = to_jsonld(g)
        assert doc["@context"] == CONTEXT_URL
        _assert_same(g, _expand_to_graph(json.loads(json.dumps(doc))))


def test_jsonld_inline_context() -> None:
    g = Graph().parse(FIXTURES / "crosswalk-catalog.ttl")
    _assert_same(g, _expand_to_graph(to_jsonld(g, inline_context=True)))


def test_loader_never_fetches() -> None:
    with pytest.raises(ValueError, match="never fetches"):
        document_loader("https://example.org/other.jsonld")


def test_export_commands(repo_root: Path, tmp_path: Path) -> None:
    from normgraph.cli import main

    runner = CliRunner()
    out = tmp_path / "cmmc.sssom.tsv"
    result = runner.invoke(main, ["export", "sssom", "cmmc-2.0_to_nist-sp800-171r2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().count("\tng:equalTo\t") == 110
    result = runner.invoke(main, ["export", "jsonld", "ngg:mappings/cmmc-2.0_to_nist-sp800-171r2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["@context"] == CONTEXT_URL
    result = runner.invoke(main, ["export", "jsonld", "ngg:no-such-graph"])
    assert result.exit_code == 2
    result = runner.invoke(main, ["export", "sssom", "no-such-set"])
    assert result.exit_code == 2

"""Provenance says who really wrote a source: the AI RMF → ISO/IEC 42001 crosswalk is hosted by NIST's AI
Resource Center but written by Microsoft. The graph keeps author (dct:creator) and host (dct:publisher)
apart, and so does every export that reads it: SSSOM TSV, JSON-LD and the OSCAL mapping collection."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from repo import ROOT

from normgraph.exports.jsonld import to_jsonld
from normgraph.exports.oscal_mapping import mapping_collection_json
from normgraph.exports.sssom_tsv import to_sssom_tsv
from normgraph.loading import load_knowledge
from normgraph.mappings.official import AIRMF_CROSSWALK_ATTRIBUTION, AIRMF_CROSSWALK_AUTHOR, AIRMF_CROSSWALK_HOST
from normgraph.mappings.records import records_from_graph
from normgraph.store import EmbeddedStore

SLUG = "nist-ai-rmf-1.0_to_iso42001-2023"
SET = URIRef(f"https://w3id.org/normgraph/id/mapping-set/{SLUG}")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph().parse(ROOT / "data" / "mappings" / f"{SLUG}.ttl", format="turtle")


def test_author_and_host_are_apart_in_the_graph(graph: Graph) -> None:
    assert AIRMF_CROSSWALK_AUTHOR == "Microsoft"
    assert graph.value(SET, DCTERMS.creator) == Literal("Microsoft")
    assert graph.value(SET, DCTERMS.publisher) == Literal(AIRMF_CROSSWALK_HOST)
    records = records_from_graph(graph)
    assert len(records) == 280 and {r.creator for r in records} == {"Microsoft"}
    assert all("hosted by NIST" in (r.rationale or "") for r in records)


def test_the_description_says_where_the_attribution_comes_from(graph: Graph) -> None:
    """The document names no author; the description says so, and that the host's crosswalk list names the
    provider — in the graph and in the SSSOM export's mapping_set_description, with no outside document cited."""
    descriptions = {str(d) for d in graph.objects(None, DCTERMS.description)}
    assert descriptions and all(AIRMF_CROSSWALK_ATTRIBUTION in d for d in descriptions)
    assert "the document itself names no author" in AIRMF_CROSSWALK_ATTRIBUTION
    assert "names Microsoft as the provider" in AIRMF_CROSSWALK_ATTRIBUTION
    assert "http" not in AIRMF_CROSSWALK_ATTRIBUTION
    header = [line for line in to_sssom_tsv(graph).splitlines() if line.startswith("#mapping_set_description:")]
    assert len(header) == 1 and "the document itself names no author" in header[0]


def test_other_nist_sets_stay_nist_with_no_publisher() -> None:
    g = Graph().parse(ROOT / "data" / "mappings" / "nist-csf-2.0_to_iso27001-2022.ttl", format="turtle")
    node = URIRef("https://w3id.org/normgraph/id/mapping-set/nist-csf-2.0_to_iso27001-2022")
    assert str(g.value(node, DCTERMS.creator)).startswith("National Institute of Standards")
    assert g.value(node, DCTERMS.publisher) is None


def test_sssom_export_names_the_author_and_the_host(graph: Graph) -> None:
    text = to_sssom_tsv(graph)
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert "#creator_label:" in header and '#  - "Microsoft"' in header
    assert any(line.startswith("#mapping_provider: https://airc.nist.gov/") for line in header)
    assert any(line.startswith("#comment:") and "Written by Microsoft" in line and "published by" in line for line in header)
    rows = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    author = rows[0].index("author_label")
    assert {row[author] for row in rows[1:]} == {"Microsoft"}


def test_sssom_export_parses_with_sssom_py(graph: Graph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sssom.parsers import parse_sssom_table

    path = tmp_path / f"{SLUG}.sssom.tsv"
    path.write_text(to_sssom_tsv(graph), encoding="utf-8")
    msdf = parse_sssom_table(path)
    assert msdf.metadata["creator_label"] == ["Microsoft"]
    assert "Written by Microsoft" in msdf.metadata["comment"]
    # sssom-py propagates the set's mapping_provider onto every record
    assert set(msdf.df["mapping_provider"]) == {"https://airc.nist.gov/docs/NIST_AI_RMF_to_ISO_IEC_42001_Crosswalk.pdf"}
    assert set(msdf.df["author_label"]) == {"Microsoft"}


def test_jsonld_keeps_creator_and_publisher(graph: Graph) -> None:
    doc = json.dumps(to_jsonld(graph))
    assert "Microsoft" in doc and AIRMF_CROSSWALK_HOST in doc


def test_oscal_mapping_collection_has_author_and_publisher_roles() -> None:
    store = EmbeddedStore()
    load_knowledge(store, ROOT)
    meta = json.loads(mapping_collection_json(store, SLUG))["mapping-collection"]["metadata"]
    names = {p["uuid"]: p["name"] for p in meta["parties"]}
    roles = {rp["role-id"]: {names[u] for u in rp["party-uuids"]} for rp in meta["responsible-parties"]}
    assert roles["mapping-author"] == {"Microsoft"}
    assert roles["publisher"] == {AIRMF_CROSSWALK_HOST}

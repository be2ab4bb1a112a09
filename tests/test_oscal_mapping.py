"""OSCAL mapping collections (normgraph.exports.oscal_mapping), read back by compliance-trestle offline.

Expected figures come from the Turtle files, counted with SPARQL over rdflib (independently of the
store and of the export's own queries), and from normgraph's OSCAL catalog export for the ids.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rdflib import Graph, URIRef
from repo import ROOT
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.mapping import MappingCollection

from normgraph.cli import Context, main
from normgraph.exports.oscal import NS, catalog_json, oscal_id
from normgraph.exports.oscal_mapping import (
    OSCAL_RELATIONSHIPS,
    RELATIONSHIPS,
    mapping_collection_json,
    mapping_sets,
)
from normgraph.loading import knowledge_files, load_files, load_knowledge
from normgraph.store import EmbeddedStore

NG = "https://w3id.org/normgraph/ont#"
NGID = "https://w3id.org/normgraph/id/"
NGG = "https://w3id.org/normgraph/graph/"
NTF = "https://w3id.org/sssom/NoTermFound"
SETS = sorted(p.name.removesuffix(".ttl") for p in (ROOT / "data" / "mappings").glob("*.ttl"))

RECORDS_SPARQL = """
PREFIX ng: <https://w3id.org/normgraph/ont#>
SELECT ?record ?subject ?predicate ?object ?confidence ?rationale WHERE {
  ?record a ng:MappingRecord ; ng:mappingSubject ?subject ; ng:mappingPredicate ?predicate ;
          ng:mappingObject ?object .
  OPTIONAL { ?record ng:confidence ?confidence }
  OPTIONAL { ?record ng:rationale ?rationale }
}"""
COUNT_SPARQL = """
PREFIX ng: <https://w3id.org/normgraph/ont#>
PREFIX sssom: <https://w3id.org/sssom/>
SELECT (COUNT(DISTINCT ?r) AS ?records) (COUNT(DISTINCT ?none) AS ?noCounterpart) WHERE {
  ?r a ng:MappingRecord .
  OPTIONAL { ?r ng:mappingObject sssom:NoTermFound . BIND(?r AS ?none) }
}"""

#: A set covering all five relations, an inferred record and a "no counterpart" record.
FIXTURE_SLUG = "test-fixture_five-relations"
FIXTURE = f"""
@prefix ng: <{NG}> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix semapv: <https://w3id.org/semapv/vocab/> .
@prefix sssom: <https://w3id.org/sssom/> .
@prefix a42: <{NGID}iso42001-2023/> .
@prefix a27: <{NGID}iso27001-2022/> .
@prefix set: <{NGID}mapping-set/> .
@prefix rec: <{NGID}mapping/{FIXTURE_SLUG}/> .

<{NGG}mappings/{FIXTURE_SLUG}> dct:modified "2026-01-02"^^xsd:date ; owl:versionInfo "fixture-1" .
set:{FIXTURE_SLUG} a ng:MappingSet ; dct:title "Fixture: all five relations"@en ;
    dct:source set:{FIXTURE_SLUG} ; dct:license <https://creativecommons.org/licenses/by/4.0/> ;
    ng:subjectScheme <{NGID}iso42001-2023> ; ng:objectScheme <{NGID}iso27001-2022> .
rec:eq a ng:MappingRecord ; ng:mappingSubject a42:A-2-2 ; ng:mappingPredicate ng:equalTo ; ng:mappingObject a27:A-5-1 ;
    ng:inMappingSet set:{FIXTURE_SLUG} ; ng:justification semapv:ManualMappingCuration ; ng:confidence 0.9 ;
    ng:rationale "R-EQUAL: same in substance."@en ; dct:creator "normgraph maintainers" ; ng:inferred false .
rec:sub a ng:MappingRecord ; ng:mappingSubject a42:A-2-3 ; ng:mappingPredicate ng:subsetOf ; ng:mappingObject a27:A-5-1 ;
    ng:inMappingSet set:{FIXTURE_SLUG} ; ng:justification semapv:MappingChaining ; ng:confidence 0.5400 ;
    ng:rationale "R-SUBSET: chained."@en ; dct:creator "normgraph composition" ; ng:inferred true ;
    ng:chainLength 2 ; prov:wasDerivedFrom rec:eq , rec:sup ; dct:date "2026-01-02"^^xsd:date .
rec:sup a ng:MappingRecord ; ng:mappingSubject a42:A-2-4 ; ng:mappingPredicate ng:supersetOf ; ng:mappingObject a27:A-5-1 ;
    ng:inMappingSet set:{FIXTURE_SLUG} ; ng:justification semapv:ManualMappingCuration ; ng:confidence 0.7 ;
    ng:rationale "R-SUPERSET."@en ; dct:creator "normgraph maintainers" ; ng:inferred false ;
    skos:editorialNote "NOTE-1: a source defect."@en .
rec:int a ng:MappingRecord ; ng:mappingSubject a42:A-3-2 ; ng:mappingPredicate ng:intersectsWith ; ng:mappingObject a27:A-5-2 ;
    ng:inMappingSet set:{FIXTURE_SLUG} ; ng:justification semapv:ManualMappingCuration ; ng:confidence 0.55 ;
    ng:rationale "R-INTERSECTS."@en ; dct:creator "normgraph maintainers" ; ng:inferred false .
rec:rel a ng:MappingRecord ; ng:mappingSubject a42:A-3-3 ; ng:mappingPredicate ng:relatedTo ; ng:mappingObject a27:7-2 ;
    ng:inMappingSet set:{FIXTURE_SLUG} ; ng:justification semapv:ManualMappingCuration ;
    ng:rationale "R-RELATED: no relation stated."@en ; dct:creator "NIST" ; ng:inferred false .
rec:none a ng:MappingRecord ; ng:mappingSubject a42:A-4-6 ; ng:mappingPredicate ng:relatedTo ; ng:mappingObject sssom:NoTermFound ;
    ng:inMappingSet set:{FIXTURE_SLUG} ; ng:justification semapv:ManualMappingCuration ; ng:confidence 0.6 ;
    ng:rationale "R-NONE: nothing in 27001 Annex A."@en ; dct:creator "normgraph maintainers" ; ng:inferred false ;
    dct:source <https://example.org/source-doc> .
"""


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    s = EmbeddedStore()
    load_knowledge(s)
    g = Graph().parse(data=FIXTURE, format="turtle")
    s.load(g.serialize(format="nt").encode(), "ntriples", f"{NGG}mappings/{FIXTURE_SLUG}")
    return s


@pytest.fixture(scope="module")
def exports(store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("oscal-mapping")
    out = {}
    for slug in [*SETS, FIXTURE_SLUG]:
        path = folder / f"{slug}.json"
        path.write_text(mapping_collection_json(store, slug), encoding="utf-8")
        out[slug] = path
    return out


@pytest.fixture(scope="module")
def catalog_ids(store: EmbeddedStore) -> dict[str, dict[str, str]]:
    """Per catalog scheme IRI: id → 'control' / 'statement', as the OSCAL catalog export writes them."""
    out: dict[str, dict[str, str]] = {}

    def walk(node: Any, ids: dict[str, str]) -> None:
        if isinstance(node, dict):
            for control in node.get("controls", []):
                ids[control["id"]] = "control"
            for part in node.get("parts", []):
                if part.get("name") == "item":
                    ids[part["id"]] = "statement"
            for value in node.values():
                walk(value, ids)
        elif isinstance(node, list):
            for value in node:
                walk(value, ids)

    for key in ("iso27001-2022", "iso42001-2023", "gdpr", "eu-ai-act", "eu-ai-act-obligation", "nist-ai-rmf-1.0",
                "nist-csf-2.0", "nist-sp800-171r2", "nist-sp800-53r5", "cmmc-2.0"):
        ids: dict[str, str] = {}
        walk(json.loads(catalog_json(store, key))["catalog"], ids)
        out[NGID + key] = ids
    return out


def _doc(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))["mapping-collection"]


def _maps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for mapping in doc["mappings"] for m in mapping["maps"]]


def _canonical(node: dict[str, Any]) -> str:
    (href,) = [link["href"] for link in node.get("links", []) if link.get("rel") == "canonical"]
    return href


def _props(node: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [p for p in node.get("props", []) if p["name"] == name]


def _no_counterpart(doc: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Record IRI → {prop name → prop} for each no-counterpart prop group."""
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    for mapping in doc["mappings"]:
        for p in mapping.get("props", []):
            groups.setdefault(p["group"], {})[p["name"]] = p
    return {g["record"]["value"]: g for g in groups.values()}


def _turtle(slug: str) -> Graph:
    return Graph().parse(ROOT / "data" / "mappings" / f"{slug}.ttl", format="turtle")


def _fixture_graph() -> Graph:
    return Graph().parse(data=FIXTURE, format="turtle")


def _graph(slug: str) -> Graph:
    return _fixture_graph() if slug == FIXTURE_SLUG else _turtle(slug)


def _records(g: Graph) -> dict[str, dict[str, str | None]]:
    return {str(r["record"]): {k: (None if r[k] is None else str(r[k])) for k in
                               ("subject", "predicate", "object", "confidence", "rationale")}
            for r in g.query(RECORDS_SPARQL)}


# ------------------------------------------------------------------ every set

def test_the_store_holds_exactly_the_sets_on_disk(store: EmbeddedStore) -> None:
    assert sorted(mapping_sets(store)) == sorted([*SETS, FIXTURE_SLUG])
    assert len(SETS) >= 12


@pytest.mark.parametrize("slug", SETS)
def test_every_set_exports_and_reads_back_with_trestle_offline(slug: str, store: EmbeddedStore,
                                                               exports: dict[str, Path], tmp_path: Path,
                                                               no_network: list[object]) -> None:
    """Exported (a second time, byte-identical) and read by trestle's own reader, all without network."""
    again = tmp_path / "again.json"
    again.write_text(mapping_collection_json(store, slug), encoding="utf-8")
    assert again.read_bytes() == exports[slug].read_bytes()
    mc = MappingCollection.oscal_read(again)
    assert mc is not None
    assert str(mc.uuid) == _doc(again)["uuid"]
    assert _doc(again)["metadata"]["oscal-version"] == OSCAL_VERSION
    assert mc.provenance.matching_rationale == "semantic"


@pytest.mark.parametrize("slug", [*SETS, FIXTURE_SLUG])
def test_one_map_per_record_and_no_counterpart_records_apart(slug: str, store: EmbeddedStore,
                                                             exports: dict[str, Path]) -> None:
    """maps = records with an object; no-counterpart prop groups = sssom:NoTermFound records; together
    the SPARQL record count of the set. Each map/group is one record (by its canonical record IRI)."""
    g = _graph(slug)
    (row,) = list(g.query(COUNT_SPARQL))
    records, none = int(row[0]), int(row[1])
    doc = _doc(exports[slug])
    maps = _maps(doc)
    groups = _no_counterpart(doc)
    assert len(maps) == records - none
    assert len(groups) == none
    assert len(maps) + len(groups) == records
    assert mapping_sets(store)[slug]["records"] == records
    expected = _records(g)
    assert {_canonical(m) for m in maps} | set(groups) == set(expected)
    assert {_canonical(m) for m in maps}.isdisjoint(groups)
    assert all(expected[iri]["object"] == NTF for iri in groups)
    uuids = [m["uuid"] for m in maps]
    assert len(uuids) == len(set(uuids))


@pytest.mark.parametrize("slug", [*SETS, FIXTURE_SLUG])
def test_relation_confidence_and_rationale_round_trip(slug: str, exports: dict[str, Path]) -> None:
    expected = _records(_graph(slug))
    doc = _doc(exports[slug])
    for m in _maps(doc):
        rec = expected[_canonical(m)]
        token, ns = RELATIONSHIPS[str(rec["predicate"])]
        assert (m["relationship"], m.get("ns")) == (token, ns)
        if rec["confidence"] is None:
            assert "confidence-score" not in m
        else:
            assert Decimal(str(m["confidence-score"]["percentage"])) == Decimal(rec["confidence"])
        assert m.get("remarks", "").split("\n\nNotes: ")[0] == (rec["rationale"] or "")
        assert [_canonical(s) for s in m["sources"]] == [rec["subject"]]
        assert [_canonical(t) for t in m["targets"]] == [rec["object"]]
    for iri, group in _no_counterpart(doc).items():
        rec = expected[iri]
        assert group["no-counterpart"]["remarks"] == rec["rationale"]
        conf = group.get("confidence")
        assert (None if conf is None else Decimal(conf["value"])) == (
            None if rec["confidence"] is None else Decimal(rec["confidence"]))


@pytest.mark.parametrize("slug", [*SETS, FIXTURE_SLUG])
def test_ids_are_those_of_the_catalog_export(slug: str, exports: dict[str, Path],
                                             catalog_ids: dict[str, dict[str, str]]) -> None:
    """Every source/target id resolves in the OSCAL catalog its resource names, with the right type,
    unless flagged catalog-status=not-exported (ISO clauses 4-10), which then keeps the id rule."""
    doc = _doc(exports[slug])
    for mapping in doc["mappings"]:
        for side, items in (("source-resource", "sources"), ("target-resource", "targets")):
            resource = mapping[side]
            assert resource["type"] == "catalog"
            ids = catalog_ids[resource["href"]]
            for m in mapping["maps"]:
                for item in m[items]:
                    iri = _canonical(item)
                    status = [p["value"] for p in _props(item, "catalog-status")]
                    if status:
                        assert status == ["not-exported"] and item["id-ref"] not in ids
                        assert item["id-ref"] == oscal_id(iri) and item["type"] == "control"
                    else:
                        assert ids.get(item["id-ref"]) == item["type"], (iri, item["id-ref"])
                        if item["type"] == "control":
                            assert item["id-ref"] == oscal_id(iri)
        # the gap summary lists the no-counterpart subjects the source catalog holds, and only those
        source_ids = catalog_ids[mapping["source-resource"]["href"]]
        none = {p["value"] for p in _props(mapping, "no-counterpart")}
        gap = mapping.get("source-gap-summary", {"unmapped-controls": [{"with-ids": []}]})
        assert {i for sel in gap["unmapped-controls"] for i in sel["with-ids"]} == none & set(source_ids)


def test_statement_level_ids_for_eu_paragraphs(exports: dict[str, Path]) -> None:
    maps = _maps(_doc(exports["gdpr_to_iso27001-2022"]))
    by_iri = {_canonical(s): s for m in maps for s in m["sources"]}
    item = by_iri[NGID + "gdpr/art-5-1-f"]
    assert (item["type"], item["id-ref"]) == ("statement", "art-5_smt.1.f")


def test_output_is_deterministic_across_load_orders(exports: dict[str, Path]) -> None:
    other = EmbeddedStore()
    load_files(other, list(reversed(knowledge_files(ROOT))), ROOT)
    for slug in ("nist-sp800-53r5_to_iso27001-2022", "eu-ai-act-obligations_to_iso42001-2023", "gdpr_to_iso42001-2023"):
        assert mapping_collection_json(other, slug) == exports[slug].read_text(encoding="utf-8")


# ------------------------------------------------------------------ the five relations (fixture)

def test_relation_tokens_are_one_to_one_with_our_predicates(exports: dict[str, Path]) -> None:
    doc = _doc(exports[FIXTURE_SLUG])
    maps = _maps(doc)
    predicates = {str(p) for p in _fixture_graph().objects(None, URIRef(NG + "mappingPredicate"))}
    assert predicates == set(RELATIONSHIPS) and len(RELATIONSHIPS) == 5
    got = {}
    for m in maps:
        rec = _records(_fixture_graph())[_canonical(m)]
        got.setdefault(str(rec["predicate"]), set()).add((m["relationship"], m.get("ns")))
    assert got == {
        NG + "equalTo": {("equal-to", None)},
        NG + "subsetOf": {("subset-of", None)},
        NG + "supersetOf": {("superset-of", None)},
        NG + "intersectsWith": {("intersects-with", None)},
        NG + "relatedTo": {("related-to", NS)},
    }
    # OSCAL-namespace tokens are values OSCAL allows; ng:relatedTo is namespaced, not passed off as one
    assert all(token in OSCAL_RELATIONSHIPS for token, ns in RELATIONSHIPS.values() if ns is None)
    assert "related-to" not in OSCAL_RELATIONSHIPS


def test_no_counterpart_record_in_the_gap_summary_and_props(exports: dict[str, Path]) -> None:
    doc = _doc(exports[FIXTURE_SLUG])
    (mapping,) = doc["mappings"]
    assert mapping["source-gap-summary"]["unmapped-controls"] == [{"with-ids": ["a-4-6"]}]
    group = _no_counterpart(doc)[f"{NGID}mapping/{FIXTURE_SLUG}/none"]
    assert group["no-counterpart"]["value"] == "a-4-6"
    assert group["no-counterpart"]["remarks"] == "R-NONE: nothing in 27001 Annex A."
    assert group["confidence"]["value"] == "0.6"
    assert group["source"]["value"] == "https://example.org/source-doc"
    assert group["justification"]["value"] == "https://w3id.org/semapv/vocab/ManualMappingCuration"
    assert all(p["ns"] == NS for p in group.values())
    assert not any(_canonical(t) == NTF for m in mapping["maps"] for t in m["targets"])


def test_provenance_of_an_inferred_record(exports: dict[str, Path]) -> None:
    doc = _doc(exports[FIXTURE_SLUG])
    rec = f"{NGID}mapping/{FIXTURE_SLUG}/"
    sub = next(m for m in _maps(doc) if _canonical(m) == rec + "sub")
    values = {p["name"]: p["value"] for p in sub["props"]}
    assert values["inferred"] == "true" and values["chain-length"] == "2"
    assert values["justification"] == "https://w3id.org/semapv/vocab/MappingChaining"
    assert values["creator"] == "normgraph composition" and values["mapping-date"] == "2026-01-02"
    assert sorted(link["href"] for link in sub["links"] if link["rel"] == "derived-from") == [rec + "eq", rec + "sup"]
    assert sub["confidence-score"] == {"percentage": 0.54}
    sup = next(m for m in _maps(doc) if _canonical(m) == rec + "sup")
    assert sup["remarks"] == "R-SUPERSET.\n\nNotes: NOTE-1: a source defect."
    rel = next(m for m in _maps(doc) if _canonical(m) == rec + "rel")
    assert "confidence-score" not in rel
    assert _props(rel["targets"][0], "catalog-status")[0]["value"] == "not-exported"
    assert doc["provenance"]["method"] == "automation"  # one record is chained, not manually curated
    assert doc["metadata"]["last-modified"].startswith("2026-01-02")
    assert doc["metadata"]["version"] == "fixture-1"
    names = {p["name"] for p in doc["metadata"]["parties"]}
    assert names == {"normgraph maintainers", "normgraph composition", "NIST"}


def test_resources_are_the_catalogs_scheme_iris(exports: dict[str, Path]) -> None:
    (mapping,) = _doc(exports["nist-sp800-171r2_to_iso27001-2022"])["mappings"]
    assert mapping["source-resource"]["href"] == NGID + "nist-sp800-171r2"
    assert mapping["target-resource"]["href"] == NGID + "iso27001-2022"
    first = mapping["maps"][0]["sources"][0]
    assert first["id-ref"].startswith("req-3-")  # the catalog export's rule for a leading digit


# ------------------------------------------------------------------ CLI

def _invoke(store: EmbeddedStore, *args: str) -> Result:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Context, "store", lambda self, **_kw: store)
        return CliRunner().invoke(main, list(args))


def test_cli(store: EmbeddedStore, exports: dict[str, Path], tmp_path: Path) -> None:
    r = _invoke(store, "export", "oscal", "mapping", "iso9001_to_iso27001-2022")
    assert r.exit_code == 2 and "unknown mapping set 'iso9001_to_iso27001-2022'" in r.output
    assert "gdpr_to_iso42001-2023" in r.output  # the known sets are listed
    r = _invoke(store, "export", "oscal", "mapping", "not a slug")
    assert r.exit_code == 2 and "not a mapping set slug" in r.output
    out = tmp_path / "m.json"
    r = _invoke(store, "export", "oscal", "mapping", "ngg:mappings/gdpr_to_iso42001-2023", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8") == exports["gdpr_to_iso42001-2023"].read_text(encoding="utf-8")
    r = _invoke(store, "export", "oscal", "mapping", "cmmc-2.0_to_nist-sp800-171r2")
    assert r.exit_code == 0 and r.output == exports["cmmc-2.0_to_nist-sp800-171r2"].read_text(encoding="utf-8")

"""Inferred mapping records follow the records they were composed from: a store recomposes
ngg:derived/inferred-mappings (and the plain mapping triples) when a public mapping set is written
(normgraph/mappings/inferred_keeper.py), so an inferred record never outlives a record of its chain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from normgraph.knowledge import ROOT
from normgraph.loading import load_knowledge
from normgraph.mappings import inferred_keeper
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore

TOKEN = "update-token"
ID = "https://w3id.org/normgraph/id/"
SET = "https://w3id.org/normgraph/graph/mappings/cmmc-2.0_to_nist-sp800-171r2"
#: composed from a CMMC → 800-171 record and an 800-171 → 27001 record (data/derived/inferred-mappings.ttl)
INFERRED = f"{ID}mapping/inferred/cmmc-AC-L1-3-1-1-subsetOf-iso27001-A-5-15"
LINK = f"{ID}mapping/cmmc-2.0_to_nist-sp800-171r2/AC-L1-3-1-1-to-3-1-1"


@pytest.fixture()
def client() -> Iterator[FlaskClient]:
    store = EmbeddedStore()
    load_knowledge(store)
    app = create_app(store, config={"update_token": TOKEN, "workers": 1, "examples": False})  # guarded, cached
    try:
        yield app.test_client()
    finally:
        close_app(app)


def records(client: FlaskClient) -> dict[str, dict[str, str]]:
    """The explorer's mapping records by IRI, as its named query gives them."""
    r = client.get("/api/queries/explorer-records", headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.data
    return {row["record"]["value"]: {k: v["value"] for k, v in row.items()} for row in r.get_json()["results"]["bindings"]}


def coverage(client: FlaskClient) -> set[tuple[str, str]]:
    """(CMMC item, 27001 item) pairs of the coverage matrix, read from the readings."""
    r = client.get("/api/queries/coverage-matrix", query_string={"catalogA": "ngid:cmmc-2.0", "catalogB": "ngid:iso27001-2022"},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.data
    return {(row["a"]["value"], row["b"]["value"]) for row in r.get_json()["results"]["bindings"]}


def write(client: FlaskClient, method: str, body: bytes | str = b"", content_type: str = "text/turtle") -> None:
    r = client.open("/store", method=method, query_string={"graph": SET}, data=body,
                    headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type})
    assert r.status_code in (200, 201, 204), r.data


def test_composing_the_loaded_records_again_gives_the_build_exactly() -> None:
    """The keeper composes as `normgraph build` does: on the knowledge as committed it changes nothing (and so the
    committed data/derived graphs are the composition of the committed mapping sets)."""
    store = EmbeddedStore()
    load_knowledge(store)
    before = store.export("nquads")
    assert inferred_keeper.recompose(store) is False
    assert store.export("nquads") == before


def test_an_inferred_record_goes_with_a_set_it_was_composed_from_and_comes_back_with_it(client: FlaskClient) -> None:
    shown = records(client)
    assert shown[INFERRED]["inferred"] == "true" and LINK in shown[INFERRED]["derivedFrom"].split()
    assert (f"{ID}cmmc-2.0/AC-L1-3-1-1", f"{ID}iso27001-2022/A-5-15") in coverage(client)

    write(client, "DELETE")  # the global admin drops the CMMC → 800-171 set
    shown = records(client)
    assert LINK not in shown and INFERRED not in shown
    assert not [r for r in shown.values() if r["inferred"] == "true" and r["subject"].startswith(f"{ID}cmmc-2.0/")]
    assert not {pair for pair in coverage(client) if pair[0].startswith(f"{ID}cmmc-2.0/")}

    write(client, "PUT", (ROOT / "data/mappings/cmmc-2.0_to_nist-sp800-171r2.ttl").read_bytes())  # and puts it back
    shown = records(client)
    assert shown[INFERRED]["inferred"] == "true" and LINK in shown[INFERRED]["derivedFrom"].split()
    assert shown[INFERRED]["confidence"] == "0.54"
    assert (f"{ID}cmmc-2.0/AC-L1-3-1-1", f"{ID}iso27001-2022/A-5-15") in coverage(client)


def test_a_record_changed_by_sparql_update_recomposes_its_chains(client: FlaskClient) -> None:
    """Lowering a link's confidence lowers the inferred record's (the product of its links × 0.9)."""
    change = f"""PREFIX ng: <https://w3id.org/normgraph/ont#>
DELETE {{ GRAPH <{SET}> {{ <{LINK}> ng:confidence ?c }} }}
INSERT {{ GRAPH <{SET}> {{ <{LINK}> ng:confidence 0.5 }} }}
WHERE {{ GRAPH <{SET}> {{ <{LINK}> ng:confidence ?c }} }}"""
    assert records(client)[INFERRED]["confidence"] == "0.54"
    r = client.post("/sparql", data=change, content_type="application/sparql-update",
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code in (200, 204), r.data
    assert records(client)[INFERRED]["confidence"] == "0.27"  # 0.5 × 0.6 (the 800-171 → 27001 link) × 0.9


def test_an_organisations_own_records_are_not_composed_into_the_public_crosswalk() -> None:
    """An organisation's record is its data (DESIGN.md §10): a chain through it is not inferred publicly."""
    store = EmbeddedStore()
    load_knowledge(store)
    inferred = store.export("ntriples", inferred_keeper.INFERRED)
    own = f"""PREFIX ng: <https://w3id.org/normgraph/ont#>
INSERT DATA {{ GRAPH <https://w3id.org/normgraph/graph/org/acme> {{
  <urn:acme:record> a ng:MappingRecord ; ng:mappingSubject <{ID}iso27001-2022/A-5-15> ;
    ng:mappingPredicate ng:equalTo ; ng:mappingObject <{ID}nist-ai-rmf-1.0/GOVERN-1-1> ; ng:confidence 1.0 .
}} }}"""
    store.update(own)
    assert store.export("ntriples", inferred_keeper.INFERRED) == inferred


def test_a_set_with_an_unreadable_record_is_written_and_composes_nothing(client: FlaskClient) -> None:
    """A record the build could not read (a date "yesterday") never makes the write look refused: the set is stored
    and served, and no inferred record rests on it until it is fixed."""
    bad = (ROOT / "data/mappings/cmmc-2.0_to_nist-sp800-171r2.ttl").read_text() + """
<urn:x:record> a <https://w3id.org/normgraph/ont#MappingRecord> ;
    <http://purl.org/dc/terms/date> "yesterday" ."""
    write(client, "PUT", bad)
    shown = records(client)
    assert LINK in shown and INFERRED not in shown  # the set is served; what was composed through it is gone
    write(client, "PUT", (ROOT / "data/mappings/cmmc-2.0_to_nist-sp800-171r2.ttl").read_bytes())  # fixed
    assert INFERRED in records(client)

"""Mapping records written after the build reach the readings-based named queries by themselves: the store
re-derives ngg:derived/mapping-readings when a write changes the records (normgraph/mappings/readings.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from normgraph.loading import load_knowledge
from normgraph.mappings import readings
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore

TOKEN = "update-token"
RECORD = "https://w3id.org/normgraph/id/mapping/late-set/1"
#: a record of an AI RMF subcategory to a 42001 control that no committed set relates this way
UPDATE = f"""PREFIX ng: <https://w3id.org/normgraph/ont#>
INSERT DATA {{ GRAPH <https://w3id.org/normgraph/graph/mappings/late-set> {{
  <{RECORD}> a ng:MappingRecord ;
    ng:mappingSubject <https://w3id.org/normgraph/id/nist-ai-rmf-1.0/MAP-5-2> ;
    ng:mappingPredicate ng:subsetOf ;
    ng:mappingObject <https://w3id.org/normgraph/id/iso42001-2023/A-10-3> ;
    ng:confidence 0.7 .
}} }}"""


@pytest.fixture(scope="module")
def client() -> Iterator[FlaskClient]:
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    app = create_app(store, config={"update_token": TOKEN, "workers": 1})  # served: guarded, cached
    try:
        yield app.test_client()
    finally:
        close_app(app)


def matrix(client: FlaskClient, a: str = "nist-ai-rmf-1.0", b: str = "iso42001-2023") -> list[tuple[str, ...]]:
    """(a, relation, b, coverage) of the coverage matrix rows of RECORD, by local names."""
    r = client.get("/api/queries/coverage-matrix", query_string={"catalogA": f"ngid:{a}", "catalogB": f"ngid:{b}"},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.data
    return [tuple(row[k]["value"].rsplit("/", 1)[-1].rsplit("#", 1)[-1] for k in ("a", "relation", "b", "coverage"))
            for row in r.get_json()["results"]["bindings"] if row["record"]["value"] == RECORD]


def update(client: FlaskClient, text: str) -> None:
    r = client.post("/sparql", data=text, content_type="application/sparql-update",
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code in (200, 204), r.data


def test_a_record_added_by_sparql_update_is_read_by_the_coverage_matrix(client: FlaskClient) -> None:
    assert matrix(client) == []  # asked once before the write: cached for this generation
    update(client, UPDATE)
    assert matrix(client) == [("MAP-5-2", "subsetOf", "A-10-3", "partial")]
    # read from the other end too (the inverse relation), and gone once the record is deleted
    assert matrix(client, "iso42001-2023", "nist-ai-rmf-1.0") == [("A-10-3", "supersetOf", "MAP-5-2", "full")]
    update(client, UPDATE.replace("INSERT DATA", "DELETE DATA"))
    assert matrix(client) == []


def test_writes_that_leave_the_records_alone_do_not_rederive() -> None:
    store = EmbeddedStore()
    load_knowledge(store)
    kept = readings.KEEPER.derived_from.get(store)
    assert kept == readings.fingerprint(store)  # the loaded readings are the reading of the loaded records
    size = store.graph_size(str(readings.GRAPH))
    store.update('INSERT DATA { GRAPH <https://w3id.org/normgraph/graph/org/acme> { <urn:a> <urn:b> "c" } }')
    store.load('<urn:a> <urn:b> "d" .', "ntriples", "https://w3id.org/normgraph/graph/notes")
    assert readings.KEEPER.derived_from.get(store) == kept and store.graph_size(str(readings.GRAPH)) == size
    # a private graph's records are not read into the public readings graph
    store.update(UPDATE.replace("graph/mappings/late-set", "graph/org/acme"))
    assert store.graph_size(str(readings.GRAPH)) == size
    # dropping a mapping set re-derives the readings without its records
    store.drop("https://w3id.org/normgraph/graph/mappings/cmmc-2.0_to_nist-sp800-171r2")
    assert store.graph_size(str(readings.GRAPH)) < size

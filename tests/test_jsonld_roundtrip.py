"""normgraph reads its own JSON-LD exports back: our context URL is inlined locally, never fetched,
while any other remote context is still refused."""

import json
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from normgraph.exports.jsonld import CONTEXT_URL, dumps, inline_own_context
from normgraph.orgdata import OrgDataError
from normgraph.orgdata.rdfimport import parse_jsonld
from normgraph.server import create_app
from normgraph.store import EmbeddedStore

TTL = """@prefix ng: <https://w3id.org/normgraph/ont#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/normgraph/id/org/acme/evidence/E-1> a ng:Evidence ;
    skos:prefLabel "Access review 2026"@en ;
    ng:supports <https://w3id.org/normgraph/id/iso27001-2022/A-5-18> .
"""


@pytest.fixture
def graph() -> Graph:
    return Graph().parse(data=TTL, format="turtle")


def test_an_export_refers_to_our_context_url_and_the_importer_reads_it_back(graph: Graph, tmp_path: Path) -> None:
    text = dumps(graph)
    assert json.loads(text)["@context"] == CONTEXT_URL
    path = tmp_path / "export.jsonld"
    path.write_text(text, encoding="utf-8")
    assert isomorphic(parse_jsonld(path), graph)


def test_other_remote_contexts_are_still_refused(tmp_path: Path) -> None:
    doc, remote = inline_own_context({"@context": [CONTEXT_URL, "http://127.0.0.1:9/ctx.jsonld"], "@id": "urn:x"})
    assert remote == ["/@context/1 = 'http://127.0.0.1:9/ctx.jsonld'"]
    assert isinstance(doc["@context"][0], dict)
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps({"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "urn:x"}), encoding="utf-8")
    with pytest.raises(OrgDataError, match="remote JSON-LD context refused"):
        parse_jsonld(path)


def test_the_graph_store_accepts_our_export_and_refuses_a_foreign_context(graph: Graph) -> None:
    client = create_app(EmbeddedStore(), config={"examples": False, "update_token": "t0ken"}).test_client()
    auth = {"Authorization": "Bearer t0ken", "Content-Type": "application/ld+json"}
    put = client.put("/store?graph=https://w3id.org/normgraph/graph/org/acme", data=dumps(graph), headers=auth)
    assert put.status_code in (201, 204), put.get_data(as_text=True)
    back = client.get("/store?graph=https://w3id.org/normgraph/graph/org/acme",  # private: read with the token
                      headers={"Accept": "text/turtle", "Authorization": "Bearer t0ken"})
    assert isomorphic(Graph().parse(data=back.get_data(as_text=True), format="turtle"), graph)
    foreign = client.put("/store?graph=https://w3id.org/normgraph/graph/org/acme", headers=auth,
                         data=json.dumps({"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "urn:x"}))
    assert foreign.status_code == 400 and "not fetched" in foreign.get_data(as_text=True)

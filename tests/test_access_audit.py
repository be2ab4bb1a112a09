"""The audit trail says what a request read: a graph asked for by name (GRAPH <g>, FROM, /store?graph=, an
organisation's export) is a "read"; a query over the union default graph or GRAPH ?g is a "read-scope" of
every organisation graph it could reach, not a read of each (docs/security.md, "Audit trail")."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask import Flask

from normgraph.access import Registry
from normgraph.access.audit import named_in, query_access, records
from normgraph.loading import load_knowledge
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore
from tests.server_helpers import audit_records

FINTECH = "https://w3id.org/normgraph/graph/org/fintech"
HOSPITAL = "https://w3id.org/normgraph/graph/org/hospital"


@pytest.fixture(scope="module")
def app() -> Iterator[tuple[Flask, str]]:
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    registry = Registry()
    registry.add("auditor")
    registry.grant("auditor", "fintech", "viewer")
    registry.grant("auditor", "hospital", "viewer")
    token = registry.new_token("auditor")
    a = create_app(store, config={"workers": 1}, registry=registry)
    yield a, token
    close_app(a)


def _trail(app: tuple[Flask, str], path: str) -> list[tuple[str, list[str]]]:
    flask_app, token = app
    with audit_records() as lines:
        r = flask_app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.data[:200]
    assert all(line["principal"] == "auditor" and line["path"] == path.split("?")[0] for line in lines)
    return [(str(line["access"]), list(line["graphs"])) for line in lines]


def test_a_query_naming_one_organisation_is_a_read_of_that_one_only(app: tuple[Flask, str]) -> None:
    q = f"SELECT ?s WHERE {{ GRAPH <{FINTECH}> {{ ?s a ?t }} }} LIMIT 1"
    trail = _trail(app, "/sparql?query=" + quote(q))
    assert ("read", [FINTECH]) in trail
    assert not any(HOSPITAL in graphs and mode == "read" for mode, graphs in trail)


def test_a_union_query_is_a_read_of_the_scope_not_of_each_graph(app: tuple[Flask, str]) -> None:
    trail = _trail(app, "/sparql?query=" + quote("ASK { ?s ?p ?o }"))
    assert trail == [("read-scope", [FINTECH, HOSPITAL])]


def test_from_and_graph_store_reads_name_their_graph(app: tuple[Flask, str]) -> None:
    q = f"SELECT (COUNT(*) AS ?n) FROM <{HOSPITAL}> WHERE {{ ?s ?p ?o }}"
    assert _trail(app, "/sparql?query=" + quote(q)) == [("read", [HOSPITAL])]
    assert _trail(app, "/store?graph=" + quote(FINTECH)) == [("read", [FINTECH])]


def test_an_export_is_a_read_of_its_organisation(app: tuple[Flask, str]) -> None:
    trail = _trail(app, "/org/fintech/export/risks.csv")
    assert [mode for mode, graphs in trail if HOSPITAL in graphs] in ([], ["read-scope"])
    assert ("read", [FINTECH]) in trail


def test_an_organisations_pages_are_reads_of_that_organisation_only(app: tuple[Flask, str]) -> None:
    for path in ("/org/fintech", "/org/fintech/soa", "/api/orgs/fintech/applicability"):
        assert _trail(app, path) == [("read", [FINTECH])], path


def test_a_page_answered_from_the_cache_is_still_a_read(app: tuple[Flask, str]) -> None:
    """Every reader of an organisation shares one cache of its pages: the second reader's view costs no
    query, and must still be in the trail."""
    for _ in range(2):
        assert _trail(app, "/org/fintech/risks") == [("read", [FINTECH])]


def test_the_records_of_one_request() -> None:
    visible = (FINTECH, HOSPITAL)
    prefixed = "PREFIX o: <https://w3id.org/normgraph/graph/org/> SELECT * { GRAPH o:hospital { ?s ?p ?o } }"
    assert named_in(prefixed, visible) == (HOSPITAL,)
    assert named_in(f'SELECT * {{ ?s ?p "{FINTECH}" }} # <{HOSPITAL}>', visible) == ()  # literals and comments name nothing
    assert query_access("ASK {}", visible, None) == [("read", ()), ("read-scope", visible)]
    assert query_access("ASK {}", visible, [HOSPITAL, "urn:x"]) == [("read", (HOSPITAL,))]
    assert records({"read": {FINTECH}, "read-scope": {FINTECH, HOSPITAL}}) == [("read", [FINTECH]),
                                                                               ("read-scope", [HOSPITAL])]


@pytest.mark.parametrize("path", ["/explore/resource?iri=" + quote("https://w3id.org/normgraph/id/org/hospital/evidence/OPS-BK-2025"),
                                  "/org/", "/explore/"])
def test_an_explorer_or_index_page_from_the_cache_is_still_a_read(app: tuple[Flask, str], path: str) -> None:
    """The explorer's read models and the organisations' index are cached per scope: the reader whose
    view comes from the cache read the organisations' data as much as the one who filled it."""
    first = _trail(app, path)
    assert first and all(mode == "read-scope" for mode, _ in first), first
    assert _trail(app, path) == first

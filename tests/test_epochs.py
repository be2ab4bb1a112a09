"""Data epochs (normgraph/store/epochs.py): a write to one organisation's graph leaves every cached answer that
cannot read that graph — the anonymous readers', other organisations' — and its own readers see it at once.

An editor writing to its organisation's graph once a second used to keep every cache of everyone cold (one
data generation for the whole store): the public home page went from 0.00 s to 2.9 s, search to 6.6 s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from normgraph.access import Registry
from normgraph.explorer import search
from normgraph.iri import NGG
from normgraph.loading import load_knowledge
from normgraph.server import create_app
from normgraph.server.kernel import close_app, state
from normgraph.server.reports import report_cache
from normgraph.store import EmbeddedStore
from normgraph.store.guarded import GuardedStore
from normgraph.store.scoped import PUBLIC, Scope, ScopedStore

HOSPITAL = f"{NGG}org/hospital"
ID = "https://w3id.org/normgraph/id/org/hospital/"
DAY = dt.date(2026, 12, 1)


def triple(n: int) -> str:
    return f'<{ID}evidence/EPOCH-{n}> <http://www.w3.org/2000/01/rdf-schema#label> "Epoch test {n}" .'


def labelled(n: int) -> str:
    return f'ASK {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> "Epoch test {n}" }}'


def boom() -> Any:
    raise AssertionError("computed again: the cached answer was dropped")


# -- the store ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["embedded", "guarded"])
def test_an_organisation_write_moves_only_its_own_epoch(kind: str) -> None:
    inner = EmbeddedStore()
    inner.load(triple(0).replace(f"{ID}evidence/EPOCH-0", "urn:x"), "ntriples", f"{NGG}iso27001-2022")
    store: Any = GuardedStore(inner, workers=1) if kind == "guarded" else inner
    try:
        public, hospital, fintech, both = (store.epoch(frozenset()), store.epoch(frozenset({"hospital"})),
                                           store.epoch(frozenset({"fintech"})), store.epoch(None))
        assert both == store.generation
        store.load(triple(1), "ntriples", HOSPITAL, replace=False)
        assert store.epoch(frozenset()) == public and store.epoch(frozenset({"fintech"})) == fintech
        assert store.epoch(frozenset({"hospital"})) != hospital and store.epoch(None) != both
        hospital = store.epoch(frozenset({"hospital"}))
        store.load(triple(2), "ntriples", f"{NGG}mappings/test")  # a public graph: every epoch moves
        assert store.epoch(frozenset()) != public and store.epoch(frozenset({"fintech"})) != fintech
        assert store.epoch(frozenset({"hospital"})) != hospital
        public, fintech = store.epoch(frozenset()), store.epoch(frozenset({"fintech"}))
        # an update's graphs are not known up front: it moves every epoch (conservative)
        store.update(f"INSERT DATA {{ GRAPH <{HOSPITAL}> {{ {triple(3)} }} }}")
        assert store.epoch(frozenset()) != public and store.epoch(frozenset({"fintech"})) != fintech
    finally:
        store.close()


def test_guarded_result_cache_keeps_what_an_organisation_write_cannot_change() -> None:
    inner = EmbeddedStore()
    load_knowledge(inner, examples=True)
    guarded = GuardedStore(inner, workers=1)
    try:
        anonymous, hospital, fintech = (ScopedStore(guarded, PUBLIC), ScopedStore(guarded, Scope(read=frozenset({"hospital"}))),
                                        ScopedStore(guarded, Scope(read=frozenset({"fintech"}))))
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        answers = {s: s.query_serialized(count, "json") for s in (anonymous, hospital, fintech)}
        assert all(s.query_serialized(count, "json")[0] is answers[s][0] for s in answers)  # cached: the same bytes
        assert hospital.query_serialized(labelled(1), "json")[0].count(b"false") == 1
        guarded.load(triple(1), "ntriples", HOSPITAL, replace=False)
        # the anonymous readers' and fintech's answers stay cached (the very same objects) ...
        assert anonymous.query_serialized(count, "json")[0] is answers[anonymous][0]
        assert fintech.query_serialized(count, "json")[0] is answers[fintech][0]
        # ... and hospital's readers see the write at once
        assert hospital.query_serialized(labelled(1), "json")[0].count(b"true") == 1
        assert hospital.query_serialized(count, "json")[0] != answers[hospital][0]
        assert anonymous.query_serialized(labelled(1), "json")[0].count(b"false") == 1  # still private
        # a public write (and an update) makes everyone's answers new
        guarded.load(triple(2).replace(ID, "urn:x/"), "ntriples", f"{NGG}mappings/test")
        assert anonymous.query_serialized(count, "json")[0] != answers[anonymous][0]
        assert fintech.query_serialized(count, "json")[0] != answers[fintech][0]
    finally:
        guarded.close()


def test_the_scoped_store_generation_is_its_scopes_epoch() -> None:
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    anonymous, hospital = ScopedStore(store, PUBLIC), ScopedStore(store, Scope(read=frozenset({"hospital"})))
    admin = ScopedStore(store, Scope(read=None))
    before = anonymous.generation, hospital.generation, admin.generation
    visible = hospital.graphs()
    store.load(triple(1), "ntriples", f"{HOSPITAL}/extra")  # a new graph of hospital: its readers list it at once
    assert anonymous.generation == before[0]
    assert hospital.generation != before[1] and admin.generation != before[2]
    assert hospital.graphs() == sorted([*visible, f"{HOSPITAL}/extra"]) and f"{HOSPITAL}/extra" not in anonymous.graphs()


# -- the server -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app() -> Iterator[tuple[Flask, dict[str, str]]]:
    registry = Registry()
    tokens = {}
    for name, org, role in (("hosp-editor", "hospital", "editor"), ("fin-viewer", "fintech", "viewer")):
        registry.add(name)
        registry.grant(name, org, role)
        tokens[name] = registry.new_token(name)
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    application = create_app(store, config={"workers": 2, "query_timeout": 60}, registry=registry)
    application.testing = True
    yield application, tokens
    close_app(application)


def client(app: tuple[Flask, dict[str, str]], who: str | None = None) -> FlaskClient:
    c = app[0].test_client()
    if who:
        c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {app[1][who]}"
    return c


def test_a_hospital_write_keeps_the_public_site_and_fintechs_reports_cached(app: tuple[Flask, dict[str, str]]) -> None:
    flask_app, _tokens = app
    anonymous, fin, editor = client(app), client(app, "fin-viewer"), client(app, "hosp-editor")
    assert anonymous.get("/explore/search", query_string={"q": "supplier"}).status_code == 200
    assert fin.get("/org/fintech/soa", query_string={"today": str(DAY)}).status_code == 200
    with flask_app.app_context():  # (requests go outside it: a shared app context would share `g`, the principal)
        public = state().scoped_store(PUBLIC)
        fintech = state().scoped_store(Scope(read=frozenset({"fintech"})))
    index = search.index(public)
    found = search._ANSWERS.get(public, ("search", "supplier", None, 200), boom)
    reports = report_cache(fintech)
    kept = {k: reports.entries.get(k) for k in reports.entries}
    assert any(k[1] == "report" and k[3] == "soa" for k in kept)
    query = {"query": labelled(7)}
    accept = {"Accept": "application/sparql-results+json"}
    seen = editor.get("/sparql", query_string=query, headers=accept)
    assert seen.json is not None and seen.json["boolean"] is False

    r = editor.post("/store", query_string={"graph": HOSPITAL}, data=triple(7).encode(), content_type="application/n-triples")
    assert r.status_code in (200, 201, 204), r.data

    # the public search index, the anonymous search answer and fintech's report are the very same objects
    assert search.index(public) is index
    assert search._ANSWERS.get(public, ("search", "supplier", None, 200), boom) is found
    assert all(reports.entries.get(k) is v for k, v in kept.items())
    assert fin.get("/org/fintech/soa", query_string={"today": str(DAY)}).status_code == 200
    assert {k: reports.entries.get(k) for k in kept} == kept
    # hospital's readers see the new triple at once, and nobody else does
    seen = editor.get("/sparql", query_string=query, headers=accept)
    assert seen.json is not None and seen.json["boolean"] is True
    resource = {"iri": f"{ID}evidence/EPOCH-7"}
    assert "Epoch test 7" in editor.get("/explore/resource", query_string=resource).get_data(as_text=True)
    assert b"Epoch test 7" not in anonymous.get("/explore/resource", query_string=resource).data
    assert b"Epoch test 7" not in fin.get("/explore/resource", query_string=resource).data

"""The second attack review's findings on sessions, sign-in and queries, each closed and kept closed:
F1 sign-in failures bounded in bytes, F2 graph-set copies only for whole scopes, F3 sign-out ends the
session for good, F4 no login CSRF through the one-time link, F5 a query that kills its worker is a 400."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from normgraph.access import Registry
from normgraph.server import create_app
from normgraph.server.auth import _Failures
from normgraph.server.kernel import close_app
from normgraph.store import Dataset, EmbeddedStore
from normgraph.store.guarded import GuardedStore
from normgraph.store.scoped import Scope, ScopedStore
from tests.server_helpers import fixture_store
from tests.test_access_holes import ORG, signin_form

PASSWORD = "a long enough password"


@pytest.fixture
def app() -> Iterator[Flask]:
    registry = Registry()
    registry.add("editor")
    registry.grant("editor", ORG, "editor")
    registry.set_password("editor", PASSWORD)
    registry.add("root", admin=True)
    a = create_app(fixture_store(), config={"workers": 1}, registry=registry)
    yield a
    close_app(a)


def _registry(app: Flask) -> Registry:
    registry: Registry = app.extensions["normgraph"].registry
    return registry


# -- F1 ------------------------------------------------------------------------------------------------
def test_refused_sign_ins_store_nothing_and_names_cost_a_fixed_size(app: Flask) -> None:
    client = app.test_client()
    form = signin_form(client, password="wrong")
    for i in range(5):
        assert client.post("/access/signin", data={**form, "name": f"{i:04d}" + "A" * 2**16}).status_code == 403
    failures: _Failures = app.extensions["normgraph_signin_failures"]
    remembered = len(failures)
    assert remembered == 6  # five names and the one address
    for i in range(5, 40):  # the address is blocked now: asking stores nothing
        assert client.post("/access/signin", data={**form, "name": f"{i:04d}" + "A" * 2**16}).status_code == 429
    assert len(failures) == remembered
    assert all(len(k) == 16 and len(v) <= _Failures.LIMIT for k, v in failures._seen.items())


def test_failures_are_capped_in_entries_and_still_count() -> None:
    failures = _Failures(max_keys=100)
    for i in range(1000):
        failures.failed(f"name{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(failures) <= 100
    for _ in range(_Failures.LIMIT):
        failures.failed("ann", "10.9.9.9")
    # the address is blocked, not the name (attack review 4, A6: anyone could lock a name out)
    assert not failures.blocked("ann", "elsewhere") and failures.blocked("someone", "10.9.9.9")
    assert not failures.blocked("bob", "10.8.8.8")


# -- F4 ------------------------------------------------------------------------------------------------
def test_a_one_time_link_needs_the_pages_csrf_field(app: Flask) -> None:
    link = _registry(app).signin_link("editor")
    victim = app.test_client()
    assert victim.post("/access/signin", data={"token": link}).status_code == 400  # a hostile page's form
    assert victim.get("/access/me").get_json()["principal"] is None
    page = victim.get("/access/signin", query_string={"token": link}).get_data(as_text=True)
    assert 'name="csrf_token"' in page and f'value="{link}"' in page
    # the refused post did not use the link up
    assert victim.post("/access/signin", data=signin_form(victim, token=link)).status_code == 303
    assert victim.get("/access/me").get_json()["principal"] == "editor"


# -- F3 ------------------------------------------------------------------------------------------------
def _signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert client.post("/access/signin", data=signin_form(client, name="editor", password=PASSWORD)).status_code == 303
    return client


def _replay(app: Flask, cookie: str) -> str | None:
    """Who a saved session cookie (the cookie's value) says one is."""
    client = app.test_client()
    client.set_cookie("normgraph_session", cookie)
    principal: str | None = client.get("/access/me").get_json()["principal"]
    return principal


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("normgraph_session")
    assert cookie is not None
    return str(cookie.value)


def test_a_saved_cookie_stops_working_after_sign_out(app: Flask) -> None:
    client = _signed_in(app)
    saved = _cookie(client)
    assert _replay(app, saved) == "editor"
    csrf = client.get("/access/me").get_json()["csrf_token"]
    assert client.post("/access/signout", data={"csrf_token": csrf}).status_code == 303
    assert _replay(app, saved) is None


def test_a_new_password_or_removal_ends_sessions_and_a_readded_name_does_not_revive_them(app: Flask) -> None:
    registry = _registry(app)
    client = _signed_in(app)
    saved = _cookie(client)
    registry.set_password("editor", PASSWORD + "!")
    assert _replay(app, saved) is None
    registry.set_password("editor", PASSWORD)
    client = _signed_in(app)
    saved = _cookie(client)
    registry.remove("editor")
    registry.add("editor")
    assert _replay(app, saved) is None


def test_an_access_database_from_before_session_epochs_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE principals (name TEXT PRIMARY KEY, admin INTEGER NOT NULL DEFAULT 0, "
                    "kind TEXT NOT NULL DEFAULT 'person', created TEXT NOT NULL)")
        con.execute("INSERT INTO principals VALUES ('ann', 0, 'person', '2026-01-01')")
    registry = Registry(db)
    epoch = registry.session_epoch("ann")
    assert epoch and registry.session_principal("ann", epoch) is not None
    assert registry.session_principal("ann", "") is None


# -- F5 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["SELECT * WHERE " + "{" * 50_000,
                                   "SELECT * WHERE { " + "OPTIONAL { " * 50_000,
                                   "SELECT * WHERE { BIND(" + "(" * 50_000 + "1" + ")" * 50_000 + " AS ?x) }"],
                         ids=["braces", "optional", "parentheses"])
def test_deeply_nested_queries_are_a_400(app: Flask, query: str) -> None:
    client = app.test_client()
    for r in (client.post("/sparql", data=query, content_type="application/sparql-query"),
              client.post("/sparql", data={"query": query})):
        assert r.status_code == 400 and b"nested too deeply" in r.data
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


def test_brackets_in_literals_and_comments_do_not_count(app: Flask) -> None:
    query = 'SELECT ?x WHERE { BIND("' + "(" * 1000 + '" AS ?x) } # ' + "{" * 1000
    assert app.test_client().post("/sparql", data={"query": query}).status_code == 200


def test_a_worker_dying_on_a_query_is_a_400(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind the nesting check: whatever else kills a worker on a query is the query's fault, not a 500."""
    from normgraph.store import QuerySyntaxError, guarded

    monkeypatch.setattr(guarded, "refuse_deep", lambda sparql: None)
    store = GuardedStore(EmbeddedStore(), workers=1)
    try:
        with pytest.raises(QuerySyntaxError, match="nested too deeply"):
            store.query_serialized("SELECT * WHERE " + "{" * 50_000, "json")
        assert store.query_serialized("ASK {}", "json")[0]
    finally:
        store.close()


# -- F2 ------------------------------------------------------------------------------------------------
def test_copies_are_made_for_whole_scopes_only() -> None:
    inner = EmbeddedStore()
    org = "https://w3id.org/normgraph/graph/org/hospital"
    for g in ["http://x/public", org, *(f"{org}/x{i}" for i in range(6))]:
        inner.load(b"<http://x/a> <http://x/b> <http://x/c> .", "turtle", g)
    guarded = GuardedStore(inner, workers=1)
    try:
        editor = ScopedStore(guarded, Scope(frozenset({"hospital"}), frozenset({"hospital"})))
        visible = editor.graphs()
        for i in range(6):  # chosen subsets of the visible graphs: answered from the explicit dataset
            subset = tuple(g for g in visible if not g.endswith(f"x{i}"))
            body, _media, _form = editor.query_serialized(f"SELECT (COUNT(*) AS ?n{i}) WHERE {{ ?s ?p ?o }}", "json",
                                                          dataset=Dataset(subset, subset))
            assert b'"7"' in body, body  # the chosen graphs only, each read once
        assert len(guarded._views) == 1  # only the public graphs' copy
        body, _media, _form = editor.query_serialized("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "json")
        assert b'"8"' in body or b">8<" in body
        assert len(guarded._views) == 2  # the scope's whole set
    finally:
        guarded.close()


def test_a_busy_scope_copy_is_not_evicted_by_a_new_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    from normgraph.store import guarded as guarded_module

    inner = EmbeddedStore()
    orgs = [f"o{i}" for i in range(5)]
    inner.load(b"<http://x/a> <http://x/b> <http://x/c> .", "turtle", "http://x/public")
    for o in orgs:
        inner.load(b"<http://x/a> <http://x/b> <http://x/d> .", "turtle", f"https://w3id.org/normgraph/graph/org/{o}")
    store = GuardedStore(inner, workers=1)
    try:
        scopes = [ScopedStore(store, Scope(frozenset({o}))) for o in orgs]
        for i, scoped in enumerate(scopes[:3]):
            scoped.query_serialized(f"ASK {{ ?s ?p ?o{i} }}", "json")
        assert len(store._views) == guarded_module.MAX_VIEWS
        before = dict(store._views)
        body, _m, _f = scopes[3].query_serialized("ASK { <http://x/a> <http://x/b> <http://x/d> }", "json")
        assert b"true" in body  # answered from the explicit dataset ...
        assert store._views == before  # ... while the busy copies stay
        monkeypatch.setattr(guarded_module, "VIEW_IDLE", 0.0)
        scopes[4].query_serialized("ASK { ?s ?p ?o4 }", "json")
        assert len(store._views) == guarded_module.MAX_VIEWS and store._views != before  # an idle one made way
    finally:
        store.close()

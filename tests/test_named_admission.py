"""A named query with parameters of the client's choosing is the client's own query (attack A4): uncached, it runs
under that client's share of the query workers — a fast 503 with Retry-After when the share is taken — while a
cached answer, another client's query and the application's own pages are not held back. Dates are bounded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from normgraph.access import Registry
from normgraph.loading import load_knowledge
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore
from normgraph.store.admission import heavy
from normgraph.store.guarded import GuardedStore
from tests.server_helpers import fixture_store

QUERY = "/api/queries/applicability-conditions"
#: the test client's address, hence the anonymous client's key for fairness (normgraph.server.kernel.client_key)
ME = "addr:127.0.0.1"


@pytest.fixture
def app() -> Iterator[Flask]:
    a = create_app(fixture_store(), config={"workers": 2})
    yield a
    close_app(a)


def guarded(app: Flask) -> GuardedStore:
    store = app.extensions["normgraph"].store
    assert isinstance(store, GuardedStore)
    return store


def test_a_client_over_its_share_gets_a_fast_503_for_new_parameters_only(app: Flask) -> None:
    client = app.test_client()
    assert client.get(QUERY, query_string={"on": "2026-01-01"}).status_code == 200  # now cached
    admission = guarded(app).admission
    with heavy(ME):
        held = [admission.admit() for _ in range(admission.share)]  # the client's share, taken (as by slow queries)
    try:
        busy = client.get(QUERY, query_string={"on": "2026-01-02"})  # a date not asked for before: a new query
        assert busy.status_code == 503 and busy.headers["Retry-After"]
        assert client.get(QUERY, query_string={"on": "2026-01-01"}).status_code == 200  # cached: never waits
        assert client.get(QUERY).status_code == 200  # no parameters of the client's: the application's own query
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # another client has its own share
        assert other.get(QUERY, query_string={"on": "2026-01-02"}).status_code == 200
    finally:
        for client_key in held:
            admission.done(client_key)
    assert client.get(QUERY, query_string={"on": "2026-01-03"}).status_code == 200  # its share free again


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-13-45", "2026-02-30"])
def test_date_parameters_are_bounded(app: Flask, day: str) -> None:
    r = app.test_client().get(QUERY, query_string={"on": day})
    assert r.status_code == 400 and r.json is not None and r.json["param"] == "on"


def test_the_applicability_api_on_a_date_of_the_clients_is_its_own_work() -> None:
    registry = Registry()
    registry.add("viewer")
    registry.grant("viewer", "hospital", "viewer")
    token = registry.new_token("viewer")
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    app = create_app(store, config={"workers": 2, "query_timeout": 60}, registry=registry)
    try:
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        url = "/api/orgs/hospital/applicability"
        assert client.get(url, query_string={"on": "2026-06-01"}).status_code == 200  # now cached
        admission = guarded(app).admission
        with heavy("org:hospital"):
            held = [admission.admit() for _ in range(admission.share)]
        try:
            busy = client.get(url, query_string={"on": "2026-06-02"})
            assert busy.status_code == 503 and busy.headers["Retry-After"]
            assert client.get(url, query_string={"on": "2026-06-01"}).status_code == 200  # cached: never waits
        finally:
            for client_key in held:
                admission.done(client_key)
        assert client.get(url, query_string={"on": "2026-06-02"}).status_code == 200
    finally:
        close_app(app)

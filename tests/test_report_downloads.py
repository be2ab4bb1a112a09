"""Downloads of a large organisation's reports are prepared in the background (normgraph/server/report_downloads.py):
the request answers 202 with Retry-After until the file is ready, then the file — the complete report, validation
included, byte for byte what a build in the request gives. Hospital is made "large" by lowering the audit pack's one
rule for it (SYNC_EVIDENCE, as test_report_background does); the data and the application are real."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from normgraph.access import Registry
from normgraph.iri import NGG
from normgraph.loading import load_knowledge
from normgraph.reports import audit_pack
from normgraph.server import create_app, report_downloads
from normgraph.server.kernel import close_app, state
from normgraph.store import EmbeddedStore

DAY = "2026-12-01"
URL = "/org/hospital/audit-pack"
#: a bound on a hung preparation, not a timing assertion
PATIENCE = 600
ID = "https://w3id.org/normgraph/id/org/hospital/"
NG = "https://w3id.org/normgraph/ont#"


def _app() -> tuple[Flask, dict[str, str], EmbeddedStore]:
    registry = Registry()
    tokens = {}
    for name, org in (("hosp-viewer", "hospital"), ("hosp-reader", "hospital"), ("fin-viewer", "fintech")):
        registry.add(name)
        registry.grant(name, org, "viewer")
        tokens[name] = registry.new_token(name)
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    application = create_app(store, config={"workers": 2, "query_timeout": 60}, registry=registry)
    application.testing = True
    return application, tokens, store


@pytest.fixture(scope="module")
def app() -> Iterator[tuple[Flask, dict[str, str], EmbeddedStore]]:
    made = _app()
    yield made
    close_app(made[0])


def client(app: tuple[Flask, dict[str, str], EmbeddedStore], who: str | None = None) -> FlaskClient:
    c = app[0].test_client()
    if who:
        c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {app[1][who]}"
    return c


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_pack, "SYNC_EVIDENCE", 0)  # hospital's few dozen evidence items count as many


def download(c: FlaskClient, fmt: str, url: str = URL, **headers: str) -> TestResponse:
    return c.get(url, query_string={"format": fmt, "today": DAY}, headers=headers)


def ready(c: FlaskClient, fmt: str, url: str = URL) -> TestResponse:
    """Ask until the file comes (each answer before it a 202 with Retry-After)."""
    deadline = time.monotonic() + PATIENCE
    while True:
        r = download(c, fmt, url)
        if r.status_code != 202:
            return r
        assert r.headers["Retry-After"].isdigit()
        assert time.monotonic() < deadline, "the download was never prepared"
        time.sleep(0.05)


def files(application: Flask) -> list[Path]:
    return sorted(report_downloads.downloads(application).folder.iterdir())


def test_a_small_organisations_download_is_answered_at_once(app: tuple[Flask, dict[str, str], EmbeddedStore]) -> None:
    r = download(client(app, "hosp-viewer"), "jsonld")
    assert r.status_code == 200
    assert r.headers["Content-Disposition"] == 'attachment; filename="hospital-audit-pack.jsonld"'


def test_a_large_organisations_download_is_prepared_then_served_complete(
        app: tuple[Flask, dict[str, str], EmbeddedStore], monkeypatch: pytest.MonkeyPatch) -> None:
    viewer = client(app, "hosp-viewer")
    synchronous = download(viewer, "jsonld")  # hospital small: built in the request, validation included
    assert synchronous.status_code == 200 and b'"Violation"' in synchronous.data
    monkeypatch.setattr(audit_pack, "SYNC_EVIDENCE", 0)
    first = download(viewer, "jsonld", Accept="text/html")
    assert first.status_code == 202, first.data
    assert first.headers["Retry-After"].isdigit()
    page = first.get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in page and "being prepared" in page and 'role="status"' in page
    second = download(client(app, "hosp-reader"), "jsonld")  # another reader of hospital joins the same preparation
    assert second.status_code in (200, 202)
    if second.status_code == 202:
        assert second.mimetype == "text/plain" and "being prepared" in second.get_data(as_text=True)
    r = ready(viewer, "jsonld")
    assert r.status_code == 200, r.data
    assert r.headers["Content-Disposition"] == 'attachment; filename="hospital-audit-pack.jsonld"'
    assert r.data == synchronous.data  # the whole pack with its validation findings: never "pending"
    assert len(files(app[0])) == 1
    again = download(client(app, "hosp-reader"), "jsonld")
    assert again.status_code == 200 and again.data == synchronous.data


def test_a_reader_without_access_never_gets_the_prepared_file(
        app: tuple[Flask, dict[str, str], EmbeddedStore], large: None) -> None:
    assert ready(client(app, "hosp-viewer"), "csv").status_code == 200
    for who in ("fin-viewer", None):
        r = download(client(app, who), "csv")
        assert r.status_code == 404 and b"evidence_iri" not in r.data
    registry = app[0].extensions["normgraph"].registry
    reader = client(app, "hosp-reader")
    assert download(reader, "csv").status_code == 200
    registry.revoke("hosp-reader", "hospital")
    r = download(reader, "csv")
    assert r.status_code == 404 and b"evidence_iri" not in r.data


def test_the_files_of_older_data_go_when_the_data_changes(
        app: tuple[Flask, dict[str, str], EmbeddedStore], large: None) -> None:
    viewer = client(app, "hosp-viewer")
    with app[0].app_context():
        store = state().store  # the application's store, as it serves it
    before = ready(viewer, "csv")
    assert before.status_code == 200
    held = files(app[0])
    assert held
    item = f"<{ID}evidence/DL-1>"
    store.load((f"{item} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{NG}Evidence> .\n"
                f'{item} <http://www.w3.org/2000/01/rdf-schema#label> "Download test evidence" .\n'
                f"{item} <{NG}supports> <https://w3id.org/normgraph/id/iso27001-2022/A-5-1> .\n").encode(),
               "ntriples", f"{NGG}org/hospital", replace=False)
    assert download(viewer, "csv").status_code == 202  # new data: prepared again
    assert not any(p.exists() for p in held)  # the older data's files are gone
    after = ready(viewer, "csv")
    assert after.status_code == 200 and b"Download test evidence" in after.data
    assert b"Download test evidence" not in before.data


def test_the_budget_is_kept_and_a_file_over_it_is_refused(
        app: tuple[Flask, dict[str, str], EmbeddedStore], large: None, monkeypatch: pytest.MonkeyPatch) -> None:
    viewer = client(app, "hosp-viewer")
    csv = ready(viewer, "csv")
    assert csv.status_code == 200
    jsonld_size = len(ready(viewer, "jsonld").data)
    monkeypatch.setattr(report_downloads, "BUDGET", jsonld_size + len(csv.data) // 2)  # not all three
    xlsx = ready(viewer, "xlsx")
    assert xlsx.status_code == 200 and len(xlsx.data) < jsonld_size
    kept = report_downloads.downloads(app[0]).files()
    assert sum(p.size for p in kept) <= report_downloads.BUDGET
    assert sum(p.stat().st_size for p in files(app[0])) <= report_downloads.BUDGET
    monkeypatch.setattr(report_downloads, "BUDGET", 1000)  # less than any pack
    r = ready(viewer, "zip")
    assert r.status_code == 507 and b"more than the 1000 bytes" in r.data
    assert download(viewer, "zip").status_code == 202  # the failure is told once; the next request tries again


def test_the_prepared_files_go_with_the_application(large: None) -> None:
    application, _tokens, _store = made = _app()
    folder = report_downloads.downloads(application).folder
    assert folder.stat().st_mode & 0o777 == 0o700
    assert ready(client(made, "hosp-viewer"), "zip").status_code == 200
    assert list(folder.iterdir())
    close_app(application)
    assert not folder.exists()



def test_past_the_waiting_room_a_download_is_answered_503(large: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_downloads, "MAX_WAITING", 0)  # no preparation may wait: every request is past the room
    application, _tokens, _store = made = _app()
    try:
        r = download(client(made, "hosp-viewer"), "csv")
        assert r.status_code == 503 and r.headers["Retry-After"].isdigit()
        assert not list(report_downloads.downloads(application).folder.iterdir())
    finally:
        close_app(application)

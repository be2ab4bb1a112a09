"""The third attack review (today's organisation workspace, spreadsheet round trip and explorer search),
each finding kept as a test: a viewer could make the dashboard answer 500 with a far ?today=, an anonymous
search repeating one word held a server thread (and the search index's lock) for minutes; and what held:
uploads, confirmations and restores need an editor of that organisation and the session's CSRF field, and a
preview is its uploader's alone."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from normgraph.access import Registry
from normgraph.explorer.search import index, search
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def app(store: EmbeddedStore) -> Iterator[tuple[Flask, dict[str, str]]]:
    registry = Registry()
    tokens = {}
    for name, org, role in (("fin-viewer", "fintech", "viewer"), ("fin-editor", "fintech", "editor"),
                            ("fin-editor2", "fintech", "editor"), ("hosp-editor", "hospital", "editor")):
        registry.add(name)
        registry.grant(name, org, role)
        tokens[name] = registry.new_token(name)
    registry.set_password("fin-editor", PASSWORD)
    a = create_app(store, config={"workers": 1}, registry=registry)
    yield a, tokens
    close_app(a)


def _as(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


# -- found ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("day", ["9999-12-31", "9999-11-01"])
def test_a_far_date_on_the_dashboard_is_a_client_error_not_a_crash(app: tuple[Flask, dict[str, str]], day: str) -> None:
    """?today= within 90 days of the last representable date overflowed the expiry window (500)."""
    flask_app, tokens = app
    r = flask_app.test_client().get(f"/org/fintech?today={day}", headers=_as(tokens, "fin-viewer"))
    assert r.status_code in (200, 400), r.status_code
    assert flask_app.test_client().get("/org/fintech", headers=_as(tokens, "fin-viewer")).status_code == 200


def test_a_search_asks_the_index_for_each_word_once(store: EmbeddedStore) -> None:
    """'the the the …' (24 times, a 96-byte URL) cost the index quadratic work: 400 repeats of a common word
    took 80 s of one thread, holding the index's lock, for an anonymous GET. Each word is asked for once, and
    a query of hundreds of words asks for a bounded number of them."""
    ix = index(store)
    statements: list[str] = []
    ix._db.set_trace_callback(statements.append)
    try:
        hostile = " ".join(["the"] * 24 + [f"w{i}" for i in range(200)])
        assert search(store, hostile).total == 0
        assert search(store, "the " * 24).total == search(store, "the").total
    finally:
        ix._db.set_trace_callback(None)
    matches = [s.split("MATCH ", 1)[1] for s in statements if "MATCH " in s]
    assert matches
    for m in matches:
        terms = [t for t in m.split('"')[1::2] if t]
        assert len(terms) == len(set(terms)), f"a word asked for twice: {m[:120]}"
        assert len(terms) <= 64, f"{len(terms)} terms in one MATCH"


# -- held -------------------------------------------------------------------------------------------------
def _csv(client: FlaskClient, headers: dict[str, str]) -> bytes:
    r = client.get("/org/fintech/export/risks.csv", headers=headers)
    assert r.status_code == 200
    return r.data


def test_cookie_uploads_and_restores_need_the_csrf_field(app: tuple[Flask, dict[str, str]]) -> None:
    flask_app, _tokens = app
    client = flask_app.test_client()
    client.get("/access/signin")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    assert client.post("/access/signin", data={"name": "fin-editor", "password": PASSWORD, "csrf_token": csrf}).status_code == 303
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    data = _csv(client, {})
    for fields in ({}, {"csrf_token": "forged"}):  # another site's form: no field, or a wrong one
        up = client.post("/org/fintech/upload", data={"file": (io.BytesIO(data), "risks.csv"), **fields},
                         content_type="multipart/form-data")
        assert up.status_code == 401
        assert client.post("/org/fintech/restore", data=fields).status_code == 401
    up = client.post("/org/fintech/upload", data={"file": (io.BytesIO(data), "risks.csv"), "csrf_token": csrf},
                     content_type="multipart/form-data")
    assert up.status_code == 303
    preview = up.headers["Location"]
    assert client.post(preview + "/confirm", data={}).status_code == 401
    assert client.post(preview + "/discard", data={"csrf_token": csrf}).status_code == 303


def test_a_preview_is_its_uploaders_and_writes_are_editors(app: tuple[Flask, dict[str, str]]) -> None:
    flask_app, tokens = app
    client = flask_app.test_client()
    data = _csv(client, _as(tokens, "fin-viewer"))
    up = client.post("/org/fintech/upload?format=json", headers=_as(tokens, "fin-editor"),
                     data={"file": (io.BytesIO(data), "risks.csv")}, content_type="multipart/form-data")
    assert up.status_code == 200
    preview = up.get_json()["preview"]
    assert client.get(preview, headers=_as(tokens, "fin-editor2")).status_code == 404  # another editor
    assert client.post(preview + "/confirm", headers=_as(tokens, "fin-editor2")).status_code == 404
    assert client.post(preview + "/confirm", headers=_as(tokens, "fin-viewer")).status_code == 403
    assert client.post(preview + "/confirm", headers=_as(tokens, "hosp-editor")).status_code == 404  # as if absent
    assert client.post(preview + "/confirm").status_code == 401
    assert client.post(preview.replace("fintech", "hospital") + "/confirm", headers=_as(tokens, "hosp-editor")).status_code == 404
    again = client.post("/org/fintech/upload?format=json", headers=_as(tokens, "hosp-editor"),
                        data={"file": (io.BytesIO(data), "risks.csv")}, content_type="multipart/form-data")
    assert again.status_code == 404
    assert client.post(preview + "/discard?format=json", headers=_as(tokens, "fin-editor")).status_code == 200


def _with_entity_bomb(xlsx: bytes) -> bytes:
    """The workbook with its first sheet replaced by a 'billion laughs' entity bomb."""
    import zipfile

    lol = ['<!ENTITY lol "lollollollollollollollollollol">'] + [
        f'<!ENTITY lol{i + 1} "{(f"&lol{i};" if i else "&lol;") * 10}">' for i in range(9)]
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [' + "".join(lol) + ']><worksheet xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
            '</sheetData></worksheet>')
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item, bomb if item.filename == "xl/worksheets/sheet1.xml" else src.read(item.filename))
    return out.getvalue()


def test_a_hostile_workbook_is_refused_without_naming_server_paths(app: tuple[Flask, dict[str, str]]) -> None:
    """An entity bomb in a sheet is refused (400, memory untouched) — but the message named the upload's
    temporary folder on the server ('could not read worksheets from /tmp/ng-upload-…/x.xlsx')."""
    flask_app, tokens = app
    client = flask_app.test_client()
    xlsx = client.get("/org/fintech/export/risks.xlsx", headers=_as(tokens, "fin-viewer")).data
    r = client.post("/org/fintech/upload?format=json", headers=_as(tokens, "fin-editor"),
                    data={"file": (io.BytesIO(_with_entity_bomb(xlsx)), "x.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert "/tmp" not in body and "ng-upload" not in body, body
    page = client.post("/org/fintech/upload", headers=_as(tokens, "fin-editor"),
                       data={"file": (io.BytesIO(_with_entity_bomb(xlsx)), "x.xlsx")}, content_type="multipart/form-data")
    assert page.status_code == 400 and "ng-upload" not in page.get_data(as_text=True)


def test_organisation_data_is_never_kept_by_a_shared_or_browser_cache(app: tuple[Flask, dict[str, str]]) -> None:
    """The organisation pages say `Cache-Control: private, no-store` (not for the next person at that browser,
    nor for a proxy's cache), but the same organisation's data through the applicability API, /store and
    /sparql carried no Cache-Control at all. Every answer to a signed-in request must not be stored."""
    from urllib.parse import quote

    flask_app, tokens = app
    graph = "https://w3id.org/normgraph/graph/org/fintech"
    client = flask_app.test_client()
    for path in ("/org/fintech", "/api/orgs/fintech/applicability", f"/store?graph={quote(graph)}",
                 "/sparql?query=" + quote(f"SELECT * WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} LIMIT 3")):
        r = client.get(path, headers=_as(tokens, "fin-viewer"))
        assert r.status_code == 200, path
        assert "no-store" in (r.headers.get("Cache-Control") or ""), (path, r.headers.get("Cache-Control"))


@pytest.mark.parametrize("slug", ["..", "-", "%00", "%C3%A9"])
def test_a_slug_that_is_no_identifier_is_absent_not_a_crash(app: tuple[Flask, dict[str, str]], slug: str) -> None:
    """kernel.org_store() made the organisation's graph IRI before asking whether the reader may read it, and
    org_graph() refuses such slugs with ValueError: anonymous requests got a 500 on every organisation route."""
    flask_app, tokens = app
    client = flask_app.test_client()
    for headers in ({}, _as(tokens, "fin-viewer")):
        for path in (f"/org/{slug}", f"/org/{slug}/soa", f"/api/orgs/{slug}/applicability",
                     f"/org/{slug}/audit-pack?format=zip"):
            assert client.get(path, headers=headers).status_code == 404, (path, headers)

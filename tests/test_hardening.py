"""The fourth attack review's findings, each closed and kept closed (issue 11): CSV exports that a carriage
return or a `;` turned back into live formulas, bearer-token guessing without throttling and a global-admin
update token of any length, an audit trail written elsewhere than configured, a sign-in lock-out anyone could
cause, a multipart import that the CSRF check emptied, and the Host header reflected in redirects.

The browser half (query results left in localStorage after sign-out) is tests/test_hardening_browser.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

from normgraph.access import Registry, audit
from normgraph.applicability import assess
from normgraph.applicability.render import as_csv
from normgraph.cli import main
from normgraph.exports.csvsafe import csv_text, neutralise, restore
from normgraph.iri import PREFIXES
from normgraph.loading import load_knowledge
from normgraph.orgdata.diff import plan
from normgraph.orgdata.export import export_rows, write_export
from normgraph.server import create_app
from normgraph.server.auth import _Failures
from normgraph.server.config import MIN_UPDATE_TOKEN, ServerConfig
from normgraph.server.kernel import close_app
from normgraph.server.principal import BEARER_LIMIT
from normgraph.server.throttle import client_address
from normgraph.store import EmbeddedStore
from tests.server_helpers import fixture_store
from tests.test_access_holes import signin_form

ROOT = Path(__file__).resolve().parents[1]
HOSPITAL = "https://w3id.org/normgraph/graph/org/hospital"
#: a spreadsheet runs a cell that starts with one of these (a leading tab or CR are OWASP's too)
LIVE = ("=", "+", "-", "@")
#: what an editor (or a supplier's spreadsheet imported by one) plants in a risk title
PAYLOADS = {"R-909": "Backup\r=1+1", "R-910": "Supplier outage;=1+1", "R-911": "Minor issue\r=cmd|' /C calc'!A0",
            "R-912": 'x;"=HYPERLINK(""http://evil.example/"",""open"")"', "R-913": "\n=1+1"}


def live_cells(text: str) -> list[str]:
    """The cells a spreadsheet would run, read as a comma-separated file and as one in a locale whose list
    separator is `;` (Excel in de, fr, it, es, nl …), where a reader splits at every `;` and line break
    outside a field that starts with a quote."""
    found = []
    for delimiter in (",", ";"):
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            found += [c for c in row if c.lstrip('"').startswith(LIVE)]
    return found


@pytest.fixture(scope="module")
def knowledge_app() -> Iterator[Flask]:
    """The public knowledge and the example organisations; hosped edits hospital (a bearer token)."""
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    registry = Registry()
    registry.add("hosped")
    registry.grant("hosped", "hospital", "editor")
    app = create_app(store, config={"guard": False}, registry=registry)
    app.extensions["test_tokens"] = {"hosped": registry.new_token("hosped")}
    yield app
    close_app(app)


def bearer(app: Flask, who: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {app.extensions['test_tokens'][who]}"
    return client


# -- A2: CSV formula neutralisation bypassed by a carriage return and by `;` -----------------------------
def test_csv_exports_keep_a_cr_or_semicolon_payload_inside_its_cell(knowledge_app: Flask) -> None:
    editor = bearer(knowledge_app, "hosped")
    ttl = "\n".join(
        f"<https://w3id.org/normgraph/id/org/hospital/risk/{rid}> a ng:Risk, ng:SecurityRisk ; "
        f"rdfs:label {json.dumps(title)}@en ; skos:notation \"{rid}\" ; ng:likelihood 2 ; ng:impact 2 ; "
        f"ng:inherentScore 4 ." for rid, title in PAYLOADS.items())
    prefixes = "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in ("ng", "rdfs", "skos"))
    r = editor.post(f"/store?graph={HOSPITAL}", data=prefixes + ttl, content_type="text/turtle")
    assert r.status_code == 204, r.data
    for url in ("/org/hospital/export/risks.csv", "/org/hospital/risks?format=csv"):
        text = editor.get(url).get_data(as_text=True)
        assert "R-909" in text and "R-913" in text
        assert live_cells(text) == [], url
        cells = {restore(c) for row in csv.reader(io.StringIO(text, newline="")) for c in row}
        assert set(PAYLOADS.values()) <= cells, url  # each title whole, in one cell


def test_the_round_trip_export_reads_back_exactly(tmp_path: Path) -> None:
    g = Graph().parse(ROOT / "data" / "examples" / "hospital.ttl")
    risk = URIRef(PREFIXES["ngorg"] + "hospital/risk/R-001")
    for title in [t for t in PAYLOADS.values() if t == t.strip()]:  # the importer trims a cell's ends, by design
        g.set((risk, RDFS.label, Literal(title, lang="en")))
        text = write_export(export_rows(g, "hospital", "risks"), "risks", "csv")
        assert live_cells(text.decode()) == []
        path = tmp_path / "risks.csv"
        path.write_bytes(text)
        result = plan(g, path, "hospital", "risks")
        assert result.diff.empty and isomorphic(result.new, g), repr(title)


def test_applicability_csv_is_neutralised() -> None:
    """System labels come from organisation data: this CSV had no neutralisation at all."""
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    system = "<https://w3id.org/normgraph/id/org/hospital/ai-system/shift-roster>"
    store.update(f"PREFIX rdfs: <{RDFS}> DELETE {{ GRAPH <{HOSPITAL}> {{ {system} rdfs:label ?l }} }} "
                 f"INSERT {{ GRAPH <{HOSPITAL}> {{ {system} rdfs:label \"Rota\\r=1+1;=2+2\" }} }} "
                 f"WHERE {{ GRAPH <{HOSPITAL}> {{ {system} rdfs:label ?l }} }}")
    result = assess(store, "hospital", date(2026, 12, 1))
    text = as_csv(result, result.select(None, None))
    assert "Rota" in text and live_cells(text) == []


def test_neutralise_and_restore_are_exact_inverses() -> None:
    for text in ("", "plain", "=1", "'=1", "''=1", "a;=b", "a;'=b", "a\r\n=b", '"=1', "x\t-1", "-", "';", "a;b"):
        assert restore(neutralise(text)) == text
        assert live_cells(csv_text(None, [["id", text]])) == [], repr(text)
    assert neutralise(3) == 3 and csv_text(["a"], [[None]]) == '"a"\r\n""\r\n'


# -- A10: sign-out clears what the site kept in the browser (the browser half: test_hardening_browser.py) ----
def test_signing_out_and_in_clears_the_sites_storage(small_app: Flask) -> None:
    client = small_app.test_client()
    link = small_app.extensions["normgraph"].registry.signin_link("editor")
    r = client.post("/access/signin", data=signin_form(client, token=link))
    assert r.status_code == 303 and r.headers["Clear-Site-Data"] == '"cache", "storage"'
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    r = client.post("/access/signout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["Clear-Site-Data"] == '"cache", "storage"'


# -- A3: bearer-token guessing, and an update token of any length ---------------------------------------
ORG = "acme"
RISKS = (b"id,title,kind,likelihood,impact,inherent_score,residual_score,owner,standard,treated_by,treatment,affects\n"
         b"R-001,Backup failure,availability,4,5,,8,itsec,,,,\n")


@pytest.fixture
def small_app() -> Iterator[Flask]:
    """The server fixture store; `editor` edits acme (a token, a password and one-time links)."""
    registry = Registry()
    registry.add("editor")
    registry.grant("editor", ORG, "editor")
    registry.set_password("editor", "a long enough password")
    app = create_app(fixture_store(), config={"guard": False}, registry=registry)
    app.extensions["test_tokens"] = {"editor": registry.new_token("editor")}
    yield app
    close_app(app)


def from_address(app: Flask, addr: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    return client


def test_bearer_guesses_from_one_address_get_429_and_the_right_token_waits_too(small_app: Flask) -> None:
    guesser = from_address(small_app, "198.51.100.7")
    for i in range(BEARER_LIMIT):
        r = guesser.get("/access/me", headers={"Authorization": f"Bearer guess{i}"})
        assert r.status_code == 200 and r.get_json()["principal"] is None
    r = guesser.get("/access/me", headers={"Authorization": "Bearer one-more-guess"})
    assert r.status_code == 429 and r.headers["Retry-After"]
    right = {"Authorization": f"Bearer {small_app.extensions['test_tokens']['editor']}"}
    assert guesser.get("/access/me", headers=right).status_code == 429  # a right guess is not told apart
    assert guesser.get("/access/me").status_code == 200  # without a token: an anonymous reader as before
    other = from_address(small_app, "203.0.113.9")
    assert other.get("/access/me", headers=right).get_json()["principal"] == "editor"
    # another scheme (Basic, for a proxy in front) is no guess at a bearer token
    basic = from_address(small_app, "192.0.2.1")
    assert all(basic.get("/access/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 200
               for _ in range(BEARER_LIMIT + 5))


def test_ipv6_clients_count_by_their_64() -> None:
    assert client_address("2001:db8:1:2:aaaa::1") == client_address("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_address("::ffff:192.0.2.7") == "192.0.2.7" and client_address("192.0.2.7") == "192.0.2.7"


def test_an_update_token_from_the_environment_or_a_file_needs_32_characters(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"NORMGRAPH_UPDATE_TOKEN: .* at least 32 characters"):
        ServerConfig.from_env(env={"NORMGRAPH_UPDATE_TOKEN": "SECRETUPD"})
    good = "k" * MIN_UPDATE_TOKEN
    assert ServerConfig.from_env(env={"NORMGRAPH_UPDATE_TOKEN": good}).update_token == good
    path = tmp_path / "token"
    path.write_text(good + "\n", encoding="utf-8")
    assert ServerConfig.from_env(env={"NORMGRAPH_UPDATE_TOKEN_FILE": str(path)}).update_token == good
    path.write_text("short\n", encoding="utf-8")
    with pytest.raises(ValueError, match="at least 32"):
        ServerConfig.from_env(env={"NORMGRAPH_UPDATE_TOKEN_FILE": str(path)})
    with pytest.raises(ValueError, match="cannot read the token file"):
        ServerConfig.from_env(env={"NORMGRAPH_UPDATE_TOKEN_FILE": str(tmp_path / "absent")})
    # a program's own create_app(config=…) value is its own (tests use short ones)
    assert ServerConfig.from_env({"update_token": "t"}, env={}).update_token == "t"


def test_serve_refuses_a_short_update_token_with_exit_2_and_says_how_to_pass_one(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"NORMGRAPH_ACCESS": str(tmp_path / "access.sqlite")}
    # a port no server can bind: had the token been taken, serve would fail there, not hang serving
    r = runner.invoke(main, ["serve", "--no-examples", "--port", "-1", "--update-token", "SECRETUPD"], env=env)
    assert r.exit_code == 2 and "at least 32 characters" in r.output, r.output
    r = runner.invoke(main, ["serve", "--no-examples"], env={**env, "NORMGRAPH_UPDATE_TOKEN": "x"})
    assert r.exit_code == 2 and "NORMGRAPH_UPDATE_TOKEN" in r.output, r.output
    path = tmp_path / "token"
    path.write_text("short\n", encoding="utf-8")
    r = runner.invoke(main, ["serve", "--no-examples", "--update-token-file", str(path)], env=env)
    assert r.exit_code == 2 and "--update-token-file" in r.output, r.output
    help_text = " ".join(runner.invoke(main, ["serve", "--help"]).output.split())
    assert "--update-token-file" in help_text and "every local user reads it in ps" in help_text


# -- A5: the audit trail goes where NORMGRAPH_AUDIT_LOG says ---------------------------------------------
def test_serve_appends_the_audit_trail_to_NORMGRAPH_AUDIT_LOG(tmp_path: Path) -> None:
    access = tmp_path / "access.sqlite"
    wanted = tmp_path / "central" / "audit.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NORMGRAPH_ACCESS": str(access), "NORMGRAPH_AUDIT_LOG": str(wanted),
           "NORMGRAPH_UPDATE_TOKEN": ""}
    proc = subprocess.Popen([sys.executable, "-m", "normgraph", "serve", "--port", "0", "--no-examples"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        seen = ""
        for line in proc.stdout:
            seen += line
            if "serving on" in line:
                break
        assert "serving on" in seen, seen
        assert wanted.exists()  # created (owner-only) at start
        assert not audit.trail_path(access).exists()
    finally:
        proc.terminate()
        proc.wait(timeout=60)


# -- A6: nobody can lock a name out of password sign-in from one address ---------------------------------
def _password(client: FlaskClient, password: str) -> int:
    return client.post("/access/signin", data=signin_form(client, name="editor", password=password)).status_code


def test_wrong_passwords_from_one_address_do_not_lock_the_name_out_elsewhere(small_app: Flask) -> None:
    attacker = from_address(small_app, "198.51.100.7")
    assert [_password(attacker, f"guess {i}") for i in range(7)] == [403] * 5 + [429] * 2
    assert _password(attacker, "a long enough password") == 429  # that address waits, the right password too
    assert _password(from_address(small_app, "203.0.113.9"), "a long enough password") == 303  # the owner signs in


def test_guessing_one_name_from_many_addresses_is_still_bounded(small_app: Flask) -> None:
    per_name = _Failures.NAME_LIMIT // _Failures.LIMIT
    for n in range(per_name):
        client = from_address(small_app, f"10.0.{n}.1")
        assert [_password(client, f"guess {n}.{i}") for i in range(_Failures.LIMIT)] == [403] * _Failures.LIMIT
    assert _password(from_address(small_app, "10.9.9.9"), "a long enough password") == 429


# -- A7: the multipart import works for a signed-in person (the CSRF field is in the form) ----------------
def test_multipart_import_with_the_csrf_form_field_reads_the_file(small_app: Flask) -> None:
    client = small_app.test_client()
    link = small_app.extensions["normgraph"].registry.signin_link("editor")
    assert client.post("/access/signin", data=signin_form(client, token=link)).status_code == 303
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    r = client.post(f"/org/{ORG}/import?kind=risks", data={"file": (io.BytesIO(RISKS), "risks.csv"), "csrf_token": csrf},
                    content_type="multipart/form-data")
    assert r.status_code == 200, r.data
    assert "Backup failure" in client.get(f"/org/{ORG}/export/risks.csv").get_data(as_text=True)
    # without the field (a hostile page's form) the cookie counts for nothing: no write
    r = client.post(f"/org/{ORG}/import?kind=risks", data={"file": (io.BytesIO(RISKS), "risks.csv")},
                    content_type="multipart/form-data")
    assert r.status_code in (401, 403)


# -- A8: the Host header is not reflected; the dump slot is per client ------------------------------------
def test_redirects_do_not_carry_the_clients_host(small_app: Flask) -> None:
    r = small_app.test_client().get("/org", headers={"Host": "evil.example"})
    assert r.status_code == 308 and "evil.example" not in r.headers["Location"]
    assert r.headers["Location"] == "/org/"


def test_trusted_hosts_refuse_any_other_host() -> None:
    app = create_app(fixture_store(), config={"guard": False, "trusted_hosts": ["normgraph.example"]})
    try:
        client = app.test_client()
        assert client.get("/sparql", headers={"Host": "evil.example", "Accept": "text/turtle"}).status_code == 400
        assert client.get("/access/me", headers={"Host": "normgraph.example"}).status_code == 200
    finally:
        close_app(app)
    assert ServerConfig.from_env(env={"NORMGRAPH_TRUSTED_HOSTS": "a.example, b.example"}).trusted_hosts == [
        "a.example", "b.example"]


def test_one_client_dumping_does_not_keep_the_others_out(small_app: Flask) -> None:
    from normgraph.server import gsp

    with gsp._dump_slot("addr:198.51.100.7"):  # that client's dump in progress
        assert from_address(small_app, "198.51.100.7").get("/store").status_code == 503
        assert from_address(small_app, "203.0.113.9").get("/store").status_code == 200

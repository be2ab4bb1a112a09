"""The access pages (normgraph/server/access_admin.py, normgraph/access/manage.py): the global admin manages every
principal at /access/, an organisation's admin manages that organisation at /org/<slug>/people, and nobody else
finds either page. Run on the example organisations (fintech, hospital) with the principal database in a file,
which the tests read directly to see that only hashes of secrets are stored."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from normgraph.access import Registry
from normgraph.access.audit import LOGGER
from normgraph.cli import main
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore

PASSWORD = "access-admin-test-password"
FINTECH, HOSPITAL = "fintech", "hospital"
PEOPLE = {  # name: (global admin, grants)
    "root": (True, {}),
    "fin-admin": (False, {FINTECH: "admin"}),
    "fin-viewer": (False, {FINTECH: "viewer"}),
    "hosp-admin": (False, {HOSPITAL: "admin"}),
    "hosp-viewer": (False, {HOSPITAL: "viewer"}),
    "both": (False, {FINTECH: "viewer", HOSPITAL: "viewer"}),  # works for both: a secret of theirs opens hospital
}


@dataclass
class Site:
    app: Flask
    registry: Registry
    db: Path
    trail: Path
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def site(example_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("access-admin")
    db, trail = folder / "access.sqlite", folder / "access.audit.log"
    registry = Registry(db)
    tokens = {}
    for name, (admin, grants) in PEOPLE.items():
        registry.add(name, admin=admin)
        for org, role in grants.items():
            registry.grant(name, org, role)
        registry.set_password(name, PASSWORD)
        tokens[name] = registry.new_token(name, "test")
    app = create_app(example_store, config={"workers": 1, "audit_log": str(trail)}, registry=registry)
    app.testing = True
    yield Site(app, registry, db, trail, tokens)
    close_app(app)
    for handler in [h for h in LOGGER.handlers if getattr(h, "baseFilename", "") == str(trail)]:
        LOGGER.removeHandler(handler)
        handler.close()


def signed_in(site: Site, name: str) -> tuple[FlaskClient, str]:
    """A client signed in as `name` through the sign-in form, and its session's CSRF token."""
    client = site.app.test_client()
    client.get("/access/signin")
    with client.session_transaction() as sess:
        form = {"name": name, "password": PASSWORD, "csrf_token": sess["csrf"]}
    assert client.post("/access/signin", data=form).status_code == 303
    with client.session_transaction() as sess:
        return client, str(sess["csrf"])


def absent(client: FlaskClient) -> bytes:
    """What the application answers for a page that does not exist."""
    r = client.get("/no-such-page")
    assert r.status_code == 404
    return r.data


def grants(site: Site) -> dict[str, dict[str, str]]:
    return {str(p["name"]): dict(p["roles"]) for p in site.registry.principals()}  # type: ignore[call-overload]


def trail(site: Site, subject: str) -> list[dict[str, object]]:
    """The audit trail's management records about `subject`."""
    lines = [json.loads(line) for line in site.trail.read_text(encoding="utf-8").splitlines()]
    return [r for r in lines if r.get("access") == "manage" and r.get("subject") == subject]


# -- nobody else finds the pages -------------------------------------------------------------------------------
PAGES = ["/access/", "/access/people/root", "/access/people/hosp-viewer", f"/org/{FINTECH}/people",
         f"/org/{FINTECH}/people/fin-viewer", f"/org/{HOSPITAL}/people", f"/org/{HOSPITAL}/people/hosp-viewer"]


@pytest.mark.parametrize("who", ["anonymous", "fin-viewer", "hosp-viewer", "both", "token of hosp-admin"])
def test_without_authority_the_pages_are_absent(site: Site, who: str) -> None:
    """Anonymous readers, viewers, and an admin's bearer token on another organisation's page get the 404 of a
    page that does not exist, for every page and every change; nothing changes."""
    if who == "anonymous":
        client, csrf = site.app.test_client(), ""
    elif who.startswith("token of "):
        client, csrf = site.app.test_client(), ""
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {site.tokens[who.removeprefix('token of ')]}"
    else:
        client, csrf = signed_in(site, who)
    before = grants(site)
    nothing = absent(client)
    # hospital's admin has pages of their own (/access/ lists hospital for them): the others are absent
    pages = PAGES if not who.startswith("token of ") else [p for p in PAGES if FINTECH in p or p.startswith("/access/people")]
    for url in pages:
        r = client.get(url)
        assert (r.status_code, r.data) == (404, nothing), (who, url, r.status_code)
    for url in ("/access/", f"/org/{FINTECH}/people", f"/org/{HOSPITAL}/people"):
        for action in ({"action": "grant", "name": "fin-viewer", "org": FINTECH, "role": "admin"},
                       {"action": "invite", "name": "intruder", "org": FINTECH, "role": "admin", "credential": "token"},
                       {"action": "link", "name": "root"}):
            if who.startswith("token of ") and url.endswith(f"{HOSPITAL}/people"):
                continue  # hospital's own admin: that page is theirs
            r = client.post(url, data={**action, "csrf_token": csrf})
            assert (r.status_code, r.data) == (404, nothing), (who, url, action, r.status_code)
    assert grants(site) == before


def test_an_organisation_admin_sees_only_its_organisation(site: Site) -> None:
    client, _csrf = signed_in(site, "fin-admin")
    nothing = absent(client)
    people = client.get(f"/org/{FINTECH}/people").get_data(as_text=True)
    for name in ("fin-admin", "fin-viewer", "both"):
        assert f'data-principal="{name}"' in people
    for hidden in ("hosp-admin", "hosp-viewer", "root", HOSPITAL):
        assert hidden not in people, hidden
    overview = client.get("/access/").get_data(as_text=True)
    assert f'href="/org/{FINTECH}/people"' in overview and HOSPITAL not in overview and "hosp-" not in overview
    # someone who also works for hospital: only their fintech role, and no way to their secrets
    both = client.get(f"/org/{FINTECH}/people/both").get_data(as_text=True)
    assert HOSPITAL not in both and "Role on fintech" in both and "data-token" not in both
    assert "managed by the global admin" in both and 'value="link"' not in both
    # hospital's pages and people are absent, like an organisation that does not exist
    for url in (f"/org/{HOSPITAL}/people", f"/org/{HOSPITAL}/people/hosp-viewer", f"/org/{FINTECH}/people/hosp-viewer",
                "/org/no-such-org/people", "/access/people/fin-viewer"):
        r = client.get(url)
        assert (r.status_code, r.data) == (404, nothing), url


def test_editing_the_form_fields_reaches_no_other_organisation(site: Site) -> None:
    """fintech's admin edits the forms: another slug in the URL, a hospital principal's name, a hospital token's
    number, an org field — each is absent or ignored, and hospital's grants and tokens stay as they were."""
    client, csrf = signed_in(site, "fin-admin")
    nothing = absent(client)
    before = grants(site)
    hosp_token = next(t["id"] for t in site.registry.tokens("hosp-viewer"))
    both_token = next(t["id"] for t in site.registry.tokens("both"))
    tries = [
        (f"/org/{HOSPITAL}/people", {"action": "grant", "name": "hosp-viewer", "role": "admin"}),
        (f"/org/{HOSPITAL}/people", {"action": "grant", "name": "fin-admin", "role": "admin"}),
        (f"/org/{HOSPITAL}/people", {"action": "invite", "name": "mole", "role": "admin", "credential": "token"}),
        (f"/org/{FINTECH}/people", {"action": "grant", "name": "hosp-viewer", "role": "viewer"}),
        (f"/org/{FINTECH}/people", {"action": "revoke", "name": "hosp-viewer"}),
        (f"/org/{FINTECH}/people", {"action": "link", "name": "hosp-viewer"}),
        (f"/org/{FINTECH}/people", {"action": "password", "name": "hosp-admin", "password": "x" * 20}),
        (f"/org/{FINTECH}/people", {"action": "disable", "name": "hosp-admin"}),
        (f"/org/{FINTECH}/people", {"action": "revoke-token", "token": str(hosp_token)}),
        (f"/org/{FINTECH}/people", {"action": "link", "name": "root"}),
        ("/access/", {"action": "grant", "name": "fin-admin", "org": HOSPITAL, "role": "admin"}),
    ]
    for url, form in tries:
        r = client.post(url, data={**form, "csrf_token": csrf})
        assert (r.status_code, r.data) == (404, nothing), (url, form, r.status_code)
    # the org field is not the organisation's admin's to choose: the page's organisation is changed, not hospital
    r = client.post(f"/org/{FINTECH}/people", data={"action": "grant", "name": "both", "role": "editor", "org": HOSPITAL,
                                                    "csrf_token": csrf})
    assert r.status_code == 303
    assert site.registry.principal("both").roles == {FINTECH: "editor", HOSPITAL: "viewer"}  # type: ignore[union-attr]
    # a secret of someone who also works for hospital would open hospital: refused, with the reason
    for form in ({"action": "link", "name": "both"}, {"action": "token", "name": "both", "label": "mine"},
                 {"action": "password", "name": "both", "password": "y" * 20}, {"action": "disable", "name": "both"},
                 {"action": "revoke-token", "token": str(both_token)}):
        r = client.post(f"/org/{FINTECH}/people", data={**form, "csrf_token": csrf})
        body = r.get_data(as_text=True)
        assert r.status_code in (404, 409) and "ngs_" not in body and "ngt_" not in body, (form, r.status_code)
        if r.status_code == 409:
            assert "managed by the global admin" in body and HOSPITAL not in body
    after = grants(site)
    after["both"][FINTECH] = before["both"][FINTECH]
    assert after == before
    assert site.registry.by_token(site.tokens["hosp-viewer"]) is not None
    assert site.registry.by_token(site.tokens["both"]) is not None
    site.registry.grant("both", FINTECH, "viewer")
    # the refusals are in the audit trail too, with who tried
    refused = [r for r in trail(site, "hosp-viewer") if r["principal"] == "fin-admin"]
    assert refused and all(r["outcome"] == "refused" for r in refused)


def test_a_form_without_the_csrf_token_changes_nothing(site: Site) -> None:
    client, csrf = signed_in(site, "root")
    invite = {"action": "invite", "name": "csrf-victim", "org": HOSPITAL, "role": "admin", "credential": "token"}
    for form in (invite, {**invite, "csrf_token": "forged"}, {**invite, "csrf_token": ""}):
        r = client.post("/access/", data=form)
        assert r.status_code == 400 and b"Nothing was changed" in r.data and b"ngt_" not in r.data
    fin, _ = signed_in(site, "fin-admin")
    r = fin.post(f"/org/{FINTECH}/people", data={"action": "grant", "name": "fin-viewer", "role": "admin"})
    assert r.status_code == 400
    # a GET never changes anything, whatever it carries
    assert client.get("/access/", query_string={**invite, "csrf_token": csrf}).status_code == 200
    assert fin.get(f"/org/{FINTECH}/people", query_string={"action": "grant", "name": "fin-viewer", "role": "admin",
                                                            "csrf_token": csrf}).status_code == 200
    assert site.registry.principal("csrf-victim") is None
    assert site.registry.principal("fin-viewer").roles == {FINTECH: "viewer"}  # type: ignore[union-attr]


def _database_bytes(site: Site) -> bytes:
    return b"".join(p.read_bytes() for p in site.db.parent.glob(site.db.name + "*"))


def test_a_secret_is_shown_once_and_only_its_hash_is_stored(site: Site) -> None:
    client, csrf = signed_in(site, "root")
    r = client.post("/access/", data={"action": "invite", "name": "new-viewer", "org": HOSPITAL, "role": "viewer",
                                      "credential": "link", "csrf_token": csrf})
    assert r.status_code == 200 and "no-store" in r.headers["Cache-Control"]
    link = re.search(r"(http://[^\s<\"]+/access/signin\?token=)(ngs_[\w-]+)", r.get_data(as_text=True))
    assert link, r.get_data(as_text=True)[-2000:]
    secret = link.group(2)
    r = client.post("/access/", data={"action": "token", "name": "new-viewer", "label": "nightly export", "days": "30",
                                      "csrf_token": csrf})
    token = re.search(r"ngt_[\w-]+", r.get_data(as_text=True)).group(0)  # type: ignore[union-attr]
    password = "new-viewer's own long password"
    r = client.post("/access/", data={"action": "password", "name": "new-viewer", "password": password,
                                      "csrf_token": csrf})
    assert r.status_code == 303
    page = client.get("/access/people/new-viewer").get_data(as_text=True)
    assert secret not in page and token not in page and "nightly export" in page
    # in the database: the SHA-256 of each high-entropy secret, the password as a scrypt hash; never one in clear
    with sqlite3.connect(site.db) as db:
        rows = dict(db.execute("SELECT kind, hash FROM secrets WHERE name = 'new-viewer'").fetchall())
        expires = db.execute("SELECT julianday(expires) - julianday(created) FROM secrets "
                             "WHERE name = 'new-viewer' AND kind = 'token'").fetchone()[0]
    assert rows["signin"] == hashlib.sha256(secret.encode()).hexdigest()
    assert rows["token"] == hashlib.sha256(token.encode()).hexdigest()
    assert rows["password"].startswith("scrypt:") and abs(expires - 30) < 0.01
    stored = _database_bytes(site) + site.trail.read_bytes()
    for s in (secret, token, password):
        assert s.encode() not in stored
    # the link signs the new viewer in once; they see hospital and not fintech
    fresh = site.app.test_client()
    fresh.get(f"/access/signin?token={secret}")
    with fresh.session_transaction() as sess:
        form = {"token": secret, "csrf_token": sess["csrf"]}
    assert fresh.post("/access/signin", data=form).status_code == 303
    assert fresh.get("/access/me").get_json()["organisations"] == {HOSPITAL: "viewer"}
    assert fresh.get(f"/org/{HOSPITAL}/soa").status_code == 200 and fresh.get(f"/org/{FINTECH}/soa").status_code == 404
    again = site.app.test_client()
    again.get("/access/signin")
    with again.session_transaction() as sess:
        assert again.post("/access/signin", data={"token": secret, "csrf_token": sess["csrf"]}).status_code == 403
    tool = site.app.test_client()
    assert tool.get("/access/me", headers={"Authorization": f"Bearer {token}"}).get_json()["principal"] == "new-viewer"


def test_every_change_is_in_the_audit_trail(site: Site) -> None:
    client, csrf = signed_in(site, "fin-admin")
    steps = [{"action": "invite", "name": "audited", "role": "viewer", "credential": "token", "label": "ci"},
             {"action": "grant", "name": "audited", "role": "editor"},
             {"action": "token", "name": "audited", "label": "second", "days": "7"},
             {"action": "link", "name": "audited"},
             {"action": "password", "name": "audited", "password": "audited-password-1"},
             {"action": "disable", "name": "audited"},
             {"action": "enable", "name": "audited"},
             {"action": "revoke", "name": "audited"}]
    shown = []
    for form in steps:
        r = client.post(f"/org/{FINTECH}/people", data={**form, "csrf_token": csrf})
        assert r.status_code in (200, 303), (form, r.status_code, r.get_data(as_text=True)[-500:])
        shown += re.findall(r"ng[st]_[\w-]+", r.get_data(as_text=True))
    records = trail(site, "audited")
    assert [r["action"] for r in records] == [s["action"] for s in steps]
    for r in records:
        assert r["principal"] == "fin-admin" and r["organisation"] == FINTECH and r["outcome"] == "done"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", str(r["time"]))
        assert r["where"] == f"POST /org/{FINTECH}/people"
    assert records[1]["role"] == "editor" and records[2]["days"] == "7"
    text = site.trail.read_text(encoding="utf-8")
    assert len(shown) == 3 and not any(s in text for s in shown) and "audited-password-1" not in text
    # after the revoke, "audited" is no longer fintech's: absent to its admin
    assert client.get(f"/org/{FINTECH}/people/audited").status_code == 404


def test_an_admin_cannot_remove_their_own_last_admin_grant(site: Site) -> None:
    site.registry.add("solo")
    site.registry.grant("solo", FINTECH, "admin")
    site.registry.set_password("solo", PASSWORD)
    client, csrf = signed_in(site, "solo")
    for form in ({"action": "grant", "name": "solo", "role": "editor"}, {"action": "revoke", "name": "solo"},
                 {"action": "disable", "name": "solo"}):
        r = client.post(f"/org/{FINTECH}/people", data={**form, "csrf_token": csrf})
        body = r.get_data(as_text=True)
        assert r.status_code == 409 and 'role="alert"' in body, (form, r.status_code)
        assert ("last admin grant" in body) or ("cannot disable yourself" in body)
    assert site.registry.principal("solo").roles == {FINTECH: "admin"}  # type: ignore[union-attr]
    # with another admin grant it is not the last one: a deliberate change goes through
    site.registry.grant("solo", HOSPITAL, "admin")
    client, csrf = signed_in(site, "solo")
    r = client.post(f"/org/{FINTECH}/people", data={"action": "grant", "name": "solo", "role": "editor", "csrf_token": csrf})
    assert r.status_code == 303
    assert site.registry.principal("solo").roles == {FINTECH: "editor", HOSPITAL: "admin"}  # type: ignore[union-attr]
    # the global admin does not disable themselves either
    root, csrf = signed_in(site, "root")
    r = root.post("/access/", data={"action": "disable", "name": "root", "csrf_token": csrf})
    assert r.status_code == 409 and site.registry.principal("root") is not None


def test_a_disabled_principal_is_refused_everywhere_until_enabled(site: Site) -> None:
    site.registry.add("leaver")
    site.registry.grant("leaver", HOSPITAL, "editor")
    site.registry.set_password("leaver", PASSWORD)
    token = site.registry.new_token("leaver")
    session, _ = signed_in(site, "leaver")
    assert session.get("/access/me").get_json()["principal"] == "leaver"
    admin, csrf = signed_in(site, "hosp-admin")
    assert admin.post(f"/org/{HOSPITAL}/people", data={"action": "disable", "name": "leaver",
                                                       "csrf_token": csrf}).status_code == 303
    bearer = {"Authorization": f"Bearer {token}"}
    fresh = site.app.test_client()
    assert fresh.get("/access/me", headers=bearer).get_json()["principal"] is None
    assert session.get("/access/me").get_json()["principal"] is None  # the session ended
    assert session.get(f"/org/{HOSPITAL}/soa").status_code == 404
    fresh.get("/access/signin")
    with fresh.session_transaction() as sess:
        form = {"name": "leaver", "password": PASSWORD, "csrf_token": sess["csrf"]}
    assert fresh.post("/access/signin", data=form).status_code == 403
    assert "disabled" in admin.get(f"/org/{HOSPITAL}/people/leaver").get_data(as_text=True)
    assert admin.post(f"/org/{HOSPITAL}/people", data={"action": "enable", "name": "leaver",
                                                       "csrf_token": csrf}).status_code == 303
    assert fresh.get("/access/me", headers=bearer).get_json()["principal"] == "leaver"


def test_an_organisation_admin_invites_into_its_organisation_only(site: Site) -> None:
    client, csrf = signed_in(site, "hosp-admin")
    url = f"/org/{HOSPITAL}/people"
    r = client.post(url, data={"action": "invite", "name": "ward-tool", "kind": "tool", "role": "editor",
                               "credential": "token", "label": "ward sync", "org": FINTECH, "csrf_token": csrf})
    assert r.status_code == 200 and "ngt_" in r.get_data(as_text=True)
    assert site.registry.principal("ward-tool").roles == {HOSPITAL: "editor"}  # type: ignore[union-attr]
    # a taken name is refused without saying where it is used; a bad name or a short password is refused and
    # nothing is kept (all or nothing)
    cases = [({"name": "fin-viewer"}, 409, "not available"), ({"name": "a b"}, 400, "letters, digits"),
             ({"name": "short-pw", "credential": "password", "password": "short"}, 400, "12 characters"),
             ({"name": "bad-role", "role": "owner"}, 400, "Choose a role"),
             ({"name": "bad-days", "credential": "token", "days": "-1"}, 400, "days")]
    for fields, status, words in cases:
        form = {"action": "invite", "role": "viewer", "credential": "link", **fields, "csrf_token": csrf}
        r = client.post(url, data=form)
        body = r.get_data(as_text=True)
        assert r.status_code == status and words in body and FINTECH not in body.replace(f"/org/{FINTECH}", ""), fields
        assert "ngs_" not in body and "ngt_" not in body
        if fields["name"] != "fin-viewer":
            assert site.registry.principal(fields["name"]) is None
        else:
            assert 'value="fin-viewer"' in body  # the form keeps what was typed
    assert site.registry.principal("fin-viewer").roles == {FINTECH: "viewer"}  # type: ignore[union-attr]


class _Form(HTMLParser):
    """The controls, labels and forms of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labels: set[str] = set()
        self.forms: list[dict[str, str | None]] = []
        self.csrf_fields = 0
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(str(a.get("id")))
        if tag == "label":
            self.labels.add(str(a.get("for")))
        if tag == "form":
            self.forms.append(a)
        if tag == "input" and a.get("name") == "csrf_token":
            self.csrf_fields += 1
        self.scripts += tag == "script"


@pytest.mark.parametrize(("who", "url"), [("root", "/access/"), ("root", "/access/people/both"),
                                          ("fin-admin", "/access/"), ("fin-admin", f"/org/{FINTECH}/people"),
                                          ("fin-admin", f"/org/{FINTECH}/people/fin-viewer")])
def test_pages_are_labelled_forms_that_work_without_script(site: Site, who: str, url: str) -> None:
    client, _ = signed_in(site, who)
    r = client.get(url)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "no-store" in r.headers["Cache-Control"]
    assert re.search(r'<body>\s*<a class="skip" href="#main">Skip to main content</a>', html)
    page = _Form()
    page.feed(html)
    assert page.scripts == 0
    assert not [c for c in page.controls if c not in page.labels], "controls without a label"
    posts = [f for f in page.forms if (f.get("method") or "get").lower() == "post"]
    assert all(f.get("method") == "post" for f in page.forms if f.get("class") != "site-search")
    assert page.csrf_fields == len(posts)


def test_the_cli_disables_and_writes_the_audit_trail(tmp_path: Path) -> None:
    db = tmp_path / "access.sqlite"

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["access", "--access", str(db), *args], catch_exceptions=False)
        return result.exit_code, result.output

    assert run("add", "ann")[0] == 0
    assert run("grant", "ann", FINTECH, "viewer")[0] == 0
    token = run("token", "add", "ann")[1].strip()
    assert run("disable", "ann")[0] == 0
    assert Registry(db).by_token(token) is None and "disabled" in run("list")[1]
    assert run("enable", "ann")[0] == 0 and Registry(db).by_token(token) is not None
    assert run("disable", "nobody")[0] == 2
    records = [json.loads(line) for line in (tmp_path / "access.audit.log").read_text().splitlines()]
    assert [(r["action"], r["subject"], r["outcome"]) for r in records] == [
        ("add", "ann", "done"), ("grant", "ann", "done"), ("token", "ann", "done"), ("disable", "ann", "done"),
        ("enable", "ann", "done"), ("disable", "nobody", "refused")]
    assert all(str(r["principal"]).startswith("cli:") for r in records) and token not in str(records)
    for handler in [h for h in LOGGER.handlers if getattr(h, "baseFilename", "").startswith(str(tmp_path))]:
        LOGGER.removeHandler(handler)
        handler.close()


def test_a_single_sign_on_principal_needs_the_csrf_token_too(tmp_path: Path) -> None:
    """Behind a proxy that names people in a header, the browser sends that sign-on with any cross-site form: the
    access pages still want the session's CSRF token from the page."""
    from tests.server_helpers import fixture_store

    registry = Registry(tmp_path / "access.sqlite")
    registry.add("root", admin=True)
    app = create_app(fixture_store(), config={"workers": 1, "trusted_user_header": "X-Forwarded-User"},
                     registry=registry)
    try:
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_USER"] = "root"
        form = {"action": "invite", "name": "via-sso", "credential": "none"}
        # without the token the sign-on does not count (as for a cookie): an anonymous POST, the app's 404
        assert client.post("/access/", data=form).status_code == 404
        assert registry.principal("via-sso") is None
        assert client.get("/access/").status_code == 200
        with client.session_transaction() as sess:
            csrf = sess["csrf"]
        assert client.post("/access/", data={**form, "csrf_token": csrf}).status_code == 303
        assert registry.principal("via-sso") is not None
    finally:
        close_app(app)

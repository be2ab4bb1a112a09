"""Who made a secret, reserved names, how a principal acted, and password timing (attack review A14, A12):
an organisation's admin's secrets stop working when their principal gains access elsewhere; names the code uses
for principals outside the registry cannot be taken; every audit record says how its principal acted; an unknown
name costs one scrypt like a known one. On the example organisations fintech and hospital."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from normgraph.access import Registry
from normgraph.access import registry as registry_module
from normgraph.access.manage import Conflict, Manager, Refused
from normgraph.access.model import Principal
from normgraph.server import create_app
from normgraph.server.kernel import client_key, close_app
from normgraph.store import EmbeddedStore
from tests.server_helpers import audit_records

FINTECH, HOSPITAL = "fintech", "hospital"
PASSWORD = "makers-test-password"


@pytest.fixture
def trail() -> Iterator[list[dict[str, Any]]]:
    """The audit records logged while a test runs."""
    with audit_records() as records:
        yield records


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    r = Registry(tmp_path / "access.sqlite")
    r.add("root", admin=True)
    r.add("fa")
    r.grant("fa", FINTECH, "admin")
    return r


def fa(reg: Registry) -> Manager:
    return Manager(reg, reg.principal("fa", "session"), FINTECH)  # type: ignore[arg-type]


def root(reg: Registry) -> Manager:
    return Manager(reg, reg.principal("root", "session"))  # type: ignore[arg-type]


def test_org_admins_token_stops_working_when_its_principal_gains_another_organisation(reg: Registry,
                                                                                     trail: list[dict[str, Any]]) -> None:
    shown = fa(reg).invite("ext-auditor", role="viewer", kind="tool", credential="token")
    assert shown is not None and reg.by_token(shown.secret) is not None  # fintech's admin holds this token
    kept = root(reg).new_token("ext-auditor", "global").secret
    revoked = root(reg).grant("ext-auditor", "viewer", HOSPITAL)
    assert [(r["kind"], r["made_by"]) for r in revoked] == [("token", "fa")]
    assert reg.by_token(shown.secret) is None  # no longer opens hospital's graph
    assert reg.by_token(kept).roles == {FINTECH: "viewer", HOSPITAL: "viewer"}  # type: ignore[union-attr]
    grant = next(r for r in trail if r.get("action") == "grant" and r["subject"] == "ext-auditor")
    assert grant["revoked"] == revoked


def test_a_link_an_org_admin_redeemed_leaves_no_session_once_the_principal_works_elsewhere(reg: Registry) -> None:
    link = fa(reg).invite("ext", role="viewer")
    assert link is not None
    assert reg.redeem_signin(link.secret) is not None  # fintech's admin could have signed in as ext
    epoch = reg.session_epoch("ext")
    fa(reg).grant("ext", "editor")  # a change within fintech keeps everything
    assert reg.session_principal("ext", epoch) is not None
    fa(reg).set_password("ext", PASSWORD)
    epoch = reg.session_epoch("ext")
    revoked = root(reg).grant("ext", "viewer", HOSPITAL)
    assert [r["kind"] for r in revoked] == ["password"]
    assert reg.session_principal("ext", epoch) is None and reg.check_password("ext", PASSWORD) is None


def test_reserved_names_are_refused(reg: Registry) -> None:
    for name in ("update-token", "anonymous", "Anonymous", "cli:someone", "org:fintech"):
        with pytest.raises(ValueError, match="reserved"):
            reg.add(name)
    for name in ("update-token", "anonymous"):
        with pytest.raises(Refused, match="reserved"):
            fa(reg).invite(name, role="editor", kind="tool", credential="token")
    assert [p["name"] for p in reg.principals()] == ["fa", "root"]


def test_audit_records_say_how_the_principal_acted(reg: Registry, trail: list[dict[str, Any]]) -> None:
    token = reg.new_token("fa", "laptop")
    by_token = reg.by_token(token)
    assert by_token is not None and by_token.acted_via == f"token {reg.tokens('fa')[0]['id']}"
    Manager(reg, by_token, FINTECH).invite("ann", role="viewer", credential="none")
    fa(reg).invite("bob", role="viewer", credential="none")
    vias = [r["via"] for r in trail if r.get("action") == "invite"]
    assert vias == [by_token.acted_via, "session"]


def test_a_taken_name_is_not_confirmed_to_an_organisation_admin(reg: Registry) -> None:
    reg.add("hosped")
    reg.grant("hosped", HOSPITAL, "viewer")
    with pytest.raises(Conflict) as refused:
        fa(reg).invite("hosped", role="viewer")
    assert "taken" not in str(refused.value) and "exist" not in str(refused.value)
    with pytest.raises(Conflict, match="taken"):  # the global admin sees everyone anyway
        root(reg).invite("hosped")


def test_an_unknown_name_costs_one_scrypt_like_a_known_one(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    reg.set_password("fa", PASSWORD)
    reg.check_password("nobody", "x" * 12)  # the dummy hash is made once
    made: list[str] = []
    checked: list[str] = []
    real_check = registry_module.check_password_hash
    monkeypatch.setattr(registry_module, "generate_password_hash", lambda p: made.append(p) or "")
    monkeypatch.setattr(registry_module, "check_password_hash", lambda h, p: checked.append(h) or real_check(h, p))
    for name in ("nobody", "root", "fa", "nobody-else"):  # unknown, no password, password, unknown
        reg.check_password(name, "wrong-password-xx")
    assert made == [] and len(checked) == 4


def test_principals_of_one_organisation_share_its_fairness_share() -> None:
    assert Principal("a", roles={FINTECH: "viewer"}, via="token").fairness_key == "org:fintech"
    assert Principal("b", roles={FINTECH: "editor"}, via="session").fairness_key == "org:fintech"
    assert Principal("c", roles={FINTECH: "viewer", HOSPITAL: "viewer"}, via="token").fairness_key == "principal:c"
    assert Principal("root", admin=True, roles={FINTECH: "admin"}, via="token").fairness_key == "principal:root"


OLD_SCHEMA = """
CREATE TABLE principals (name TEXT PRIMARY KEY, admin INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL DEFAULT 'person',
                         created TEXT NOT NULL, session_epoch TEXT NOT NULL DEFAULT '', disabled TEXT NOT NULL DEFAULT '');
CREATE TABLE grants (name TEXT NOT NULL REFERENCES principals(name) ON DELETE CASCADE, org TEXT NOT NULL,
                     role TEXT NOT NULL, PRIMARY KEY (name, org));
CREATE TABLE secrets (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL REFERENCES principals(name) ON DELETE CASCADE,
                      kind TEXT NOT NULL, hash TEXT NOT NULL, label TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
                      expires TEXT);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def test_a_database_of_the_old_schema_is_migrated_in_place(tmp_path: Path) -> None:
    """Secrets kept from before makers were recorded: a principal of one organisation may hold one its admin made,
    so it is revoked when that principal gains another; the global admin's own tokens stay."""
    db = tmp_path / "old.access.sqlite"
    old = sqlite3.connect(db)
    old.executescript(OLD_SCHEMA)
    old.execute("INSERT INTO principals (name, admin, created, session_epoch) VALUES ('root', 1, '2026-12-01', 'e1')")
    old.execute("INSERT INTO principals (name, created, session_epoch) VALUES ('ext', '2026-12-01', 'e2')")
    old.execute("INSERT INTO grants VALUES ('ext', 'fintech', 'viewer')")
    old.commit()
    old.close()
    reg = Registry(db)
    ext_token, root_token = reg.new_token("ext"), reg.new_token("root")  # (new ones: made by the CLI)
    with sqlite3.connect(db) as con:  # as if both had been made before the upgrade
        con.execute("UPDATE secrets SET made_org = '?' WHERE name = 'ext'")
    reg.close()
    reg = Registry(db)
    assert reg.by_token(ext_token) is not None and reg.session_principal("ext", "e2") is not None
    reg.grant("root", HOSPITAL, "admin")
    assert reg.by_token(root_token) is not None
    reg.grant("ext", HOSPITAL, "viewer")
    assert reg.by_token(ext_token) is None


def test_the_server_keys_fairness_by_organisation_and_audits_the_token_number(example_store: EmbeddedStore,
                                                                             tmp_path: Path, trail: list[dict[str, Any]]) -> None:
    """Two tools fintech's admin invited share fintech's share of the query workers, and the audit trail of
    their reads names each one's token, so neither looks like the other (nor like the update token)."""
    reg = Registry(tmp_path / "access.sqlite")
    reg.add("fa")
    reg.grant("fa", FINTECH, "admin")
    shown = [fa(reg).invite(f"bot-{i}", role="viewer", kind="tool", credential="token") for i in (1, 2)]
    tokens = [s.secret for s in shown if s is not None]
    app = create_app(example_store, config={"workers": 1}, registry=reg)
    app.testing = True
    try:
        keys = []
        for token in tokens:
            with app.test_request_context("/sparql", headers={"Authorization": f"Bearer {token}"}):
                keys.append(client_key())
        assert keys == ["org:fintech", "org:fintech"]
        client = app.test_client()
        for path, token in zip(("risks", "soa"), tokens, strict=True):  # (a cached answer is not read again)
            assert client.get(f"/org/{FINTECH}/{path}", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        reads = [(r["principal"], r["via"]) for r in trail if r.get("access") == "read"]
        ids = {t["name"]: t["id"] for t in reg.tokens()}
        assert reads == [("bot-1", f"token {ids['bot-1']}"), ("bot-2", f"token {ids['bot-2']}")]
    finally:
        close_app(app)


def test_the_grant_page_says_which_secrets_it_revoked(example_store: EmbeddedStore, tmp_path: Path) -> None:
    """As the attack review did it: fintech's admin invites a tool with a token over the pages and keeps the token;
    the global admin grants it hospital on /access/ and is told the token was revoked; the token reads nothing."""
    reg = Registry(tmp_path / "access.sqlite")
    reg.add("root", admin=True)
    reg.add("fa")
    reg.grant("fa", FINTECH, "admin")
    bearer = {name: {"Authorization": f"Bearer {reg.new_token(name)}"} for name in ("root", "fa")}
    app = create_app(example_store, config={"workers": 1}, registry=reg)
    app.testing = True
    try:
        client = app.test_client()
        r = client.post(f"/org/{FINTECH}/people", headers=bearer["fa"], data={
            "action": "invite", "name": "ext-auditor", "role": "viewer", "kind": "tool", "credential": "token"})
        token = re.search(r"ngt_[A-Za-z0-9_-]+", r.get_data(as_text=True))
        assert token is not None
        kept = {"Authorization": f"Bearer {token.group()}"}
        assert client.get("/access/me", headers=kept).get_json()["principal"] == "ext-auditor"
        assert "second organisation revokes" in client.get("/access/people/ext-auditor",
                                                           headers=bearer["root"]).get_data(as_text=True)
        r = client.post("/access/", headers=bearer["root"], follow_redirects=True,
                        data={"action": "grant", "name": "ext-auditor", "org": HOSPITAL, "role": "viewer"})
        assert r.status_code == 200 and "made by an organisation&#39;s admin (fa) were revoked" in r.get_data(as_text=True)
        assert client.get("/access/me", headers=kept).get_json()["principal"] is None
        assert client.get(f"/org/{HOSPITAL}/risks", headers=kept).status_code != 200
    finally:
        close_app(app)

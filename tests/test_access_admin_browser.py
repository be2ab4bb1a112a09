"""The access pages in real headless Chromium: the local admin (as `normgraph serve` makes it on first start) signs
in with the one-time link the server prints, adds a viewer of hospital on /access/ and reads the viewer's one-time
link off the page; the viewer, in a fresh browser context, signs in with it and sees hospital but not fintech.
Then the pages are held to the accessibility checks every page type meets (tests/test_a11y.py: axe-core at three
widths, reflow at 320 px, the skip link, a visible focus ring on every Tab stop). Screenshots in tmp_path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_a11y import _AXE_JS, ARGS, AXE, CHROMIUM, WCAG_TAGS, PageType, _audit

from normgraph.loading import load_knowledge
from normgraph.store import EmbeddedStore

pytestmark = pytest.mark.browser

ADMIN = "admin"  # normgraph.cli.serve.LOCAL_ADMIN


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, the local admin's one-time sign-in secret) of a server on the examples."""
    from server_helpers import access_db_with_link
    from test_browser import warm_server

    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    db, secret = access_db_with_link(tmp_path_factory.mktemp("access-browser"), ADMIN, admin=True)
    with warm_server(store, workers=2, query_timeout=60, access_db=str(db)) as base:
        yield base, secret


@pytest.fixture(scope="module")
def browser(server: tuple[str, str]) -> Iterator[Any]:
    from playwright import sync_api

    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM} (make install-test installs it)"
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _page(browser: Any) -> Any:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)  # axe is injected as a script
    ctx.set_default_timeout(60000)
    return ctx.new_page()


def _sign_in_with_link(page: Any, link: str) -> None:
    page.goto(link)
    page.get_by_role("button", name="Sign in with this one-time link").click()
    page.wait_for_load_state()


@pytest.fixture(scope="module")
def admin(browser: Any, server: tuple[str, str]) -> Iterator[Any]:
    from playwright.sync_api import expect

    base, secret = server
    page = _page(browser)
    _sign_in_with_link(page, f"{base}/access/signin?token={secret}")
    page.goto(f"{base}/access/signin")
    expect(page.locator("main")).to_contain_text(f"signed in as {ADMIN}")
    page.get_by_role("link", name="Manage who may see what").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access")
    yield page
    page.context.close()


def test_the_local_admin_adds_a_hospital_viewer_who_sees_hospital_only(browser: Any, admin: Any,
                                                                       server: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base, _ = server
    page = admin
    page.goto(f"{base}/access/")
    page.get_by_label("Name", exact=True).fill("ward-viewer")
    page.get_by_label("Organisation", exact=True).select_option("hospital")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_label("A one-time sign-in link", exact=False).check()
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("One-time sign-in link for ward-viewer")
    link = page.locator("[data-secret]").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(base)}/access/signin\?token=ngs_[\w-]+", link), link
    page.screenshot(path=str(tmp_path / "secret.png"))
    # the secret page holds to the same checks as every page (it cannot be loaded again: axe here, at this width)
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(_AXE_JS, WCAG_TAGS) == []
    page.goto(f"{base}/access/people/ward-viewer")
    assert "ngs_" not in page.content()  # shown once
    expect(page.locator("main")).to_contain_text("hospital")

    viewer = _page(browser)
    try:
        _sign_in_with_link(viewer, link)
        viewer.goto(f"{base}/org/")
        main = viewer.locator("main")
        expect(main.get_by_role("link", name=re.compile("hospital|Hospital"))).to_be_visible()
        assert "fintech" not in main.inner_text().lower()
        assert viewer.goto(f"{base}/org/hospital").status == 200  # type: ignore[union-attr]
        assert viewer.goto(f"{base}/org/fintech").status == 404  # type: ignore[union-attr]
        assert viewer.goto(f"{base}/access/").status == 404  # type: ignore[union-attr]
        viewer.screenshot(path=str(tmp_path / "viewer.png"))
    finally:
        viewer.context.close()


@pytest.mark.parametrize("kind", [PageType("access-overview", "/access/"),
                                  PageType("access-people", "/org/hospital/people"),
                                  PageType("access-person", "/access/people/admin")], ids=lambda k: k.name)
def test_access_pages_meet_wcag_aa(kind: PageType, admin: Any, server: tuple[str, str], tmp_path: Path) -> None:
    problems = _audit(admin, server[0], kind, tmp_path)
    assert not problems, "\n".join(problems)

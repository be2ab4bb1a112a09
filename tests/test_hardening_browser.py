"""Attack review 4, A10, in real headless Chromium: a viewer of fintech signs in with a one-time link, runs a
query on fintech's graph on /query and signs out; the next person at that browser opens /query and sees none of
fintech's rows — the page kept no results in localStorage, and signing out cleared the site's storage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_a11y import ARGS, CHROMIUM

from normgraph.loading import load_knowledge
from normgraph.store import EmbeddedStore

pytestmark = pytest.mark.browser

SECRET_ROW = "Internal audit 2026 of the integrated ISMS/AIMS"  # a label in data/examples/fintech.ttl
QUERY = ("SELECT ?s ?o WHERE { GRAPH <https://w3id.org/normgraph/graph/org/fintech> "
         "{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o FILTER(CONTAINS(STR(?o), 'audit')) } } LIMIT 20")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, finview's one-time sign-in secret): finview may read fintech."""
    from server_helpers import access_db_with_link, running

    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    db, secret = access_db_with_link(tmp_path_factory.mktemp("hardening-browser"), "finview",
                                     grants={"fintech": "viewer"})
    with running(store, workers=1, query_timeout=60, access_db=str(db)) as (base, _app):
        yield base, secret


def _stored(page: Any) -> str:
    return str(page.evaluate("() => JSON.stringify(Object.assign({}, window.localStorage))"))


def test_query_results_are_gone_after_sign_out(server: tuple[str, str]) -> None:
    from playwright import sync_api
    from playwright.sync_api import expect

    base, secret = server
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM} (make install-test installs it)"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            ctx.set_default_timeout(60000)
            page = ctx.new_page()
            page.goto(f"{base}/access/signin?token={secret}")
            page.get_by_role("button", name="Sign in with this one-time link").click()
            page.wait_for_load_state()
            page.goto(f"{base}/query")
            page.locator(".CodeMirror").wait_for()
            page.evaluate(f"() => window.normgraphYasgui.getTab().setQuery({QUERY!r}) && null")
            page.locator(".yasqe_queryButton").last.click()
            expect(page.locator(".yasr_results")).to_contain_text(SECRET_ROW)
            page.wait_for_timeout(500)  # YASGUI writes its tab state on a change event: let it
            assert SECRET_ROW not in _stored(page), "the results were kept in localStorage"

            page.goto(f"{base}/access/signin")
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_load_state()
            assert page.evaluate("() => fetch('/access/me').then(r => r.json())")["principal"] is None
            assert SECRET_ROW not in _stored(page)

            after = ctx.new_page()  # the next person at this browser
            after.goto(f"{base}/query")
            after.locator(".CodeMirror").wait_for()
            after.wait_for_timeout(500)
            assert SECRET_ROW not in after.locator("#yasgui").inner_text()
            assert SECRET_ROW not in _stored(after)
            ctx.close()
        finally:
            browser.close()

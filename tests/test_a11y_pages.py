"""The site frame's own pages without a browser: /api/ (the OpenAPI description in words), the favicon, and the
site navigation and skip link every page of the layout carries (tests/test_a11y.py checks them in Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient

from normgraph.loading import load_knowledge
from normgraph.server import create_app
from normgraph.server.api import openapi_document
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    store = EmbeddedStore()
    load_knowledge(store)
    application = create_app(store, config={"workers": 1})
    application.testing = True
    yield application
    close_app(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class _Ids(HTMLParser):
    """Every id, every in-page link target and every <script> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.anchors: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self.anchors.append(str(a["href"])[1:])
        self.scripts += tag == "script"


def test_api_page_describes_every_operation(client: FlaskClient) -> None:
    resp = client.get("/api/", headers=HTML)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    with client.application.test_request_context("/"):
        doc = openapi_document()
    # every path and operation of the OpenAPI document, with its summary and each parameter
    for path, item in doc["paths"].items():
        assert f"<code>{path}</code>" in html, path
        for op in item.values():
            assert f'id="op-{op["operationId"]}"' in html, op["operationId"]
            for p in op.get("parameters", []):
                assert f"<code>{p['name']}</code>" in html
    assert "Parameters of GET /api/queries/crosswalk-of-requirement" in html
    assert 'href="/api/openapi.json"' in html
    # descriptions are CommonMark: code spans are code, and nothing else of the text becomes markup
    assert "<code>normgraph applicability --format json</code>" in html and "`" not in html
    # the schemas the answers refer to are on the page, and the references lead there
    assert 'id="schema-Applicability"' in html and 'href="#schema-Applicability"' in html
    parsed = _Ids()
    parsed.feed(html)
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"
    assert not set(parsed.anchors) - set(parsed.ids), "in-page links to nothing"
    assert parsed.scripts == 0, "the page works without any script"


def test_favicon(client: FlaskClient) -> None:
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.mimetype == "image/vnd.microsoft.icon"
    data = ico.get_data()
    assert data[:4] == b"\x00\x00\x01\x00" and int.from_bytes(data[4:6], "little") == 3  # an ICO of three sizes
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    html = client.get("/explore/", headers=HTML).get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in html


@pytest.mark.parametrize("url", ["/", "/explore/matrix", "/query", "/api/"])
def test_site_frame(client: FlaskClient, url: str) -> None:
    html = client.get(url, headers=HTML).get_data(as_text=True)
    # skip link first, to the main landmark; header/nav/main/footer landmarks
    assert re.search(r'<body>\s*<a class="skip" href="#main">Skip to main content</a>', html)
    for landmark in ('<header class="site">', '<nav aria-label="Main">', '<main id="main"', '<footer class="site">'):
        assert landmark in html
    nav = html[html.index('<nav aria-label="Main">'):html.index("</nav>")]
    for name, href in (("Catalogs", "/explore/"), ("Matrix", "/explore/matrix"), ("SPARQL query", "/query"),
                       ("Organisations", "/org/"), ("API", "/api/")):
        assert re.search(rf'<a href="{re.escape(href)}"[^>]*>{name}</a>', nav), name
    # the page's own entry is marked as the current one
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', nav)
    assert current == {"/": ["/explore/"], "/explore/matrix": ["/explore/matrix"], "/query": ["/query"],
                       "/api/": ["/api/"]}[url]

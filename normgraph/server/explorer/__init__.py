"""The crosswalk explorer: server-rendered HTML pages under /explore (and the home page /).

Every view is also downloadable as CSV and JSON-LD (`?format=csv|jsonld`, or by Accept); the
JSON-LD uses the stable normgraph context (normgraph/exports/context.jsonld, served at
/context.jsonld). Data comes from normgraph/server/views_data.py, which runs the named queries.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from rdflib import Graph
from werkzeug.routing import BuildError

from normgraph.exports.jsonld import to_jsonld
from normgraph.iri import expand, is_iri
from normgraph.queries import QueryError
from normgraph.server import views_data as vd
from normgraph.server.kernel import current_store
from normgraph.server.negotiation import NotAcceptable, negotiate
from normgraph.store import Store

bp = Blueprint("explorer", __name__, url_prefix="/explore", static_folder="static", static_url_path="/static",
               template_folder="templates")

VIEW_TYPES: dict[str, tuple[str, ...]] = {
    "html": ("text/html", "application/xhtml+xml"),
    "csv": ("text/csv",),
    "jsonld": ("application/ld+json", "application/json"),
}
#: the query parameters each view reads; anything else in a query string is ignored (and never reaches a
#: cache key or a link the page writes)
VIEW_PARAMS: dict[str, tuple[str, ...]] = {
    "explorer.catalog": ("q",),
    "explorer.search": ("q",),
    "explorer.resource": ("iri",),
    "explorer.matrix": ("from", "to", "scope", "relation", "set", "show"),
    "explorer.neighbourhood": ("iri", "hops"),
}
TableFn = Callable[[], tuple[list[str], list[list[str]]]]
GraphFn = Callable[[], Graph]


def store() -> Store:
    return current_store()


@bp.record_once
def _home(state: BlueprintSetupState) -> None:
    """Serve the catalog list at / too, unless the application already has a home page."""
    app: Flask = state.app
    if not any(rule.rule == "/" for rule in app.url_map.iter_rules()):
        app.add_url_rule("/", endpoint="explorer.home", view_func=index)


@bp.app_template_global()
def safe_url(endpoint: str, **values: Any) -> str | None:
    """url_for, or None when that endpoint is not registered (templates then omit the link)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.app_template_global()
def resource_url(iri: str) -> str:
    return url_for("explorer.resource", iri=iri)


@bp.app_template_global()
def download_url(fmt: str) -> str:
    keep = VIEW_PARAMS.get(request.endpoint or "", ())
    args = {k: request.args.getlist(k) for k in request.args if k in keep}
    return url_for(request.endpoint or "explorer.index", **(request.view_args or {}), **args, format=fmt)


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_IGNORED_BY_BROWSERS = re.compile(r"[\t\n\r]")  # URL parsers drop these anywhere ("java\tscript:")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))  # ... and strip these at both ends


@bp.app_template_filter("safe_href")
def safe_href(url: object) -> str | None:
    """`url` if it is safe as a link target, else None (templates then write the text without a link).

    Safe = an http(s) URL, or a reference relative to this server (starting with /, ? or #) as the views
    generate. Anything else — javascript:, data:, vbscript:, urn:, … — comes from data (org imports by
    Turtle / JSON-LD / the Graph Store Protocol can plant any IRI) and must never become an href:
    autoescaping does not stop a javascript: URL."""
    if not isinstance(url, str) or not url:
        return None
    probe = _IGNORED_BY_BROWSERS.sub("", url).strip(_C0_AND_SPACE)
    m = _SCHEME.match(probe)
    if m is not None:
        return url if m.group(1).lower() in ("http", "https") else None
    return url if probe.startswith(("/", "?", "#")) else None


@bp.app_template_filter("pct")
def pct(value: str) -> str:
    try:
        return f"{float(value):.2f}".rstrip("0").rstrip(".") if value else ""
    except ValueError:
        return value


def respond(template: str, context: dict[str, Any], table: TableFn, graph: GraphFn, name: str,
            html: Callable[[], str] | None = None) -> Response:
    """HTML, CSV or JSON-LD of one view, by ?format= or Accept. `html` (called only when HTML is
    asked for) gives the page instead of rendering `template`, e.g. from a cache."""
    try:
        fmt = negotiate(request, VIEW_TYPES)
    except NotAcceptable as e:
        return Response(str(e) + "\n", status=406, mimetype="text/plain")
    if fmt == "csv":
        head, rows = table()
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(head)
        writer.writerows(rows)
        resp = Response(buf.getvalue(), content_type="text/csv; charset=utf-8")
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    elif fmt == "jsonld":
        doc = to_jsonld(graph())
        resp = Response(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", content_type="application/ld+json")
        resp.headers["Content-Disposition"] = f'inline; filename="{name}.jsonld"'
        ctx = url_for("linked_data.context") if "linked_data.context" in current_app.view_functions else "/context.jsonld"
        resp.headers["Link"] = f'<{ctx}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    else:
        body = html() if html is not None else render_template(template, **context)
        resp = Response(body, content_type="text/html; charset=utf-8")
    resp.headers["Vary"] = "Accept"
    return resp


def not_found(message: str) -> Response:
    return Response(render_template("explorer/not_found.html", message=message), status=404,
                    content_type="text/html; charset=utf-8")


# -- views -------------------------------------------------------------------------------------------
@bp.get("/")
def index() -> Response:
    cats = vd.catalogs(store())
    return respond("explorer/index.html", {"catalogs": cats}, lambda: vd.catalogs_table(cats),
                   lambda: vd.catalogs_graph(cats), "catalogs")


@bp.get("/catalog/<key>")
def catalog(key: str) -> Response:
    st = store()
    cat = vd.catalog(st, key)
    if cat is None:
        return not_found(f"There is no catalog {key!r}.")
    q = request.args.get("q", "").strip()
    if q:
        results = vd.search(st, q, key)
        return respond("explorer/catalog.html", {"catalog": cat, "q": q, "results": results, "tree": None},
                       lambda: vd.items_table(results), lambda: vd.items_graph(results), f"{key}-search")
    tree = vd.catalog_tree(st, key)
    # The whole-catalog tree is the largest page (the AI Act: ~1300 items): keep its HTML per data generation,
    # keyed by what the page shows (the catalog), not by the query string (?junk=N would add an entry each).
    def html() -> str:
        return vd.cached(st, ("html", "catalog", key), lambda: render_template(
            "explorer/catalog.html", catalog=cat, q="", results=None, tree=tree))

    return respond("explorer/catalog.html", {"catalog": cat, "q": "", "results": None, "tree": tree},
                   lambda: vd.items_table(vd.flatten(tree)), lambda: vd.items_graph(vd.flatten(tree)), key, html=html)


@bp.get("/search")
def search() -> Response:
    q = request.args.get("q", "").strip()
    results = vd.search(store(), q) if q else []
    return respond("explorer/search.html", {"q": q, "results": results, "colours": vd.CATALOG_COLOURS},
                   lambda: vd.items_table(results), lambda: vd.items_graph(results), "search")


@bp.get("/resource")
def resource() -> Response:
    raw = request.args.get("iri", "").strip()
    if not raw:
        return not_found("Give the IRI of a requirement: /explore/resource?iri=…")
    try:
        iri = str(expand(raw))
    except ValueError:
        return not_found(f"{raw!r} is not an IRI or a known prefixed name.")
    if not is_iri(iri):
        return not_found(f"{raw!r} is not a valid IRI.")
    st = store()
    try:
        page = vd.resource_page(st, iri)
    except QueryError:  # an IRI the named queries cannot take (e.g. without "://"): nothing to show
        page = None
    if page is None:
        return not_found(f"Nothing is known about <{iri}>.")
    hood = vd.neighbourhood(st, iri, hops=1, max_first=16) if page.item is not None else None
    return respond("explorer/resource.html", {"page": page, "hood": hood}, lambda: vd.resource_table(page),
                   lambda: vd.resource_graph(st, page), (page.item.local if page.item else "resource"))


@bp.get("/matrix")
def matrix() -> Response:
    st = store()
    a = request.args.get("from", "iso42001-2023")
    b = request.args.get("to", "iso27001-2022")
    show = request.args.get("show", "all")
    if show not in ("all", "mapped", "none"):
        show = "all"
    m = vd.matrix(st, a, b, scope=request.args.get("scope"), relations=request.args.getlist("relation"),
                  sets=request.args.getlist("set"), show=show)
    if m is None:
        return not_found(f"Unknown catalog in from={a!r} / to={b!r}.")
    return respond("explorer/matrix.html", {"m": m, "catalogs": vd.catalogs(st), "relations": vd.RELATIONS},
                   lambda: vd.matrix_table(m), lambda: vd.matrix_graph(st, m), f"matrix-{a}-{b}")


@bp.get("/neighbourhood")
def neighbourhood() -> Response:
    raw = request.args.get("iri", "").strip()
    try:
        iri = str(expand(raw)) if raw else ""
    except ValueError:
        iri = ""
    hops = 1 if request.args.get("hops") == "1" else 2
    st = store()
    try:
        hood = vd.neighbourhood(st, iri, hops=hops) if iri else None
    except QueryError:
        hood = None
    if hood is None:
        return not_found(f"No catalog item {raw!r} to draw.")
    if request.args.get("format") == "svg":
        svg = render_template("explorer/neighbourhood.svg", hood=hood, standalone=True)
        return Response(svg, content_type="image/svg+xml; charset=utf-8")
    return respond("explorer/neighbourhood.html", {"hood": hood, "hops": hops}, lambda: vd.neighbourhood_table(hood),
                   lambda: vd.neighbourhood_graph(st, hood), f"neighbourhood-{hood.center.text}")

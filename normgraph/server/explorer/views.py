"""The explorer's routes: each asks the engine (normgraph.explorer) for its read model and answers
with HTML, CSV or JSON-LD (downloads.respond)."""

from __future__ import annotations

from flask import Response, render_template, request
from flask.blueprints import BlueprintSetupState

import normgraph.server.explorer.downloads as dl
from normgraph.explorer import catalogs as catalog_index
from normgraph.explorer.cache import cached
from normgraph.explorer.matrix import matrix as matrix_model
from normgraph.explorer.neighbourhood import neighbourhood as hood_model
from normgraph.explorer.page import resource_page
from normgraph.explorer.search import search as search_items
from normgraph.iri import expand, is_iri
from normgraph.mappings.relations import relations
from normgraph.queries import QueryError
from normgraph.server.explorer.blueprint import bp
from normgraph.server.explorer.layout import draw
from normgraph.server.kernel import current_store as store


def not_found(message: str) -> Response:
    return Response(render_template("explorer/not_found.html", message=message), status=404,
                    content_type="text/html; charset=utf-8")


# -- views -------------------------------------------------------------------------------------------
@bp.record_once
def _home(state: BlueprintSetupState) -> None:
    """Serve the catalog list at / too, unless the application already has a home page."""
    app = state.app
    if not any(rule.rule == "/" for rule in app.url_map.iter_rules()):
        app.add_url_rule("/", endpoint="explorer.home", view_func=index)


@bp.get("/")
def index() -> Response:
    cats = catalog_index.catalogs(store())
    return dl.respond("explorer/index.html", {"catalogs": cats}, lambda: dl.catalogs_table(cats),
                      lambda: dl.catalogs_graph(cats), "catalogs")


@bp.get("/catalog/<key>")
def catalog(key: str) -> Response:
    st = store()
    cat = catalog_index.catalog(st, key)
    if cat is None:
        return not_found(f"There is no catalog {key!r}.")
    q = request.args.get("q", "").strip()
    if q:
        found = search_items(st, q, key)
        return dl.respond("explorer/catalog.html", {"catalog": cat, "q": q, "results": found.hits, "total": found.total,
                                                    "groups": None},
                          lambda: dl.hits_table(found), lambda: dl.items_graph(found.items), f"{key}-search")
    tree = catalog_index.catalog_tree(st, key)
    # The whole-catalog tree is the largest page (the AI Act: ~1300 items): keep its HTML per data generation,
    # keyed by what the page shows (the catalog), not by the query string (?junk=N would add an entry each).
    def html() -> str:
        return cached(st, ("html", "catalog", key), lambda: render_template(
            "explorer/catalog.html", catalog=cat, q="", results=None, groups=catalog_index.top_groups(tree)))

    items = catalog_index.flatten(tree)
    return dl.respond("explorer/catalog.html", {"catalog": cat, "q": "", "results": None,
                                                "groups": catalog_index.top_groups(tree)},
                      lambda: dl.items_table(items), lambda: dl.items_graph(items), key, html=html)


@bp.get("/search")
def search() -> Response:
    st = store()
    q = request.args.get("q", "").strip()
    choices = [(c.key, c.short) for c in catalog_index.catalogs(st)]  # short names: the select fits 320 px
    key = request.args.get("catalog", "").strip() or None
    found = search_items(st, q, key if key in dict(choices) else None)
    return dl.respond("explorer/search.html", {"q": q, "found": found, "results": found.hits, "choices": choices},
                      lambda: dl.hits_table(found), lambda: dl.items_graph(found.items), "search")


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
        page = resource_page(st, iri)
    except QueryError:  # an IRI the named queries cannot take (e.g. without "://"): nothing to show
        page = None
    if page is None:
        return not_found(f"Nothing is known about <{iri}>.")
    near = hood_model(st, iri, hops=1, max_first=16) if page.item is not None else None
    hood = draw(near) if near is not None else None
    return dl.respond("explorer/resource.html", {"page": page, "hood": hood}, lambda: dl.resource_table(page),
                      lambda: dl.resource_graph(st, page), (page.item.local if page.item else "resource"))


@bp.get("/matrix")
def matrix() -> Response:
    st = store()
    a = request.args.get("from", "iso42001-2023")
    b = request.args.get("to", "iso27001-2022")
    show = request.args.get("show", "all")
    if show not in ("all", "mapped", "none"):
        show = "all"
    m = matrix_model(st, a, b, scope=request.args.get("scope"), relations=request.args.getlist("relation"),
                     sets=request.args.getlist("set"), show=show)
    if m is None:
        return not_found(f"Unknown catalog in from={a!r} / to={b!r}.")
    return dl.respond("explorer/matrix.html",
                      {"m": m, "catalogs": catalog_index.catalogs(st),
                       "relations": {str(r.iri): (r.words, r.symbol) for r in relations()}},
                      lambda: dl.matrix_table(m), lambda: dl.matrix_graph(st, m), f"matrix-{a}-{b}")


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
        model = hood_model(st, iri, hops=hops) if iri else None
    except QueryError:
        model = None
    if model is None:
        return not_found(f"No catalog item {raw!r} to draw.")
    hood = draw(model)
    if request.args.get("format") == "svg":
        svg = render_template("explorer/neighbourhood.svg", hood=hood, standalone=True)
        return Response(svg, content_type="image/svg+xml; charset=utf-8")
    return dl.respond("explorer/neighbourhood.html", {"hood": hood, "hops": hops}, lambda: dl.neighbourhood_table(hood),
                      lambda: dl.neighbourhood_graph(st, hood), f"neighbourhood-{hood.center.text}")

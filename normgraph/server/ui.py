"""The SPARQL query UI: YASGUI (vendored, normgraph/server/static/vendor/yasgui) on our /sparql endpoint,
and the site's favicon.

`query_ui` answers /query, and the SPARQL endpoint calls it (`ui.query_ui`) when a browser GETs
/sparql without a query. The page offers our prefixes (normgraph.iri.PREFIXES) and every named
query (queries/*.rq, parameters bound to their defaults) as ready examples; result IRIs of this
knowledge graph (normgraph.iri.BASE) link to the explorer's page for them (static/query.js). Nothing
is loaded from a CDN; YASGUI's LOV class/property autocompletion (a remote service) is switched off.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template, send_from_directory, url_for
from werkzeug.routing import BuildError

from normgraph.iri import BASE, PREFIXES
from normgraph.queries import QUERIES_DIR, QueryError, list_queries, with_prefixes

bp = Blueprint("ui", __name__, static_folder="static", static_url_path="/ui/static", template_folder="templates")

STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "vendor" / "yasgui"
YASGUI_VERSION = "4.6.2"
#: The query the page opens with: a named query (queries/DEFAULT_EXAMPLE.rq) with its defaults bound.
DEFAULT_EXAMPLE = "crosswalk-of-requirement"


def examples() -> list[dict[str, Any]]:
    """Every named query, bound to its parameters' defaults where all have one (cached until a file changes)."""
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(QUERIES_DIR.glob("*.rq")))
    return _examples(stamp)


@lru_cache(maxsize=4)
def _examples(_stamp: tuple[tuple[str, int], ...]) -> list[dict[str, Any]]:
    out = []
    for q in list_queries():
        try:
            text = q.bind()
            bound = True
        except QueryError:
            text, bound = q.text, False
        out.append({"name": q.name, "title": q.title, "description": q.description, "text": with_prefixes(text),
                    "params": [{"name": p.name, "type": p.type, "doc": p.doc, "default": p.default} for p in q.params],
                    "bound": bound})
    return out


@bp.get("/query")
def query_ui() -> str:
    named = examples()
    default_query = next(e["text"] for e in named if e["name"] == DEFAULT_EXAMPLE)
    prefixes = dict(PREFIXES)
    config = {"endpoint": url_for("sparql.sparql"), "prefixes": prefixes, "defaultQuery": default_query,
              "examples": {e["name"]: {"title": e["title"], "text": e["text"]} for e in named},
              "localBase": BASE, "resourceUrl": _resource_url()}
    return render_template("ui/query.html", examples=named, prefixes=prefixes, config=config,
                           yasgui_version=YASGUI_VERSION, default_query=default_query)


def _resource_url() -> str | None:
    """Where result IRIs of this knowledge graph link to: the explorer's resource page (?iri=…), if it is served."""
    try:
        return url_for("explorer.resource")
    except BuildError:
        return None


@bp.get("/favicon.ico")
def favicon() -> Response:
    """static/favicon.svg drawn at 16, 32 and 48 px (in Chromium) and packed as PNG icons, for clients that ask
    /favicon.ico; pages link the SVG itself (templates/base.html)."""
    return send_from_directory(STATIC, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)


@bp.get("/query/yasgui-license")
def yasgui_license() -> Response:
    return Response((VENDOR / "LICENSE").read_text(encoding="utf-8"), mimetype="text/plain")

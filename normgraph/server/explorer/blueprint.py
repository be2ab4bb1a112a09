"""The explorer's blueprint and the template helpers its pages share (links, safe hrefs, colours)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint, request, url_for
from werkzeug.routing import BuildError

from normgraph.mappings.relations import relations
from normgraph.server.explorer.layout import colour

_HERE = Path(__file__).resolve().parent.parent  # templates/ and static/ of the server package
bp = Blueprint("explorer", __name__, url_prefix="/explore", static_folder=str(_HERE / "static"),
               static_url_path="/static", template_folder=str(_HERE / "templates"))

#: the query parameters each view reads; anything else in a query string is ignored (and never reaches a
#: cache key or a link the page writes)
VIEW_PARAMS: dict[str, tuple[str, ...]] = {
    "explorer.catalog": ("q",),
    "explorer.search": ("q", "catalog"),
    "explorer.resource": ("iri",),
    "explorer.matrix": ("from", "to", "scope", "relation", "set", "show"),
    "explorer.neighbourhood": ("iri", "hops"),
}


bp.add_app_template_global(colour, "colour")
bp.add_app_template_global(relations, "mapping_relations")  # the relation facts, for the legend (explorer/_macros.html)


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
    args: dict[str, Any] = {k: request.args.getlist(k) for k in request.args if k in keep}
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

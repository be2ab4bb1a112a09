"""Linked data: every IRI under https://w3id.org/normgraph/id/ resolves here at /id/…, and /context.jsonld.

No 303 dance: /id/X answers directly with a concise bounded description of the resource (triples
with it as subject, plus labels of the objects) in Turtle (default), JSON-LD, N-Triples or RDF/XML.
Browsers (HTML ranked first) are sent to the crosswalk explorer's page when that blueprint is
registered, else get a simple HTML table. Unknown IRIs → 404.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, request, url_for

from normgraph.iri import NGID, PREFIXES, curie, is_iri
from normgraph.queries import get_query
from normgraph.server.kernel import current_config, current_store, fail
from normgraph.server.negotiation import GRAPH_TYPES, NotAcceptable, negotiate, prefers_html
from normgraph.server.results import run_query
from normgraph.store import SelectResult

bp = Blueprint("linked_data", __name__)

LIMIT = 2000
CONTEXT_FILE = Path(__file__).resolve().parent.parent / "exports" / "context.jsonld"


def _describe_query(iri: str) -> str:
    return get_query("resource-description").bind({"resource": iri, "limit": str(LIMIT)})


@bp.get("/id/<path:local>")
def resource(local: str) -> Response:
    iri = f"{NGID}{local}"
    if not local or not is_iri(iri):
        raise fail(404, f"no resource <{iri}>")
    store = current_store()
    known = store.query(get_query("resource-exists").bind({"resource": iri}), timeout=current_config().query_timeout)
    if not bool(known):
        raise fail(404, f"no resource <{iri}> in this graph")
    if prefers_html(request, [t for ts in GRAPH_TYPES.values() for t in ts if t not in ("text/plain",)]):
        if "explorer.resource" in current_app.view_functions:
            resp = redirect(url_for("explorer.resource", iri=iri), code=302)
            resp.headers["Vary"] = "Accept"
            return resp  # type: ignore[return-value]
        return _html(iri)
    try:
        negotiate(request, GRAPH_TYPES)
    except NotAcceptable as e:
        raise fail(406, str(e)) from None
    return run_query(store, _describe_query(iri), None, types=GRAPH_TYPES)


def _html(iri: str) -> Response:
    store = current_store()
    rows = store.query(
        get_query("resource-properties").bind({"resource": iri, "limit": str(LIMIT)}),
        timeout=current_config().query_timeout,
    )
    assert isinstance(rows, SelectResult)
    body = []
    for row in rows:
        o = row.get("o")
        text = html.escape(curie(str(o)) if str(o).startswith("http") else str(o))
        if o is not None and str(o).startswith(str(NGID)):
            text = f'<a href="/id/{html.escape(str(o)[len(str(NGID)):])}">{text}</a>'
        label = f" — {html.escape(str(row['label']))}" if row.get("label") else ""
        body.append(f"<tr><th>{html.escape(curie(str(row['p'])))}</th><td>{text}{label}</td></tr>")
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(curie(iri))}</title>'
            f"</head><body><h1>{html.escape(curie(iri))}</h1><p><code>{html.escape(iri)}</code></p>"
            f"<table>{''.join(body)}</table></body></html>")
    resp = Response(page, mimetype="text/html")
    resp.headers["Vary"] = "Accept"
    return resp


@bp.get("/context.jsonld")
def context() -> Response:
    body = CONTEXT_FILE.read_bytes() if CONTEXT_FILE.is_file() else json.dumps({"@context": dict(PREFIXES)}, indent=2).encode()
    return Response(body, content_type="application/ld+json")

"""The SPARQL 1.1 Protocol endpoint at /sparql (query and, with a token, update).

- query: GET `?query=`, POST `application/x-www-form-urlencoded` (`query=`), POST `application/sparql-query`;
- update: POST form `update=` or POST `application/sparql-update`, only with `Authorization: Bearer <token>`;
- dataset: `default-graph-uri` / `named-graph-uri` (override FROM / FROM NAMED, which resolve against
  local named graphs only); without either the default graph is the union of all named graphs;
- results by Accept (q-values) or `?format=`; errors are text/plain with the reason.
"""

from __future__ import annotations

import html

from flask import Blueprint, Request, Response, current_app, request
from werkzeug.datastructures import MultiDict

from normgraph.iri import is_iri
from normgraph.queries import get_query
from normgraph.server.kernel import (
    client_key,
    current_config,
    current_store,
    fail,
    require_write_token,
    store_failure,
)
from normgraph.server.negotiation import NotAcceptable, negotiate, prefers_html
from normgraph.server.results import run_query
from normgraph.server.service_description import SD_TYPES, service_description
from normgraph.store import Dataset, QuerySyntaxError, Store, StoreError
from normgraph.store.admission import heavy
from normgraph.store.cache import BoundedCache
from normgraph.store.sparql_text import OutboundRefused, check_sparql

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
#: characters of a query or update text (named queries are a few KB; a text this long is an attack)
MAX_TEXT = 1024 * 1024


# -- request decoding ------------------------------------------------------------------------------
#: The decoded parameters of recent GET query strings, by the raw query string. Decoding is a pure function of
#: those bytes, and the named queries come back again and again: percent-decoding a 3 KB query in Python
#: (urllib's unquote) was the biggest single cost of an uncached request in the server process. The value is
#: werkzeug's own immutable parse of the same bytes, shared read-only between requests.
_ARGS: BoundedCache[bytes, MultiDict[str, str]] = BoundedCache(1024, 16 * 1024 * 1024)
#: query strings longer than this are decoded every time, never kept
ARGS_MEMO_BYTES = 256 * 1024


@bp.before_request
def _decoded_args() -> None:
    """request.args from the memo (werkzeug's cached property takes the value as if it had parsed it)."""
    raw = request.query_string
    if request.method != "GET" or not raw or len(raw) > ARGS_MEMO_BYTES:
        return
    args = _ARGS.get(raw)
    if args is None:
        args = request.args  # werkzeug parses it, as for any request
        _ARGS.put(raw, args, 3 * len(raw) + 256)
    else:
        request.args = args


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise fail(400, f"the {name!r} parameter is given {len(values)} times; give it once")
    return values[0] if values else None


def _content_type(req: Request) -> str:
    return (req.mimetype or "").lower()


def _body_text(req: Request) -> str:
    """The body as text: the Protocol's bodies are UTF-8 (any other declared charset is refused)."""
    charset = (req.mimetype_params.get("charset") or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise fail(415, f"the request body must be UTF-8, not {charset}")
    try:
        return req.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError as e:
        raise fail(400, f"the request body is not valid UTF-8: {e}") from None


def read_operation(req: Request) -> tuple[str, str | None]:
    """("query"|"update"|"none", text). Decodes exactly once; enforces one parameter, known content types."""
    if req.method == "GET":
        if req.args.getlist("update"):
            raise fail(400, "SPARQL Update must be sent with POST")
        return _kind(_one(req.args.getlist("query"), "query"), None)
    ctype = _content_type(req)
    if not ctype:
        raise fail(400, f"a POST needs a Content-Type: {FORM}, {QUERY} or {UPDATE}")
    if ctype == FORM:
        if req.args.getlist("query") or req.args.getlist("update"):
            raise fail(400, "with a form POST, put 'query' / 'update' in the body, not the URL")
        q = _one(req.form.getlist("query"), "query")
        u = _one(req.form.getlist("update"), "update")
        if q is not None and u is not None:
            raise fail(400, "give either 'query' or 'update', not both")
        return _kind(q, u)
    if ctype == QUERY:
        if req.args.getlist("query"):
            raise fail(400, "the query is in the body; do not repeat it in the URL")
        return "query", _body_text(req)
    if ctype == UPDATE:
        return "update", _body_text(req)
    raise fail(415, f"unsupported Content-Type {ctype!r}; use {FORM}, {QUERY} or {UPDATE}")


def _kind(query: str | None, update: str | None) -> tuple[str, str | None]:
    if query is not None:
        return "query", query
    if update is not None:
        return "update", update
    return "none", None


def read_dataset(req: Request) -> Dataset | None:
    defaults = req.args.getlist("default-graph-uri")
    named = req.args.getlist("named-graph-uri")
    if req.method == "POST" and _content_type(req) == FORM:
        defaults += req.form.getlist("default-graph-uri")
        named += req.form.getlist("named-graph-uri")
    if not defaults and not named:
        return None
    for iri in defaults + named:
        if not _absolute_iri(iri):
            raise fail(400, f"{iri!r} is not an absolute IRI (default-graph-uri / named-graph-uri)")
    # As Oxigraph's server: a protocol dataset replaces the query's; what is not given is empty.
    return Dataset(tuple(defaults), tuple(named))


def _absolute_iri(iri: str) -> bool:
    return is_iri(iri)


# -- update execution ------------------------------------------------------------------------------
def run_update(store: Store, text: str) -> Response:
    require_write_token()
    if request.args.getlist("using-graph-uri") or request.args.getlist("using-named-graph-uri") or (
        _content_type(request) == FORM
        and (request.form.getlist("using-graph-uri") or request.form.getlist("using-named-graph-uri"))
    ):
        raise fail(400, "using-graph-uri / using-named-graph-uri are not supported; write USING in the update")
    info = check_sparql(text)
    if info.outbound:
        raise fail(400, f"{info.outbound} is not allowed: this endpoint never fetches remote data")
    try:
        store.update(text)
    except QuerySyntaxError as e:
        raise fail(400, f"update syntax error: {e}") from None
    except OutboundRefused as e:
        raise fail(400, str(e)) from None
    except StoreError as e:
        raise store_failure(e) from None
    return Response(status=204)


# -- the route -------------------------------------------------------------------------------------
@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    kind, text = read_operation(request)
    if text is not None and len(text) > MAX_TEXT:
        raise fail(413, f"the {kind} text has {len(text)} characters; at most {MAX_TEXT} are taken")
    store = current_store()
    if kind == "query":
        assert text is not None
        with heavy(client_key()):  # a client's own query: admission control (normgraph/store/admission.py)
            return run_query(store, text, read_dataset(request), compress=True)
    if kind == "update":
        assert text is not None
        return run_update(store, text)
    # no query, no update
    extra = [k for k in request.args if k != "format"]
    if request.method == "POST" or extra:
        raise fail(400, "missing 'query' (or 'update') parameter")
    if prefers_html(request, [t for ts in SD_TYPES.values() for t in ts]):
        return query_page()
    try:
        fmt = negotiate(request, SD_TYPES)
    except NotAcceptable as e:
        raise fail(406, str(e)) from None
    body, media = service_description(fmt, store, updates=bool(current_config().update_token))
    resp = Response(body, content_type=media)
    resp.headers["Vary"] = "Accept"
    return resp


def query_page() -> Response:
    view = current_app.view_functions.get("ui.query_ui")
    page = current_app.ensure_sync(view)() if view is not None else Response(_fallback_html(), mimetype="text/html")
    resp = current_app.make_response(page)
    resp.headers["Vary"] = "Accept"
    return resp


_FALLBACK_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>normgraph SPARQL endpoint</title></head>
<body>
<h1>normgraph SPARQL endpoint</h1>
<p>SPARQL 1.1 Protocol endpoint. The default graph is the union of all named graphs.</p>
<form method="get" action="">
<textarea name="query" rows="14" cols="90">{query}</textarea><br>
<label>Results as <select name="format">
<option value="json">SPARQL JSON</option><option value="xml">SPARQL XML</option>
<option value="csv">CSV</option><option value="tsv">TSV</option>
<option value="turtle">Turtle (CONSTRUCT/DESCRIBE)</option><option value="jsonld">JSON-LD</option>
</select></label>
<button type="submit">Run</button>
</form>
</body></html>
"""


def _fallback_html() -> str:
    """The plain page (no query UI registered), opening with the named query graph-provenance."""
    return _FALLBACK_HTML.replace("{query}", html.escape(get_query("graph-provenance").text))

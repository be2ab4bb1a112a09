"""The SPARQL 1.1 Protocol endpoint at /sparql (query and, with a token, update). GUIDE §7.

- query: GET `?query=`, POST `application/x-www-form-urlencoded` (`query=`), POST `application/sparql-query`;
- update: POST form `update=` or POST `application/sparql-update`, only with `Authorization: Bearer <token>`;
- dataset: `default-graph-uri` / `named-graph-uri` (override FROM / FROM NAMED, which resolve against
  local named graphs only); without either the default graph is the union of all named graphs;
- results by Accept (q-values) or `?format=`; errors are text/plain with the reason.
"""

from __future__ import annotations

import gzip
import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Blueprint, Request, Response, current_app, request
from werkzeug.exceptions import HTTPException

from normgraph.iri import is_iri
from normgraph.server.config import ServerConfig
from normgraph.server.negotiation import GRAPH_TYPES, RESULT_TYPES, NotAcceptable, negotiate, prefers_html
from normgraph.store import Dataset, QuerySyntaxError, QueryTimeout, Store, StoreError
from normgraph.store.sparql_text import OutboundRefused, ResultTooLarge, check_sparql

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"


@dataclass
class AppState:
    store: Store
    config: ServerConfig


def state() -> AppState:
    return current_app.extensions["normgraph"]  # type: ignore[no-any-return]


def plain(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    resp = Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)
    return resp


class ProtocolError(HTTPException):
    """An HTTP error with a text/plain reason (the error handler in normgraph/server/__init__ renders it)."""

    def __init__(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description=message, response=plain(message, code, headers))
        self.code = code


def fail(code: int, message: str, headers: dict[str, str] | None = None) -> ProtocolError:
    return ProtocolError(code, message, headers)


# -- request decoding ------------------------------------------------------------------------------
def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise fail(400, f"the {name!r} parameter is given {len(values)} times; give it once")
    return values[0] if values else None


def _content_type(req: Request) -> str:
    return (req.mimetype or "").lower()


def _body_text(req: Request) -> str:
    charset = (req.mimetype_params.get("charset") or "utf-8").lower()
    try:
        return req.get_data(cache=True).decode(charset)
    except (LookupError, UnicodeDecodeError) as e:
        raise fail(400, f"the request body is not valid {charset}: {e}") from None


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


# -- query execution -------------------------------------------------------------------------------
def run_query(store: Store, sparql: str, dataset: Dataset | None, *, types: dict[str, tuple[str, ...]] | None = None,
              fmt: str | None = None, compress: bool = False) -> Response:
    cfg = state().config
    info = check_sparql(sparql)
    if info.outbound:
        raise fail(400, f"{info.outbound} is not allowed: this endpoint never fetches remote data")
    if types is None:
        types = GRAPH_TYPES if info.form == "graph" else RESULT_TYPES
    if fmt is None:
        try:
            fmt = negotiate(request, types)
        except NotAcceptable as e:
            raise fail(406, str(e)) from None
    if dataset is None and info.has_from:
        dataset = Dataset(from_query=True)
    try:
        body, media, _form = store.query_serialized(sparql, fmt, dataset=dataset, timeout=cfg.query_timeout)
    except QuerySyntaxError as e:
        raise fail(400, f"query syntax error: {e}") from None
    except OutboundRefused as e:
        raise fail(400, str(e)) from None
    except QueryTimeout as e:
        raise fail(503, f"query timeout: {e}", {"Retry-After": "1"}) from None
    except ResultTooLarge as e:
        raise fail(422, f"result too large: {e}") from None
    except ValueError as e:  # format does not suit the query form (form detection missed)
        raise fail(406, str(e)) from None
    except StoreError as e:
        raise store_failure(e) from None
    charset = "; charset=utf-8" if media.startswith("text/") or media.endswith(("json", "xml")) else ""
    # Only responses that go straight to the client are compressed (callers such as /api read the body).
    encoded = gzipped(body) if compress and _accepts_gzip() else None
    resp = Response(encoded or body, status=200, content_type=media + charset)
    resp.headers["Vary"] = "Accept, Accept-Encoding"
    if encoded is not None:
        resp.headers["Content-Encoding"] = "gzip"
    return resp


#: Bodies at least this big go out gzip-compressed to clients that accept it (explorer-records is
#: 2.5 MB of JSON: sending it, and parsing it on the client, dominated the endpoint's p99).
GZIP_MIN_BYTES = 32 * 1024
_GZIP_ENTRIES = 32
_gzip_cache: OrderedDict[tuple[int, int], tuple[bytes, bytes]] = OrderedDict()
_gzip_lock = threading.Lock()


def _accepts_gzip() -> bool:
    return any(enc.strip().split(";")[0] == "gzip" and not enc.strip().endswith("q=0")
               for enc in request.headers.get("Accept-Encoding", "").split(","))


def gzipped(body: bytes) -> bytes | None:
    """The gzip encoding of a big body, or None for a small one. Cached results are the same bytes
    object on every hit, so the compressed form is kept per object (the entry holds the body, so its
    id cannot be reused while the entry lives)."""
    if len(body) < GZIP_MIN_BYTES:
        return None
    key = (id(body), len(body))
    with _gzip_lock:
        hit = _gzip_cache.get(key)
        if hit is not None and hit[0] is body:
            _gzip_cache.move_to_end(key)
            return hit[1]
    encoded = gzip.compress(body, compresslevel=5, mtime=0)
    with _gzip_lock:
        _gzip_cache[key] = (body, encoded)
        while len(_gzip_cache) > _GZIP_ENTRIES:
            _gzip_cache.popitem(last=False)
    return encoded


def store_failure(e: StoreError) -> ProtocolError:
    """500 (embedded store), 502 (the remote store answered with an error) or 503 (it did not answer)."""
    from normgraph.server import store_error_status

    code, message = store_error_status(e, state().store.location)
    return fail(code, message, {"Retry-After": "5"} if code == 503 else None)


# -- authorisation ---------------------------------------------------------------------------------
def require_write_token() -> None:
    """403 when writes are disabled or the token is wrong; 401 with WWW-Authenticate when it is missing."""
    token = state().config.update_token
    if not token:
        raise fail(403, "this endpoint is read-only (no update token is configured)")
    header = request.headers.get("Authorization", "")
    scheme, _sp, given = header.partition(" ")
    if not header:
        raise fail(401, "updates need 'Authorization: Bearer <token>'",
                   {"WWW-Authenticate": 'Bearer realm="normgraph"'})
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise fail(403, "wrong update token")


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
    store = state().store
    if kind == "query":
        assert text is not None
        return run_query(store, text, read_dataset(request), compress=True)
    if kind == "update":
        assert text is not None
        return run_update(store, text)
    # no query, no update
    extra = [k for k in request.args if k != "format"]
    if request.method == "POST" or extra:
        raise fail(400, "missing 'query' (or 'update') parameter")
    from normgraph.server.service_description import SD_TYPES

    if prefers_html(request, [t for ts in SD_TYPES.values() for t in ts]):
        return query_page()
    try:
        fmt = negotiate(request, SD_TYPES)
    except NotAcceptable as e:
        raise fail(406, str(e)) from None
    body, media = _service_description(fmt, store)
    resp = Response(body, content_type=media)
    resp.headers["Vary"] = "Accept"
    return resp


def _service_description(fmt: str, store: Store) -> tuple[bytes, str]:
    """The service description; when serving a remote store, it also says how the union default graph is made."""
    from normgraph.server.service_description import _RDFLIB, SD, SD_TYPES, description_graph, service_description

    mode_of = getattr(store, "default_graph_mode", None)
    if not callable(mode_of):
        return service_description(fmt)
    from rdflib import Literal, URIRef
    from rdflib.namespace import DCTERMS, RDFS

    g = description_graph(request.base_url, updates=bool(state().config.update_token))
    try:
        mode = mode_of()
    except (StoreError, QueryTimeout) as e:
        mode = f"unknown ({e})"
    where = store.location
    words = {
        "native": f"the remote store {where} provides it natively (its default graph is the union: "
                  "sd:UnionDefaultGraph); queries are sent unchanged",
        "dataset": f"the remote store {where} does not provide it, so normgraph sends every query with "
                   "default-graph-uri and named-graph-uri listing all named graphs",
        None: f"the remote store {where} is empty, so how it treats the default graph is not known yet; until "
              "it is, queries are sent with an explicit dataset",
    }.get(mode, f"how the remote store {where} treats the default graph is {mode}")  # type: ignore[call-overload]
    svc = URIRef(request.base_url)
    g.add((svc, DCTERMS.source, URIRef(where)))
    for ds in g.objects(svc, SD.defaultDataset):
        for dg in g.objects(ds, SD.defaultGraph):
            g.add((dg, RDFS.comment, Literal(f"The union of all named graphs: {words}.")))
    return g.serialize(format=_RDFLIB[fmt], encoding="utf-8"), SD_TYPES[fmt][0]


def query_page() -> Response:
    view = current_app.view_functions.get("ui.query_ui")
    resp = current_app.make_response(view()) if view is not None else Response(_FALLBACK_HTML, mimetype="text/html")
    resp.headers["Vary"] = "Accept"
    return resp


_FALLBACK_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>normgraph SPARQL endpoint</title></head>
<body>
<h1>normgraph SPARQL endpoint</h1>
<p>SPARQL 1.1 Protocol endpoint. The default graph is the union of all named graphs.</p>
<form method="get" action="">
<textarea name="query" rows="14" cols="90">SELECT ?graph (COUNT(*) AS ?triples)
WHERE { GRAPH ?graph { ?s ?p ?o } }
GROUP BY ?graph ORDER BY ?graph</textarea><br>
<label>Results as <select name="format">
<option value="json">SPARQL JSON</option><option value="xml">SPARQL XML</option>
<option value="csv">CSV</option><option value="tsv">TSV</option>
<option value="turtle">Turtle (CONSTRUCT/DESCRIBE)</option><option value="jsonld">JSON-LD</option>
</select></label>
<button type="submit">Run</button>
</form>
</body></html>
"""



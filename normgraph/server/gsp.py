"""SPARQL 1.1 Graph Store HTTP Protocol at /store (the path Oxigraph's server uses).

- GET/HEAD `/store?graph=IRI`: one named graph (Turtle default; N-Triples, JSON-LD, RDF/XML by Accept);
  `/store?default`: the default graph, i.e. the union of all named graphs; `/store`: the whole dataset
  (N-Quads default, TriG).
- PUT (replace), POST (add to), DELETE `/store?graph=IRI`: only with the update token (see /sparql).
  The default graph is a read-only union: writes to `?default` are refused with 400.
- Uploads: Turtle, N-Triples, JSON-LD (no remote @context / @import, at most 64 levels deep: 400; checked in an
  upload's capped child process, so 503 with Retry-After when the upload slots are busy), RDF/XML (no DOCTYPE
  or entity declarations: 400).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Response, request

from normgraph.exports.jsonld import inline_own_context
from normgraph.iri import is_iri
from normgraph.orgdata.limits import MAX_JSON_DEPTH, json_depth
from normgraph.orgdata.sandbox import WorkerLimit
from normgraph.queries import get_query
from normgraph.server.kernel import client_key, current_store, fail, require_write_token, store_failure
from normgraph.server.negotiation import GRAPH_TYPES, NotAcceptable, negotiate
from normgraph.server.results import run_query
from normgraph.server.upload_admission import RETRY_AFTER, UploadBusy, read_upload
from normgraph.store import QueryTimeout, RdfSyntaxError, StoreError
from normgraph.store.oxigraph import refuse_xml_declarations
from normgraph.store.remote import RemoteStoreError

bp = Blueprint("gsp", __name__)

DATASET_TYPES: dict[str, tuple[str, ...]] = {"nquads": ("application/n-quads",), "trig": ("application/trig",)}
UPLOAD_TYPES = {media: name for name, ms in GRAPH_TYPES.items() for media in ms if media not in ("text/plain",)}
UPLOAD_TYPES["application/json"] = "jsonld"
#: whole-store dumps made at once (each client one at a time)
MAX_DUMPS = 2
_DUMPING: set[str] = set()
_DUMPING_LOCK = threading.Lock()


@contextmanager
def _dump_slot(client: str) -> Iterator[None]:
    """A dump slot for `client`, or 503 with Retry-After when it has one already or all are taken."""
    with _DUMPING_LOCK:
        if client in _DUMPING or len(_DUMPING) >= MAX_DUMPS:
            raise fail(503, "another whole-store dump is being made; try again shortly", {"Retry-After": "5"})
        _DUMPING.add(client)
    try:
        yield
    finally:
        with _DUMPING_LOCK:
            _DUMPING.discard(client)


def _target() -> str | None:
    """The graph IRI (None for ?default); 400 when neither or both are given."""
    graphs = request.args.getlist("graph")
    default = "default" in request.args
    if len(graphs) > 1 or (graphs and default):
        raise fail(400, "give exactly one of ?graph=IRI or ?default")
    if graphs:
        if not is_iri(graphs[0]):
            raise fail(400, f"{graphs[0]!r} is not an absolute IRI")
        return graphs[0]
    if default:
        return None
    raise fail(400, "give ?graph=IRI or ?default")


@bp.route("/store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    store = current_store()
    if request.method in ("GET", "HEAD"):
        if not request.args:
            try:
                fmt = negotiate(request, DATASET_TYPES)
            except NotAcceptable as e:
                raise fail(406, str(e)) from None
            # a whole-store dump is the heaviest read there is: one at a time per client, MAX_DUMPS at once in
            # all, the others told to come back (one client looping on dumps no longer keeps everyone out)
            with _dump_slot(client_key()):
                body = store.export(fmt)
            resp = Response(body, content_type=DATASET_TYPES[fmt][0])
            resp.headers["Vary"] = "Accept"
            return resp
        graph = _target()
        if graph is None:
            return run_query(store, get_query("default-graph").bind(), None, types=GRAPH_TYPES)
        if graph not in store.graphs():
            raise fail(404, f"no graph <{graph}>")
        try:
            fmt = negotiate(request, GRAPH_TYPES)
        except NotAcceptable as e:
            raise fail(406, str(e)) from None
        resp = Response(store.export(fmt, graph), content_type=GRAPH_TYPES[fmt][0])
        resp.headers["Vary"] = "Accept"
        return resp

    require_write_token()
    graph = _target()
    if graph is None:
        raise fail(400, "the default graph is the read-only union of the named graphs; write to ?graph=IRI")
    if request.method == "DELETE":
        if graph not in store.graphs():
            raise fail(404, f"no graph <{graph}>")
        store.drop(graph)
        return Response(status=204)
    ctype = (request.mimetype or "").lower()
    if ctype not in UPLOAD_TYPES:
        raise fail(415, f"unsupported Content-Type {ctype!r}; use one of {', '.join(sorted(UPLOAD_TYPES))}")
    fmt = UPLOAD_TYPES[ctype]
    data = request.get_data(cache=False)
    if fmt == "jsonld":
        data = reject_remote_context(data)
    if fmt == "rdfxml":
        try:
            refuse_xml_declarations(data)
        except RdfSyntaxError as e:
            raise fail(400, str(e)) from None
    existed = graph in store.graphs()
    try:
        store.load(data, fmt, graph, replace=request.method == "PUT")
    except RdfSyntaxError as e:
        raise fail(400, f"RDF syntax error: {e}") from None
    except QueryTimeout as e:
        raise fail(503, str(e)) from None
    except RemoteStoreError as e:  # the remote store failed (the data parsed here): not the client's fault
        raise store_failure(e) from None
    except (StoreError, ValueError) as e:
        raise fail(400, str(e)) from None
    return Response(status=204 if existed else 201)


def reject_remote_context(data: bytes) -> bytes:
    """The JSON-LD upload with normgraph's own context inlined; 400 when it names any other external
    context (@context string or @import): a processor would fetch it, and normgraph never does.

    Read in an upload's capped child process (normgraph/server/upload_admission.py): parsed JSON takes many
    times its size in memory, and the server keeps only the rewritten document."""
    try:
        return read_upload(lambda: inline_context(data))
    except ValueError as e:
        raise fail(400, str(e)) from None
    except UploadBusy as e:
        raise fail(503, f"{e}; try again in {RETRY_AFTER} s", {"Retry-After": str(RETRY_AFTER)}) from None
    except WorkerLimit as e:
        if e.kind == "time":
            raise fail(503, f"JSON-LD upload: {e}", {"Retry-After": str(RETRY_AFTER)}) from None
        raise fail(413, f"JSON-LD upload: {e}") from None


def inline_context(data: bytes) -> bytes:
    """The JSON-LD document with normgraph's own context inlined; ValueError when it is not JSON, is nested
    deeper than MAX_JSON_DEPTH or names another external context."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"JSON-LD is not valid JSON: {e}") from None
    except RecursionError:
        doc = None
    if doc is None or json_depth(doc) > MAX_JSON_DEPTH:
        raise ValueError(f"JSON-LD nested deeper than {MAX_JSON_DEPTH} levels")
    doc, remote = inline_own_context(doc)
    if remote:
        raise ValueError(f"remote JSON-LD context {remote[0]} is not fetched; inline the context")
    return json.dumps(doc).encode("utf-8")

"""Organisation data import over HTTP: `POST /org/<slug>/import` (blueprint "org_import").

The body is either multipart/form-data (one or more file fields; the format comes from each file's
name unless `?format=` is given) or the raw file (`?format=csv|xlsx|ttl|jsonld`, or a Content-Type
that names one). `?kind=soa|risks|evidence|ai-systems` says what a CSV/XLSX file must be (its header
selects the template; a different template is refused); Turtle/JSON-LD are taken as they are
(subjects must be the organisation's own IRIs, see normgraph/orgdata/rdfimport.py).
`?replace=1` makes the upload the complete new content of ngg:org/<slug>; by default it is added.

- Writes need a principal that may write the organisation's graph (its editors, the global admin — the
  update token is one; docs/security.md): 401 without credentials, 403 otherwise, before the body is read.
- Bodies over NORMGRAPH_MAX_UPLOAD: 413 before the body is read (Content-Length), and a chunked body
  is read through a cap and refused with 413 as soon as it passes the limit.
- Every file is parsed and checked before anything is written; the first bad cell gives 400 JSON
  `{"error", "file", "row", "column", "reason"}` and the store is unchanged.
- Success: 200 JSON `{"graph", "files", "triples_loaded", "graph_size"}`.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request
from rdflib import Graph
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import parse_form_data

from normgraph.access.model import scope_of
from normgraph.iri import local_id, org_graph
from normgraph.orgdata import import_file
from normgraph.orgdata.errors import OrgDataError
from normgraph.orgdata.tabular import detect_template, read_rows
from normgraph.server.kernel import current_config, current_store, require_writer, without_paths
from normgraph.store import QueryTimeout, RdfSyntaxError, StoreError

bp = Blueprint("org_import", __name__)

#: ?format= value -> file suffix the importer dispatches on
FORMATS = {"csv": ".csv", "xlsx": ".xlsx", "ttl": ".ttl", "turtle": ".ttl", "jsonld": ".jsonld", "json-ld": ".jsonld"}
MEDIA = {
    "text/csv": ".csv",
    "application/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/turtle": ".ttl",
    "application/x-turtle": ".ttl",
    "application/ld+json": ".jsonld",
}
#: ?kind= value -> template kind (normgraph/orgdata/templates.py)
KINDS = {"soa": "soa", "risks": "risk-register", "evidence": "evidence-register", "ai-systems": "ai-systems"}
CHUNK = 64 * 1024


def _json(status: int, **body: Any) -> Response:
    resp = jsonify({"status": status, **body})
    resp.status_code = status
    return resp


def _bad(file: str | None, row: int | None, column: str | None, reason: str) -> Response:
    where = file or "request"
    if row is not None:
        where += f", row {row}"
    if column:
        where += f", column {column!r}"
    return _json(400, error=f"{where}: {reason}", file=file, row=row, column=column, reason=reason)


class _TooLarge(Exception):
    pass


def read_capped(stream: Any, limit: int) -> bytes:
    """Read a body of unknown length, refusing (with _TooLarge) as soon as it passes `limit` bytes."""
    buf = io.BytesIO()
    while True:
        chunk = stream.read(min(CHUNK, limit + 1 - buf.tell()) or 1)
        if not chunk:
            return buf.getvalue()
        buf.write(chunk)
        if buf.tell() > limit:
            raise _TooLarge


def _safe_name(name: str, suffix: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "upload"
    return base if base.lower().endswith(suffix) else f"{base}{suffix}"


def _suffix_for(name: str | None, fmt: str | None, media: str | None) -> str | None:
    if fmt:
        return FORMATS.get(fmt.strip().lower())
    if name:
        suffix = Path(name).suffix.lower()
        if suffix in (".csv", ".xlsx", ".ttl", ".jsonld", ".json"):
            return suffix
    if media:
        return MEDIA.get(media.lower())
    return None


@bp.before_app_request
def cap_streamed_bodies() -> Response | None:
    """App-wide: read a body without Content-Length (chunked) through the cap, 413 once it passes it.

    Werkzeug, when the server terminates the stream (waitress, gunicorn set `wsgi.input_terminated`),
    silently *truncates* such a body at MAX_CONTENT_LENGTH instead of refusing it — a truncated
    N-Triples upload or update could then be written in part. Here the body is read up to the limit
    + 1 byte: over it → 413; otherwise the request continues with the body in memory and a
    Content-Length, so every route (/sparql, /store, imports) sees the whole body or none.
    """
    env = request.environ
    if request.content_length is not None or "wsgi.input_terminated" not in env:
        return None
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    limit = current_config().max_upload
    try:
        body = read_capped(env["wsgi.input"], limit)
    except _TooLarge:
        return _too_large(limit)
    env["wsgi.input"] = io.BytesIO(body)
    env["CONTENT_LENGTH"] = str(len(body))
    del env["wsgi.input_terminated"]
    env.pop("HTTP_TRANSFER_ENCODING", None)
    return None


def _too_large(limit: int) -> Response:
    message = f"request body is over the limit of {limit} bytes"
    if request.path.startswith("/org/"):
        return _json(413, error=message)
    return Response(message + "\n", status=413, mimetype="text/plain", headers={"Connection": "close"})


@bp.post("/org/<slug>/import")
def import_org_data(slug: str) -> Response:
    principal = require_writer()
    limit = current_config().max_upload
    length = request.content_length
    if length is not None and length > limit:  # also checked app-wide; never read such a body
        return _json(413, error=f"request body of {length} bytes is over the limit of {limit}")
    try:
        local_id(slug)
    except ValueError as e:
        return _bad(None, None, None, f"bad organisation slug {slug!r}: {e}")
    if not scope_of(principal).may_write(str(org_graph(slug))):  # before reading the body, not after parsing it
        return _json(403, error=f"you may not write the data of organisation {slug!r}")
    fmt = request.args.get("format")
    if fmt is not None and fmt.strip().lower() not in FORMATS:
        return _bad(None, None, None, f"unknown format {fmt!r}; use csv, xlsx, ttl or jsonld")
    kind = request.args.get("kind")
    if kind is not None and kind not in KINDS:
        return _bad(None, None, None, f"unknown kind {kind!r}; use {', '.join(KINDS)}")
    replace = request.args.get("replace", "0").lower() in ("1", "true", "yes")

    try:
        body = read_capped(request.stream, limit)
    except (_TooLarge, RequestEntityTooLarge):
        return _json(413, error=f"request body is over the limit of {limit} bytes")

    uploads: list[tuple[str, bytes]] = []  # (client's file name, content)
    if (request.mimetype or "").lower() == "multipart/form-data":
        environ = {**request.environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        try:
            _stream, _form, files = parse_form_data(environ, max_content_length=limit)
        except RequestEntityTooLarge:
            return _json(413, error=f"request body is over the limit of {limit} bytes")
        except ValueError as e:
            return _bad(None, None, None, f"malformed multipart body: {e}")
        for _field, storages in files.lists():
            for storage in storages:
                assert isinstance(storage, FileStorage)
                uploads.append((storage.filename or "upload", storage.read()))
        if not uploads:
            return _bad(None, None, None, "the multipart body has no file field")
    else:
        uploads.append((request.args.get("filename") or "upload", body))
    if not any(content for _n, content in uploads):
        return _bad(uploads[0][0], None, None, "empty upload")

    union = Graph()
    names: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ng-import-") as tmp:
        for i, (name, content) in enumerate(uploads):
            suffix = _suffix_for(name, fmt, None if len(uploads) > 1 else request.mimetype)
            if suffix is None:
                return _bad(name, None, None, "unknown file format: give ?format=csv|xlsx|ttl|jsonld or a file name "
                                              "ending in .csv, .xlsx, .ttl or .jsonld")
            path = Path(tmp) / str(i) / _safe_name(name, suffix)
            path.parent.mkdir()
            path.write_bytes(content)
            try:
                if kind is not None and suffix in (".csv", ".xlsx"):
                    header, _rows = read_rows(path, max_rows=1)  # the header only: the import reads the rows
                    template = detect_template(path, header)
                    if template.kind != KINDS[kind]:
                        raise OrgDataError(path, 1, None, f"this is a {template.kind} table, not {kind} ({KINDS[kind]})")
                union += import_file(path, slug)
            except OrgDataError as e:
                return _bad(name, e.row, e.column, e.reason)
            names.append(name)
        loaded = len(union)
        data = union.serialize(format="nt", encoding="utf-8")
    graph = str(org_graph(slug))
    try:
        size = current_store().load(data, "ntriples", graph, replace=replace)
    except RdfSyntaxError as e:  # pragma: no cover - we wrote the N-Triples ourselves
        return _bad(None, None, None, str(e))
    except QueryTimeout as e:
        return _json(503, error=str(e))
    except (StoreError, ValueError) as e:
        return _json(500, error=without_paths(f"store error: {e}"))
    return _json(200, graph=graph, files=names, triples_loaded=loaded, graph_size=size, replaced=replace)

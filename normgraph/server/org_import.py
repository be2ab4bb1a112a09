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
- The files are read in a capped child process (normgraph/server/upload_admission.py): at most
  NORMGRAPH_UPLOAD_WORKERS at once, one client at most half of them; when none is free, 503 with Retry-After
  at once. Over the memory cap: 413; over the time limit: 503. The server keeps only the triples read.
- Success: 200 JSON `{"graph", "files", "triples_loaded", "graph_size"}`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for
from rdflib import Graph
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import parse_form_data

from normgraph.access.model import Principal, scope_of
from normgraph.backup import OrgHistory, history_folder, replace_org_graph, restore_previous
from normgraph.iri import local_id, org_graph
from normgraph.orgdata import CheckedFiles, distinct_lines
from normgraph.orgdata.errors import OrgDataError
from normgraph.orgdata.export import FORMATS as EXPORT_FORMATS
from normgraph.orgdata.export import export_rows, template_kind, write_export
from normgraph.orgdata.preview import (
    MAX_PENDING_BYTES,
    PENDING_TTL,
    Pending,
    PendingUploads,
    Previewed,
    digest,
    made_elsewhere,
    make_preview,
)
from normgraph.orgdata.sandbox import WorkerLimit
from normgraph.orgdata.tabular import detect_template, read_rows
from normgraph.orgdata.templates import TEMPLATES
from normgraph.server.kernel import current_config, current_principal, current_store, require_writer, without_paths
from normgraph.server.principal import csrf_token
from normgraph.server.upload_admission import RETRY_AFTER, UploadBusy, read_upload, scratch_for
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
EXPORT_SUFFIXES = (".csv", ".xlsx")


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

    paths: list[tuple[str, Path]] = []
    graph = str(org_graph(slug))
    with tempfile.TemporaryDirectory(prefix="ng-import-") as tmp:
        for i, (name, content) in enumerate(uploads):
            suffix = _suffix_for(name, fmt, None if len(uploads) > 1 else request.mimetype)
            if suffix is None:
                return _bad(name, None, None, "unknown file format: give ?format=csv|xlsx|ttl|jsonld or a file name "
                                              "ending in .csv, .xlsx, .ttl or .jsonld")
            path = Path(tmp) / str(i) / _safe_name(name, suffix)
            path.parent.mkdir()
            path.write_bytes(content)
            paths.append((name, path))
        existing = current_store().export("ntriples", graph) if not replace else None
        try:
            data, loaded = read_upload(lambda: _read_files(paths, slug, kind, existing))
        except OrgDataError as e:
            return _bad(e.file, e.row, e.column, e.reason)
        except (UploadBusy, WorkerLimit) as e:
            return _refused(paths[0][0], e)
    names = [name for name, _path in paths]
    try:
        with _WRITING:
            size = replace_org_graph(current_store(), _round_trip().history, slug, data,
                                     f"before {principal.name} imported {', '.join(names)}", add=not replace)
    except RdfSyntaxError as e:  # pragma: no cover - we wrote the N-Triples ourselves
        return _bad(None, None, None, str(e))
    except QueryTimeout as e:
        return _json(503, error=str(e))
    except (StoreError, ValueError) as e:
        return _json(500, error=without_paths(f"store error: {e}"))
    return _json(200, graph=graph, files=names, triples_loaded=loaded, graph_size=size, replaced=replace)


def _read_files(files: list[tuple[str, Path]], slug: str, kind: str | None,
                existing: bytes | None) -> tuple[bytes, int]:
    """Parse and check every file (in the upload's child process): their triples as N-Triples, and how many.
    `kind`: what a CSV/XLSX file must be (?kind=); `existing`: the graph added to (None when replaced)."""
    checked = CheckedFiles(slug)
    for name, path in files:
        try:
            if kind is not None and path.suffix in (".csv", ".xlsx"):
                header, _rows = read_rows(path, max_rows=1)  # the header only: the import reads the rows
                found = detect_template(path, header).kind
                if found != KINDS[kind]:
                    raise OrgDataError(path, 1, None, f"this is a {found} table, not {kind} ({KINDS[kind]})")
            checked.add(path)
        except OrgDataError as e:
            raise OrgDataError(name, e.row, e.column, e.reason, sheet=e.sheet) from None
    data = checked.ntriples(existing)
    return data, distinct_lines(data)


def _refused(name: str, e: UploadBusy | WorkerLimit) -> Response:
    """The answer when an upload is not read: no free slot or over the time limit (503 with Retry-After: try
    again), or over the memory or result cap (413: the file is too big to read here; split it)."""
    if isinstance(e, WorkerLimit) and e.kind != "time":
        return _json(413, error=f"{name}: {e}; split the file", file=name)
    resp = _json(503, error=f"{name}: {_busy_reason(e)}", file=name)
    resp.headers["Retry-After"] = str(RETRY_AFTER)
    return resp


def _busy_reason(e: UploadBusy | WorkerLimit) -> str:
    if isinstance(e, UploadBusy):
        return f"not read: {e} (uploads are read a few at a time; try again in {RETRY_AFTER} s)"
    return f"{e}; try again when the server is less busy, or split the file"


# -- the spreadsheet round trip: export, upload with preview, confirm, restore -----------------------
#
# GET  /org/<slug>/spreadsheets                      downloads; for editors the upload form and "restore previous"
# GET  /org/<slug>/export/<kind>.<csv|xlsx>           the table as its import template (readers of the organisation)
# POST /org/<slug>/upload                            a file (field `file`, optional `kind`) → 303 to its preview
# GET  /org/<slug>/upload/<token>                    the preview: lines added / changed / removed, validation
# POST /org/<slug>/upload/<token>/confirm | discard  apply it (in one transaction, the old state kept) or drop it
# POST /org/<slug>/restore                           put the state before the last change back
# Writes: editors of the organisation (cookie + CSRF field, or a bearer token); ?format=json answers in JSON.

EXPORT_KINDS = ("soa", "risks", "evidence", "ai-systems")
KIND_TITLES = {"soa": "Statement of Applicability", "risks": "Risk register", "evidence": "Evidence register",
               "ai-systems": "AI-system inventory"}
_STATE = "normgraph.org_import"
#: one organisation-graph write of this module at a time (check-then-write of confirm, restore, import)
_WRITING = threading.Lock()


@dataclass
class _RoundTrip:
    pending: PendingUploads
    history: OrgHistory


def _round_trip() -> _RoundTrip:
    found = current_app.extensions.get(_STATE)
    if found is None:
        found = current_app.extensions.setdefault(
            _STATE, _RoundTrip(PendingUploads(), OrgHistory(history_folder(current_config().store_path))))
    return found


def _wants_json() -> bool:
    return request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json"


def _visible_graph(slug: str) -> str:
    """The organisation's graph IRI, 404 (as for an organisation that does not exist) when not visible."""
    try:
        graph = str(org_graph(slug))
    except ValueError:
        abort(404, f"no organisation {slug!r}")
    if graph not in current_store().graphs():
        abort(404, f"no organisation {slug!r}")
    return graph


def _current_graph(slug: str) -> tuple[bytes, Graph]:
    data = current_store().export("ntriples", str(org_graph(slug)))
    return data, Graph().parse(data=data, format="nt")


def _writer(slug: str) -> Principal:
    principal = require_writer()
    _visible_graph(slug)
    if not scope_of(principal).may_write(str(org_graph(slug))):
        abort(403, f"you may not change the data of organisation {slug!r}")
    return principal


def _see(url: str) -> Response:
    """303 See Other: after a form's POST, the browser GETs the next page."""
    return Response(status=303, headers={"Location": url})


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/html", headers={"Cache-Control": "private, no-store"})


def _page(slug: str, *, status: int = 200, error: OrgDataError | None = None, message: str = "") -> Response:
    principal = current_principal()
    may_write = not principal.anonymous and scope_of(principal).may_write(str(org_graph(slug)))
    latest = _round_trip().history.latest(slug) if may_write else None
    return _html(render_template("import/spreadsheets.html", slug=slug, kinds=EXPORT_KINDS, titles=KIND_TITLES,
                                 may_write=may_write, latest=latest, error=error, message=message,
                                 csrf=csrf_token() if principal.via == "session" else None,
                                 max_upload=current_config().max_upload), status)


@bp.get("/org/<slug>/spreadsheets")
def spreadsheets(slug: str) -> Response:
    _visible_graph(slug)
    done = {"applied": "The upload was applied.", "restored": "The previous state was restored.",
            "discarded": "The preview was discarded; nothing changed."}
    return _page(slug, message=done.get(request.args.get("done", ""), ""))


@bp.get("/org/<slug>/export/<kind>.<ext>")
def export(slug: str, kind: str, ext: str) -> Response:
    if kind not in EXPORT_KINDS or ext not in EXPORT_FORMATS:
        abort(404, f"no export {kind}.{ext} (kinds: {', '.join(EXPORT_KINDS)}; csv or xlsx)")
    _visible_graph(slug)
    _data, graph = _current_graph(slug)
    body = write_export(export_rows(graph, slug, kind), kind, ext)
    media = "text/csv; charset=utf-8" if ext == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, content_type=media, headers={
        "Content-Disposition": f'attachment; filename="{local_id(slug)}-{kind}.{ext}"',
        "Cache-Control": "private, no-store"})


def _bad_upload(slug: str, e: OrgDataError) -> Response:
    # the upload sits in a temporary folder on the server: a parser's message may name it
    e = OrgDataError(e.file, e.row, e.column, without_paths(e.reason), sheet=e.sheet)
    if _wants_json():
        resp = _bad(e.file, e.row, e.column, e.reason)
        resp.set_data(json.dumps({**json.loads(resp.get_data()), "sheet": e.sheet}))
        return resp
    return _page(slug, status=400, error=e)


@bp.post("/org/<slug>/upload")
def upload(slug: str) -> Response:
    principal = _writer(slug)
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        return _bad_upload(slug, OrgDataError("request", None, None, "no file: choose a CSV or XLSX file to upload"))
    name = Path(storage.filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        return _bad_upload(slug, OrgDataError(name, None, None, "upload a .csv or .xlsx file (an exported table)"))
    kind = request.form.get("kind") or None
    if kind is not None and kind not in EXPORT_KINDS:
        return _bad_upload(slug, OrgDataError(name, None, None, f"unknown kind {kind!r}; use {', '.join(EXPORT_KINDS)}"))
    data = current_store().export("ntriples", str(org_graph(slug)))
    scratch = scratch_for(slug)
    today = dt.date.today()
    with tempfile.TemporaryDirectory(prefix="ng-upload-") as tmp:
        path = Path(tmp) / _safe_name(name, suffix)
        storage.save(path)
        storage.close()
        if path.stat().st_size == 0:
            return _bad_upload(slug, OrgDataError(name, None, None, "empty file"))
        try:
            made: Previewed = read_upload(lambda: make_preview(data, path, name, slug, kind, scratch, today))
        except OrgDataError as e:
            return _bad_upload(slug, e)
        except (UploadBusy, WorkerLimit) as e:
            return _refused_upload(slug, name, e)
    pending = Pending(slug, made.kind, principal.name, name, made.base, made.packed, made.diff, made.checks)
    if not _round_trip().pending.add(pending):
        return _json(413, error=f"{name}: the change is too large to preview (at most {MAX_PENDING_BYTES} bytes)")
    if _wants_json():
        return _json(200, token=pending.token, preview=url_for(".preview", slug=slug, token=pending.token),
                     diff=made.diff.to_json(), validation=made.checks.to_json() if made.checks else None)
    return _see(url_for(".preview", slug=slug, token=pending.token))


def _refused_upload(slug: str, name: str, e: UploadBusy | WorkerLimit) -> Response:
    if _wants_json():
        return _refused(name, e)
    if isinstance(e, WorkerLimit) and e.kind != "time":
        return _page(slug, status=413, error=OrgDataError(name, None, None, f"{e}; split the file"))
    resp = _page(slug, status=503, error=OrgDataError(name, None, None, _busy_reason(e)))
    resp.headers["Retry-After"] = str(RETRY_AFTER)
    return resp


def _pending(slug: str, token: str, principal: Principal, *, take: bool) -> Pending:
    store = _round_trip().pending
    found = (store.pop if take else store.get)(token, slug, principal.name)
    if found is None and made_elsewhere(token):
        abort(404, "no such preview in this server process: previews wait in the server process that made them, "
                   "and this one was made by another (with several server processes, such as gunicorn workers, "
                   "the confirmation must reach the same process: run one, or use sticky sessions); "
                   "upload the file again")
    if found is None:
        abort(404, "no such preview: it was applied or discarded, or it expired (previews wait "
                   f"{PENDING_TTL // 60} minutes); upload the file again")
    return found


@bp.get("/org/<slug>/upload/<token>")
def preview(slug: str, token: str) -> Response:
    principal = _writer(slug)
    p = _pending(slug, token, principal, take=False)
    if _wants_json():
        return _json(200, token=p.token, kind=p.kind, file=p.filename, diff=p.diff.to_json(),
                     validation=p.checks.to_json() if p.checks else None)
    return _html(render_template("import/preview.html", slug=slug, p=p, titles=KIND_TITLES,
                                 template=TEMPLATES[p.kind], kind=_export_kind(p.kind),
                                 csrf=csrf_token() if principal.via == "session" else None))


def _export_kind(template: str) -> str:
    return next(k for k in EXPORT_KINDS if template_kind(k) == template)


@bp.post("/org/<slug>/upload/<token>/confirm")
def confirm(slug: str, token: str) -> Response:
    principal = _writer(slug)
    p = _pending(slug, token, principal, take=True)
    with _WRITING:  # no other upload or restore between the check and the write
        data = current_store().export("ntriples", str(org_graph(slug)))
        if digest(data) != p.base:
            return _json(409, error=f"the data of {slug!r} changed since this preview was made; upload the file again")
        size = replace_org_graph(current_store(), _round_trip().history, slug, p.data,
                                 f"before {principal.name} applied {p.filename} ({p.kind})")
    if _wants_json():
        return _json(200, graph=str(org_graph(slug)), graph_size=size, kind=p.kind)
    return _see(url_for(".spreadsheets", slug=slug, done="applied"))


@bp.post("/org/<slug>/upload/<token>/discard")
def discard(slug: str, token: str) -> Response:
    principal = _writer(slug)
    _pending(slug, token, principal, take=True)
    if _wants_json():
        return _json(200, discarded=token)
    return _see(url_for(".spreadsheets", slug=slug, done="discarded"))


@bp.post("/org/<slug>/restore")
def restore(slug: str) -> Response:
    _writer(slug)
    try:
        with _WRITING:
            version = restore_previous(current_store(), _round_trip().history, slug)
    except LookupError as e:
        if _wants_json():
            return _json(409, error=str(e))
        abort(409, str(e))
    if _wants_json():
        return _json(200, graph=str(org_graph(slug)), restored=version.saved, note=version.note)
    return _see(url_for(".spreadsheets", slug=slug, done="restored"))

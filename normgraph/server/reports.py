"""Blueprint "reports": an organisation's reports as HTML pages and downloads.

/org/<slug>/soa, /org/<slug>/risks, /org/<slug>/gap?target=…, /org/<slug>/audit-pack — HTML by default,
?format=csv|xlsx|jsonld for downloads (audit-pack: ?format=zip for the offline bundle); ?today=YYYY-MM-DD.
/org/templates/<kind>.csv|xlsx — the import templates of normgraph.orgdata.templates.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, request

from normgraph.orgdata.templates import TEMPLATES, write_template
from normgraph.reports import TARGETS, ReportError, check_org
from normgraph.reports.dispatch import build_report, check_format, render_file, report_name
from normgraph.reports.model import Report
from normgraph.reports.render import MEDIA
from normgraph.server.kernel import current_store
from normgraph.store.base import Store
from normgraph.store.cache import PerGeneration

bp = Blueprint("reports", __name__, url_prefix="/org")


#: built reports per scoped store and data generation, keyed (kind, slug, target, date)
_REPORTS = PerGeneration(max_entries=128, max_bytes=128 * 1024 * 1024)


def org_report(store: Store, kind: str, slug: str, target: str, today: dt.date) -> Report:
    """The report `kind` of `slug` on `today`, built once per data generation (ReportError as build_report)."""
    return _REPORTS.get(store, (kind, slug, target if kind == "gap" else "", today),
                        lambda: build_report(store, kind, slug, target, today))


def judged_date() -> dt.date:
    """The request's ?today=YYYY-MM-DD (400 when it is not a date), else today."""
    raw = request.args.get("today")
    if not raw:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        abort(400, f"today={raw!r} is not a date (YYYY-MM-DD)")


def _respond(kind: str, slug: str) -> Response:
    target = request.args.get("target", "iso42001-2023")
    if target not in TARGETS:
        abort(400, f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    fmt = request.args.get("format", "html")
    try:
        check_format(kind, fmt)
    except ReportError as e:
        abort(400, str(e))
    store = current_store()
    try:
        check_org(store, slug)  # an organisation the reader may not see is not in the scoped store: 404 like none
    except ReportError as e:
        abort(404, str(e))
    try:
        report = org_report(store, kind, slug, target, judged_date())
    except ReportError as e:  # the organisation's data cannot be judged on that date (e.g. contradictory facts)
        abort(422, str(e))
    out = render_file(report, store, fmt, report_name(kind, slug, target))
    resp = Response(out.data, content_type=out.media_type)
    if fmt != "html":
        resp.headers["Content-Disposition"] = f'attachment; filename="{out.filename}"'
    return resp


@bp.get('/<slug>/<any(soa, risks, gap, "audit-pack"):kind>')
def report(slug: str, kind: str) -> Response:
    return _respond(kind, slug)


@bp.get("/templates/<kind>.<ext>")
def template(kind: str, ext: str) -> Response:
    if kind not in TEMPLATES or ext not in ("csv", "xlsx"):
        abort(404, f"no template {kind}.{ext} (known: {', '.join(TEMPLATES)}; csv or xlsx)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.{ext}"
        write_template(kind, path, ext)
        data = path.read_bytes()
    media = "text/csv; charset=utf-8" if ext == "csv" else MEDIA["xlsx"]
    return Response(data, content_type=media, headers={"Content-Disposition": f'attachment; filename="{kind}.{ext}"'})

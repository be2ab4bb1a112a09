"""Blueprint "org": the organisation workspace — /org/ (the organisations the reader may see) and /org/<slug>
(one organisation's dashboard, linking to every report and to the API).

Access is the store's to decide (normgraph/server/kernel.py `current_store()`): the list is what the reader's
scoped store holds, and an organisation the reader is not granted answers 404 exactly like one that does not
exist. ?today=YYYY-MM-DD judges the dashboard on another date, as on the reports.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, render_template, request

from normgraph.reports import ReportError
from normgraph.reports.coverage import WEIGHTING
from normgraph.server.kernel import current_store, org_store
from normgraph.server.org_dashboard import dashboard, organisations
from normgraph.server.reports import judged_date, org_report, validated
from normgraph.store.cache import PerGeneration

bp = Blueprint("org", __name__, url_prefix="/org")

#: the pages per scoped store and data generation (the HTML is the same for everyone of one scope)
_PAGES = PerGeneration(max_entries=256, max_bytes=64 * 1024 * 1024, sizeof=len)


@bp.get("/")
def index() -> Response:
    store = current_store()
    return _page(_PAGES.get(store, ("index",), lambda: render_template("org/index.html", orgs=organisations(store))))


@bp.get("/<slug>")
def dashboard_page(slug: str) -> Response:
    store = org_store(slug)
    today = judged_date()
    dated = {"today": today.isoformat()} if request.args.get("today") else {}
    now = dt.date.today()

    def build() -> str:
        board = dashboard(store, slug, today,
                          lambda kind, target, part: org_report(store, kind, slug, target, today, part))
        return render_template("org/dashboard.html", board=board, dated=dated, now=now, weighting=WEIGHTING)

    try:
        # keyed on whether validation is ready: a board drawn while it is computed is not kept past it
        return _page(_PAGES.get(store, ("dashboard", slug, today, bool(dated), now, validated(store, slug, today)), build))
    except ReportError as e:
        abort(404, str(e))


def _page(html: str) -> Response:
    # organisation data: never kept by a shared cache, and never by the browser for the next person
    return Response(html, mimetype="text/html", headers={"Cache-Control": "private, no-store"})


__all__ = ["bp"]

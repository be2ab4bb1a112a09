"""Blueprint "reports": an organisation's reports as pages of the site and as downloads.

/org/<slug>/soa, /org/<slug>/risks, /org/<slug>/gap?target=…, /org/<slug>/audit-pack — HTML inside the site layout
(breadcrumbs, the gap target switchable on the page, the long reports in sections: ?section=KEY), or
?format=csv|xlsx|jsonld for downloads (audit-pack: ?format=zip for the offline bundle); ?today=YYYY-MM-DD.
/org/templates/<kind>.csv|xlsx — the import templates of normgraph.orgdata.templates.

Reports and their pages are kept per data generation (normgraph.reports.cache.ReportCache), one cache per scoped
store: what one reader's scope built is never served to another scope, and a write to the store shows at once.
Together they hold at most the server's report_cache_bytes (BUDGET: past it the least recently used entry of any
scope goes, and is computed again when asked for).
After a request that wrote, the reports' shared inputs of each organisation whose pages were read and whose data
changed are computed in the background (ReportCache.warm), so the next first view finds them.
An organisation the reader may not see is not in the scoped store: 404, as for one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
import weakref
from collections.abc import Hashable
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BuildError

from normgraph.orgdata.templates import TEMPLATES, write_template
from normgraph.queries import QueryError
from normgraph.reports import TARGETS, ReportError, check_org
from normgraph.reports.cache import ReportCache
from normgraph.reports.dispatch import TITLES, check_format, formats, render_file, report_name
from normgraph.reports.model import Report
from normgraph.reports.page import EXPLORER, OVERVIEW, Links
from normgraph.reports.render import MEDIA
from normgraph.server import report_downloads
from normgraph.server.config import ServerConfig
from normgraph.server.kernel import org_store
from normgraph.store.base import Store
from normgraph.store.cache import Budget
from normgraph.store.embedded import WRITE_HOOKS, EmbeddedStore
from normgraph.store.scoped import ScopedStore
from normgraph.store.served import REMOTE_WRITE_HOOKS

bp = Blueprint("reports", __name__, url_prefix="/org")

#: what one scope's report cache may hold (reports, their pages, the validation and applicability they share)
CACHE_BYTES = 128 << 20
#: what all of them hold together, in the process (its size: the last application made, ServerConfig.report_cache_bytes)
BUDGET = Budget(ServerConfig.report_cache_bytes)
_caches: weakref.WeakKeyDictionary[Store, ReportCache] = weakref.WeakKeyDictionary()
#: each cached scope's generation when its reports were last warmed (or its cache made)
_seen: weakref.WeakKeyDictionary[Store, Hashable] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
DEFAULT_TARGET = "iso42001-2023"
#: the dates a page may be judged on: date arithmetic (expiry windows) must never overflow
JUDGEABLE = (dt.date(1900, 1, 1), dt.date(9000, 12, 31))
DOWNLOADS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "jsonld": "JSON-LD", "zip": "offline bundle (ZIP)"}


def report_cache(store: Store) -> ReportCache:
    """The report cache of this (scoped) store: one per scope, held as long as the scope's store is."""
    with _lock:
        cache = _caches.get(store)
        if cache is None:
            cache = _caches[store] = ReportCache(max_bytes=CACHE_BYTES, quiet=unhooked, budget=BUDGET)
            _seen[store] = store.generation
        return cache


@bp.record
def _budget(setup: BlueprintSetupState) -> None:
    BUDGET.resize(setup.app.config["NORMGRAPH"].report_cache_bytes)


#: whether this thread wrote to a store since its request began: set by every store write (the write hooks below),
#: so only a request that wrote warms (a remote store's generation also moves every cache TTL, by itself)
_wrote = threading.local()


class _WriteSeen:
    """A write hook of every embedded store that notes, in the writing thread, that a write happened."""

    def concerns(self, store: EmbeddedStore, graph: str) -> bool:
        return True

    def written(self, store: EmbeddedStore, graph: str | None) -> None:
        _wrote.flag = True


def _remote_write_seen(store: Store, graph: str | None) -> None:
    _wrote.flag = True


WRITE_HOOKS.append(_WriteSeen())
REMOTE_WRITE_HOOKS.append(_remote_write_seen)


@bp.before_app_request
def _no_write_yet() -> None:
    _wrote.flag = False


@bp.after_app_request
def _warm_after_write(response: Response) -> Response:
    """After a request that wrote (any write path: import, upload confirm, restore, Graph Store, Update), warm the
    reports' shared inputs of each organisation whose pages were read before and whose data that write changed (its
    scope's epoch moved: a write to another organisation leaves it), in the background, for today: the reader's next
    first view finds them computed (ReportCache.warm). Organisations nobody reads are not warmed."""
    if not getattr(_wrote, "flag", False) or response.status_code >= 400:
        return response  # a query by POST, or a TTL tick of a remote store's generation, is no write
    _wrote.flag = False
    with _lock:
        changed = [(store, cache) for store, cache in _caches.items() if _seen.get(store) != store.generation]
        for store, _cache in changed:
            _seen[store] = store.generation
    for store, cache in changed:
        if isinstance(store, ScopedStore) and store.scope.read is not None and len(store.scope.read) == 1:
            cache.warm(unhooked(store), next(iter(store.scope.read)), dt.date.today())
    return response


def unhooked(store: Store) -> Store:
    """The same scope without its access hook: computing ahead (warming after a write, a view's inputs computed
    alongside it) is no one's read; the view that then uses the inputs is recorded as a read, as a view answered from
    the cache is."""
    return ScopedStore(store.inner, store.scope) if isinstance(store, ScopedStore) else store


def validated(store: Store, slug: str, today: dt.date) -> bool:
    """Whether the organisation's validation results for `today` and the store's data are ready (a page drawn before
    says they are being computed, so a page cache keys on this)."""
    return report_cache(store).has(store, ("validation", slug, today.isoformat()))


def org_report(store: Store, kind: str, slug: str, target: str, today: dt.date, part: str | None = None) -> Report:
    """The report `kind` of `slug` on `today` (or only what section `part` needs), built once per data generation
    (ReportError as build_report)."""
    return report_cache(store).report(store, kind, slug, target, today, part=part)


def judged_date() -> dt.date:
    """The request's ?today=YYYY-MM-DD (400 when it is not a date), else today."""
    raw = request.args.get("today")
    if not raw:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        abort(400, f"today={raw!r} is not a date (YYYY-MM-DD)")
    if not JUDGEABLE[0] <= day <= JUDGEABLE[1]:
        abort(400, f"today={raw!r} is outside the dates normgraph judges ({JUDGEABLE[0]} to {JUDGEABLE[1]})")
    return day


def _explorer_prefix() -> str:
    try:
        return url_for("explorer.resource") + "?iri="
    except BuildError:  # no explorer in this application: the links still name the standard path
        return EXPLORER


def _respond(kind: str, slug: str) -> Response:
    target = request.args.get("target", DEFAULT_TARGET)
    if target not in TARGETS:
        abort(400, f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    fmt = request.args.get("format", "html")
    try:
        check_format(kind, fmt)
    except ReportError as e:
        abort(400, str(e))
    store = org_store(slug)
    try:
        check_org(store, slug)  # an organisation the reader may not see is not in the scoped store: 404 like none
    except ReportError as e:
        abort(404, str(e))
    today = judged_date()
    if fmt == "html":
        return _page(store, kind, slug, target, today)
    try:  # a large organisation's file is prepared in the background (202 until it is ready): report_downloads
        prepared = report_downloads.respond(store, report_cache(store), kind, slug, target, today, fmt)
        if prepared is not None:
            return prepared
        report = org_report(store, kind, slug, target, today)
    except ReportError as e:  # the organisation's data cannot be judged on that date (e.g. contradictory facts)
        abort(422, str(e))
    except QueryError as e:  # the organisation's data cannot be put into a report query: say what, never a 500
        abort(422, unreportable(e))
    out = render_file(report, store, fmt, report_name(kind, slug, target))
    return Response(out.data, content_type=out.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{out.filename}"',
                             "Cache-Control": "private, no-store"})


def _page(store: Store, kind: str, slug: str, target: str, today: dt.date) -> Response:
    """The report (or one of its sections) inside the site layout."""
    section = request.args.get("section") or None
    keep = {k: v for k, v in (("target", target if kind == "gap" else ""), ("today", request.args.get("today", "")))
            if v}
    here = url_for("reports.report", slug=slug, kind=kind)
    links = Links(explorer=_explorer_prefix(), section=f"{here}?{urlencode({**keep, 'section': ''})}")
    cache = report_cache(store)
    try:
        page = cache.page(store, kind, slug, target, today, section=section, links=links, embed=True)
    except ReportError as e:  # an unknown section (404), or a report that cannot be built on that date (422)
        abort(404 if section and _builds(store, kind, slug, target, today) else 422, str(e))
    except QueryError as e:
        abort(422, unreportable(e))
    label = org_report(store, kind, slug, target, today, section or OVERVIEW).org_label  # the page's own build
    downloads = [(DOWNLOADS[f], f"{here}?{urlencode({**keep, 'format': f})}") for f in formats(kind) if f != "html"]
    html = render_template("org/report.html", page=page, kind=kind, slug=slug, org_label=label, name=TITLES[kind],
                           target=target, today=today, keep=keep, downloads=downloads)
    return Response(html, mimetype="text/html", headers={"Cache-Control": "private, no-store"})


def unreportable(e: QueryError) -> str:
    """Why a report of the organisation's data could not be built, for the reader (422)."""
    return (f"this report cannot be built from the organisation's data: {e} (a blank node or an unusual term in the "
            "data, which the report's queries cannot name; give the item an IRI and import it again)")


def _builds(store: Store, kind: str, slug: str, target: str, today: dt.date) -> bool:
    try:
        report_cache(store).report(store, kind, slug, target, today, part="overview")
    except ReportError:
        return False
    return True


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

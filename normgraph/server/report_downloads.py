"""Downloads of a large organisation's reports, prepared in the background and served when ready.

A whole report of a large organisation takes long to build (the audit pack at 10x: ~15 s, with its validation ~30 s;
minutes at 100x), too long for one request. For an organisation the audit pack counts as large (more evidence items
than normgraph.reports.audit_pack.SYNC_EVIDENCE: the one rule that says "large"), a download request starts the
file's preparation once per (scope, organisation, kind, target, judged date, format, data generation) — a second
request for it while it runs joins it — and answers 202 Accepted with Retry-After; the next request after it is
ready gets the file. The prepared report is complete: its validation is run, never left pending. A failed
preparation is raised to the next request (the same 4xx as a synchronous build gives), and the one after tries again.
Small organisations are answered in the request, as before (`respond` answers None).

Bounds: the files are written to a private temporary folder of the application (0700, removed when the application is
closed or collected), at most BUDGET bytes in all (least recently served first out; a file of older data, or of a scope
that is gone, is removed when seen); one preparation runs at a time, a few wait (past them: 503 with Retry-After).
Each scoped store prepares for itself (its scope's data, labels and access), and a file is only ever served to the
scoped store it was prepared in; the request's own access check (kernel.org_store, check_org) runs every time first.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from werkzeug.wsgi import wrap_file

from normgraph.reports import audit_pack, num
from normgraph.reports.background import BackgroundQueue
from normgraph.reports.cache import ReportCache
from normgraph.reports.common import org_info
from normgraph.reports.dispatch import TITLES, build_report, render_file, report_name
from normgraph.reports.duties import shared_rows
from normgraph.server.kernel import on_close, plain
from normgraph.store.base import Store
from normgraph.store.epochs import lasting_generation

log = logging.getLogger(__name__)

EXTENSION = "normgraph.downloads"
#: bytes of prepared files kept on disk per application, in all
BUDGET = 2 << 30
#: what a client is told to wait before asking again (seconds)
RETRY_AFTER = 5
#: preparations running at once (each holds a large organisation's report: up to GiBs at 100x), and waiting
WORKERS, MAX_PER_OWNER, MAX_WAITING = 1, 4, 8


@dataclass(frozen=True)
class Prepared:
    """A prepared file on disk."""

    path: Path
    size: int
    media_type: str
    filename: str


class TooLarge(Exception):
    """A prepared file larger than the whole budget: it is never kept."""


class Downloads:
    """One application's prepared downloads: the folder, the files in it, the preparations running or failed."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="normgraph-downloads-"))
        os.chmod(self.folder, 0o700)
        self.queue = BackgroundQueue(workers=WORKERS, max_per_owner=MAX_PER_OWNER, max_waiting=MAX_WAITING)
        self._lock = threading.Lock()
        self._files: OrderedDict[tuple[Any, ...], Prepared] = OrderedDict()  # least recently served first
        self._running: set[tuple[Any, ...]] = set()
        self._failed: dict[tuple[Any, ...], BaseException] = {}
        self._serial = 0
        self.closed = False

    # ── files ──
    def files(self) -> list[Prepared]:
        with self._lock:
            return list(self._files.values())

    def _drop(self, key: tuple[Any, ...]) -> None:
        """Forget and delete one file (the caller holds the lock); a response already sending it keeps its handle."""
        found = self._files.pop(key, None)
        if found is not None:
            found.path.unlink(missing_ok=True)

    def _forget_superseded(self, ref: weakref.ref[Store], generation: Hashable) -> None:
        """Files and failures of this scope's older data, and of scopes that are gone (the caller holds the lock)."""
        def superseded(key: tuple[Any, ...]) -> bool:
            return key[0]() is None or (key[0] == ref and key[-1] != generation)

        for key in [k for k in self._files if superseded(k)]:
            self._drop(key)
        for key in [k for k in self._failed if superseded(k)]:
            del self._failed[key]

    def _keep(self, key: tuple[Any, ...], data: bytes, media_type: str, filename: str) -> None:
        budget = BUDGET
        if len(data) > budget:
            raise TooLarge(f"the file is {len(data)} bytes, more than the {budget} bytes the server keeps for downloads")
        with self._lock:
            self._serial += 1
            path = self.folder / f"{self._serial}.part"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # written outside the lock: requests go on
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        with self._lock:
            scope = key[0]()
            if self.closed or scope is None or lasting_generation(scope) != key[-1]:
                path.unlink(missing_ok=True)  # closed, the scope gone, or its data changed: nobody asks for it again
                return
            self._drop(key)
            self._files[key] = Prepared(path, len(data), media_type, filename)
            while sum(p.size for p in self._files.values()) > budget:
                self._drop(next(iter(self._files)))

    # ── requests ──
    def answer(self, store: Store, cache: ReportCache, kind: str, slug: str, target: str, today: dt.date,
               fmt: str) -> Response:
        """The prepared file, or 202 while it is prepared (started here once), or 503 when no preparation can wait;
        the failure of the last preparation is raised (once)."""
        generation = lasting_generation(store)
        ref = weakref.ref(store)
        key = (ref, slug, kind, target if kind == "gap" else "", today, fmt, generation)
        with self._lock:
            self._forget_superseded(ref, generation)
            failed = self._failed.pop(key, None)
            if isinstance(failed, TooLarge):
                return plain(f"This download cannot be prepared: {failed}.", 507, {"Cache-Control": "private, no-store"})
            if failed is not None:
                raise failed
            found = self._files.get(key)
            if found is not None:
                self._files.move_to_end(key)
                handle = found.path.open("rb")  # under the lock: LRU removal cannot take it between
                return _file_response(handle, found)
            if key in self._running:
                return _accepted(kind, slug, queued=False)
            self._running.add(key)

        def work() -> None:
            try:
                self._prepare(key, store, cache, kind, slug, target, today, fmt)
            except BaseException as e:  # handed to the next request, as the synchronous path would raise it
                log.exception("preparing the %s download of %s %s failed", fmt, slug, kind)
                with self._lock:
                    if not self.closed:
                        self._failed[key] = _bare(e)
            finally:
                forget()

        def forget() -> None:
            with self._lock:
                self._running.discard(key)

        def stale() -> bool:
            alive = ref()
            return self.closed or alive is None or lasting_generation(alive) != generation

        if not self.queue.submit(ref, key, work, stale, forget):
            forget()
            return _busy()
        return _accepted(kind, slug, queued=True)

    def _prepare(self, key: tuple[Any, ...], store: Store, cache: ReportCache, kind: str, slug: str, target: str,
                 today: dt.date, fmt: str) -> None:
        quiet = cache.quiet(store)  # computing ahead is no one's read: the request that is served the file is
        report = build_report(quiet, kind, slug, target, today, memo=cache.memo(store), later=_validated(store, cache))
        out = render_file(report, quiet, fmt, report_name(kind, slug, target))
        del report
        self._keep(key, out.data, out.media_type, out.filename)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._files.clear()
            self._failed.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def _validated(store: Store, cache: ReportCache) -> Callable[[tuple[Any, ...], Callable[[], Any]], Any]:
    """The audit pack's `later` for a download: the validation results are computed now (in the preparation), never
    left pending, and shared with the pages (which compute them in the background: ReportCache.later) both ways."""
    generation = lasting_generation(store)

    def get(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        found = cache.background.get(key, generation)
        if found is None:
            found = compute()
            cache.background.put(key, generation, found)
        return found

    return get


def _bare(error: BaseException) -> BaseException:
    """The exception without its traceback (whose frames hold the failed build's data); the log has it."""
    error.__traceback__ = None
    error.__cause__ = error.__context__ = None
    return error


def large(store: Store, cache: ReportCache, slug: str, today: dt.date) -> bool:
    """Whether the organisation's downloads are prepared in the background: the audit pack's own rule for an
    organisation whose validation a page does not wait for (more evidence items than SYNC_EVIDENCE). Read from the
    count the pack's pages share (one query, kept per data generation)."""
    memo = cache.memo(store)
    graph = org_info(store, slug, memo).graph
    rows = shared_rows(store, memo, "report-audit-counts", graph=graph, today=today.isoformat())
    return (num(rows[0].get("items")) or 0 if rows else 0) > audit_pack.SYNC_EVIDENCE


def respond(store: Store, cache: ReportCache, kind: str, slug: str, target: str, today: dt.date,
            fmt: str) -> Response | None:
    """The download's answer for a large organisation (file, 202, 503; a failed preparation's error raised); None for
    a small one, which the request answers itself."""
    if not large(store, cache, slug, today):
        return None
    return downloads(current_app._get_current_object()).answer(store, cache, kind, slug, target, today, fmt)  # type: ignore[attr-defined]


_setup = threading.Lock()


def downloads(app: Flask) -> Downloads:
    """The application's prepared downloads, made on first use; removed with the application (close_app, or when it
    is collected)."""
    with _setup:
        found: Downloads | None = app.extensions.get(EXTENSION)
        if found is None:
            found = app.extensions[EXTENSION] = Downloads()
            on_close(app, weakref.finalize(app, Downloads.close, found))
        return found


def _file_response(handle: Any, found: Prepared) -> Response:
    return Response(wrap_file(request.environ, handle), content_type=found.media_type, direct_passthrough=True,
                    headers={"Content-Disposition": f'attachment; filename="{found.filename}"',
                             "Content-Length": str(found.size), "Cache-Control": "private, no-store"})


def _accepted(kind: str, slug: str, queued: bool) -> Response:
    what = f"The {TITLES[kind].lower()} of {slug} ({request.args.get('format')}) is being prepared"
    headers = {"Retry-After": str(RETRY_AFTER), "Cache-Control": "private, no-store"}
    if request.accept_mimetypes.best_match(["text/plain", "text/html"]) == "text/html":
        html = render_template("org/preparing.html", what=what, url=request.full_path, wait=RETRY_AFTER,
                               name=TITLES[kind], slug=slug, kind=kind)
        return Response(html, status=202, mimetype="text/html", headers=headers)
    return plain(f"{what}. Ask again in {RETRY_AFTER} seconds for the file: {request.full_path}", 202, headers)


def _busy() -> Response:
    return plain("Too many downloads are being prepared now; ask again in a little while.", 503,
                 {"Retry-After": str(RETRY_AFTER * 6), "Cache-Control": "private, no-store"})



__all__ = ["BUDGET", "Downloads", "Prepared", "downloads", "large", "respond"]

"""Reports kept per data generation, so the server answers repeat views fast.

A report is determined by (store.generation, organisation, kind, target, today) and a page of it also by
(section, links, embed); a write to the store changes the generation and every older entry is never asked
for again (least recently used entries go first, bounded in entries and bytes: normgraph.store.cache). The
expensive inputs pages share — the validation results, the applicability answers, the organisation header, the
evidence the reports count (each report module's `inputs`) — are kept the same way, so every page of every report of
one data generation pays for them once; one being computed is waited for, not computed again, and `warm` computes
them in the background after a write (the server calls it: normgraph/server/reports.py). Use one ReportCache per
store *as its readers see it*: report queries read catalog labels from the reader's whole dataset, so two scopes of
one store (readers allowed different organisations) must never share a cache, even though they share the store's
generation. (The server's scoped store of one organisation has that organisation's data epoch as its generation,
normgraph/store/epochs.py: a write to another organisation keeps its entries.)

    cache = ReportCache()
    page = cache.page(store, "audit-pack", "hospital", "", today, section="evidence-2", links=links, embed=True)
    report = cache.report(store, "soa", "hospital", "", today)   # downloads: dispatch.render_file(report, ...)
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
from collections.abc import Callable, Hashable
from typing import Any

from normgraph.reports.model import Report
from normgraph.reports.page import OVERVIEW, Links, Page, render_html
from normgraph.store.base import Store
from normgraph.store.cache import BoundedCache

#: the reports built per section (dispatch.build_report's `part`)
PER_PART = ("audit-pack", "soa")
#: what one cached report or input is taken to cost when nothing better is known (reports hold rows of strings)
REPORT_COST = 4 << 20

log = logging.getLogger(__name__)


def pending(report: Report) -> bool:
    """The report is drawn before an input computed in the background was ready (it says so): never kept."""
    return bool(report.extra.get("validation_pending"))


class _Computing:
    """An input one thread is computing: the others asking for it wait for its value (or its error)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None

    def wait(self) -> Any:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


class ReportCache:
    def __init__(self, max_entries: int = 512, max_bytes: int = 256 << 20) -> None:
        self.entries: BoundedCache[tuple[Any, ...], Any] = BoundedCache(max_entries, max_bytes)
        self._running: set[tuple[Any, ...]] = set()  # inputs being computed in the background
        self._failed: dict[tuple[Any, ...], BaseException] = {}
        self._computing: dict[tuple[Any, ...], _Computing] = {}  # inputs being computed now, by some thread
        self._warming: dict[str, tuple[Store, dt.date]] = {}  # organisation -> what to warm next (warm())
        self._warmers: set[str] = set()  # organisations a warming thread is working for
        self._lock = threading.Lock()

    def _get(self, key: tuple[Any, ...], compute: Callable[[], Any], size: Callable[[Any], int]) -> Any:
        """The kept value of `key`, else computed once: a thread asking while another computes it (a page while the
        cache is being warmed, two pages at once) waits for that value instead of computing it again."""
        hit = self.entries.get(key)
        if hit is not None:
            return hit
        with self._lock:
            hit = self.entries.get(key)
            if hit is not None:
                return hit
            running = self._computing.get(key)
            if running is not None:
                mine = False
            else:
                running, mine = self._computing.setdefault(key, _Computing()), True
        if not mine:
            return running.wait()
        try:
            running.value = compute()
            self.entries.put(key, running.value, size(running.value))
            return running.value
        except BaseException as e:
            running.error = e
            raise
        finally:
            with self._lock:
                self._computing.pop(key, None)
            running.done.set()

    def memo(self, store: Store) -> Callable[[tuple[Any, ...], Callable[[], Any]], Any]:
        """A memo for the report builders' expensive inputs, kept for the store's current generation."""
        return self._memo_at(store.generation)

    def _memo_at(self, generation: Hashable) -> Callable[[tuple[Any, ...], Callable[[], Any]], Any]:
        return lambda key, compute: self._get((generation, "input", *key), compute, lambda v: REPORT_COST)

    def later(self, store: Store) -> Callable[[tuple[Any, ...], Callable[[], Any]], Any]:
        """Like memo, but a missing input is computed once per data generation in a background thread and None is
        answered until it is there: for inputs that may take a minute (validation of a large organisation), so no
        request waits for them. A failure is raised to the next caller (and computed again after that)."""
        generation = store.generation

        def get(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
            full = (generation, "input", *key)
            hit = self.entries.get(full)
            if hit is not None:
                return hit
            with self._lock:
                failed = self._failed.pop(full, None)
                if failed is not None:
                    raise failed
                if full in self._running:
                    return None
                self._running.add(full)

            def work() -> None:
                try:
                    self.entries.put(full, compute(), REPORT_COST)
                except BaseException as e:  # handed to the next request
                    log.exception("computing %s in the background failed", key)
                    with self._lock:
                        self._failed[full] = e
                finally:
                    with self._lock:
                        self._running.discard(full)

            threading.Thread(target=work, name=f"normgraph-report-{key[0]}", daemon=True).start()
            return None

        return get

    def has(self, store: Store, key: tuple[Any, ...]) -> bool:
        """Whether the input `key` of the store's current generation is ready."""
        return self.entries.get((store.generation, "input", *key)) is not None

    def report(self, store: Store, kind: str, slug: str, target: str, today: dt.date, part: str | None = None) -> Report:
        """The report (whole, or only what the page of section `part` needs); ReportError as build_report."""
        from normgraph.reports.dispatch import build_report

        part = part if kind in PER_PART else None  # the others build whole: every section's page shares one build
        key = (store.generation, "report", slug, kind, target if kind == "gap" else "", today, part)
        hit = self.entries.get(key)
        if hit is not None:
            return hit
        report = build_report(store, kind, slug, target, today, part=part, memo=self.memo(store), later=self.later(store))
        if not pending(report):
            self.entries.put(key, report, REPORT_COST)
        return report

    def page(self, store: Store, kind: str, slug: str, target: str, today: dt.date, *, section: str | None = None,
             links: Links | None = None, embed: bool = False) -> Page:
        """The HTML page of section `section` (None: the overview); ReportError for an unknown section."""
        links = links or Links()
        key = (store.generation, "page", slug, kind, target if kind == "gap" else "", today, section, links, embed)

        hit = self.entries.get(key)
        if hit is not None:
            return hit
        report = self.report(store, kind, slug, target, today, part=section or OVERVIEW)
        page = render_html(report, links=links, embed=embed, section=section)
        if not pending(report):
            self.entries.put(key, page, sys.getsizeof(page.html) + 1024)
        return page

    def warm(self, store: Store, slug: str, today: dt.date) -> None:
        """Compute, in one background thread, the inputs the organisation's reports share for the store's current
        generation (normgraph.reports.dispatch.warm_inputs): called after a write of the organisation's data, so its
        first report view finds them ready (a view while they are being computed waits for them: _get). Each is
        kept under the generation it was asked for when the warming started, so a view never gets an input of older
        data than the generation it asks for. One thread per organisation: writes that come while it works are
        warmed once after it, for the latest generation only (an editor writing every second warms at most one
        generation at a time); a step whose generation is no longer current is skipped."""
        with self._lock:
            self._warming[slug] = (store, today)
            if slug in self._warmers:
                return
            self._warmers.add(slug)
        threading.Thread(target=self._warm, args=(slug,), name=f"normgraph-warm-{slug}", daemon=True).start()

    def _warm(self, slug: str) -> None:
        from normgraph.reports.dispatch import warm_inputs

        while True:
            with self._lock:
                wanted = self._warming.pop(slug, None)
                if wanted is None:
                    self._warmers.discard(slug)
                    return
            store, today = wanted
            generation = store.generation

            def current(st: Store = store, at: Hashable = generation) -> bool:
                return st.generation == at

            try:
                warm_inputs(store, slug, today, self._memo_at(generation), current=current)
            except Exception:  # the page that needs the input computes it again and shows the error
                log.exception("warming the reports of %s failed", slug)

    def warming(self, slug: str) -> bool:
        """Whether a warming thread is working for the organisation."""
        with self._lock:
            return slug in self._warmers

    def clear(self) -> None:
        self.entries.clear()


__all__ = ["ReportCache"]

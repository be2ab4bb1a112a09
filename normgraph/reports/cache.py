"""Reports kept per data generation, so the server answers repeat views fast.

A report is determined by (store.generation, organisation, kind, target, today) and a page of it also by
(section, links, embed); a write to the store changes the generation and every older entry is never asked
for again (least recently used entries go first, bounded in entries and bytes: normgraph.store.cache). The
expensive inputs pages share — the validation results, the applicability answers, the organisation header, the
evidence the reports count (each report module's `inputs`) — are kept apart from the reports and pages (paging cannot
evict them), so every page of every report of one data generation pays for them once; one being computed is waited
for, not computed again, and `warm` computes them in the background after a write (the server calls it:
normgraph/server/reports.py). Entries are charged their pickled size (weight). Use one ReportCache per store *as its
readers see it*: report queries read catalog labels from the reader's whole dataset, so two scopes of one store
(readers allowed different organisations) must never share a cache, even though they share the store's generation.
(The server's scoped store of one organisation has that organisation's data epoch as its generation,
normgraph/store/epochs.py: a write to another organisation keeps its entries.)

    cache = ReportCache()
    page = cache.page(store, "audit-pack", "hospital", "", today, section="evidence-2", links=links, embed=True)
    report = cache.report(store, "soa", "hospital", "", today)   # downloads: dispatch.render_file(report, ...)
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import pickle
import sys
import threading
from collections.abc import Callable, Hashable
from typing import Any

from normgraph.reports import ReportError
from normgraph.reports.background import QUEUE
from normgraph.reports.model import Report
from normgraph.reports.page import ALL, OVERVIEW, Links, Page, parts, render_html
from normgraph.store.base import Store
from normgraph.store.cache import BoundedCache, Budget
from normgraph.store.epochs import lasting_generation

#: the reports built per section (dispatch.build_report's `part`)
PER_PART = ("audit-pack", "soa")
#: what one cached report or input is taken to cost when it cannot be measured (weight)
REPORT_COST = 4 << 20
#: inputs computed in the background kept per scope (one per organisation and judged date is what is asked for)
BACKGROUND_INPUTS = 16

log = logging.getLogger(__name__)

#: threads computing a cold view's inputs alongside its build, at most this many at once in the process: past it a
#: cold view computes everything itself, as before (so many cold views at once cannot start a thread each)
ALONGSIDE = 2
_alongside_slots = threading.BoundedSemaphore(ALONGSIDE)


def pending(report: Report) -> bool:
    """The report is drawn before an input computed in the background was ready (it says so): never kept."""
    return bool(report.extra.get("validation_pending"))


class _Counted(Exception):
    """Pickling went past the most an entry is charged: no need to go on."""


class _Tally:
    """A file that keeps nothing, only counts the bytes written to it, up to `most`."""

    def __init__(self, most: int) -> None:
        self.most, self.size = most, 0

    def write(self, data: Any) -> int:
        self.size += len(data)
        if self.size > self.most:
            raise _Counted
        return len(data)


def weight(value: Any, most: int) -> int:
    """What a report or input is charged: its pickled size, measured once when it is kept (the objects take about 3x
    that in memory: hospital's pack 0.2 MB pickled, 0.6 MB held), at most `most` — the largest entry the cache keeps,
    so a large organisation's report is still kept, as the biggest one. Counted as pickle writes it (frames of 64 KiB),
    never held, and no further than `most`: a 10x pack's findings page (21 MB pickled) costs 16 MiB of it, not 21 MB
    of bytes made and dropped. Unpicklable: REPORT_COST."""
    tally = _Tally(most)
    try:
        pickle.Pickler(tally, pickle.HIGHEST_PROTOCOL).dump(value)
    except _Counted:
        pass
    except Exception:  # any value may be cached; an unmeasurable one gets the default
        return min(REPORT_COST, most)
    return min(tally.size, most)


class Background:
    """The inputs ReportCache.later computed in the background (a large organisation's validation: minutes), apart from
    the reports and pages, so that paging a pack never evicts them and they never run twice for one data generation.
    At most BACKGROUND_INPUTS (least recently used first), charged `weigh(value)` like the others (in the process's
    budget, when the cache has one: an input evicted is computed again, in the background); a caller of a newer
    generation drops the older ones of its input, which nobody asks for again."""

    def __init__(self, max_bytes: int, weigh: Callable[[Any], int], budget: Budget | None = None) -> None:
        self._items: BoundedCache[tuple[tuple[Any, ...], Any], Any] = BoundedCache(BACKGROUND_INPUTS, max_bytes, budget)
        self.weigh = weigh

    def get(self, key: tuple[Any, ...], generation: Any) -> Any:
        with self._items.lock:
            for stale in [k for k in self._items if k[0] == key and k[1] != generation]:
                self._items.discard(stale)
            return self._items.get((key, generation))

    def put(self, key: tuple[Any, ...], generation: Any, value: Any) -> None:
        self._items.put((key, generation), value, self.weigh(value))

    def clear(self) -> None:
        self._items.clear()

    @property
    def used(self) -> int:
        return self._items.used

    def __len__(self) -> int:
        return len(self._items)


class Failures:
    """The failed background runs of ReportCache.later, for the next caller of the same input and generation: at most
    one per input (a newer generation's replaces an older's, and a caller of a newer generation drops it), at most
    MAX_FAILED in all, each without its traceback — whose frames hold the failed run's locals (a large organisation's
    data graph) — so failures of superseded data are never kept. Callers hold ReportCache's lock."""

    MAX_FAILED = 64

    def __init__(self) -> None:
        self._by_input: dict[tuple[Any, ...], tuple[Any, BaseException]] = {}

    def keep(self, key: tuple[Any, ...], generation: Any, error: BaseException) -> None:
        self._by_input.pop(key, None)
        self._by_input[key] = (generation, _bare(error))
        while len(self._by_input) > self.MAX_FAILED:
            del self._by_input[next(iter(self._by_input))]

    def take(self, key: tuple[Any, ...], generation: Any) -> BaseException | None:
        """The failure of `key` in `generation` (removed), else None; failures of other generations are dropped."""
        for stale in [k for k, (g, _e) in self._by_input.items() if g != generation]:
            del self._by_input[stale]  # nobody asks for a superseded generation again
        kept = self._by_input.pop(key, None)
        return kept[1] if kept is not None else None

    def __len__(self) -> int:
        return len(self._by_input)


def _bare(error: BaseException) -> BaseException:
    """The exception without its traceback and chained exceptions (their frames); the log has the full one."""
    error.__traceback__ = None
    error.__cause__ = error.__context__ = None
    return error


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
    """`max_bytes`: what each of its three stores (entries, inputs, background) may hold; `budget`: the bytes it holds
    with the other caches of the budget (the server: every scope's report cache, normgraph/server/reports.py)."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 256 << 20,
                 quiet: Callable[[Store], Store] | None = None, budget: Budget | None = None) -> None:
        #: the store as a thread computing ahead of a view reads it (_alongside); the server's: the same scope without
        #: its access hook, as its warming after a write (the view that uses the inputs is recorded as a read itself)
        self.quiet = quiet or (lambda store: store)
        self.entries: BoundedCache[tuple[Any, ...], Any] = BoundedCache(max_entries, max_bytes, budget)
        # the inputs reports share (rows, applicability answers) apart from the reports and pages: paging never evicts them
        self.inputs: BoundedCache[tuple[Any, ...], Any] = BoundedCache(max_entries, max_bytes, budget)
        self.background = Background(max_bytes, self._weight, budget)
        self._running: set[tuple[Any, ...]] = set()  # inputs being computed in the background
        self._failed = Failures()
        self._lock = threading.Lock()
        self._computing: dict[tuple[Any, ...], _Computing] = {}  # inputs being computed now, by some thread
        self._warming: dict[str, tuple[Store, dt.date]] = {}  # organisation -> what to warm next (warm())
        self._warmers: set[str] = set()  # organisations a warming thread is working for

    def _get(self, key: tuple[Any, ...], compute: Callable[[], Any], size: Callable[[Any], int]) -> Any:
        """The kept value of `key`, else computed once: a thread asking while another computes it (a page while the
        cache is being warmed, two pages at once) waits for that value instead of computing it again."""
        hit = self.inputs.get(key)
        if hit is not None:
            return hit
        with self._lock:
            hit = self.inputs.get(key)
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
            self.inputs.put(key, running.value, size(running.value))
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
        return lambda key, compute: self._get((generation, "input", *key), compute, self._weight)

    def later(self, store: Store) -> Callable[[tuple[Any, ...], Callable[[], Any]], Any]:
        """Like memo, but a missing input is computed once per data generation in the background (one bounded
        queue: normgraph.reports.background) and None is answered until it is there: for inputs that may take a
        minute (validation of a large organisation), so no request waits for them. A failure is raised to the next
        caller (and computed again after that). Keyed by the store's lasting generation: on a remote store a
        minute-long input outlives the cache TTL's generation (normgraph.store.epochs.lasting_generation)."""
        generation = lasting_generation(store)

        def get(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
            full = (generation, "input", *key)
            hit = self.background.get(key, generation)
            if hit is not None:
                return hit
            with self._lock:
                failed = self._failed.take(key, generation)
                if failed is not None:
                    raise failed
                if full in self._running:
                    return None
                self._running.add(full)

            def work() -> None:
                try:
                    value = compute()
                    # what it made and dropped in reference cycles (a 10x validation: ~1.5 million objects) is collected
                    # here, before its result is there, not by the next full collection: one of up to a second, which
                    # fell into the first view of the result (the pack's findings page at 10x: 1.5 s, 0.5-0.7 without)
                    gc.collect()
                    self.background.put(key, generation, value)
                except BaseException as e:  # handed to the next request
                    log.exception("computing %s in the background failed", key)
                    with self._lock:
                        self._failed.keep(key, generation, e)
                finally:
                    with self._lock:
                        self._running.discard(full)

            # one bounded queue for the process: a reader asking for many dates cannot start many at once
            def forget() -> None:
                with self._lock:
                    self._running.discard(full)

            if not QUEUE.submit(self, (self, full), work, lambda: lasting_generation(store) != generation, forget):
                forget()  # no room now: the next view asks again
            return None

        return get

    def has(self, store: Store, key: tuple[Any, ...]) -> bool:
        """Whether the input `key` of the store's current generation is ready."""
        return (self.background.get(key, lasting_generation(store)) is not None
                or self.inputs.get((store.generation, "input", *key)) is not None)

    def report(self, store: Store, kind: str, slug: str, target: str, today: dt.date, part: str | None = None) -> Report:
        """The report (whole, or only what the page of section `part` needs); ReportError as build_report."""
        from normgraph.reports.dispatch import build_report

        part = part if kind in PER_PART else None  # the others build whole: every section's page shares one build
        key = (store.generation, "report", slug, kind, target if kind == "gap" else "", today, part)
        hit = self.entries.get(key)
        if hit is not None:
            return hit
        memo = self.memo(store)
        self._alongside(store, kind, slug, target, today, memo)
        report = build_report(store, kind, slug, target, today, part=part, memo=memo, later=self.later(store))
        if part not in (None, OVERVIEW, ALL) and not any(p.key == part for p in parts(report)):
            # a section the report does not have (evidence-999, evidence-0001): answered 404, never kept, so
            # asking for made-up pages cannot push the organisation's real pages and inputs out
            raise ReportError(f"no section {part!r} in the {report.kind} report")
        if not pending(report):
            self.entries.put(key, report, self._weight(report))
        return report

    def _alongside(self, store: Store, kind: str, slug: str, target: str, today: dt.date,
                   memo: Callable[[tuple[Any, ...], Callable[[], Any]], Any]) -> None:
        """Start computing, in a thread of its own, the inputs of the report that a second thread can compute while the
        build runs its first queries (normgraph.reports.dispatch.alongside): a cold view takes the longer of the two, not
        their sum. Errors are left to the build, which asks for the same input and raises them itself."""
        from normgraph.reports.dispatch import alongside

        try:
            steps = alongside(self.quiet(store), kind, slug, target, today, memo)
        except Exception:  # an unknown organisation or target: the build says so
            return

        def work() -> None:
            try:
                for step in steps:
                    try:
                        step()
                    except Exception:  # the build computes it again and shows the error
                        log.debug("computing an input of %s %s alongside its build failed", slug, kind, exc_info=True)
            finally:
                _alongside_slots.release()

        if steps and _alongside_slots.acquire(blocking=False):
            try:
                threading.Thread(target=work, name=f"normgraph-alongside-{slug}", daemon=True).start()
            except RuntimeError:  # no thread to be had: the build computes them itself
                _alongside_slots.release()

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

    def _weight(self, value: Any) -> int:
        return weight(value, self.entries.largest)

    @property
    def used(self) -> int:
        """The bytes its entries, inputs and background inputs are charged."""
        return self.entries.used + self.inputs.used + self.background.used

    def clear(self) -> None:
        self.entries.clear()
        self.inputs.clear()
        self.background.clear()


__all__ = ["ReportCache"]

"""Report inputs computed in the background (a large organisation's validation) go through one bounded queue:
a reader asking for many judged dates cannot make the server validate many times at once, and another
organisation's validation is not kept waiting behind them (normgraph/reports/background.py)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest

from normgraph.reports import audit_pack
from normgraph.reports.background import QUEUE, BackgroundQueue
from normgraph.reports.cache import ReportCache
from normgraph.store import EmbeddedStore


def _wait(pred: object, what: str) -> None:
    deadline = time.monotonic() + 120  # not a timing assertion: a bound on a hung job
    while not pred():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_one_job_at_a_time_a_few_per_owner_and_owners_in_turn() -> None:
    q = BackgroundQueue(workers=1, max_per_owner=2, max_waiting=5)
    gate = threading.Event()
    running: list[str] = []
    ran: list[str] = []
    most = [0]

    def job(name: str) -> Callable[[], None]:
        def work() -> None:
            running.append(name)
            most[0] = max(most[0], len(running))
            gate.wait(30)
            ran.append(name)
            running.remove(name)
        return work

    assert q.submit("a", "a0", job("a0"), lambda: False)
    _wait(lambda: running == ["a0"], "the first job never started")
    accepted = [q.submit("a", f"a{i}", job(f"a{i}"), lambda: False) for i in range(1, 40)]
    assert accepted[:2] == [True, True] and not any(accepted[2:])  # two more may wait for owner a, no more
    assert q.submit("a", "a1", job("a1"), lambda: False)  # the same job again: already queued
    assert q.submit("b", "b1", job("b1"), lambda: False) and q.submit("b", "b2", job("b2"), lambda: False)
    assert q.submit("c", "c1", job("c1"), lambda: False)
    assert not q.submit("d", "d1", job("d1"), lambda: False)  # five waiting: the queue is full
    gate.set()
    _wait(lambda: len(ran) == 6, "the queue did not drain")
    assert most[0] == 1
    assert ran == ["a0", "a1", "b1", "c1", "a2", "b2"]  # owners in turn, each in its own order


def test_a_job_whose_data_changed_before_its_turn_is_dropped_unrun() -> None:
    q = BackgroundQueue(workers=1)
    gate = threading.Event()
    ran: list[str] = []
    dropped: list[str] = []
    generation = [1]
    def first() -> None:
        gate.wait(30)
        ran.append("first")

    q.submit("a", "first", first, lambda: False)
    q.submit("a", "old", lambda: ran.append("old"), lambda: generation[0] != 1, lambda: dropped.append("old"))
    generation[0] = 2  # a write
    q.submit("a", "new", lambda: ran.append("new"), lambda: generation[0] != 2)
    gate.set()
    _wait(lambda: ran == ["first", "new"], "the queue did not drain")
    assert dropped == ["old"]


def test_a_viewer_asking_forty_dates_gets_a_few_validations_queued_one_running(
        store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """fintech counted as large (SYNC_EVIDENCE 0): each findings page on a new judged date asks for a validation
    in the background. Forty dates start one, queue a few, and the pages say the results are being computed."""
    monkeypatch.setattr(audit_pack, "SYNC_EVIDENCE", 0)
    gate = threading.Event()
    real = audit_pack.validation_rows
    running: list[int] = []
    most = [0]

    def held(*args: object, **kwargs: object) -> object:
        running.append(1)
        most[0] = max(most[0], len(running))
        gate.wait(60)
        try:
            return real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            running.pop()

    monkeypatch.setattr(audit_pack, "validation_rows", held)
    monkeypatch.setattr(QUEUE, "max_per_owner", 2)  # (4 by default) fewer validations for the test to wait for
    cache = ReportCache()
    days = [dt.date(2026, 12, 1) + dt.timedelta(days=n) for n in range(40)]
    for day in days:
        page = cache.page(store, "audit-pack", "fintech", "", day, section="findings", embed=True)
        assert audit_pack.PENDING in page.html
    assert len(running) == 1
    gate.set()
    _wait(lambda: cache.has(store, ("validation", "fintech", days[0].isoformat())), "validation never finished")
    _wait(lambda: QUEUE.waiting() == 0 and not running, "the queue did not drain")
    # a job ends after its validation returns (its garbage is collected, then its result kept)
    _wait(lambda: all(cache.has(store, ("validation", "fintech", d.isoformat())) for d in days[:3]), "a job never ended")
    assert most[0] == 1
    done = [d for d in days if cache.has(store, ("validation", "fintech", d.isoformat()))]
    assert done == days[:3]  # the one running and the two that could wait
    # a later view of a date that found no room is queued then
    later = cache.page(store, "audit-pack", "fintech", "", days[-1], section="findings", embed=True)
    assert audit_pack.PENDING in later.html
    _wait(lambda: cache.has(store, ("validation", "fintech", days[-1].isoformat())), "a later ask was never queued")

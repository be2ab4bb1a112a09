"""Admission control (normgraph/store/admission.py): a client's query waits a moment for a free worker slot
instead of being refused at once, and the wait is bounded in time and in how many may wait."""

from __future__ import annotations

import threading

import pytest

from normgraph.store.admission import QUEUE_DEPTH, Admission, Busy, heavy


def admit_as(adm: Admission, client: str) -> str | None:
    with heavy(client):
        return adm.admit()


def test_a_query_waiting_for_a_slot_gets_the_one_freed() -> None:
    adm = Admission(workers=2, per_client=2, queue_wait=30.0)
    a, b = admit_as(adm, "alice"), admit_as(adm, "bob")
    got: list[str | None] = []
    waiter = threading.Thread(target=lambda: got.append(admit_as(adm, "carol")))
    waiter.start()
    while not adm.waiting:  # carol waits (no slot is free) ...
        threading.Event().wait(0.01)
    assert got == []
    adm.done(a)  # ... and takes alice's slot as soon as it is free
    waiter.join(30)
    assert got == ["carol"] and dict(adm.running) == {"bob": 1, "carol": 1}
    adm.done(b)
    adm.done("carol")
    assert not adm.running and not adm.waiting


def test_the_wait_is_bounded_in_time_and_in_waiters() -> None:
    adm = Admission(workers=1, per_client=1, queue_wait=0.05, queue_depth=1)
    admit_as(adm, "alice")
    with pytest.raises(Busy, match="busy"):
        admit_as(adm, "bob")  # nobody frees the slot within queue_wait
    with pytest.raises(Busy, match="already run 1"):
        admit_as(adm, "alice")  # a client over its share is told so
    adm.queue_wait = 30.0
    got: list[str | None] = []
    waiter = threading.Thread(target=lambda: got.append(admit_as(adm, "bob")))
    waiter.start()
    while not adm.waiting:
        threading.Event().wait(0.01)
    with pytest.raises(Busy):
        admit_as(adm, "carol")  # one slot, one waiter already: refused at once, not queued
    adm.done("alice")
    waiter.join(30)
    assert got == ["bob"]


def test_the_applications_own_queries_are_never_held() -> None:
    adm = Admission(workers=1, queue_wait=30.0)
    admit_as(adm, "alice")
    assert adm.admit() is None  # no heavy client in this context: not counted, never waits


def test_eight_clients_on_two_workers_wait_their_turn_instead_of_being_refused() -> None:
    """The default queue is QUEUE_DEPTH deep per slot: 8 concurrent queries of one client allowed two workers
    (as bench_endpoint's clients) are all admitted in turn; a ninth is refused at once. With one waiter per
    slot, four of the eight were refused, sent again and refused again (the retries cost the server as much
    as the answers)."""
    assert QUEUE_DEPTH == 3
    adm = Admission(workers=2, per_client=2, queue_wait=30.0)
    first, second = admit_as(adm, "bench"), admit_as(adm, "bench")
    got: list[str | None] = []
    waiters = [threading.Thread(target=lambda: got.append(admit_as(adm, "bench"))) for _ in range(6)]
    for t in waiters:
        t.start()
    while sum(adm.waiting.values()) < 6:
        threading.Event().wait(0.01)
    with pytest.raises(Busy):
        admit_as(adm, "bench")  # the queue is full: refused at once
    for _ in range(8):  # each query done frees a slot for the next waiter
        adm.done("bench")
        while len(got) < min(6, _ + 1):
            threading.Event().wait(0.01)
    for t in waiters:
        t.join(30)
    assert got == ["bench"] * 6 and first == second == "bench"
    assert not adm.running and not adm.waiting

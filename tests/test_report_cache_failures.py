"""ReportCache.later's failed background runs (a large organisation's validation timing out) are handed to the next
caller of the same data generation, but never kept for superseded data nor with the failed run's frames: a server
whose validation fails now and then between an editor's writes must not grow."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
import weakref
from typing import Any

import pytest

from normgraph.iri import NGG
from normgraph.loading import load_knowledge
from normgraph.reports.audit_pack import validation_rows
from normgraph.reports.cache import ReportCache
from normgraph.store import EmbeddedStore, QueryTimeout

DAY = dt.date(2026, 12, 1)
KEY = ("validation", "hospital", DAY.isoformat())


class DataGraph:
    """Stands for what a failing validation holds in its frames (the organisation's data graph)."""


def settle() -> None:
    """Wait for the background runs to end (and their failures to be parked)."""
    for thread in threading.enumerate():
        if thread.name.startswith("normgraph-report-"):
            thread.join()


def test_failures_of_superseded_generations_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # the log has each failure with its traceback; pytest's log capture keeps the records (a server's handlers do not)
    log = logging.getLogger("normgraph.reports.cache")
    monkeypatch.setattr(log, "propagate", False)
    monkeypatch.setattr(log, "handlers", [logging.NullHandler()])
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    cache = ReportCache()
    held: list[weakref.ref[DataGraph]] = []

    def failing() -> Any:
        graph = DataGraph()  # a local of the failing frame
        held.append(weakref.ref(graph))
        validation_rows(store, "hospital", DAY)  # the real work, then the store gives up
        raise QueryTimeout("the query ran past its time limit of 10 s and was stopped")

    for n in range(4):  # a failing run per data generation; an editor writes before anyone asks again
        assert cache.later(store)(KEY, failing) is None  # computed in the background
        settle()
        store.load(f'<urn:x:{n}> <http://www.w3.org/2000/01/rdf-schema#label> "write {n}" .'.encode(), "ntriples",
                   f"{NGG}org/hospital", replace=False)
    assert cache.later(store)(KEY, failing) is None
    settle()
    gc.collect()
    assert len(held) == 5
    assert sum(ref() is not None for ref in held) == 0, "a failed run's frames are still held"
    assert len(cache._failed) == 1  # this generation's only
    with pytest.raises(QueryTimeout, match="time limit"):  # still handed to the next caller of this generation
        cache.later(store)(KEY, failing)
    assert len(cache._failed) == 0
    settle()

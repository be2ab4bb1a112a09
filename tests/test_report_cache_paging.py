"""Paging through an audit pack, the SoA and the gap analyses keeps a large organisation's background validation: its
findings are computed once per data generation and stay shown (hospital, with validation in the background as for an
organisation of more than SYNC_EVIDENCE evidence items). Each cached report and page is charged what it holds, not a
flat 4 MiB that let a scope keep about 32 of them."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

from normgraph.reports import TARGETS, audit_pack
from normgraph.reports.cache import ReportCache
from normgraph.server.reports import CACHE_BYTES
from normgraph.store import EmbeddedStore

DAY = dt.date(2026, 12, 1)
LATER = (dt.date(2027, 3, 1), dt.date(2027, 6, 1))


def settle() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("normgraph-report-"):
            thread.join()


def sections(cache: ReportCache, store: EmbeddedStore, kind: str, day: dt.date) -> list[str]:
    return [p.key for p in cache.report(store, kind, "hospital", "", day, part="overview").extra["parts"]]


def test_paging_never_evicts_the_background_validation(example_store: EmbeddedStore,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_pack, "SYNC_EVIDENCE", 0)  # as for an organisation with more evidence than that
    runs: list[int] = []
    real = audit_pack.validation_rows

    def counted(*args: Any) -> list[dict[str, str]]:
        runs.append(1)
        return real(*args)

    monkeypatch.setattr(audit_pack, "validation_rows", counted)
    cache = ReportCache(max_bytes=CACHE_BYTES)  # a scope's report cache, as the server makes it
    store = example_store

    def findings() -> str:
        return cache.page(store, "audit-pack", "hospital", "", DAY, section="findings").html

    assert audit_pack.PENDING in findings()
    settle()
    assert audit_pack.PENDING not in findings()
    for key in sections(cache, store, "audit-pack", DAY):
        cache.page(store, "audit-pack", "hospital", "", DAY, section=key)
    for day in (DAY, *LATER):  # "what will it look like next quarter?"
        for key in sections(cache, store, "soa", day):
            cache.page(store, "soa", "hospital", "", day, section=key)
        for target in TARGETS:
            cache.page(store, "gap", "hospital", target, day)
    assert len(cache.entries) > 32  # more than a flat 4 MiB each let it keep
    assert cache.has(store, ("validation", "hospital", DAY.isoformat()))
    assert audit_pack.PENDING not in findings()
    settle()
    assert len(runs) == 1  # once for this data generation


def test_pages_that_do_not_exist_are_404_and_never_kept(example_store: EmbeddedStore) -> None:
    """Asking for register pages the pack does not have (evidence-1000, evidence-0001) answers ReportError (404 on
    the server) and keeps nothing, so made-up page numbers cannot push the organisation's real pages out."""
    from normgraph.reports import ReportError

    cache = ReportCache()
    cache.page(example_store, "audit-pack", "hospital", "", DAY, section="evidence-1", embed=True)
    kept = len(cache.entries)
    for section in ["evidence-1000", "evidence-0001", "evidence-+1", "findings-99", "nonsense"]:
        with pytest.raises(ReportError):
            cache.page(example_store, "audit-pack", "hospital", "", DAY, section=section, embed=True)
    assert len(cache.entries) == kept

"""Every scope's report cache shares one byte budget in the process (the server's report_cache_bytes,
NORMGRAPH_REPORT_CACHE): many organisations' readers cannot grow the server without bound. Past the budget the least
recently used entry of any scope goes; it is computed again when asked for, in its own scope, so every page reads as it
does with room for everything."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from normgraph.loading import load_knowledge
from normgraph.reports import audit_pack
from normgraph.reports.cache import ReportCache
from normgraph.server import create_app
from normgraph.server import reports as server_reports
from normgraph.server.config import ServerConfig
from normgraph.server.kernel import close_app, state
from normgraph.store import EmbeddedStore
from normgraph.store.cache import BoundedCache, Budget
from normgraph.store.scoped import Scope

TOKEN = "budget-test-admin-token-" + "x" * 16
DAY = "2026-12-01"
ORGS = ("hospital", "fintech")
KINDS = ("soa", "risks", "gap", "audit-pack")
#: a budget well under what reading both example organisations' reports charges (about 12 MB)
SMALL = 3 << 20


@pytest.fixture
def store() -> EmbeddedStore:
    s = EmbeddedStore()
    load_knowledge(s, examples=True)
    return s


@pytest.fixture(autouse=True)
def default_budget() -> Iterator[None]:
    """The budget is the process's: give it back its default size after each test."""
    yield
    server_reports.BUDGET.resize(ServerConfig.report_cache_bytes)


def admin(app: Flask) -> FlaskClient:
    c = app.test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return c


def make_app(store: EmbeddedStore, budget: int | None) -> Flask:
    config: dict[str, object] = {"workers": 2, "query_timeout": 60, "update_token": TOKEN}
    if budget is not None:
        config["report_cache_bytes"] = budget
    return create_app(store, config=config)


def scope_cache(app: Flask, slug: str) -> ReportCache:
    """The report cache of the organisation's scope (every reader of it shares one: kernel.org_store)."""
    with app.app_context():
        return server_reports.report_cache(state().scoped_store(Scope(read=frozenset({slug}))))


def charged() -> int:
    """What the server's report caches are charged, by the weights they use (entries, inputs, background inputs)."""
    return sum(cache.used for cache in list(server_reports._caches.values()))


def read_all(app: Flask, budget: int | None = None) -> dict[str, bytes]:
    """Every report page of both organisations (each overview, then each of its sections), by path; with `budget`,
    what the caches hold is checked after every page."""
    c, pages = admin(app), {}
    for slug in ORGS:
        for kind in KINDS:
            path = f"/org/{slug}/{kind}?today={DAY}"
            overview = c.get(path)
            assert overview.status_code == 200
            pages[path] = overview.data
            for section in sorted(set(re.findall(r"section=([\w.\-]+)", overview.get_data(as_text=True)))):
                r = c.get(f"{path}&section={section}")
                assert r.status_code == 200
                pages[f"{path}&section={section}"] = r.data
                if budget is not None:
                    assert charged() <= budget and server_reports.BUDGET.used <= budget
    return pages


def test_a_small_budget_bounds_every_scopes_reports_and_the_pages_read_the_same(store: EmbeddedStore) -> None:
    roomy = make_app(store, None)
    expected = read_all(roomy)
    assert charged() > 3 * SMALL  # reading them all charges several times the small budget
    close_app(roomy)
    del roomy

    bounded = make_app(store, SMALL)
    assert server_reports.BUDGET.max_bytes == SMALL and server_reports.BUDGET.used <= SMALL  # resized: older evicted
    assert read_all(bounded, SMALL) == expected  # evicted pages were computed again, each in its own scope
    assert read_all(bounded, SMALL) == expected  # and again, after a full round that evicted them
    close_app(bounded)


def test_reading_one_organisation_evicts_another_scopes_least_recently_used(store: EmbeddedStore) -> None:
    app = make_app(store, SMALL)
    c = admin(app)
    for kind in KINDS:
        assert c.get(f"/org/hospital/{kind}?today={DAY}").status_code == 200
    hospital = scope_cache(app, "hospital")
    held = hospital.used
    assert held > 0
    for slug in ("fintech", "fintech"):  # fintech's pages, twice: the second round's hits make them the most recent
        for kind in KINDS:
            path = f"/org/{slug}/{kind}?today={DAY}"
            for section in [None, *sorted(set(re.findall(r"section=([\w.\-]+)", c.get(path).get_data(as_text=True))))]:
                assert c.get(path if section is None else f"{path}&section={section}").status_code == 200
    assert hospital.used < held  # hospital's entries were the least recently used: they went first
    assert server_reports.BUDGET.used <= SMALL
    close_app(app)


def test_a_background_input_is_charged_to_the_budget_and_computed_again_once_evicted(
        store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large organisation's validation (computed in the background) counts in the budget like the rest; evicted, the
    next view computes it again and shows the same findings."""
    monkeypatch.setattr(audit_pack, "SYNC_EVIDENCE", 0)  # as for an organisation with more evidence than that
    app = make_app(store, SMALL)
    c = admin(app)
    findings = f"/org/hospital/audit-pack?today={DAY}&section=findings"

    def ready() -> bytes:
        page = c.get(findings).data
        if audit_pack.PENDING.encode() in page:
            for thread in threading.enumerate():
                if thread.name.startswith("normgraph-report-"):
                    thread.join()
            page = c.get(findings).data
        assert audit_pack.PENDING.encode() not in page
        return page

    first = ready()
    hospital = scope_cache(app, "hospital")
    assert hospital.background.used > 0
    server_reports.BUDGET.resize(0)  # every entry of every scope goes, the background input too
    assert len(hospital.background) == 0 and charged() == 0
    server_reports.BUDGET.resize(SMALL)
    assert audit_pack.PENDING.encode() in c.get(findings).data  # computed again, in the background
    assert ready() == first
    close_app(app)


def test_the_least_recently_used_entry_of_all_the_budgets_caches_goes_first() -> None:
    budget = Budget(800)  # entries of at most 800 / ENTRY_SHARE = 100 bytes
    a: BoundedCache[str, str] = BoundedCache(10, 1000, budget)
    b: BoundedCache[str, str] = BoundedCache(10, 1000, budget)
    a.put("a1", "x", 100)
    b.put("b1", "x", 100)
    a.put("a2", "x", 100)
    assert a.get("a1") == "x"  # a1 is now more recent than b1 and a2
    for n in range(2, 7):
        b.put(f"b{n}", "x", 100)
    assert budget.used == 800 and len(a) + len(b) == 8  # at the budget: nothing went
    b.put("b7", "x", 100)  # b1, the least recently used of both caches, goes
    assert "b1" not in b and budget.used == 800
    a.put("a3", "x", 100)  # then a2
    assert "a2" not in a and "a1" in a and budget.used == 800
    assert not b.put("huge", "x", 101)  # over the budget's share: never kept, nothing evicted for it
    assert budget.used == 800
    del a  # a dropped cache takes its bytes with it
    assert budget.used == 600


def test_the_setting_is_read_from_the_environment_and_refuses_a_tiny_budget() -> None:
    assert ServerConfig.from_env(env={"NORMGRAPH_REPORT_CACHE": str(64 << 20)}).report_cache_bytes == 64 << 20
    assert ServerConfig.from_env(env={}).report_cache_bytes == 512 << 20
    with pytest.raises(ValueError, match="NORMGRAPH_REPORT_CACHE"):
        ServerConfig.from_env(env={"NORMGRAPH_REPORT_CACHE": "1000"})


def test_a_report_is_charged_its_pickled_size_counted_no_further_than_the_largest_entry(store: EmbeddedStore) -> None:
    """weight() counts what pickle writes and stops at the most an entry is charged: the same charge as pickling the
    whole report and measuring it, capped."""
    import datetime as dt
    import pickle

    from normgraph.reports.cache import weight

    report = ReportCache().report(store, "audit-pack", "hospital", "", dt.date.fromisoformat(DAY))
    size = len(pickle.dumps(report, pickle.HIGHEST_PROTOCOL))
    assert weight(report, 1 << 30) == size
    assert weight(report, size // 3) == size // 3
    assert weight(lambda: None, 1 << 30) == 4 << 20  # unpicklable: the default cost

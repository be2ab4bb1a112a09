"""The reports' shared inputs per data generation: computed once for all reports of an organisation, warmed in the
background after a write so the next first view finds them ready, and never of older data than the page asks for."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable

from flask import Flask

from normgraph.iri import NGG
from normgraph.reports import prepare_store
from normgraph.reports.cache import ReportCache
from normgraph.server.kernel import state
from normgraph.server.reports import report_cache
from normgraph.store import EmbeddedStore
from normgraph.store.scoped import Scope
from tests.server_helpers import audit_records

HOSPITAL = f"{NGG}org/hospital"
ID = "https://w3id.org/normgraph/id/org/hospital/"
NG = "https://w3id.org/normgraph/ont#"
CONTROL = "https://w3id.org/normgraph/id/iso27001-2022/A-5-1"
try:  # the application of the epochs' tests (hospital's editor, fintech's viewer)
    from test_epochs import app, client
except ImportError:  # tests/ imported as a package
    from tests.test_epochs import app, client  # noqa: F401

#: a bound on a hung background thread, not a timing assertion
PATIENCE = 600


def evidence(n: int) -> str:
    """A current evidence item of hospital supporting 27001 A.5.1 (N-Triples)."""
    e = f"<{ID}evidence/WARM-{n}>"
    return (f"{e} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{NG}Evidence> .\n"
            f'{e} <http://www.w3.org/2004/02/skos/core#notation> "WARM-{n}" .\n'
            f"{e} <{NG}supports> <{CONTROL}> .\n")


def settled(cache: ReportCache, slug: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while cache.warming(slug):
        assert time.monotonic() < deadline, "warming never finished"
        time.sleep(0.02)


def a51_evidence(html: str) -> str:
    """The evidence cell of the A.5.1 row of the SoA's page of 27001 A.5 ("current / expired")."""
    row = html.split("A.5.1<", 1)[1].split("</tr>", 1)[0]
    return re.findall(r"<td>(\d+) / <span", row)[0]


def test_a_write_warms_the_organisations_report_inputs_for_the_new_data(app: tuple[Flask, dict[str, str]]) -> None:
    """After an editor's write, hospital's reports' shared inputs (the engine's answers, the SoA's rows, the evidence
    the gap and the audit pack read) are computed in the background for the new data: the next first view of each
    report finds them, and shows the write. fintech, which the write cannot change, is not warmed again."""
    flask_app, _tokens = app
    editor, fin = client(app, "hosp-editor"), client(app, "fin-viewer")
    section = {"section": "27001-A.5"}
    before = editor.get("/org/hospital/soa", query_string=section)  # hospital's pages were read: its cache exists
    assert before.status_code == 200 and fin.get("/org/fintech/soa").status_code == 200
    with flask_app.app_context():
        hospital = state().scoped_store(Scope(read=frozenset({"hospital"})))
        fintech = state().scoped_store(Scope(read=frozenset({"fintech"})))
    cache, fin_cache = report_cache(hospital), report_cache(fintech)
    today = dt.date.today().isoformat()
    shared = [("applicability", "hospital", today), ("org", "hospital"),
              ("rows", "report-soa", ("graph", HOSPITAL)),
              ("rows", "report-soa-evidence", ("graph", HOSPITAL), ("today", today)),
              ("rows", "report-audit-supported", ("graph", HOSPITAL), ("today", today)),
              ("rows", "report-audit-counts", ("graph", HOSPITAL), ("today", today)),
              ("rows", "report-gap-obligation-evidence", ("graph", HOSPITAL), ("today", today)),
              ("gap-implemented", HOSPITAL, today)]
    fin_kept = {k: fin_cache.entries.get(k) for k in fin_cache.entries}

    with audit_records() as trail:
        r = editor.post("/store", query_string={"graph": HOSPITAL}, data=evidence(1).encode(),
                        content_type="application/n-triples")
        assert r.status_code in (200, 201, 204), r.data
        settled(cache, "hospital")
    assert [line["principal"] for line in trail] == ["hosp-editor"]  # computing ahead is no one's read
    assert [key for key in shared if not cache.has(hospital, key)] == []  # all there before any page asks
    assert not fin_cache.warming("fintech") and {k: fin_cache.entries.get(k) for k in fin_cache.entries} == fin_kept

    after = editor.get("/org/hospital/soa", query_string=section).get_data(as_text=True)
    assert int(a51_evidence(after)) == int(a51_evidence(before.get_data(as_text=True))) + 1  # the new evidence counts
    fresh = ReportCache().page(hospital, "soa", "hospital", "", dt.date.today(), section="27001-A.5", embed=True).html
    assert a51_evidence(after) == a51_evidence(fresh)  # exactly what a cold build shows


def test_an_input_asked_for_while_it_is_computed_is_computed_once() -> None:
    """Two pages (or a page and the warming) asking for one input at once: one computes, the other waits for it."""
    store = EmbeddedStore()
    prepare_store(store)
    cache = ReportCache()
    calls: list[int] = []
    started, release = threading.Event(), threading.Event()

    def compute() -> list[int]:
        calls.append(1)
        started.set()
        release.wait(PATIENCE)
        return [42]

    got: list[object] = []
    first = threading.Thread(target=lambda: got.append(cache.memo(store)(("input",), compute)))
    first.start()
    started.wait(PATIENCE)
    second = threading.Thread(target=lambda: got.append(cache.memo(store)(("input",), compute)))
    second.start()
    release.set()
    first.join(PATIENCE)
    second.join(PATIENCE)
    assert got == [[42], [42]] and got[0] is got[1] and len(calls) == 1


def alongside_done() -> None:
    deadline = time.monotonic() + PATIENCE
    while any(t.name.startswith("normgraph-alongside-") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "an input computed alongside a view never finished"
        time.sleep(0.02)


def test_a_cold_view_computes_inputs_alongside_and_draws_what_a_plain_build_draws() -> None:
    """A first view computes some inputs in a second thread while its build runs (ReportCache._alongside): the page is
    the one a build without any cache draws, for each report that does so, on both example organisations."""
    from normgraph.reports.dispatch import build_report
    from normgraph.reports.page import render_html

    store = EmbeddedStore()
    prepare_store(store)
    day = dt.date(2026, 12, 1)
    for slug in ("hospital", "fintech"):
        for kind, target in (("soa", ""), ("gap", "eu-ai-act"), ("audit-pack", "")):
            cache = ReportCache()
            cache.memo(store)(("validation", slug, day.isoformat()), lambda: [])  # validation: its own tests
            page = cache.page(store, kind, slug, target, day, embed=True).html
            plain = build_report(store, kind, slug, target, day, part="overview", memo=no_validation)
            assert page == render_html(plain, embed=True).html, (slug, kind)
    alongside_done()


def no_validation(key: tuple[object, ...], compute: Callable[[], object]) -> object:
    """A memo that keeps nothing and answers the validation results as the cached view was given them: none."""
    return [] if key[0] == "validation" else compute()


def test_inputs_computed_alongside_a_view_are_no_ones_read(app: tuple[Flask, dict[str, str]]) -> None:
    """The thread computing a view's inputs alongside reads the organisation without the scope's access hook, as the
    warming does: the audit trail has the viewer's read of the page and nothing from a thread outside a request."""
    editor = client(app, "hosp-editor")
    with audit_records() as trail:
        for kind, query in (("soa", {}), ("gap", {"target": "eu-ai-act"}), ("audit-pack", {"section": "27001-A.5"})):
            assert editor.get(f"/org/hospital/{kind}", query_string=query).status_code == 200
        alongside_done()
    assert trail and {line["principal"] for line in trail} == {"hosp-editor"}


def test_past_the_bound_a_cold_view_computes_its_inputs_itself() -> None:
    """At most ALONGSIDE threads compute ahead at once in the process; a cold view that finds none free starts no
    thread and draws the same page (many cold views at once cannot start a thread each)."""
    from normgraph.reports import cache as cache_module

    store = EmbeddedStore()
    prepare_store(store)
    day = dt.date(2026, 12, 1)
    alongside_done()
    taken = [cache_module._alongside_slots.acquire(blocking=False) for _ in range(cache_module.ALONGSIDE)]
    try:
        assert all(taken)
        cache = ReportCache()
        cache.memo(store)(("validation", "hospital", day.isoformat()), lambda: [])
        before = {t.ident for t in threading.enumerate()}
        page = cache.page(store, "audit-pack", "hospital", "", day, embed=True).html
        assert not [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("normgraph-alongside-")]
    finally:
        for _ in taken:
            cache_module._alongside_slots.release()
    cold = ReportCache()
    cold.memo(store)(("validation", "hospital", day.isoformat()), lambda: [])
    assert page == cold.page(store, "audit-pack", "hospital", "", day, embed=True).html
    alongside_done()


def test_a_request_that_wrote_nothing_warms_nothing(app: tuple[Flask, dict[str, str]]) -> None:
    """Only a request that wrote warms: a query sent by POST after the data moved some other way (on a remote store,
    its generation moves by itself every cache TTL) starts no warming, so anyone's POSTs cannot set every read
    organisation's reports computing."""
    flask_app, _tokens = app
    editor = client(app, "hosp-editor")
    assert editor.get("/org/hospital/soa").status_code == 200  # hospital's pages were read: its cache exists
    with flask_app.app_context():
        hospital = state().scoped_store(Scope(read=frozenset({"hospital"})))
        store = state().store
    cache = report_cache(hospital)
    settled(cache, "hospital")
    store.load(evidence(2).encode(), "ntriples", HOSPITAL, replace=False)  # moved outside any request
    r = editor.post("/sparql", data="ASK { ?s ?p ?o }", content_type="application/sparql-query",
                    headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.data
    assert not cache.warming("hospital")
    r = editor.post("/store", query_string={"graph": HOSPITAL}, data=evidence(3).encode(),
                    content_type="application/n-triples")
    assert r.status_code in (200, 201, 204), r.data
    assert cache.warming("hospital") or cache.has(hospital, ("org", "hospital"))  # a write does warm
    settled(cache, "hospital")

"""Report pages on the example organisations (hospital, fintech): the AI Act duties per system as
`normgraph applicability` gives them, the residual heat map, unique evidence rows, unknown treatment controls,
explorer links, sections that add up to the whole report, and the per-generation cache."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from repo import ROOT

from normgraph.cli import Context, main
from normgraph.reports import ReportError, audit_pack, gap, prepare_store, risks, run, soa
from normgraph.reports.cache import ReportCache
from normgraph.reports.page import ALL, OVERVIEW, Links, render_html
from normgraph.store import EmbeddedStore

TODAY = dt.date(2026, 12, 1)
GRAPH = "https://w3id.org/normgraph/graph/org/{}"
UNKNOWN = "https://w3id.org/normgraph/id/iso27001-2022/A-5-99"
ORG_WITH_TYPO = f"""
@prefix ng: <https://w3id.org/normgraph/ont#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/normgraph/id/org/typo/organisation/typo> a ng:Organisation ; skos:prefLabel "Typo Ltd" .
<https://w3id.org/normgraph/id/org/typo/risk/r1> a ng:SecurityRisk ; skos:prefLabel "Laptop theft" ;
    ng:likelihood 3 ; ng:impact 4 ; ng:residualScore 7 ;
    ng:treatedBy <https://w3id.org/normgraph/id/iso27001-2022/A-8-1> , <{UNKNOWN}> .
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    typo = tmp_path_factory.mktemp("orgs") / "typo.ttl"
    typo.write_text(ORG_WITH_TYPO, encoding="utf-8")
    s = EmbeddedStore()
    prepare_store(s, extra=[typo, ROOT / "tests" / "fixtures" / "reports-small.ttl"])
    return s


def cli_json(store: EmbeddedStore, *args: str) -> dict[str, Any]:
    """`normgraph applicability … --format json` on the prepared store."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Context, "store", lambda self, **_kw: store)
        result = CliRunner().invoke(main, ["applicability", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.output)
    return out


# ── AI Act duties per system: the applicability engine's answers, as the CLI gives them ─────────────
@pytest.mark.parametrize("slug", ["hospital", "fintech"])
@pytest.mark.parametrize("day", [TODAY, dt.date(2030, 8, 2)])
def test_soa_and_audit_pack_list_each_systems_duties_as_the_cli_does(store: EmbeddedStore, slug: str, day: dt.date) -> None:
    answers = cli_json(store, "--org", slug, "--on", day.isoformat())
    expected = {
        s["subject"]: sorted((o["notation"], o["status"], o["applies_from"], o["in_force"], tuple(o["record"]))
                             for o in s["obligations"] if o["status"] != "does not apply")
        for s in answers["subjects"]
    }
    for report in (soa.build(store, slug, day), audit_pack.build(store, slug, day, validate=False)):
        got = {s.iri: sorted((d.notation, d.status, d.applies_from.isoformat() if d.applies_from else None, d.in_force,
                              d.record) for d in s.duties) for s in report.extra["duties"]}
        assert got == expected
        rows = report.table("ai-act-duties").rows
        assert len(rows) == sum(map(len, expected.values()))
        # a duty applying from a later date is shown with that date, never as owed now
        for row in rows:
            if row["status"].startswith("applies from"):
                assert row["applies_from"] > day.isoformat() and row["in_force"] is False
                assert row["status"] == f"applies from {row['applies_from']}"
            if row["status"].startswith("cannot tell yet"):
                assert row["record"] and row["status"].endswith(row["record"].replace("; ", ", "))


def test_later_duties_come_into_force_with_the_judged_date(store: EmbeddedStore) -> None:
    """hospital.ttl: care-eligibility (Annex III 5(a), placed on the market 2025-11-03 for public authorities)
    owes Art. 27(1) from 2030-08-02 (Art. 111(2)): dated on 2026-12-01, in force on 2030-08-02."""
    def art27(day: dt.date) -> dict[str, object]:
        rows = soa.build(store, "hospital", day).table("ai-act-duties").rows
        return next(r for r in rows if r["obligation"] == "Art. 27(1) deployer" and r["system_iri"].endswith("care-eligibility"))

    before, after = art27(TODAY), art27(dt.date(2030, 8, 2))
    assert (before["status"], before["in_force"]) == ("applies from 2030-08-02", False)
    assert (after["status"], after["in_force"]) == ("in force", True)
    assert "Art. 111(2)" in str(before["why"])
    page = render_html(soa.build(store, "hospital", TODAY), section="ai-act-duties").html
    assert "applies from 2030-08-02" in page and "Art. 27(1) deployer" in page


def test_cannot_tell_yet_is_shown_with_what_to_record(store: EmbeddedStore) -> None:
    """reports-small.ttl: the chatbot (deployer, asserted Art. 50 system, no triggers recorded) has Art. 50(3) and
    50(4) as 'cannot tell yet': listed with the facts to record, never dropped."""
    report = soa.build(store, "reports-small", TODAY)
    bot = next(s for s in report.extra["duties"] if s.iri.endswith("chatbot"))
    open_ = {d.notation: d for d in bot.duties if d.status == "cannot tell yet"}
    assert {"Art. 50(3) deployer", "Art. 50(4) deployer"} <= set(open_)
    assert all(d.state.startswith("cannot tell yet: record ") and not d.in_force for d in open_.values())
    overview = render_html(report).html
    assert ", ".join(bot.record) in overview
    assert "Art. 50(3) deployer" in render_html(report, section="ai-act-duties").html


def test_a_malformed_evidence_date_does_not_void_the_other_evidence(store: EmbeddedStore) -> None:
    """fintech.ttl F9: MKT-NOTICE-2026's issue date is a plain string. It counts as not current (as validation says),
    and 42001 A.8.3's other evidence (AIMS-PRC-028) still counts as current: the same answer on every store."""
    rows = {(r["standard"][8:13], r["control"]): r for r in soa.build(store, "fintech", TODAY).table("soa").rows}
    assert (rows[("42001", "A.8.3")]["evidence_current"], rows[("42001", "A.8.3")]["evidence_expired"]) == (1, 1)
    counts = run(store, "report-audit-counts", graph=GRAPH.format("fintech"), today=TODAY.isoformat()).rows[0]
    assert counts["expired"] is not None and int(counts["expired"]) >= 1


# ── Risks ──────────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("slug", ["hospital", "fintech"])
def test_residual_heat_map_is_placed_from_the_recorded_scores(store: EmbeddedStore, slug: str) -> None:
    report = risks.build(store, slug, TODAY)
    rows = report.table("risks").rows
    scored = [r for r in rows if r["residual_score"] is not None and r["likelihood"] and r["impact"]]
    residual = report.extra["heatmap"]["residual"]
    assert scored and sum(map(sum, residual)) == len(scored)  # was empty: "34 risks have no residual position"
    for r in scored:
        rl, ri = r["residual_likelihood"], r["residual_impact"]
        assert isinstance(rl, int) and isinstance(ri, int)
        assert rl <= min(int(r["likelihood"]), 5) and ri <= int(r["impact"])  # treatment never raises either
        if "nearest" not in str(r["residual_placement"]):
            assert rl * ri == r["residual_score"]
    assert report.extra["residual_unplaced"] == len(rows) - len(scored)


def test_residual_placement_keeps_impact_when_the_score_allows(store: EmbeddedStore) -> None:
    """hospital R-001: likelihood 4, impact 5, residual 8 -> likelihood 2 x impact 4 (8 itself; of 2x4 and 4x2 the
    higher impact); fintech R-009 (likelihood 6, off the scale) with impact 3, residual 8 -> 4 x 2."""
    by = {str(r["iri"]).rsplit("/", 1)[-1]: r for r in risks.build(store, "hospital", TODAY).table("risks").rows}
    assert (by["R-001"]["residual_likelihood"], by["R-001"]["residual_impact"]) == (2, 4)
    fin = {str(r["iri"]).rsplit("/", 1)[-1]: r for r in risks.build(store, "fintech", TODAY).table("risks").rows}
    assert (fin["R-009"]["residual_likelihood"], fin["R-009"]["residual_impact"]) == (4, 2)


def test_treatment_naming_an_unknown_control_is_flagged(store: EmbeddedStore) -> None:
    report = risks.build(store, "typo", TODAY)
    row = report.table("risks").rows[0]
    assert row["treatment_controls"] == "A.8.1 (27001)"
    assert row["unknown_controls"] == "iso27001:A-5-99"
    assert report.extra["unknown_controls"] == [("Laptop theft", row["iri"], "iso27001:A-5-99")]
    # residual 7 has no cell of its own within 3 x 4: the nearest, never understating: 2 x 4 = 8
    assert (row["residual_likelihood"], row["residual_impact"]) == (2, 4)
    assert "nearest" in str(row["residual_placement"])
    html = render_html(report).html
    assert 'role="alert"' in html and "is not a control of any catalog" in html
    assert UNKNOWN not in html  # flagged, not shown as a raw IRI


# ── Audit pack ─────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("slug", ["hospital", "fintech"])
def test_audit_pack_evidence_rows_once_each_with_all_they_serve(store: EmbeddedStore, slug: str) -> None:
    report = audit_pack.build(store, slug, TODAY, validate=False)
    rows = report.table("evidence").rows
    iris = [r["evidence_iri"] for r in rows]
    assert len(iris) == len(set(iris))
    supports: dict[str, set[str]] = defaultdict(set)
    for r in run(store, "report-audit-evidence", graph=GRAPH.format(slug), today=TODAY.isoformat()).rows:
        supports[str(r["evidence"])].add(str(r["supports"]))
    assert set(iris) == set(supports)
    for r in rows:
        assert {iri for iri, _n in r["serves_iris"]} == supports[r["evidence_iri"]]
        assert r["serves"] == "; ".join(n for _i, n in r["serves_iris"])
    counts = run(store, "report-audit-counts", graph=GRAPH.format(slug), today=TODAY.isoformat()).rows[0]
    assert int(counts["items"]) == len(rows) == report.extra["counts"]["evidence_items"]
    if slug == "hospital":  # an owner with both foaf:name and rdfs:label: the foaf:name, always
        owners = {r["owner"] for r in rows}
        assert "Priya Venkataraman" in owners and "Priya Venkataraman (IT Security Manager)" not in owners


def test_audit_pack_obligations_come_from_the_applicability_engine(store: EmbeddedStore) -> None:
    report = audit_pack.build(store, "hospital", TODAY, validate=False)
    obligations = {s.iri for s in report.extra["sections"] if s.kind == "AI Act obligation" and s.duties}
    listed = {d.obligation for s in report.extra["duties"] for d in s.duties}
    assert obligations == listed and listed


def test_violations_are_summarised_first_with_links_to_their_rows(store: EmbeddedStore) -> None:
    report = audit_pack.build(store, "fintech", TODAY)
    violations = report.extra["violations"]
    assert violations and report.extra["counts"]["violations"] == len(violations)
    overview = render_html(report, embed=True).html
    body = overview[overview.index('<section id="overview"'):]
    assert body.index("<h2>Violations</h2>") < body.index("<h2>AI Act duties</h2>")
    hrefs = re.findall(r'<a href="\?section=([^"#]+)#([^"]+)">', overview)
    assert hrefs
    for key, at in hrefs[:20]:  # each link lands on a row of the section it names
        assert f'id="{at}"' in render_html(report, section=key).html, (key, at)


# ── Links, sections, cache ─────────────────────────────────────────────────────────────────────────
def test_every_requirement_links_to_the_explorer(store: EmbeddedStore) -> None:
    a51 = "/explore/resource?iri=https%3A%2F%2Fw3id.org%2Fnormgraph%2Fid%2Fiso27001-2022%2FA-5-1"
    soa_page = render_html(soa.build(store, "hospital", TODAY), section="27001-A.5").html
    assert f'href="{a51}"' in soa_page
    assert 'href="/explore/resource?iri=https%3A%2F%2Fw3id.org%2Fnormgraph%2Fid%2Fnist-ai-rmf-1.0%2F' in soa_page
    gap_page = render_html(gap.build(store, "hospital", "iso42001-2023", TODAY)).html
    assert gap_page.count('href="/explore/resource?iri=') >= 38
    risk_page = render_html(risks.build(store, "hospital", TODAY), links=Links(explorer="https://host/e?iri=")).html
    assert 'href="https://host/e?iri=https%3A%2F%2Fw3id.org%2Fnormgraph%2Fid%2Fiso27001-2022%2FA-8-13"' in risk_page


def test_gap_report_reads_in_plain_words(store: EmbeddedStore) -> None:
    report = gap.build(store, "hospital", "iso42001-2023", TODAY)
    html = render_html(report).html
    assert "<details open><summary>New work" in html
    for req in report.extra["requirements"]:
        assert not re.search(r"\b(intersectsWith|relatedTo|subsetOf|supersetOf|equalTo|NoTermFound)\b", req.reason)
        assert "/mapping/" not in req.reason and "ngms:" not in req.reason
    a43 = next(r for r in report.extra["requirements"] if r.notation == "A.4.3")
    assert "ISO/IEC 27001 A.5.9 intersects with it and covers it in part" in a43.reason
    assert re.search(r"confidence (clear-cut|sound judgement|arguable) \(0\.\d+\)", a43.reason)
    # a relatedTo record claims no overlap in substance, and says so
    ai_act = gap.build(store, "fintech", "eu-ai-act", TODAY).extra["requirements"]
    assert any("is related to it and claims no overlap in substance" in r.reason for r in ai_act)


def test_soa_sections_add_up_to_the_whole(store: EmbeddedStore) -> None:
    report = soa.build(store, "fintech", TODAY)
    whole = {row["iri"] for row in report.table("soa").rows}
    seen: list[str] = []
    for s in render_html(report).sections:
        page = render_html(report, section=s.key, embed=True)
        assert "<html" not in page.html and page.section == s.key
        seen += re.findall(r'<tr id="(?:27001|42001)-[^"]+"><td><a href="/explore/resource\?iri=([^"]+)"', page.html)
    from urllib.parse import unquote

    assert sorted(map(unquote, seen)) == sorted(whole)
    with pytest.raises(ReportError, match="no section 'nope'"):
        render_html(report, section="nope")
    # served: the contents keep the page's other parameters, the overview link too
    served = render_html(report, links=Links(section="/org/fintech/soa?today=2026-12-01&section="), section="27001-A.5").html
    assert 'href="/org/fintech/soa?today=2026-12-01">Overview</a>' in served
    assert 'href="/org/fintech/soa?today=2026-12-01&amp;section=42001-A.6"' in served


def test_audit_pack_pages_add_up_to_the_whole(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built page by page (bounded queries), the sections hold what the whole pack holds: every control and
    obligation section, and every evidence item on exactly one register page."""
    monkeypatch.setattr(audit_pack, "PAGE", 30)
    whole = audit_pack.build(store, "hospital", TODAY, validate=False)
    keys = [p.key for p in whole.extra["parts"]]
    assert [k for k in keys if k.startswith("evidence-")] == ["evidence-1", "evidence-2", "evidence-3"]  # 81 items
    sections, items = set(), []
    for key in keys:
        part = audit_pack.build(store, "hospital", TODAY, validate=False, part=key)
        shown = next(p for p in part.extra["parts"] if p.key == key)
        if shown.kind == "sections":
            sections |= {s.iri for s in shown.data}
        elif shown.kind == "register":
            items += [e["evidence_iri"] for e in shown.data]
        assert [p.key for p in part.extra["parts"]] == keys  # the same table of contents on every page
    assert sorted(items) == sorted(e["evidence_iri"] for e in whole.table("evidence").rows)
    assert sections == {s.iri for s in whole.extra["sections"]}
    overview = audit_pack.build(store, "hospital", TODAY, validate=False, part=OVERVIEW)
    assert overview.extra["counts"] == {k: v for k, v in whole.extra["counts"].items()}


def test_cache_answers_repeat_views_and_follows_the_data(store: EmbeddedStore, tmp_path: Path) -> None:
    cache = ReportCache()
    first = cache.page(store, "soa", "hospital", "", TODAY, section="27001-A.8", embed=True)
    assert cache.page(store, "soa", "hospital", "", TODAY, section="27001-A.8", embed=True) is first
    assert cache.page(store, "soa", "hospital", "", TODAY, section=None, embed=True) is not first
    # a control section's page does not wait for the applicability engine: its systems are named, not judged
    part = cache.report(store, "soa", "hospital", "", TODAY, part="27001-A.8")
    assert part.extra["duties"] and not any(s.duties for s in part.extra["duties"])
    whole = render_html(cache.report(store, "soa", "hospital", "", TODAY), section=ALL).html
    assert first.html.split('<section id="27001-A-8"', 1)[1].split("</section>")[0] in whole
    extra = tmp_path / "extra.ttl"
    extra.write_text("<https://example.org/x> <https://example.org/p> 1 .\n", encoding="utf-8")
    store.load(extra, "turtle", "https://example.org/g")  # a write: a new data generation
    assert cache.page(store, "soa", "hospital", "", TODAY, section="27001-A.8", embed=True) is not first


def test_a_large_organisations_pages_never_wait_for_validation(store: EmbeddedStore,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Above SYNC_EVIDENCE evidence items (here 0: fintech counts as large) no page of the audit pack runs validation:
    the first starts it in the background, once per data generation, and says its results are being computed (that
    page is not kept); once they are there the findings are exactly the whole pack's."""
    monkeypatch.setattr(audit_pack, "SYNC_EVIDENCE", 0)
    cache = ReportCache()
    first = cache.page(store, "audit-pack", "fintech", "", TODAY, section="findings", embed=True)
    assert audit_pack.PENDING in first.html and 'id="finding-1"' not in first.html
    deadline = time.monotonic() + 600  # not a timing assertion: only a bound on a hung validation
    while not cache.has(store, ("validation", "fintech", TODAY.isoformat())):
        assert time.monotonic() < deadline, "background validation never finished"
        time.sleep(0.05)
    ready = cache.page(store, "audit-pack", "fintech", "", TODAY, section="findings", embed=True)
    assert ready is not first and audit_pack.PENDING not in ready.html and 'id="finding-1"' in ready.html
    whole = audit_pack.build(store, "fintech", TODAY)
    shown = cache.report(store, "audit-pack", "fintech", "", TODAY, part="findings")
    def key(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
        return [(str(r["severity"]), str(r["message"]), str(r["focus"])) for r in rows]
    assert key(shown.table("findings").rows) == key(whole.table("findings").rows) and whole.extra["violations"]
    overview = cache.report(store, "audit-pack", "fintech", "", TODAY, part=OVERVIEW)
    assert overview.extra["counts"]["violations"] == whole.extra["counts"]["violations"]


def test_many_findings_are_paged_and_each_link_lands_on_its_row(store: EmbeddedStore,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A large organisation's validation results are pages of FINDINGS_PAGE (here 3), together exactly the whole
    pack's, and every link to a result (the overview's violations) names the page that lists it."""
    monkeypatch.setattr(audit_pack, "FINDINGS_PAGE", 3)
    whole = audit_pack.build(store, "fintech", TODAY)
    keys = [p.key for p in whole.extra["parts"] if p.kind == "findings"]
    assert keys[0] == "findings" and keys[1] == "findings-2" and len(keys) == -(-len(whole.table("findings").rows) // 3)
    paged = [f for key in keys for p in audit_pack.build(store, "fintech", TODAY, part=key).extra["parts"]
             if p.key == key for f in p.data]
    assert [f["number"] for f in paged] == [f["number"] for f in whole.table("findings").rows]
    overview = render_html(audit_pack.build(store, "fintech", TODAY, part=OVERVIEW), embed=True).html
    links = re.findall(r'<a href="\?section=(findings[^"#]*)#(finding-\d+)">', overview)
    for key, at in links:
        assert f'id="{at}"' in render_html(audit_pack.build(store, "fintech", TODAY, part=key), section=key).html


@pytest.mark.parametrize("kind", ["soa", "risks", "gap", "audit-pack"])
def test_every_table_scrolls_in_a_focusable_labelled_region(store: EmbeddedStore, kind: str) -> None:
    """WCAG 1.4.10 reflow at 320 px and axe's scrollable-region-focusable: no table widens the page; each sits in a
    box a keyboard user can focus and scroll."""
    from normgraph.reports.dispatch import build_report

    html = render_html(build_report(store, kind, "hospital", "iso42001-2023", TODAY), section=ALL).html
    regions = re.findall(r'<div class="scroll" role="region" tabindex="0" aria-label="[^"]+"><table', html)
    assert html.count("<table") == len(regions) > 0


def test_many_systems_duties_are_split_into_sections(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large organisation's AI Act duties are not one page: PER_PAGE systems a section, each linked from the
    overview's summary (here 1 a section, so the hospital's systems get one section each)."""
    from normgraph.reports import duties

    monkeypatch.setattr(duties, "PER_PAGE", 1)
    report = soa.build(store, "hospital", TODAY)
    keys = [p.key for p in report.extra["parts"] if p.key.startswith("ai-act-duties")]
    systems = report.extra["duties"]
    assert keys == [f"ai-act-duties-{n}" for n in range(1, len(systems) + 1)] and len(systems) > 1
    overview = render_html(report).html
    for s, key in zip(systems, keys, strict=True):
        assert report.extra["duty_sections"][s.iri] == key
        assert f'href="?section={key}#sys-{s.iri.rsplit("/", 1)[-1]}"' in overview
        assert s.label in render_html(report, section=key).html


def test_cli_lists_duties_and_writes_sections_with_the_explorer_base_given(store: EmbeddedStore) -> None:
    def invoke(*args: str) -> Any:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(Context, "store", lambda self, **_kw: store)
            return CliRunner().invoke(main, ["report", *args])

    r = invoke("soa", "--org", "hospital", "--today", "2026-12-01")
    assert r.exit_code == 0
    care = next(s for s in soa.build(store, "hospital", TODAY).extra["duties"] if s.iri.endswith("care-eligibility"))
    assert f"AI Act duties of {care.label} (deployer): {care.counts['in force']} in force, " \
           f"{care.counts['applies later']} from a later date" in " ".join(r.output.split())
    r = invoke("soa", "--org", "hospital", "--today", "2026-12-01", "--format", "html", "--section", "27001-A.8",
               "--explorer-url", "https://regulator.example/explore/resource?iri=")
    assert r.exit_code == 0 and "<html" in r.output and "A.8 Technological controls" in r.output
    assert 'href="https://regulator.example/explore/resource?iri=https%3A%2F%2Fw3id.org%2Fnormgraph%2Fid%2Fiso27001-2022%2FA-8-1"' \
        in r.output
    r = invoke("soa", "--org", "hospital", "--format", "html", "--section", "nope")
    assert r.exit_code == 2 and "no section 'nope'" in r.output


def test_a_long_risk_register_is_in_sections(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(risks, "PAGE", 10)
    report = risks.build(store, "hospital", TODAY)
    whole = [str(r["iri"]) for r in report.table("risks").rows]
    keys = [p.key for p in render_html(report).sections]
    assert keys == [f"register-{n}" for n in range(1, -(-len(whole) // 10) + 1)]
    seen = []
    for key in keys:
        html = render_html(report, section=key).html
        seen += [iri for iri in whole if f'id="risk-{iri.rsplit("/", 1)[-1]}"' in html]
    assert seen == whole  # every risk on exactly one page, in the register's order
    overview = render_html(report).html
    assert "<h2>Register</h2>" not in overview and 'id="hm-residual-t"' in overview


def test_gap_ai_act_rows_say_when_each_duty_is_due(store: EmbeddedStore) -> None:
    """hospital.ttl: its deployer duties for care-eligibility apply from 2030-08-02 (Art. 111(2)); the gap report says
    so on every row and counts them apart from the duties in force, instead of calling all of them today's new work."""
    report = gap.build(store, "hospital", "eu-ai-act", TODAY)
    reqs = {r.notation: r for r in report.extra["requirements"]}
    assert reqs["Art. 27(1) deployer"].due == "applies from 2030-08-02"
    assert reqs["Art. 4 deployer"].due == "in force"
    due = report.extra["due"]
    assert due["in force"] + due["later"] + due["cannot tell yet"] == len(reqs)
    assert due["later"] > 0 and due["new work in force"] <= due["in force"]
    assert {row["due"] for row in report.table("gap").rows} >= {"in force", "applies from 2030-08-02"}
    assert "applies from 2030-08-02" in render_html(report).html
    later = gap.build(store, "hospital", "eu-ai-act", dt.date(2030, 8, 2)).extra["requirements"]
    assert next(r for r in later if r.notation == "Art. 27(1) deployer").due == "in force"

"""Honest coverage (normgraph.reports.coverage, gap.py): full needs current evidence on the judged date,
"implemented, no current evidence" is its own status, clauses count only when recorded, the four
statuses are never added together, one documented weighted figure, and a "27001 only" baseline.

Fixture: tests/fixtures/coverage-dates.ttl (its header lists what it records). Expected values are
worked out by hand from it and from the curated tables (every 42001 Annex A ↔ 27001 Annex A record is
intersectsWith; 42001 7.5.3 equalTo 27001 7.5.3).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from repo import ROOT

from normgraph.reports import coverage, gap, prepare_store
from normgraph.reports.render import to_html
from normgraph.store import EmbeddedStore

FIXTURE = ROOT / "tests" / "fixtures" / "coverage-dates.ttl"
BEFORE, AFTER = dt.date(2026, 6, 1), dt.date(2026, 7, 1)  # either side of POL-1's end (2026-06-30)


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    s = EmbeddedStore()
    prepare_store(s, extra=[FIXTURE])
    return s


def states(store: EmbeddedStore, day: dt.date, slug: str = "coverage-dates") -> dict[str, str]:
    report = gap.build(store, slug, "iso42001-2023", day)
    return {r.notation: r.coverage for r in report.extra["requirements"] if r.coverage != coverage.NONE}


def test_the_judged_date_changes_the_answer_where_evidence_expires_or_starts(store: EmbeddedStore) -> None:
    """A.2.2's only evidence (POL-1) ends on 2026-06-30; A.6.2.8's log export is issued 2026-06-15."""
    before, after = states(store, BEFORE), states(store, AFTER)
    assert (before["A.2.2"], after["A.2.2"]) == (coverage.FULL, coverage.NO_EVIDENCE)
    assert (before["A.6.2.8"], after["A.6.2.8"]) == (coverage.NO_EVIDENCE, coverage.FULL)
    # 6.1.2 is recorded by a risk assessment that ended 2026-05-31: stale on both dates
    assert before["6.1.2"] == after["6.1.2"] == coverage.NO_EVIDENCE


def test_exact_statuses_on_the_first_date(store: EmbeddedStore) -> None:
    assert states(store, BEFORE) == {
        # clause lines and clause evidence count, each as recorded
        "6.1.2": coverage.NO_EVIDENCE,  # evidence only, ended
        "7.5.2": coverage.FULL,  # DOC-1 supports it
        "7.5.3": coverage.FULL,  # DOC-1 supports 27001 7.5.3, equalTo
        "9.1": coverage.NO_EVIDENCE,  # its only evidence is issued after the date
        "9.2.1": coverage.FULL, "9.2.2": coverage.FULL,  # AUD-1 supports 9.2: its sub-clauses too
        "A.2.2": coverage.FULL,
        "A.2.3": coverage.PARTIAL, "A.2.4": coverage.PARTIAL,  # intersect 27001 A.5.1
        "A.3.2": coverage.NO_EVIDENCE,  # implemented control, no evidence at all
        "A.6.2.8": coverage.NO_EVIDENCE,  # its evidence is issued after the judged date
        "A.10.2": coverage.NO_EVIDENCE, "A.10.3": coverage.NO_EVIDENCE,  # intersect A.5.19 only, which has no evidence
    }


def test_nothing_is_assumed_for_clauses(store: EmbeddedStore) -> None:
    """Clauses nobody records are new work, however many Annex A controls are implemented; an SoA entry
    that names a clause (10.2) is not how a clause is recorded (validation reports it) and counts nothing."""
    reqs = {r.notation: r for r in gap.build(store, "coverage-dates", "iso42001-2023", BEFORE).extra["requirements"]}
    assert reqs["4.1"].coverage == reqs["10.2"].coverage == coverage.NONE
    assert not reqs["4.1"].links and not reqs["10.2"].links


def test_counts_are_separate_and_add_up_with_one_weighted_figure(store: EmbeddedStore) -> None:
    """On 2026-06-01: 5 full (7.5.2, 7.5.3, 9.2.1, 9.2.2, A.2.2), 6 without current evidence (6.1.2, 9.1,
    A.3.2, A.6.2.8; and A.10.2, A.10.3 reached in part only by A.5.19, which has no evidence), 2 in part,
    57 none of 70. Weighted: 5 × 1 + A.2.3, A.2.4 × 1/2 (A.5.1 evidenced)
    + A.10.2, A.10.3 × 0 (A.5.19 has no evidence) = 6 → 8.6 %."""
    report = gap.build(store, "coverage-dates", "iso42001-2023", BEFORE)
    total = report.table("coverage").rows[0]
    assert (total["requirements"], total["full"], total["no_evidence"], total["partial"], total["none"]) == (70, 5, 6, 2, 57)
    assert (total["full_pct"], total["no_evidence_pct"], total["partial_pct"], total["none_pct"]) == (7.1, 8.6, 2.9, 81.4)
    assert total["weighted_reuse_pct"] == 8.6
    assert "covered_pct" not in total
    for row in report.table("coverage").rows:
        assert row["full"] + row["no_evidence"] + row["partial"] + row["none"] == row["requirements"]
        assert min(row[f"{s}_pct"] for s in coverage.STATUSES) >= 0


def test_weighted_figure_rule_after_expiry(store: EmbeddedStore) -> None:
    """On 2026-07-01 POL-1 has ended: A.2.2's own link and A.5.1's links to A.2.2–A.2.4 count 0;
    A.6.2.8 gains its evidence (1): 5 × 1 = 5 of 70 → 7.1 %. Nothing is in part any more: A.2.3, A.2.4 (via the
    no longer evidenced A.5.1) join the 6 without current evidence → 8."""
    total = gap.build(store, "coverage-dates", "iso42001-2023", AFTER).table("coverage").rows[0]
    assert (total["full"], total["no_evidence"], total["partial"], total["none"]) == (5, 8, 0, 57)
    assert total["weighted_reuse_pct"] == 7.1


def test_27001_only_baseline_ignores_the_42001_lines(store: EmbeddedStore) -> None:
    """ISO 27001 items alone: 7.5.3 (full, DOC-1); A.2.2–A.2.4 via A.5.1, A.10.2–A.10.3 via A.5.19 in
    part, the latter without current evidence: 1 full, 2 without current evidence, 3 partial;
    weighted (1 + 3 × 1/2 from the evidenced A.5.1 + 0 from A.5.19) / 70 = 3.6 %."""
    report = gap.build(store, "coverage-dates", "iso42001-2023", BEFORE)
    base = report.table("baseline-27001").rows[0]
    assert (base["full"], base["no_evidence"], base["partial"], base["none"]) == (1, 2, 3, 64)
    assert base["weighted_reuse_pct"] == 3.6
    assert report.extra["baseline"].full == 1


def test_reuse_table_separates_full_without_evidence(store: EmbeddedStore) -> None:
    rows = {r["iso27001_control"]: r for r in gap.build(store, "coverage-dates", "iso42001-2023", BEFORE).table("reuse").rows}
    assert rows["7.5.3"]["covers_fully"] == "7.5.3"
    assert rows["A.5.1"]["covers_in_part"] == "A.2.2; A.2.3; A.2.4"


def test_html_never_adds_full_and_partial(store: EmbeddedStore) -> None:
    html = to_html(gap.build(store, "coverage-dates", "iso42001-2023", BEFORE))
    assert "-0.0" not in html and "covered_pct" not in html
    assert "implemented without current evidence" in html and "Weighted reuse" in html
    assert "ignoring the ISO/IEC 42001 lines of the SoA" in html


def test_fintech_deliberate_gap_f3_is_found(store: EmbeddedStore) -> None:
    """fintech.ttl F3: SoA 42001 A.6.2.8 'implemented' with no evidence → not covered fully.
    F4: 27001 A.8.8's only evidence ended 2026-09-30 → its links say no current evidence."""
    report = gap.build(store, "fintech", "iso42001-2023", dt.date(2026, 12, 1))
    reqs = {r.notation: r for r in report.extra["requirements"]}
    assert reqs["A.6.2.8"].coverage == coverage.NO_EVIDENCE
    assert "no current evidence" in reqs["A.6.2.8"].reason
    a88 = [link for r in reqs.values() for link in r.links if link.source_notation == "A.8.8"]
    assert a88 and all(not link.evidenced for link in a88)
    assert states(store, dt.date(2026, 9, 1), "fintech")["A.6.2.8"] == coverage.NO_EVIDENCE


def test_hospital_deliberate_gap_h2_expired_evidence(store: EmbeddedStore) -> None:
    """hospital.ttl H2: 27001 A.8.13's only evidence ended 2026-06-30: judged before, it is evidenced."""
    def a813(day: dt.date) -> tuple[str, ...]:
        return gap.implemented(store, "https://w3id.org/normgraph/graph/org/hospital", day)[
            "https://w3id.org/normgraph/id/iso27001-2022/A-8-13"].evidence

    assert a813(dt.date(2026, 12, 1)) == ()
    assert a813(dt.date(2026, 6, 1)) != ()


def test_no_deliberate_gap_of_fintech_reads_as_covered_fully(store: EmbeddedStore) -> None:
    """fintech.ttl F1/F3 (event logs), F2 (human oversight), F10 (42001 controls whose 27001 counterparts
    are implemented): none of the requirements concerned is 'covered fully' on 2026-12-01."""
    day = dt.date(2026, 12, 1)
    ai_act = {r.notation: r.coverage for r in gap.build(store, "fintech", "eu-ai-act", day).extra["requirements"]}
    for notation in ("Art. 12(1) provider", "Art. 26(6) deployer", "Art. 14(1) provider", "Art. 26(2) deployer"):
        assert ai_act[notation] != coverage.FULL, notation
    iso = {r.notation: r.coverage for r in gap.build(store, "fintech", "iso42001-2023", day).extra["requirements"]}
    assert iso["A.6.2.8"] == coverage.NO_EVIDENCE
    assert {iso[n] for n in ("A.6.2.6", "A.8.4", "A.10.3")} == {coverage.PARTIAL}


def test_cli_today_changes_the_answer(store: EmbeddedStore) -> None:
    import csv
    import io

    from click.testing import CliRunner

    from normgraph.cli import Context, main

    def a22(day: str) -> str:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(Context, "store", lambda self, **_kw: store)
            out = CliRunner().invoke(main, ["report", "gap", "--org", "coverage-dates", "--format", "csv", "--today", day])
        assert out.exit_code == 0, out.output
        return next(r["coverage"] for r in csv.DictReader(io.StringIO(out.output)) if r["requirement"] == "A.2.2")

    assert a22("2026-06-01") == "covered fully"
    assert a22("2026-07-01") == "implemented, no current evidence"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Context, "store", lambda self, **_kw: store)
        out = CliRunner().invoke(main, ["report", "gap", "--org", "coverage-dates", "--today", "2026-06-01"])
    lines = out.output.replace("\n", " ")
    assert "All requirements: 5 fully, 6 implemented without current evidence, 2 in part, 57 not at all of 70" in lines
    assert "ISO/IEC 27001 alone (ignoring the 42001 lines of the SoA): 1 fully" in lines and "% covered" not in lines


def test_a_requirement_reached_only_by_related_to_is_not_covered(store: EmbeddedStore) -> None:
    """relatedTo claims no overlap in substance (weight 0): a requirement reached only so is "not at all", its
    related items listed as such. fintech on 2026-12-01: every AI RMF link is relatedTo → 72 none, 0 in part
    (was 69 "in part" next to 0.0 % weighted reuse); AI Act Art. 16(k) provider rests on A.8.5 relatedTo only."""
    day = dt.date(2026, 12, 1)
    nist = gap.build(store, "fintech", "nist-ai-rmf-1.0", day).extra["total"]
    assert (nist.total, nist.full, nist.no_evidence, nist.partial, nist.none) == (72, 0, 0, 0, 72)
    reqs = {r.notation: r for r in gap.build(store, "fintech", "eu-ai-act", day).extra["requirements"]}
    art16k = reqs["Art. 16(k) provider"]
    assert art16k.links and all(link.relation == coverage.NO_OVERLAP for link in art16k.links)
    assert art16k.coverage == coverage.NONE and art16k.weight == 0.0
    assert "Related, no overlap claimed: ISO/IEC 42001 A.8.5 is related to it" in art16k.reason


def test_in_part_needs_current_evidence_and_the_date_changes_it(store: EmbeddedStore) -> None:
    """A partial link counts only with current evidence on the date. fintech F3: Art. 12(2) provider is reached
    only through 42001 A.6.2.8 (implemented, no evidence) -> "implemented, no current evidence", not "in part";
    Art. 9(9) provider through A.5.4 is in part while IA-NS-2026 / IA-NORA-2026 are current, and no longer once
    they end (2027-03-14); the coverage-dates fixture's A.10.2 rests on 27001 A.5.19 without evidence."""
    def reqs(day: dt.date) -> dict[str, gap.Requirement]:
        return {r.notation: r for r in gap.build(store, "fintech", "eu-ai-act", day).extra["requirements"]}

    before, after = reqs(dt.date(2026, 12, 1)), reqs(dt.date(2027, 6, 1))
    assert before["Art. 12(2) provider"].coverage == coverage.NO_EVIDENCE
    assert "A.6.2.8 intersects with it and would cover it in part with current evidence" in before["Art. 12(2) provider"].reason
    assert (before["Art. 9(9) provider"].coverage, after["Art. 9(9) provider"].coverage) == (coverage.PARTIAL, coverage.NO_EVIDENCE)
    assert states(store, BEFORE)["A.10.2"] == coverage.NO_EVIDENCE


def test_evidence_for_an_obligation_itself_covers_it_while_current(store: EmbeddedStore) -> None:
    """fintech: IA-NS-2026 (NorthScore's FRIA, to 2027-03-14) supports Art. 27(1) deployer for NorthScore, the
    system that owes it; NORA-TN-2026 (to 2027-10-31) supports Art. 50(1) provider for Nora. On 2026-12-01 both are
    covered fully by the obligation itself, the evidence named (validation and the audit pack read the same);
    on 2027-06-01 the FRIA has ended: Art. 27(1) is no longer covered by it."""
    def reqs(day: dt.date) -> dict[str, gap.Requirement]:
        return {r.notation: r for r in gap.build(store, "fintech", "eu-ai-act", day).extra["requirements"]}

    before, after = reqs(dt.date(2026, 12, 1)), reqs(dt.date(2027, 6, 1))
    art27, art50 = before["Art. 27(1) deployer"], before["Art. 50(1) provider"]
    assert (art27.coverage, art50.coverage) == (coverage.FULL, coverage.FULL)
    assert "Art. 27(1) deployer itself: implemented as its evidence shows; current evidence: IA-NS-2026" in art27.reason
    assert "NORA-TN-2026" in art50.reason
    assert after["Art. 27(1) deployer"].coverage != coverage.FULL
    assert after["Art. 50(1) provider"].coverage == coverage.FULL


def test_obligation_evidence_counts_only_for_the_system_that_owes_it(tmp_path: Path) -> None:
    """Evidence that supports Art. 9(8) provider (owed by fintech's NorthScore only) but concerns Nora does not
    cover it; the same evidence naming no system (the whole organisation) does."""
    owed_by = "<https://w3id.org/normgraph/id/org/fintech/ai-system/{}>"
    head = ("@prefix ng: <https://w3id.org/normgraph/ont#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
            "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n")

    def art98(concerns: str) -> str:
        s = EmbeddedStore()
        prepare_store(s)
        extra = tmp_path / "extra.ttl"
        extra.write_text(head + "<https://w3id.org/normgraph/id/org/fintech/evidence/MON-X> a ng:Evidence ;"
                         ' skos:notation "MON-X" ; ng:issued "2026-01-01"^^xsd:date ; ' + concerns +
                         " ng:supports <https://w3id.org/normgraph/id/eu-ai-act-obligation/art-9-8-provider> .\n")
        s.load(extra, "turtle", "https://w3id.org/normgraph/graph/org/fintech", replace=False)
        reqs = gap.build(s, "fintech", "eu-ai-act", dt.date(2026, 12, 1)).extra["requirements"]
        return next(r.coverage for r in reqs if r.notation == "Art. 9(8) provider")

    assert art98(f"ng:concernsSystem {owed_by.format('nora-assistant')} ;") == coverage.PARTIAL  # as without it
    assert art98(f"ng:concernsSystem {owed_by.format('northscore')} ;") == coverage.FULL
    assert art98("") == coverage.FULL


@pytest.mark.parametrize("slug", ["fintech", "hospital"])
def test_the_impact_assessments_cover_42001_clauses_6_1_4_and_8_4(store: EmbeddedStore, slug: str) -> None:
    """Issue 10's symptom: 42001 6.1.4 (AI system impact assessment, planning) and 8.4 (performing it) showed
    as new work for organisations that implement A.5.2/A.5.3 and hold current impact assessments. The
    examples record the clauses through that evidence, so the gap shows them covered fully while it is
    current — and not once it has ended (fintech's IA-NS-2026 ends 2027-03-14, hospital's IA-ELIG-2026
    2027-03-29)."""
    now = states(store, dt.date(2026, 12, 1), slug)
    assert now.get("6.1.4") == coverage.FULL and now.get("8.4") == coverage.FULL, now
    later = states(store, dt.date(2027, 6, 1), slug)
    assert later.get("6.1.4") != coverage.FULL and later.get("8.4") != coverage.FULL, later

"""Realistic AI Act scenarios, each judged on two dates either side of a deadline: the exact answers, dates and
reasons the applicability engine gives (tests/fixtures/applicability/expected.json, written by make_expected.py
and reviewed), plus the legal points each scenario exists for, stated here in words."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "fixtures" / "applicability"
sys.path.insert(0, str(HERE))
from make_expected import DATES, answers, store  # noqa: E402

EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def st():  # type: ignore[no-untyped-def]
    return store()


def _by(rows: list[dict[str, object]]) -> dict[tuple[object, object], dict[str, object]]:
    return {(r["subject"], r["obligation"]): r for r in rows}


@pytest.mark.parametrize(("slug", "on"), [(s, d) for s, ds in DATES.items() for d in ds])
def test_answers_dates_and_reasons_are_exactly_the_reviewed_ones(st, slug: str, on: str) -> None:  # type: ignore[no-untyped-def]
    assert answers(st, slug, on) == EXPECTED[slug][on]


def _applying(slug: str, on: str) -> dict[str, tuple[object, object]]:
    return {f"{r['subject']} {r['obligation']}": (r["applies_from"], r["in_force"])
            for r in EXPECTED[slug][on] if r["status"] == "applies"}


def _not(slug: str, on: str) -> set[str]:
    return {f"{r['subject']} {r['obligation']}" for r in EXPECTED[slug][on] if r["status"] == "does not apply"}


def test_no_scenario_leaves_a_question_open() -> None:
    """Every scenario records its deciding facts, so nothing is "cannot tell yet"."""
    assert not [(s, d, r["obligation"]) for s, ds in EXPECTED.items() for d, rows in ds.items() for r in rows
                if r["status"] == "cannot tell yet"]


def test_private_bank_deploying_credit_scoring() -> None:
    before, after = _applying("bank-deployer", "2026-08-01"), _applying("bank-deployer", "2026-08-03")
    assert before["scoring art-27-1-deployer"] == ("2026-08-02", False)  # applies from the date, not yet due
    assert after["scoring art-27-1-deployer"] == ("2026-08-02", True)
    assert after["scoring art-4-deployer"] == ("2025-02-02", True)
    # none of the law-enforcement, biometric, Annex I, public-authority or workplace duties
    assert {"scoring art-5-2-deployer", "scoring art-5-3-deployer", "scoring art-5-4-deployer",
            "scoring art-26-7-deployer", "scoring art-26-8-deployer", "scoring art-26-10-deployer",
            "scoring art-49-3-deployer"} <= _not("bank-deployer", "2026-08-03")
    row = _by(EXPECTED["bank-deployer"]["2026-08-03"])[("scoring", "art-27-1-deployer")]
    assert row["why"] == [
        "deployer", "Annex III(5)(b) (Art. 6(2))", "not yet placed on the market: no Art. 111(1) transition counted",
        "not yet placed on the market or put into service",
        "Annex III(5)(b): Art. 27(1) names deployers of Annex III 5(b) and 5(c) systems",
        "Art. 27(1) deployer: Perform a fundamental rights impact assessment", "from 2026-08-02"]
    monitoring = _by(EXPECTED["bank-deployer"]["2026-08-03"])[("scoring", "art-26-5-deployer")]
    assert monitoring["status"] == "applies" and "financial institution" in monitoring["eased"][0]


def test_the_same_bank_as_provider() -> None:
    after = _applying("bank-provider", "2026-08-03")
    for key in ("9-1", "10-2", "11-1", "12-1", "13-2", "14-1", "15-1", "17-1", "43-2", "47-1", "48-2", "49-1", "72-1", "73-1"):
        assert after[f"scoring art-{key}-provider"] == ("2026-08-02", True), key
    assert {"scoring art-6-4-provider", "scoring art-49-2-provider",  # no Art. 6(3) claim
            "scoring art-11-2-provider", "scoring art-43-3-provider",  # not an Annex I product
            "scoring art-12-3-provider", "scoring art-14-5-provider", "scoring art-43-1-provider"} <= _not("bank-provider", "2026-08-03")
    assert "scoring art-22-1-provider" in _not("bank-provider", "2026-08-03")  # established in the Union
    qms = _by(EXPECTED["bank-provider"]["2026-08-03"])[("scoring", "art-17-1-provider")]
    assert qms["eased"] and "Art. 17(4)" not in qms["eased"][0]  # the condition's label, the provision is in its definition


def test_public_body_deploying_benefits_eligibility() -> None:
    after = _applying("public-body", "2026-08-03")
    for ob in ("26-8", "27-1", "49-3"):
        assert after[f"benefits art-{ob}-deployer"] == ("2026-08-02", True)
        # the system already in use before 2026-08-02: public authorities comply by 2030-08-02 (Art. 111(2))
        assert after[f"legacy-benefits art-{ob}-deployer"] == ("2030-08-02", False)
    why = _by(EXPECTED["public-body"]["2026-08-03"])[("legacy-benefits", "art-27-1-deployer")]["why"]
    assert "placed on the market 2024-05-01 for use by public authorities: comply by 2030-08-02 (Art. 111(2))" in why


def test_employer_deploying_recruitment() -> None:
    after = _applying("employer", "2026-08-03")
    assert after["recruiting art-26-7-deployer"] == ("2026-08-02", True)
    public_only = {"recruiting art-27-1-deployer", "recruiting art-26-8-deployer", "recruiting art-49-3-deployer"}
    assert public_only <= _not("employer", "2026-08-03")


def test_annex_i_device_maker() -> None:
    before, after = _applying("device-maker", "2027-08-01"), _applying("device-maker", "2027-08-03")
    for key in ("9-1", "11-1", "11-2", "17-1", "43-3", "72-1"):
        assert before[f"ecg-triage art-{key}-provider"] == ("2027-08-02", False), key  # Art. 113(c)
        assert after[f"ecg-triage art-{key}-provider"] == ("2027-08-02", True), key
    assert {"ecg-triage art-43-1-provider", "ecg-triage art-43-2-provider", "ecg-triage art-49-1-provider",
            "ecg-triage art-6-4-provider", "ecg-triage art-12-3-provider"} <= _not("device-maker", "2027-08-03")


def test_chatbot_provider() -> None:
    before, after = _applying("chatbot", "2026-08-01"), _applying("chatbot", "2026-08-03")
    assert before["assistant art-50-1-provider"] == ("2026-08-02", False)
    assert after["assistant art-50-1-provider"] == ("2026-08-02", True)
    assert after["assistant art-50-2-provider"] == ("2026-08-02", True)
    assert "assistant art-9-1-provider" in _not("chatbot", "2026-08-03")


def test_gpai_model_provider() -> None:
    before, after = _applying("gpai", "2027-08-01"), _applying("gpai", "2027-08-03")
    # placed before 2025-08-02: comply by 2027-08-02 (Art. 111(3)); the later model since 2025-08-02
    assert before["corvid-7 art-53-1-a-gpai-model-provider"] == ("2027-08-02", False)
    assert after["corvid-7 art-53-1-a-gpai-model-provider"] == ("2027-08-02", True)
    assert before["corvid-9 art-55-1-a-gpai-model-provider"] == ("2025-08-02", True)
    assert "corvid-7 art-55-1-a-gpai-model-provider" in _not("gpai", "2027-08-03")  # no systemic risk
    assert after["corvid-9 art-54-1-gpai-model-provider"] == ("2025-08-02", True)  # established outside the Union
    # open weights exempt from Art. 53(1)(a)-(b) and 54 (Art. 53(2), 54(6)), but not with systemic risk (corvid-9)
    assert {"corvid-mini art-53-1-a-gpai-model-provider", "corvid-mini art-53-1-b-gpai-model-provider",
            "corvid-mini art-54-1-gpai-model-provider"} <= _not("gpai", "2027-08-03")
    assert after["corvid-mini art-53-1-c-gpai-model-provider"] == ("2025-08-02", True)
    assert after["corvid-9 art-53-1-a-gpai-model-provider"] == ("2025-08-02", True)


def test_the_example_organisations() -> None:
    fintech = _applying("fintech", "2026-08-03")
    assert fintech["northscore art-27-1-deployer"] == ("2026-08-02", True)
    assert fintech["nora-assistant art-50-1-provider"] == ("2026-08-02", True)
    assert not any(k.startswith("fraud-shield art-9") for k in fintech)
    hospital = _applying("hospital", "2030-08-03")
    assert hospital["shift-roster art-27-1-deployer"] == ("2030-08-02", True)
    assert hospital["shift-roster art-26-7-deployer"] == ("2030-08-02", True)
    # the Annex I clinical decision support owes no Annex III duty
    assert {"sepsis-cds art-27-1-deployer", "sepsis-cds art-26-11-deployer", "sepsis-cds art-49-3-deployer",
            "sepsis-cds art-26-8-deployer"} <= _not("hospital", "2030-08-03")


def test_law_enforcement_biometrics_both_sides() -> None:
    police = _applying("police", "2026-08-03")
    for ob in ("5-2", "5-3", "5-4"):  # Chapter II applies from 2025-02-02
        assert police[f"face-search art-{ob}-deployer"] == ("2025-02-02", True)
    assert police["face-search art-26-10-deployer"] == ("2026-08-02", True)
    vendor = _applying("vendor", "2026-08-01")
    for ob in ("12-3", "14-5", "43-1"):
        assert vendor[f"face-match art-{ob}-provider"] == ("2026-08-02", False)
    assert "face-match art-43-2-provider" in _not("vendor", "2026-08-01")


def test_art_6_3_derogation_and_critical_infrastructure() -> None:
    vendor = _applying("vendor", "2026-08-03")
    assert vendor["doc-sorter art-6-4-provider"] == ("2026-08-02", True)
    assert vendor["doc-sorter art-49-2-provider"] == ("2026-08-02", True)
    assert not any(k.startswith("doc-sorter art-9") or k.startswith("doc-sorter art-17") for k in vendor)
    grid = _not("grid", "2026-08-03")
    assert {"leak-control art-27-1-deployer", "leak-control art-49-3-deployer", "leak-control art-26-8-deployer"} <= grid
    assert _applying("grid", "2026-08-03")["leak-control art-26-1-deployer"] == ("2026-08-02", True)
    assert "leak-control art-26-11-deployer" in grid  # it decides nothing about natural persons


def _row(slug: str, on: str, subject: str, obligation: str) -> dict[str, object]:
    return _by(EXPECTED[slug][on])[(subject, obligation)]


def test_annex_x_components_have_until_the_end_of_2030() -> None:
    """Art. 111(1): components of the Annex X large-scale IT systems placed on the market before 2027-08-02 comply by
    2030-12-31, also when placed before 2026-08-02 and unchanged (Art. 111(2) does not reach them) and although they
    are meant for public authorities (whose Art. 111(2) date, 2030-08-02, is not theirs); Art. 5 is not deferred."""
    before, after = _applying("border", "2030-12-30"), _applying("border", "2031-01-01")
    for system in ("travel-screen", "print-match"):
        for key in ("9-1", "16-a", "43-2", "49-1", "72-1"):
            assert before[f"{system} art-{key}-provider"] == ("2030-12-31", False), (system, key)
            assert after[f"{system} art-{key}-provider"] == ("2030-12-31", True), (system, key)
        assert before[f"{system} art-5-1-provider"] == ("2025-02-02", True)
    # first placed on the market after 2027-08-02: no transition at all
    assert before["entry-check art-9-1-provider"] == ("2026-08-02", True)
    why = _row("border", "2030-12-30", "print-match", "art-9-1-provider")["why"]
    assert ("component of an Annex X large-scale IT system placed on the market 2025-05-01, before 2027-08-02: "
            "comply by 2030-12-31 (Art. 111(1))") in why
    assert not any("2030-08-02" in step for step in why)  # the Art. 111(2) public-authority date is not its date


def test_distributor_and_deployer_become_providers_under_art_25_1() -> None:
    before, after = _applying("rebrand", "2026-08-01"), _applying("rebrand", "2026-08-03")
    # (a) its own trademark on a high-risk system: the distributor is the provider (Art. 16 and the rest)
    assert before["hire-rank art-25-1-distributor"] == ("2026-08-02", False)
    assert after["hire-rank art-25-1-distributor"] == ("2026-08-02", True)
    for key in ("9-1", "16-a", "17-1", "43-2", "49-1"):
        assert after[f"hire-rank art-{key}-provider"] == ("2026-08-02", True), key
    role = _row("rebrand", "2026-08-03", "hire-rank", "art-16-a-provider")["why"][0]
    assert role == "provider (as distributor, considered the provider: becomes_provider name-or-trademark (Art. 25(1)(a)))"
    # (b) a deployer's substantial modification: provider too, and a new conformity assessment (Art. 43(4))
    assert after["shift-watch art-25-1-deployer"] == ("2026-08-02", True)
    assert after["shift-watch art-43-4-provider"] == ("2026-08-02", True)
    assert after["shift-watch art-26-7-deployer"] == ("2026-08-02", True)  # still the deployer as well
    # Art. 43(4) needs a substantial modification: not for the rebranded but unchanged system
    assert "hire-rank art-43-4-provider" in _not("rebrand", "2026-08-03")
    # none of the triggers: a distributor stays a distributor
    assert "cv-parser art-25-1-distributor" in _not("rebrand", "2026-08-03")
    assert not any(k.startswith("cv-parser") and k.endswith("-provider") for k in after)


def test_art_50_exceptions_lift_or_limit_the_transparency_duties() -> None:
    before, after = _applying("newsroom", "2026-08-01"), _applying("newsroom", "2026-08-03")
    lifted = _not("newsroom", "2026-08-03")
    assert "reader-chat art-50-1-provider" in lifted  # obviously an AI system from the context (Art. 50(1))
    assert "copy-editor art-50-2-provider" in lifted  # assistive editing (Art. 50(2))
    assert "brief-writer art-50-4-deployer" in lifted  # published text under editorial control (Art. 50(4))
    assert _row("newsroom", "2026-08-03", "brief-writer", "art-50-4-deployer")["why"][0] == (
        "art_50_exceptions editorial-control: Art. 50(4) does not apply")
    # satire is not lifted but limited to a disclosure that does not hamper the work
    assert before["satire-video art-50-4-deployer"] == ("2026-08-02", False)
    assert after["satire-video art-50-4-deployer"] == ("2026-08-02", True)
    (eased,) = _row("newsroom", "2026-08-03", "satire-video", "art-50-4-deployer")["eased"]
    assert "does not hamper the display or enjoyment of the work (Art. 50(4) first subparagraph)" in eased
    # authorised for criminal offences, but the public reports crimes through it: Art. 50(1) still applies, 50(2) not
    police = _applying("police", "2026-08-03")
    assert police["tip-line art-50-1-provider"] == ("2026-08-02", True)
    assert "tip-line art-50-2-provider" in _not("police", "2026-08-03")


def test_two_person_verification_and_its_law_enforcement_exemption() -> None:
    """Art. 14(5) concerns Annex III 1(a) only; the two-person check is not owed where law deems it disproportionate
    for law enforcement, migration, border control or asylum."""
    before, after = _applying("gate", "2026-08-01"), _applying("gate", "2026-08-03")
    assert before["face-gate-civil art-14-5-provider"] == ("2026-08-02", False)
    assert after["face-gate-civil art-14-5-provider"] == ("2026-08-02", True)
    assert "face-gate art-14-5-provider" in _not("gate", "2026-08-03")
    assert after["face-gate art-14-1-provider"] == ("2026-08-02", True)  # the rest of Art. 14 still applies
    assert "scoring art-14-5-provider" in _not("bank-provider", "2026-08-03")  # not Annex III 1(a)


def test_real_time_and_post_remote_biometric_identification() -> None:
    """Art. 5(2)-(4) for real-time use in publicly accessible spaces, Art. 26(10) for post use."""
    before, after = _applying("police", "2026-08-01"), _applying("police", "2026-08-03")
    for ob in ("5-2", "5-3", "5-4"):
        assert before[f"face-search art-{ob}-deployer"] == ("2025-02-02", True)
        assert f"archive-search art-{ob}-deployer" in _not("police", "2026-08-03")  # post use only
    assert before["face-search art-26-10-deployer"] == ("2026-08-02", False)
    assert after["face-search art-26-10-deployer"] == ("2026-08-02", True)
    # in service since 2026-05-01 for a public authority: Art. 111(2) gives it until 2030-08-02
    assert after["archive-search art-26-10-deployer"] == ("2030-08-02", False)
    assert _row("police", "2026-08-03", "archive-search", "art-5-2-deployer")["why"][0] == (
        "rbi_mode recorded without real-time-public-spaces: outside Art. 5(1)(h) and 5(2)-(7)")

"""The crosswalk corrections of issue 10 (expert read), one assertion per correction, read from the curated
tables as committed; and what they give an organisation in the gap report."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from repo import ROOT

from normgraph.mappings import curated
from normgraph.reports import coverage, gap, prepare_store
from normgraph.store import EmbeddedStore

TABLES = ROOT / "data" / "mappings"


def rows(name: str) -> list[dict[str, str]]:
    text = (TABLES / f"{name}.sssom.tsv").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(body), delimiter="\t", quoting=csv.QUOTE_NONE))


def pairs(name: str) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["subject_id"], r["object_id"]): r for r in rows(name)}


ANNEX = "iso42001-2023_to_iso27001-2022-annex-a"
CLAUSES = "iso42001-2023_to_iso27001-2022-clauses"
NEW_SET = "eu-ai-act-obligations_to_iso27001-2022"


def test_a46_has_its_clause_counterparts_instead_of_no_counterpart() -> None:
    p = pairs(ANNEX)
    for obj in ("iso27001:7-2", "iso27001:7-1", "iso27001:A-6-3"):
        assert p[("iso42001:A-4-6", obj)]["predicate_id"] == "ng:intersectsWith"
    assert ("iso42001:A-4-6", "sssom:NoTermFound") not in p


@pytest.mark.parametrize(("subject", "objects"), [
    ("A-2-2", ["5-2"]), ("A-3-2", ["5-3"]), ("A-5-3", ["7-5", "A-5-33"]), ("A-6-1-2", ["6-2"]), ("A-9-3", ["6-2"]),
    ("A-10-4", ["4-2", "A-5-31"]), ("A-8-2", ["A-5-37"]),
])
def test_annex_a_to_clause_pairs(subject: str, objects: list[str]) -> None:
    p = pairs(ANNEX)
    for obj in objects:
        assert p[(f"iso42001:{subject}", f"iso27001:{obj}")]["predicate_id"] == "ng:intersectsWith"


def test_overstated_no_counterpart_verdicts_are_gone_and_the_rest_kept() -> None:
    no_counterpart = sorted(s for (s, o) in pairs(ANNEX) if o == "sssom:NoTermFound")
    assert no_counterpart == ["iso42001:A-5-2", "iso42001:A-5-5", "iso42001:A-7-4", "iso42001:A-7-5", "iso42001:A-7-6"]


def test_harmonised_procedures_are_equal_and_outcomes_are_not() -> None:
    p = pairs(CLAUSES)
    equal = sorted(s for (s, _o), r in p.items() if r["predicate_id"] == "ng:equalTo")
    assert equal == ["iso42001:10-2", "iso42001:6-3", "iso42001:7-5-2", "iso42001:7-5-3", "iso42001:9-2-2"]
    assert p[("iso42001:10-1", "iso27001:10-1")]["predicate_id"] == "ng:intersectsWith"
    assert "how a process is run" in p[("iso42001:6-3", "iso27001:6-3")]["comment"]


def test_sp800_171_media_rows_are_intersects() -> None:
    p = pairs("nist-sp800-171r2_to_iso27001-2022")
    assert p[("sp800171:3-8-1", "iso27001:A-7-10")]["predicate_id"] == "ng:intersectsWith"
    assert p[("sp800171:3-8-3", "iso27001:A-7-14")]["predicate_id"] == "ng:intersectsWith"


def test_art_17_1_points_one_by_one() -> None:
    p = pairs("eu-ai-act-obligations_to_iso42001-2023")
    want = {"f": ["A-7-2", "A-7-3", "A-7-4", "A-7-5", "A-7-6"], "g": ["6-1-2", "6-1-3", "8-2"], "h": ["9-1"],
            "i": ["A-8-4"], "k": ["7-5-3"], "m": ["A-3-2"], "b": ["A-6-2-3"], "d": ["A-6-2-4"], "e": ["A-6-2-2"],
            "j": ["7-4", "A-8-5"], "l": ["7-1", "A-10-3"]}
    for point, objects in want.items():
        for obj in objects:
            row = p[("aiactob:art-17-1-provider", f"iso42001:{obj}")]
            assert row["comment"].startswith(f"Art. 17(1)({point})"), (point, obj)


POINTS_SET = "eu-ai-act_to_iso42001-2023-art-17"


def test_art_17_1_points_have_a_set_of_their_own() -> None:
    """Every point (a)-(m) of Art. 17(1) is a subject of its own set (AI Act provisions → 42001), each row with
    relation, rationale, source, confidence and date, and none claiming full coverage (DESIGN.md §13)."""
    info, records, issues = curated.read_table(TABLES / f"{POINTS_SET}.sssom.tsv", curated.known_iris(ROOT))
    assert issues == []
    assert str(info.subject_scheme).endswith("/eu-ai-act") and str(info.object_scheme).endswith("/iso42001-2023")
    points = {str(r.subject).rsplit("/", 1)[-1] for r in records}
    assert points == {f"art-17-1-{c}" for c in "abcdefghijklm"}
    assert {str(r.predicate).rsplit("#", 1)[-1] for r in records} <= {"intersectsWith", "relatedTo"}
    assert all(r.rationale and r.confidence is not None and r.date == dt.date(2026, 12, 4) and r.source for r in records)
    p = pairs(POINTS_SET)
    for point, objects in {"f": ["A-7-2", "A-7-6"], "g": ["6-1-2", "8-2"], "h": ["9-1"], "i": ["A-8-4"], "k": ["7-5"],
                           "m": ["A-3-2"]}.items():
        for obj in objects:
            assert (f"aiact:art-17-1-{point}", f"iso42001:{obj}") in p, (point, obj)
    assert (TABLES / f"{POINTS_SET}.ttl").exists()
    assert POINTS_SET in (TABLES / "README-ai-act.md").read_text(encoding="utf-8")


def test_gdpr_rows() -> None:
    g42, g27 = pairs("gdpr_to_iso42001-2023"), pairs("gdpr_to_iso27001-2022")
    for key in [("gdpr:art-13-2-f", "iso42001:A-8-2"), ("gdpr:art-15-1-h", "iso42001:A-8-2"),
                ("gdpr:art-22-1", "iso42001:A-5-4"), ("gdpr:art-22-3", "iso42001:A-9-2")]:
        assert key in g42
    for key in [("gdpr:art-28-1", "iso27001:A-5-19"), ("gdpr:art-28-3", "iso27001:A-5-20")]:
        assert key in g27


def test_pairs_a_practitioner_expects_on_a_third_read() -> None:
    """Each with its rationale, confidence and date: GDPR erasure and access control, the ten-year documentation
    and model-weight protection against 27001, and human-subject evaluations against Art. 60/61 testing."""
    expected = {
        "gdpr_to_iso27001-2022": [("gdpr:art-17-1", "iso27001:A-8-10"), ("gdpr:art-32-1-b", "iso27001:A-5-15")],
        NEW_SET: [("aiactob:art-18-1-provider", "iso27001:A-5-33"), ("aiactob:art-55-1-d-gpai-model-provider", "iso27001:A-8-24")],
        "nist-ai-rmf-1.0_to_eu-ai-act": [("airmf:MEASURE-2-2", "aiact:art-61-1"), ("airmf:MEASURE-2-2", "aiact:art-60-4")],
    }
    for name, keys in expected.items():
        p = pairs(name)
        for key in keys:
            row = p[key]
            assert row["predicate_id"] in ("ng:intersectsWith", "ng:relatedTo") and row["comment"], key
            assert float(row["confidence"]) <= 0.5 and row["mapping_date"] == "2026-12-04", key


def test_measure_2_12() -> None:
    p = pairs("nist-ai-rmf-1.0_to_eu-ai-act")
    assert ("airmf:MEASURE-2-12", "aiact:art-53-1-a") in p and ("airmf:MEASURE-2-12", "aiact:annex-XI") in p


def test_new_ai_act_to_27001_set_reads_clean_and_never_claims_full_coverage() -> None:
    info, records, issues = curated.read_table(TABLES / f"{NEW_SET}.sssom.tsv", curated.known_iris(ROOT))
    assert issues == []
    assert str(info.subject_scheme).endswith("/eu-ai-act-obligation") and str(info.object_scheme).endswith("/iso27001-2022")
    subjects = {str(r.subject).rsplit("/", 1)[-1] for r in records}
    assert {"art-15-5-provider", "art-55-1-d-gpai-model-provider", "art-15-1-provider", "art-15-4-provider",
            "art-12-1-provider", "art-19-1-provider", "art-26-6-deployer", "art-73-1-provider"} <= subjects
    assert {str(r.predicate).rsplit("#", 1)[-1] for r in records} <= {"intersectsWith", "relatedTo"}
    assert all(r.rationale and r.confidence is not None and r.date == dt.date(2026, 12, 4) for r in records)
    assert (TABLES / f"{NEW_SET}.ttl").exists()
    assert NEW_SET in (TABLES / "README-ai-act.md").read_text(encoding="utf-8")


def test_every_changed_row_has_rationale_confidence_and_date() -> None:
    for path in sorted(TABLES.glob("*.sssom.tsv")):
        for r in rows(path.name.removesuffix(".sssom.tsv")):
            assert r["comment"].strip() and r["confidence"] and r["mapping_date"], (path.name, r["subject_id"])


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    s = EmbeddedStore()
    prepare_store(s, extra=[ROOT / "tests" / "fixtures" / "coverage-dates.ttl"])
    return s


def test_an_isms_earns_credit_for_ai_act_security_duties(store: EmbeddedStore) -> None:
    """fintech provides a high-risk system and implements 27001 A.8.8 (its evidence ended 2026-09-30,
    F4), so Art. 15(5) is reached in part from the ISMS alone through the new set."""
    report = gap.build(store, "fintech", "eu-ai-act", dt.date(2026, 12, 1))
    reqs = {r.notation: r for r in report.extra["requirements"]}
    art155 = reqs["Art. 15(5) provider"]
    isms = art155.isms_links()
    assert {link.source_notation for link in isms} >= {"A.8.8", "6.1.3"}
    assert all(f"/{NEW_SET}/" in link.record for link in isms if link.source_notation == "A.8.8")
    assert report.table("baseline-27001").rows[0]["partial"] > 0


def test_equal_clauses_let_27001_cover_42001_fully(store: EmbeddedStore) -> None:
    """coverage-dates records 27001 7.5.3 with current evidence: 42001 7.5.3 (equalTo) is covered fully
    from the ISMS alone."""
    report = gap.build(store, "coverage-dates", "iso42001-2023", dt.date(2026, 6, 1))
    reqs = {r.notation: r for r in report.extra["requirements"]}
    assert coverage.status(reqs["7.5.3"].isms_links()) == coverage.FULL

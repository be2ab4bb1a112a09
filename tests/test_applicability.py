"""The applicability engine's contract: validation agrees with it on every system, missing facts give "cannot tell
yet: record …", contradictory facts are refused (engine, CLI, import with file/row/column), the CLI's formats and
exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import URIRef
from rdflib.namespace import RDF

from normgraph.applicability import APPLIES, CANNOT_TELL, DOES_NOT_APPLY, ApplicabilityError, FactConflict, assess, conflicts
from normgraph.applicability.inputs import catalog_ntriples, facts_store, org_ntriples
from normgraph.cli import main
from normgraph.loading import load_knowledge
from normgraph.orgdata import OrgDataError, import_file
from normgraph.store.embedded import EmbeddedStore
from normgraph.validation import validate_org

FIXTURES = Path(__file__).parent / "fixtures"
SCENARIOS = sorted(p.stem for p in (FIXTURES / "applicability").glob("*.ttl"))
GRAPH = "https://w3id.org/normgraph/graph/org/"
HIGH_RISK = URIRef("https://w3id.org/normgraph/ont#HighRiskAISystem")
HAS_OBLIGATION = URIRef("https://w3id.org/dpv#hasObligation")
ID = "https://w3id.org/normgraph/id/"
UNDECIDED_SHAPE = "https://w3id.org/normgraph/shapes#ApplicabilityUndecidedShape"
HEADER = (FIXTURES / "applicability" / "bank-deployer.ttl").read_text(encoding="utf-8").split("\no:organisation")[0]


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    st = EmbeddedStore()
    load_knowledge(st, examples=True)
    for slug in SCENARIOS:
        st.load(FIXTURES / "applicability" / f"{slug}.ttl", "turtle", GRAPH + slug)
    st.load(FIXTURES / "shapes" / "base.valid.ttl", "turtle", GRAPH + "fx")
    return st


def _org(store: EmbeddedStore, slug: str, body: str) -> None:
    store.load((HEADER.replace("/org/bank-deployer/", f"/org/{slug}/") + body).encode(), "turtle", GRAPH + slug)


@pytest.mark.parametrize("org", ["fintech", "hospital", "fx", *SCENARIOS])
def test_the_facts_the_engine_selects_decide_as_the_whole_organisation_graph_does(store: EmbeddedStore, org: str) -> None:
    """assess() judges only the facts queries/applicability-facts.rq selects; over the whole organisation graph with
    all its catalog facts (what validation hands the engine) every answer, reason and column to record is the same."""
    whole = ox.Store()
    whole.load(org_ntriples(store, org), ox.RdfFormat.N_TRIPLES)
    whole.load(catalog_ntriples(store, GRAPH + org), ox.RdfFormat.N_TRIPLES)
    for on in (date(2025, 3, 1), date(2026, 12, 1), date(2031, 1, 1)):
        selected = assess(store, org, on, check=False)
        assert selected.answers == assess(store, org, on, facts=whole, check=False).answers
        assert selected.high_risk() == assess(store, org, on, facts=whole, check=False).high_risk()
    assert conflicts(facts_store(store, org), date.max) == conflicts(whole, date.max)


@pytest.mark.parametrize("org", ["fintech", "hospital", "fx", *SCENARIOS])
def test_validation_and_the_engine_agree_on_every_system(store: EmbeddedStore, org: str) -> None:
    on = date(2030, 8, 3)
    result = assess(store, org, on, check=False)
    validation = validate_org(store, org, on, engine="turbo")
    assert {str(s) for s in validation.derived.subjects(RDF.type, HIGH_RISK)} == result.high_risk()
    fria = {a.subject.iri for a in result.answers
            if a.obligation.key == "art-27-1-deployer" and a.status in (APPLIES, CANNOT_TELL)}
    assert {str(s) for s in validation.derived.subjects(HAS_OBLIGATION, None)} == fria
    owed = {(a.subject.iri, a.obligation.provision) for a in result.answers if a.status in (APPLIES, CANNOT_TELL)}
    for r in validation.results:
        if r.source_provision.startswith(ID + "eu-ai-act/") and r.shape != UNDECIDED_SHAPE:  # an AI Act gap: owed
            assert any(s == r.focus and (p == r.source_provision or p.startswith(r.source_provision + "-")) for s, p in owed), r


@pytest.mark.parametrize("org", ["fintech", "hospital", "fx", *SCENARIOS])
def test_the_gap_report_and_validation_agree_on_every_system(store: EmbeddedStore, org: str) -> None:
    """The gap report's AI Act targets are the obligations the engine says are owed, through the same systems, and
    every AI Act violation validation reports is among them."""
    from normgraph.reports import gap

    on = date(2030, 8, 3)
    owed = assess(store, org, on, check=False).owed()
    reqs, _impl = gap.analyse(store, org, "eu-ai-act", on)
    assert {r.iri: set(r.systems) for r in reqs} == owed
    validation = validate_org(store, org, on, engine="turbo")
    owing = {s for subjects in owed.values() for s in subjects}
    assert {str(s) for s in validation.derived.subjects(RDF.type, HIGH_RISK)} <= owing
    for r in validation.results:
        if r.source_provision.startswith(ID + "eu-ai-act/") and r.shape != UNDECIDED_SHAPE:  # a gap is a gap-report target
            assert any(r.focus in owed[ob] and ob.startswith(ID + "eu-ai-act-obligation/" + r.source_provision.rsplit("/", 1)[-1])
                       for ob in owed), r


def test_validation_lists_what_the_engine_cannot_tell_yet_and_what_to_record(store: EmbeddedStore) -> None:
    """Per system and missing fact, one Warning naming the column and the obligations it decides: exactly the engine's
    "cannot tell yet" answers (and nothing for organisations that recorded every fact)."""
    _org(store, "sparse3", """o:organisation\\/org a ng:Organisation ; rdfs:label "Sparse"@en .
o:ai-system\\/s a ng:AISystem ; rdfs:label "Scoring"@en ; ng:operatedBy o:organisation\\/org ;
    ng:aiActRole role:deployer ; ng:intendedPurpose "Scoring."@en ; ng:annexIIIArea aiact:annex-III-5-b ;
    ng:annexIProduct false ; ng:notYetPlacedOnMarket true ; ng:art50Trigger trig:none ; ng:decidesAboutPersons true .
""")
    on = date(2026, 12, 1)
    try:
        result = assess(store, "sparse3", on)
        expected: dict[tuple[str, str], list[str]] = {}
        for a in result.answers:
            if a.status == CANNOT_TELL:
                for column in a.record:
                    expected.setdefault((a.subject.iri, column), []).append(a.obligation.notation)
        rows = [r for r in validate_org(store, "sparse3", on, engine="turbo").results if r.shape == UNDECIDED_SHAPE]
        assert {(r.focus, r.value) for r in rows} == {(s, f"record {c}: decides {', '.join(n)}") for (s, c), n in expected.items()}
        assert {r.severity for r in rows} == {"Warning"}
        assert {r.value.split(":")[0] for r in rows if r.value} == {
            "record becomes_provider", "record deployer_nature", "record workers_affected"}
        nature = next(r.value for r in rows if r.value and r.value.startswith("record deployer_nature"))
        assert "Art. 26(8) deployer" in nature and "Art. 49(3) deployer" in nature
        for org in ("fintech", "hospital"):
            assert not [r for r in validate_org(store, org, on, engine="turbo").results if r.shape == UNDECIDED_SHAPE]
    finally:
        store.drop(GRAPH + "sparse3")


def test_judging_a_date_before_a_placing_date_judges_that_system_not_yet_placed(store: EmbeddedStore) -> None:
    """The hospital put ShiftMatch into service on 2026-06-15: on 2026-06-01 it was not yet placed; the others are judged."""
    result = assess(store, "hospital", date(2026, 6, 1))
    reasons = " ".join(a.why() for a in result.answers if a.subject.key == "shift-roster")
    assert "not yet placed on the market or put into service on 2026-06-01 (placed_on_market 2026-06-15)" in reasons
    assert {s.key for s in result.subjects} - {"shift-roster"}


def test_the_notified_body_number_is_owed_only_where_a_notified_body_took_part(store: EmbeddedStore) -> None:
    """Art. 48(4): fintech's NorthScore (Annex III 5(b)) follows internal control (Art. 43(2))."""
    a = assess(store, "fintech", date(2026, 12, 1)).why("northscore", "art-48-4-provider")
    assert a.status == DOES_NOT_APPLY and "internal control without a notified body (Art. 43(2)" in a.why()


def test_post_market_monitoring_is_eased_for_financial_institutions_only_for_annex_iii_point_5(store: EmbeddedStore) -> None:
    """Art. 72(4) second subparagraph: a bank providing 4(a) recruitment AI owes Art. 72(1) in full; 5(b) scoring is eased."""
    _org(store, "bankhr", """o:organisation\\/org a ng:Organisation ; rdfs:label "Bank HR"@en ;
    ng:deployerNature nat:financial-institution .
o:ai-system\\/hr a ng:AISystem ; rdfs:label "HR screening"@en ; ng:operatedBy o:organisation\\/org ; ng:aiActRole role:provider ;
    ng:intendedPurpose "Rank job applicants."@en ; ng:annexIIIArea aiact:annex-III-4-a ;
    ng:placedOnMarket "2026-09-01"^^xsd:date ; ng:annexXComponent false .
o:ai-system\\/score a ng:AISystem ; rdfs:label "Scoring"@en ; ng:operatedBy o:organisation\\/org ; ng:aiActRole role:provider ;
    ng:intendedPurpose "Creditworthiness."@en ; ng:annexIIIArea aiact:annex-III-5-b ;
    ng:placedOnMarket "2026-09-01"^^xsd:date ; ng:annexXComponent false .
""")
    result = assess(store, "bankhr", date(2026, 12, 4))
    assert not result.why("hr", "art-72-1-provider").eased
    eased = result.why("score", "art-72-1-provider").eased
    assert len(eased) == 1 and "Annex III point 5 only" in eased[0], result.why("score", "art-72-1-provider")
    store.drop(GRAPH + "bankhr")


def test_owed_answers_are_what_owed_says_with_dates_and_reasons(store: EmbeddedStore) -> None:
    """What the SoA and the audit pack list per system: the answers behind owed(), each dated and explained."""
    result = assess(store, "fintech", date(2026, 8, 3))
    owed = result.owed_answers()
    by_obligation: dict[str, set[str]] = {}
    for a in owed:
        by_obligation.setdefault(a.obligation.iri, set()).add(a.subject.iri)
    assert by_obligation == result.owed()
    fria = next(a for a in owed if a.subject.key == "northscore" and a.obligation.key == "art-27-1-deployer")
    assert fria.status == APPLIES and fria.applies_from == date(2026, 8, 2) and fria.due_on(result.on)
    assert "Art. 27(1)" in fria.why()


def test_missing_facts_give_cannot_tell_yet_naming_the_columns(store: EmbeddedStore) -> None:
    _org(store, "sparse", """o:organisation\\/org a ng:Organisation ; rdfs:label "Sparse"@en .
o:ai-system\\/s a ng:AISystem ; rdfs:label "Scoring"@en ; ng:operatedBy o:organisation\\/org ;
    ng:aiActRole role:deployer ; ng:intendedPurpose "Scoring."@en ; ng:annexIIIArea aiact:annex-III-4-a .
""")
    result = assess(store, "sparse", date(2026, 12, 1))
    from normgraph.applicability.render import text

    assert "record: placed_on_market, annex_x_component, significantly_changed, for_public_authorities, " in text(result, result.answers)
    fria = result.why("s", "art-27-1-deployer")
    assert fria.status == CANNOT_TELL
    # only the blank deciding columns (annex_iii_area is recorded, though Art. 27's scope also depends on it)
    assert fria.record == ("placed_on_market", "annex_x_component", "significantly_changed", "for_public_authorities",
                           "deployer_nature")
    assert "cannot tell yet" in fria.reasons[-1] and "record placed_on_market" in fria.reasons[-1]
    assert result.why("s", "art-26-7-deployer").record[-1] == "workers_affected"
    assert result.why("s", "art-4-deployer").status == APPLIES  # what needs no missing fact is answered
    store.drop(GRAPH + "sparse")


def test_each_new_deciding_fact_missing_names_its_column(store: EmbeddedStore) -> None:
    """Arts 25(1), 43(4), 50 exceptions, 14(5), 5(2)-(4) / 26(10) and 111(1): a blank fact is "cannot tell yet"."""
    _org(store, "sparse2", """o:organisation\\/org a ng:Organisation ; rdfs:label "Sparse"@en ;
    ng:deployerNature nat:law-enforcement-authority ; ng:establishedOutsideUnion false .
o:ai-system\\/rbi a ng:AISystem ; rdfs:label "Face search"@en ; ng:operatedBy o:organisation\\/org ;
    ng:aiActRole role:deployer , role:provider ; ng:intendedPurpose "Identifies."@en ; ng:annexIIIArea aiact:annex-III-1-a ;
    ng:notYetPlacedOnMarket true ; ng:art50Trigger trig:none .
o:ai-system\\/bot a ng:AISystem ; rdfs:label "Chat"@en ; ng:operatedBy o:organisation\\/org ;
    ng:aiActRole role:provider ; ng:intendedPurpose "Chats."@en ; ng:art50Trigger trig:interacts-with-people ;
    ng:placedOnMarket "2026-03-01"^^xsd:date .
""")
    result = assess(store, "sparse2", date(2026, 12, 1))
    expected = {("rbi", "art-25-1-deployer"): ("becomes_provider",), ("rbi", "art-43-4-provider"): ("substantial_modification",),
                ("rbi", "art-14-5-provider"): ("two_person_check_disproportionate",),
                ("rbi", "art-5-2-deployer"): ("rbi_mode",), ("rbi", "art-26-10-deployer"): ("rbi_mode",),
                ("bot", "art-50-1-provider"): ("annex_x_component", "art_50_exceptions")}  # placed_on_market is filled
    for (system, ob), record in expected.items():
        a = result.why(system, ob)
        assert (a.status, a.record) == (CANNOT_TELL, record), (system, ob, a.reasons)
    # placed on the market after 2027-08-02 (or not a component): Art. 111(1) needs no record
    assert "annex_x_component" not in result.why("rbi", "art-9-1-provider").record
    store.drop(GRAPH + "sparse2")


def test_contradictory_facts_are_refused_naming_system_and_column(store: EmbeddedStore) -> None:
    _org(store, "contra", """o:organisation\\/org a ng:Organisation ; rdfs:label "Contra"@en .
o:ai-system\\/pump a ng:AISystem ; rdfs:label "Infusion pump AI"@en ; ng:operatedBy o:organisation\\/org ;
    ng:aiActRole role:provider ; ng:intendedPurpose "Doses."@en ; ng:annexIProduct true ; ng:riskCategory cat:minimal-risk ;
    ng:placedOnMarket "2027-01-10"^^xsd:date .
""")
    with pytest.raises(FactConflict) as e:
        assess(store, "contra", date(2026, 12, 1))
    # placed 2027-01-10, judged 2026-12-01: not yet placed then, no contradiction (the import refuses a future date)
    assert {(c.subject.rsplit("/", 1)[-1], c.column) for c in e.value.conflicts} == {("pump", "annex_i_product")}
    store.drop(GRAPH + "contra")


V = ID + "vocab/"


def test_contradictory_new_facts_are_refused_naming_file_and_column(tmp_path: Path) -> None:
    """Arts 25(1), 43(4), 50, 14(5) and 5 / 26(10) facts that contradict each other, and an Annex X component placed
    on the market after the judged date, refused at import (Turtle: the file, the system and the column)."""
    cases = [
        (f"ng:art25Trigger <{V}art-25-trigger/none> , <{V}art-25-trigger/name-or-trademark>", "becomes_provider", "none together"),
        (f"ng:art25Trigger <{V}art-25-trigger/substantial-modification> ; ng:substantiallyModified false",
         "substantial_modification", "Art. 25(1)(b)"),
        (f"ng:art50Exception <{V}art-50-exception/none> , <{V}art-50-exception/obvious-from-context>", "art_50_exceptions",
         "none together"),
        ("ng:twoPersonVerificationDisproportionate true", "two_person_check_disproportionate", "neither authority"),
        (f"ng:biometricIdentificationMode <{V}rbi-mode/post>", "rbi_mode", "annex-III-4-a, not 1(a)"),
        ('ng:annexXComponent true ; ng:placedOnMarket "2999-01-01"^^xsd:date', "placed_on_market", "is after the date judged on"),
    ]
    for n, (facts, column, reason) in enumerate(cases):
        path = tmp_path / f"bad{n}.ttl"
        path.write_text(HEADER.replace("/org/bank-deployer/", "/org/acme/") + f"""o:organisation\\/org a ng:Organisation ;
    ng:deployerNature nat:private-entity .
o:ai-system\\/s a ng:AISystem ; rdfs:label "S"@en ; ng:operatedBy o:organisation\\/org ; ng:aiActRole role:deployer ;
    ng:intendedPurpose "Hires."@en ; ng:annexIIIArea aiact:annex-III-4-a ; {facts} .
""", encoding="utf-8")
        with pytest.raises(OrgDataError) as e:
            import_file(path, "acme")
        assert (e.value.file, e.value.column) == (str(path), column), facts
        assert reason in e.value.reason and "ai-system/s" in e.value.reason


def test_cli_judges_a_system_placed_after_the_judged_date_as_not_yet_placed(tmp_path: Path) -> None:
    data = tmp_path / "late.ttl"
    data.write_text(HEADER.replace("/org/bank-deployer/", "/org/late/") + r"""o:organisation\/org a ng:Organisation .
o:ai-system\/bot a ng:AISystem ; rdfs:label "Bot"@en ; ng:operatedBy o:organisation\/org ; ng:aiActRole role:provider ;
    ng:intendedPurpose "Chats."@en ; ng:art50Trigger trig:interacts-with-people ; ng:placedOnMarket "2026-06-01"^^xsd:date .
""", encoding="utf-8")
    cli = [sys.executable, "-m", "normgraph", "--store", str(tmp_path / "store")]  # separate processes, as users run it
    p = subprocess.run([*cli, "import", str(data), "--org", "late"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([*cli, "applicability", "--org", "late", "--on", "2026-05-01"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr  # looking back before the placing date: not yet placed then, no contradiction
    p = subprocess.run([*cli, "applicability", "--org", "late", "--on", "2026-05-01", "--why", "art-50-1-provider"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "not yet placed on the market on 2026-05-01 (placed_on_market 2026-06-01)" in " ".join(p.stdout.split())
    p = subprocess.run([*cli, "applicability", "--org", "late", "--on", "2026-08-03"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "Art. 50(1) provider" in p.stdout and "applies (in force)" in p.stdout
    bad = tmp_path / "systems.csv"
    bad.write_text(AI_SYSTEMS + "pump,Pump AI,provider,minimal-risk,,Doses,yes,,,none,2025-01-01\n", encoding="utf-8")
    p = subprocess.run([*cli, "import", str(bad), "--org", "late"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 2
    assert "systems.csv, row 2, column 'annex_i_product': an Annex I product" in " ".join(p.stderr.split())


def test_unknown_names_are_errors_that_say_what_is_known(store: EmbeddedStore) -> None:
    with pytest.raises(ApplicabilityError, match=r"no organisation 'nosuch'.*known: .*fintech"):
        assess(store, "nosuch")
    result = assess(store, "fintech", date(2026, 12, 1))
    with pytest.raises(ApplicabilityError, match="known: fraud-shield, nora-assistant, northscore"):
        result.subject("nosuch")
    with pytest.raises(ApplicabilityError, match="no AI Act obligation 'art-99'"):
        result.obligation("art-99")
    # --why also explains an obligation of a role the organisation does not hold
    other = result.why("fraud-shield", "aiactob:art-26-1-deployer")
    assert other.status == "does not apply" and other.reasons == ("role provider", "Art. 26(1) deployer binds the deployer only")


def test_cli_text_json_csv_why_and_exit_codes() -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["applicability", "--org", "hospital", "--system", "shift-roster", "--on", "2026-12-01"])
    assert r.exit_code == 0, r.output
    assert "Art. 27(1) deployer" in r.output and "applies from 2030-08-02" in r.output
    assert "comply by 2030-08-02 (Art. 111(2))" in r.output
    r = runner.invoke(main, ["applicability", "--org", "fintech", "--system", "northscore", "--on", "2026-12-01",
                             "--why", "art-27-1-deployer", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    (ob,) = doc["subjects"][0]["obligations"]
    assert ob["status"] == "applies" and ob["in_force"] and ob["applies_from"] == "2026-08-02"
    assert "Annex III(5)(b): Art. 27(1) names deployers of Annex III 5(b) and 5(c) systems" in ob["why"]
    r = runner.invoke(main, ["applicability", "--org", "fintech", "--on", "2026-07-01", "--format", "csv"])
    assert r.exit_code == 0, r.output
    lines = [",".join(row) for row in csv.reader(io.StringIO(r.output, newline=""))]  # every field is quoted
    assert lines[0].startswith("subject,subject_label,obligation,notation")
    nora = [ln for ln in lines if "nora-assistant" in ln and "art-50-1-provider" in ln]
    assert len(nora) == 1 and ",applies,2026-08-02,no," in nora[0]  # not yet in force on 2026-07-01
    for args, message in ((["--org", "nosuch"], "no organisation 'nosuch'"),
                          (["--org", "fintech", "--system", "nosuch"], "no AI system or model 'nosuch'"),
                          (["--org", "fintech", "--why", "art-99"], "no AI Act obligation 'art-99'")):
        r = runner.invoke(main, ["applicability", *args])
        assert r.exit_code == 2 and message in r.output, r.output


AI_SYSTEMS = ("id,name,role,risk_category,annex_iii_area,intended_purpose,annex_i_product,art_6_3_derogation,"
              "deployer_nature,art_50_triggers,placed_on_market,profiling\n")


@pytest.mark.parametrize(("row", "column", "reason"), [
    ("pump,Pump AI,provider,minimal-risk,,Doses,yes,,,none,2025-01-01", "annex_i_product", "is high-risk (Art. 6(1))"),
    ("pump,Pump AI,provider,,,Doses,yes,yes,,none,2025-01-01", "art_6_3_derogation", "Annex III systems only"),
    ("score,Scoring,provider,,annex-III-2-a,Scores,no,,,none,2025-01-01", "annex_iii_area", "is not a point of Annex III"),
    ("score,Scoring,deployer,,5(b),Scores,no,,,none,2999-01-01", "placed_on_market", "is after the date judged on"),
    ("score,Scoring,deployer,,5(b),Scores,no,,private-entity; public-body,none,", "deployer_nature", "private-entity together"),
    ("chat,Chat,provider,,,Chats,no,,,none; interacts-with-people,", "art_50_triggers", "none together"),
    ("score,Scoring,provider,,5(b),Scores,no,yes,,none,,yes", "art_6_3_derogation", "profiles natural persons is always high-risk"),
    ("score,Retail credit scoring,deployer,minimal-risk,5(b),Creditworthiness,no,,financial-institution,none,2026-09-01,",
     "risk_category", "annex_iii_area 5(b) is high-risk (Art. 6(2)) unless art_6_3_derogation is yes, but risk_category says minimal-risk"),
    ("bot,Bot,deployer,art-50-system,4(a),Ranks,no,no,,none,2026-09-01,", "risk_category", "but risk_category says art-50-system"),
])
def test_import_refuses_bad_facts_with_file_row_and_column(tmp_path: Path, row: str, column: str, reason: str) -> None:
    path = tmp_path / "systems.csv"
    path.write_text(AI_SYSTEMS + "ok,Fine,deployer,,4(a),Hires,no,,private-entity,none,not-yet\n" + row + "\n", encoding="utf-8")
    with pytest.raises(OrgDataError) as e:
        import_file(path, "acme")
    assert (e.value.file, e.value.row, e.value.column) == (str(path), 3, column)
    assert reason in e.value.reason


NEW_COLUMNS = ("id,name,role,annex_iii_area,intended_purpose,deployer_nature,placed_on_market,annex_x_component,"
               "becomes_provider,substantial_modification,art_50_exceptions,two_person_check_disproportionate,rbi_mode\n")


@pytest.mark.parametrize(("row", "column", "reason"), [
    ("x,X,deployer,4(a),Hires,private-entity,2999-01-01,yes,,,,,", "placed_on_market", "is after the date judged on"),
    ("x,X,deployer,4(a),Hires,private-entity,,,none; changed-purpose,,,,", "becomes_provider", "none together"),
    ("x,X,deployer,4(a),Hires,private-entity,,,substantial-modification,no,,,", "substantial_modification", "Art. 25(1)(b)"),
    ("x,X,deployer,4(a),Hires,private-entity,,,,,none; artistic-work,,", "art_50_exceptions", "none together"),
    ("x,X,deployer,1(a),Finds,private-entity,,,,,,yes,", "two_person_check_disproportionate", "neither authority"),
    ("x,X,deployer,4(a),Hires,private-entity,,,,,,,post", "rbi_mode", "not 1(a)"),
    ("x,X,deployer,4(a),Hires,private-entity,,,,,,,later", "rbi_mode", "is not one of"),
])
def test_import_refuses_bad_new_facts_with_file_row_and_column(tmp_path: Path, row: str, column: str, reason: str) -> None:
    """The six columns of Arts 111(1), 25(1), 43(4), 50, 14(5) and 5 / 26(10): bad or contradictory cells are refused
    with the file, the spreadsheet row and the column."""
    path = tmp_path / "systems.csv"
    path.write_text(NEW_COLUMNS + "ok,Fine,deployer,4(a),Hires,private-entity,not-yet,no,none,no,none,,\n" + row + "\n",
                    encoding="utf-8")
    with pytest.raises(OrgDataError) as e:
        import_file(path, "acme")
    assert (e.value.file, e.value.row, e.value.column) == (str(path), 3, column)
    assert reason in e.value.reason


def test_import_maps_the_columns_to_the_documented_facts(tmp_path: Path) -> None:
    path = tmp_path / "systems.csv"
    path.write_text(AI_SYSTEMS + "ok,Fine,deployer,,4(a),Hires,no,no,private-entity,none,not-yet\n", encoding="utf-8")
    g = import_file(path, "acme")
    s = URIRef(ID + "org/acme/ai-system/ok")
    ng = "https://w3id.org/normgraph/ont#"
    assert g.value(s, URIRef(ng + "annexIProduct")).toPython() is False
    assert g.value(s, URIRef(ng + "notYetPlacedOnMarket")).toPython() is True
    assert str(g.value(s, URIRef(ng + "deployerNature"))) == ID + "vocab/deployer-nature/private-entity"
    assert str(g.value(s, URIRef(ng + "art50Trigger"))) == ID + "vocab/art-50-trigger/none"
    path.write_text(NEW_COLUMNS + "ok,Fine,deployer,1(a),Finds,law-enforcement-authority,2026-05-01,no,name-or-trademark,yes,"
                    "none,yes,real-time-public-spaces; post\n", encoding="utf-8")
    g = import_file(path, "acme")
    assert g.value(s, URIRef(ng + "annexXComponent")).toPython() is False
    assert str(g.value(s, URIRef(ng + "art25Trigger"))) == ID + "vocab/art-25-trigger/name-or-trademark"
    assert g.value(s, URIRef(ng + "substantiallyModified")).toPython() is True
    assert str(g.value(s, URIRef(ng + "art50Exception"))) == ID + "vocab/art-50-exception/none"
    assert g.value(s, URIRef(ng + "twoPersonVerificationDisproportionate")).toPython() is True
    assert {str(o) for o in g.objects(s, URIRef(ng + "biometricIdentificationMode"))} == {
        ID + "vocab/rbi-mode/real-time-public-spaces", ID + "vocab/rbi-mode/post"}


def test_the_deciding_facts_travel_in_json_ld(store: EmbeddedStore, tmp_path: Path) -> None:
    """An organisation exported as JSON-LD and imported again is judged exactly as before."""
    from rdflib import Graph

    from normgraph.exports.jsonld import dumps

    graph = Graph().parse(data=store.export("ntriples", GRAPH + "fintech").decode(), format="nt")
    path = tmp_path / "fintech.jsonld"
    path.write_text(dumps(graph), encoding="utf-8")
    store.load(import_file(path, "fintech").serialize(format="nt", encoding="utf-8"), "ntriples", GRAPH + "fintech-again")
    try:
        on = date(2026, 12, 1)
        before = [(a.subject.key, a.obligation.key, a.status, a.applies_from) for a in assess(store, "fintech", on).answers]
        after = [(a.subject.key, a.obligation.key, a.status, a.applies_from) for a in assess(store, "fintech-again", on).answers]
        assert before == after and any(s == APPLIES for *_, s, _d in before)
    finally:
        store.drop(GRAPH + "fintech-again")


def test_an_annex_iii_point_the_organisation_refines_is_judged_as_validation_judges_it(store: EmbeddedStore) -> None:
    """An organisation's own sub-point of an Annex III point (its skos:broader in its graph) that a system records as
    its area: the facts assess() selects reach the point through it, as the whole graph validation judges does —
    no FactConflict "not a point of Annex III" on one side and high-risk on the other."""
    hospital = ID + "org/hospital/"
    refined = (org_ntriples(store, "hospital").decode()
               + f"<{hospital}area/triage> <http://www.w3.org/2004/02/skos/core#broader> <{ID}eu-ai-act/annex-III-5-d> .\n"
               + f"<{hospital}ai-system/shift-roster> <https://w3id.org/normgraph/ont#annexIIIArea> <{hospital}area/triage> .\n")
    store.load(refined.encode(), "ntriples", GRAPH + "refined")
    whole = ox.Store()
    whole.load(org_ntriples(store, "refined"), ox.RdfFormat.N_TRIPLES)
    whole.load(catalog_ntriples(store, GRAPH + "refined"), ox.RdfFormat.N_TRIPLES)
    for on in (date(2026, 12, 1), date(2031, 1, 1)):
        selected = assess(store, "refined", on)
        assert selected.answers == assess(store, "refined", on, facts=whole).answers
        assert hospital + "ai-system/shift-roster" in {str(s) for s in selected.high_risk()}

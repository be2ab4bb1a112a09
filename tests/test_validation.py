"""The example organisations' deliberate gaps are found — exactly those — by pySHACL and pyshacl-turbo alike;
classification CONSTRUCT golden results; report grouping and formats; CLI exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from normgraph.cli import main
from normgraph.loading import load_knowledge
from normgraph.store.embedded import EmbeddedStore
from normgraph.validation import ValidationError, validate_org

TODAY = date(2026, 12, 1)
ID = "https://w3id.org/normgraph/id/"
NGSH = "https://w3id.org/normgraph/shapes#"
HIGH_RISK = URIRef("https://w3id.org/normgraph/ont#HighRiskAISystem")
HAS_OBLIGATION = URIRef("https://w3id.org/dpv#hasObligation")
FIXTURE = Path(__file__).parent / "fixtures" / "shapes" / "base.valid.ttl"

# (shape, focus relative to …/id/, severity, value relative to …/id/ or literal) — the documented gaps, nothing else.
EXPECTED = {
    "hospital": {
        ("SoAExclusionJustifiedShape", "org/hospital/soa/iso27001-A-5-6", "Violation"),          # H1
        ("ImplementedControlEvidenceShape", "org/hospital/soa/iso27001-A-8-13", "Violation"),     # H2
        ("RiskOwnerShape", "org/hospital/risk/R-017", "Violation"),                               # H3
        ("RiskTreatmentShape", "org/hospital/risk/R-023", "Violation"),                           # H4
        ("TreatedByReferenceShape", "iso27001-2022/A-5-38", "Violation"),                         # H5
        ("EvidenceSha256Shape", "org/hospital/evidence/SEC-NTP-2026", "Violation"),               # H6
        ("Art27FRIAShape", "org/hospital/ai-system/shift-roster", "Warning"),  # H7: due from 2030-08-02 (Art. 111(2))
        ("SoA42001CounterpartShape", "org/hospital/soa/iso42001-A-4-3", "Info"),                  # H8
        ("SoA42001CounterpartShape", "org/hospital/soa/iso42001-A-6-2-8", "Info"),
        ("SoA42001CounterpartShape", "org/hospital/soa/iso42001-A-10-3", "Info"),
    },
    "fintech": {
        ("HighRiskArt12LoggingShape", "org/fintech/ai-system/northscore", "Violation"),           # F1
        ("DeployerArt26LogsShape", "org/fintech/ai-system/northscore", "Violation"),
        ("HighRiskArt14OversightShape", "org/fintech/ai-system/northscore", "Violation"),         # F2
        ("DeployerArt26OversightShape", "org/fintech/ai-system/northscore", "Violation"),
        ("ImplementedControlEvidenceShape", "org/fintech/soa/iso42001-A-6-2-8", "Violation"),     # F3
        ("ImplementedControlEvidenceShape", "org/fintech/soa/iso27001-A-8-8", "Violation"),       # F4
        ("SoAExclusionJustifiedShape", "org/fintech/soa/iso27001-A-7-5", "Violation"),            # F5
        ("RiskOwnerShape", "org/fintech/risk/R-021", "Violation"),                                # F6
        ("RiskTreatmentShape", "org/fintech/risk/R-021", "Violation"),
        ("RiskLikelihoodShape", "org/fintech/risk/R-009", "Violation"),                           # F7
        ("HighRiskTrainingDataShape", "org/fintech/ai-system/northscore", "Violation"),           # F8
        ("EvidenceIssuedShape", "org/fintech/evidence/MKT-NOTICE-2026", "Violation"),             # F9
        ("SoA42001CounterpartShape", "org/fintech/soa/iso42001-A-6-2-6", "Info"),                 # F10
        ("SoA42001CounterpartShape", "org/fintech/soa/iso42001-A-8-4", "Info"),
        ("SoA42001CounterpartShape", "org/fintech/soa/iso42001-A-10-3", "Info"),
    },
}
HIGH_RISK_GOLDEN = {
    "hospital": {"org/hospital/ai-system/sepsis-cds", "org/hospital/ai-system/care-eligibility", "org/hospital/ai-system/shift-roster"},
    "fintech": {"org/fintech/ai-system/northscore"},
}
ART27_GOLDEN = {
    "hospital": {"org/hospital/ai-system/care-eligibility", "org/hospital/ai-system/shift-roster"},  # not the Annex I CDS
    "fintech": {"org/fintech/ai-system/northscore"},  # provider AND deployer of an Annex III 5(b) system
}


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    st = EmbeddedStore()
    load_knowledge(st, examples=True)
    return st


@pytest.fixture(scope="module")
def results(store: EmbeddedStore) -> dict[tuple[str, str], object]:
    return {(org, eng): validate_org(store, org, TODAY, engine=eng) for org in EXPECTED for eng in ("pyshacl", "turbo")}


def _short(iri: str) -> str:
    return iri.removeprefix(ID)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["pyshacl", "turbo"])
@pytest.mark.parametrize("org", sorted(EXPECTED))
def test_example_org_gaps_are_exactly_the_documented_ones(results: dict, org: str, engine: str) -> None:
    res = results[(org, engine)]
    got = {(r.shape.removeprefix(NGSH), _short(r.focus), r.severity) for r in res.results}
    assert got == EXPECTED[org]
    assert len(res.results) == len(EXPECTED[org])  # no duplicates hiding behind the set
    assert not res.conforms


def test_severity_follows_the_engine_on_the_validation_date(results: dict) -> None:
    """H7: Art. 27 applies to ShiftMatch only from 2030-08-02 (Art. 111(2), public authority): a Warning saying so on
    2026-12-01, not a Violation against a duty not yet in force."""
    h7 = [r for r in results[("hospital", "pyshacl")].results if r.shape == NGSH + "Art27FRIAShape"]
    assert [(r.severity, "due from 2030-08-02" in r.message) for r in h7] == [("Warning", True)]


@pytest.mark.slow
@pytest.mark.parametrize("org", sorted(EXPECTED))
def test_engines_agree_exactly(results: dict, org: str) -> None:
    a = {r.key() for r in results[(org, "pyshacl")].results}
    b = {r.key() for r in results[(org, "turbo")].results}
    assert a == b
    # and on the values and messages too
    assert {(r.key(), r.value, r.message) for r in results[(org, "pyshacl")].results} == \
        {(r.key(), r.value, r.message) for r in results[(org, "turbo")].results}


@pytest.mark.parametrize("org", sorted(EXPECTED))
def test_classification_golden(results: dict, org: str) -> None:
    derived: Graph = results[(org, "turbo")].derived
    assert {_short(str(s)) for s in derived.subjects(RDF.type, HIGH_RISK)} == HIGH_RISK_GOLDEN[org]
    assert {_short(str(s)) for s in derived.subjects(HAS_OBLIGATION, URIRef(ID + "eu-ai-act-obligation/art-27-1-deployer"))} \
        == ART27_GOLDEN[org]
    assert len(derived) == len(HIGH_RISK_GOLDEN[org]) + len(ART27_GOLDEN[org])


def test_classification_respects_art_6_3_derogation_and_area_2(store: EmbeddedStore) -> None:
    ttl = FIXTURE.read_text(encoding="utf-8") + """
fx:ai-system\\/S4 a ng:AISystem ; rdfs:label "Derogated"@en ; ng:operatedBy fx:organisation\\/fx ;
    ng:aiActRole role:provider , role:deployer ;
    ng:annexIIIArea aiact:annex-III-5-b ; ng:intendedPurpose "Narrow preparatory task."@en .
fx:evidence\\/X4 a ng:Evidence ; rdfs:label "Art. 6(3) assessment"@en ; ng:evidenceKind kind:ai-system-impact-assessment ;
    ng:issued "2026-01-01"^^xsd:date ; ng:owner fx:person\\/p1 ; ng:location "https://x.example/X4"^^xsd:anyURI ;
    ng:sha256 "0000000000000000000000000000000000000000000000000000000000000009" ; ng:supports aiactob:art-6-4-provider ;
    ng:concernsSystem fx:ai-system\\/S4 .
fx:organisation\\/fx <http://www.w3.org/ns/org#classification> <http://publications.europa.eu/resource/authority/buyer-legal-type/body-pl> .
fx:ai-system\\/S5 a ng:AISystem ; rdfs:label "Grid control"@en ; ng:operatedBy fx:organisation\\/fx ; ng:aiActRole role:deployer ;
    ng:annexIIIArea aiact:annex-III-2 ; ng:intendedPurpose "Safety component of grid control."@en .
"""
    store.load(ttl.encode(), "turtle", "https://w3id.org/normgraph/graph/org/fx")
    res = validate_org(store, "fx", TODAY, engine="turbo")
    hr = {_short(str(s)) for s in res.derived.subjects(RDF.type, HIGH_RISK)}
    assert hr == {"org/fx/ai-system/S1", "org/fx/ai-system/S3", "org/fx/ai-system/S5"}  # S4 derogated
    fria = {_short(str(s)) for s in res.derived.subjects(HAS_OBLIGATION, None)}
    assert fria == {"org/fx/ai-system/S3"}  # S5 is area 2 (Art. 27(1) exception) even for a public body
    store.drop("https://w3id.org/normgraph/graph/org/fx")


def test_report_grouped_by_standard_and_clause_and_serialisations(results: dict) -> None:
    res = results[("hospital", "turbo")]
    groups = res.grouped()
    assert ("ISO/IEC 27001:2022", "6.1.3") in groups and ("EU AI Act (Regulation (EU) 2024/1689)", "Art. 27") in groups
    assert {r.shape.removeprefix(NGSH) for r in groups[("ISO/IEC 27001:2022", "6.1.3")]} == {
        "SoAExclusionJustifiedShape", "RiskTreatmentShape", "TreatedByReferenceShape"}
    fria = groups[("EU AI Act (Regulation (EU) 2024/1689)", "Art. 27")][0]
    assert fria.focus_label == "ShiftMatch staff rostering and task allocation"
    assert fria.source_provision == ID + "eu-ai-act/art-27" and "Art. 27" in fria.message
    doc = res.to_json()
    assert doc["counts"] == {"Violation": 6, "Warning": 1, "Info": 3} and doc["conforms"] is False
    rep = Graph().parse(data=res.to_turtle(), format="turtle")
    assert len(list(rep.subjects(RDF.type, URIRef("http://www.w3.org/ns/shacl#ValidationResult")))) == 10


def test_unknown_org_and_engine_are_errors(store: EmbeddedStore) -> None:
    with pytest.raises(ValidationError, match="no organisation 'nosuch'"):
        validate_org(store, "nosuch", TODAY)
    with pytest.raises(ValidationError, match="unknown engine"):
        validate_org(store, "hospital", TODAY, engine="fast")


def test_expired_evidence_depends_on_the_date_passed_in(store: EmbeddedStore) -> None:
    # before the backup test report expired (2026-06-30), A.8.13 is evidenced
    res = validate_org(store, "hospital", date(2026, 6, 30), engine="turbo")
    assert not any(r.focus.endswith("soa/iso27001-A-8-13") for r in res.results)


def test_cli_validate_exit_codes_and_formats(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["validate", "--org", "hospital", "--engine", "turbo", "--date", "2026-12-01", "--format", "json"])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.output)
    assert doc["org"] == "hospital" and doc["counts"]["Violation"] == 6
    r = runner.invoke(main, ["validate", "--org", "nosuch", "--engine", "turbo"])
    assert r.exit_code == 2 and "no organisation 'nosuch'" in r.output
    # an on-disk store across separate processes (the real CLI): import a conforming org, validate → 0
    store_dir = tmp_path / "store"
    cli = [sys.executable, "-m", "normgraph", "--store", str(store_dir)]
    p = subprocess.run([*cli, "import", str(FIXTURE), "--org", "fx"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    out = tmp_path / "report.ttl"
    p = subprocess.run([*cli, "validate", "--org", "fx", "--engine", "turbo", "--date", "2026-12-01", "--format", "turtle",
                        "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    rep = Graph().parse(out, format="turtle")
    assert (None, URIRef("http://www.w3.org/ns/shacl#conforms"), None) in rep
    p = subprocess.run([*cli, "validate", "--org", "fx", "--engine", "turbo", "--date", "2026-12-01"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "conforms" in p.stdout


def test_validation_facts_follow_the_date_and_stay_out_of_the_classification(store: EmbeddedStore) -> None:
    """queries/validate-current-evidence.rq: current evidence per (system, kind) and per requirement, as of the date."""
    from normgraph.validation import prepare_data

    store.load(FIXTURE, "turtle", "https://w3id.org/normgraph/graph/org/fx")
    try:
        kind = "https://w3id.org/normgraph/id/vocab/evidence-kind/"
        s1 = "<https://w3id.org/normgraph/id/org/fx/ai-system/S1>"
        ask = f"ASK {{ {s1} <{NGSH}currentEvidenceKind> <{kind}event-log> }}"
        # the provider dossier D1 is valid until 2027-02-28
        before, after = prepare_data(store, "fx", TODAY), prepare_data(store, "fx", date(2027, 3, 1))
        assert before.store.query(ask) and not after.store.query(ask)
        a51 = f"ASK {{ <{ID}iso27001-2022/A-5-1> <{NGSH}hasCurrentEvidence> true }}"  # E1 valid until 2027-01-09
        assert before.store.query(a51) and not after.store.query(a51)
        assert NGSH.encode() not in before.derived  # classification output has no validation-only facts
        assert before.facts and all(line.split(b" ")[1].startswith(b"<" + NGSH.encode()) for line in before.facts.splitlines())
    finally:
        store.drop("https://w3id.org/normgraph/graph/org/fx")


def test_shapes_graph_is_parsed_once_per_process() -> None:
    from normgraph.validation import load_shapes

    assert load_shapes() is load_shapes()

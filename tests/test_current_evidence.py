"""One meaning of "current evidence" in every report and in validation.

fintech.ttl F9: evidence MKT-NOTICE-2026 supports ISO 42001 A.8.3, but its issue date is a plain string, not an
xsd:date, so it does not compare with the judged date. Nothing shows such evidence current: the SoA, the gap reports,
the audit pack and validation all read it as not current. (The gap reports used to read it as current, which also made
Virtuoso's answer differ: Virtuoso compares a plain string with a date where SPARQL raises an error.)
"""

from __future__ import annotations

from datetime import date

import pytest
from rdflib import Graph, Namespace, URIRef

from normgraph.iri import NGG
from normgraph.loading import load_knowledge
from normgraph.reports import gap, run, soa, text
from normgraph.store.embedded import EmbeddedStore
from normgraph.validation import prepare_data

TODAY = date(2026, 12, 1)
FINTECH = f"{NGG}org/fintech"
A_8_3 = "https://w3id.org/normgraph/id/iso42001-2023/A-8-3"
ORG = "https://w3id.org/normgraph/id/org/fintech/"
NOTICE = f"{ORG}evidence/MKT-NOTICE-2026"
NOTICE_KIND = URIRef("https://w3id.org/normgraph/id/vocab/evidence-kind/transparency-notice")
NGSH = Namespace("https://w3id.org/normgraph/shapes#")


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    st = EmbeddedStore()
    load_knowledge(st, examples=True)
    return st


def test_the_gap_reports_do_not_count_evidence_with_an_unreadable_date_as_current(store: EmbeddedStore) -> None:
    current = gap.current_evidence(store, FINTECH, TODAY)[A_8_3]
    assert "MKT-NOTICE-2026" not in current
    assert current == {"AIMS-PRC-028"}  # the control's other evidence still counts


def test_the_soa_and_the_audit_pack_read_it_the_same_way(store: EmbeddedStore) -> None:
    rows = {(r["standard"][8:13], r["control"]): r for r in soa.build(store, "fintech", TODAY).table("soa").rows}
    assert (rows[("42001", "A.8.3")]["evidence_current"], rows[("42001", "A.8.3")]["evidence_expired"]) == (1, 1)
    valid = {text(r["evidence"]): text(r["valid"]) for r in
             run(store, "report-audit-evidence", graph=FINTECH, today=TODAY.isoformat()).rows}
    assert valid[NOTICE] == "false"


def test_validation_reads_it_the_same_way(store: EmbeddedStore) -> None:
    """The validation facts (queries/validate-current-evidence.rq): MKT-NOTICE-2026 is fintech's only transparency
    notice that concerns no one system, so the high-risk system gets no current organisation-wide notice from it,
    while the system-specific notices (NS-NOTICE-2026, NORA-TN-2026) still count."""
    facts = Graph().parse(data=prepare_data(store, "fintech", TODAY).facts.decode(), format="nt")
    org_wide = set(facts.objects(None, NGSH.currentOrgWideEvidenceKind))
    per_system = set(facts.subject_objects(NGSH.currentEvidenceKind))
    assert NOTICE_KIND not in org_wide
    assert (URIRef(f"{ORG}ai-system/northscore"), NOTICE_KIND) in per_system
    assert URIRef(A_8_3) in set(facts.subjects(NGSH.hasCurrentEvidence, None))  # through AIMS-PRC-028, current

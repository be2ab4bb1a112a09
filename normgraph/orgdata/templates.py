"""Column definitions of the spreadsheet templates (SoA, risk register, evidence register, AI-system inventory).

Each template is a list of `Column`s; `normgraph template KIND` writes the header and one example row, and
normgraph/orgdata/README.md documents every column. Lists inside a cell are separated by `;`.
Control references are either a notation plus the row's `standard` column ("A.5.19" + "iso27001") or a CURIE
("iso27001:A-5-19", "iso42001:A-6-2-8", "aiactob:art-12-1-provider", "gdpr:art-35").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    doc: str
    example: str


@dataclass(frozen=True)
class Template:
    kind: str
    title: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> set[str]:
        return {c.name for c in self.columns if c.required}


STATUSES = ("not-started", "planned", "partially-implemented", "implemented", "not-applicable")
REASONS = ("risk", "legal", "contract", "business")
STANDARDS = {"iso27001": "iso27001-2022", "iso42001": "iso42001-2023", "27001": "iso27001-2022", "42001": "iso42001-2023"}

TEMPLATES: dict[str, Template] = {
    "soa": Template("soa", "Statement of Applicability (both Annex A sets)", (
        Column("standard", False, "iso27001 or iso42001; needed when `control` is a bare notation", "iso27001"),
        Column("control", True, "Annex A control: notation (A.5.19) with `standard`, or a CURIE (iso27001:A-5-19)", "A.5.19"),
        Column("applicable", True, "yes/no (also true/false, 1/0)", "yes"),
        Column("inclusion_reason", False, "for applicable controls: risk; legal; contract; business", "risk; contract"),
        Column("exclusion_justification", False, "for excluded controls: why (ISO/IEC 27001 6.1.3 d)", ""),
        Column("implementation_status", True,
               "not-started | planned | partially-implemented | implemented | not-applicable", "implemented"),
        Column("implementing_measure", False, "how the control is implemented (free text)",
               "Supplier security procedure SUP-01 and contract clauses"),
        Column("owner", False, "owner's person id (letters, digits, -) — becomes …/person/<id>", "ciso"),
    )),
    "risk-register": Template("risk-register", "Risk register (security and AI risks)", (
        Column("id", True, "risk identifier, unique in the register", "R-001"),
        Column("title", True, "short description of the risk", "Ransomware encrypts clinical systems"),
        Column("kind", True, "confidentiality | integrity | availability | bias | drift | robustness | adversarial-attack | "
               "hallucination | explainability | privacy | safety", "availability"),
        Column("likelihood", True, "integer 1 (rare) to 5 (almost certain)", "4"),
        Column("impact", True, "integer 1 (negligible) to 5 (severe)", "5"),
        Column("inherent_score", False, "integer; blank = likelihood × impact", ""),
        Column("residual_score", False, "integer after treatment", "8"),
        Column("owner", False, "risk owner's person id", "itsec"),
        Column("standard", False, "default standard for bare notations in `treated_by`", "iso27001"),
        Column("treated_by", False, "controls chosen to treat the risk (; separated)", "A.8.7; A.8.13; iso42001:A-6-2-6"),
        Column("treatment", False, "treatment decision / measure (free text); creates an ng:RiskTreatment", "Reduce: EDR, offline backups"),
        Column("affects", False, "AI system ids the risk bears on (; separated)", ""),
    )),
    "evidence-register": Template("evidence-register", "Evidence register", (
        Column("id", True, "evidence identifier (document number)", "ISMS-POL-001"),
        Column("title", True, "title of the document or record", "Information security policy"),
        Column("kind", True, "evidence kinds of …/vocab/evidence-kind (; separated), e.g. policy; test-report; event-log", "policy"),
        Column("issued", True, "issue date YYYY-MM-DD", "2026-01-15"),
        Column("valid_until", False, "last valid date YYYY-MM-DD (blank = no expiry)", "2027-01-14"),
        Column("owner", False, "owner's person id", "ciso"),
        Column("location", False, "URL or URI where the evidence is kept", "https://dms.example/doc/ISMS-POL-001"),
        Column("sha256", False, "SHA-256 of the file: 64 lower-case hex characters",
               "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"),
        Column("standard", False, "default standard for bare notations in `supports`", "iso27001"),
        Column("supports", True, "controls, clauses or obligations the evidence supports (; separated)",
               "A.5.1; iso42001:A-2-2; aiactob:art-4-deployer"),
        Column("concerns_system", False, "AI system ids the evidence is about (; separated)", ""),
    )),
    "ai-systems": Template("ai-systems", "AI system inventory", (
        Column("id", True, "AI system identifier", "credit-score"),
        Column("name", True, "name of the AI system", "Credit scoring model"),
        Column("role", True, "AI Act roles (; separated): provider | deployer | importer | distributor | authorised-representative | "
               "gpai-model-provider | product-manufacturer", "provider; deployer"),
        Column("risk_category", False, "asserted category: high-risk | art-50-system | minimal-risk | gpai-model | "
               "gpai-model-systemic-risk | prohibited-practice | any-ai-system", "high-risk"),
        Column("annex_iii_area", False, "Annex III point: 5(b), annex-III-5-b or aiact:annex-III-5-b", "5(b)"),
        Column("lifecycle_stage", False, "inception | design-development | verification-validation | deployment | "
               "operation-monitoring | re-evaluation | retirement", "operation-monitoring"),
        Column("intended_purpose", True, "intended purpose (free text)", "Creditworthiness evaluation of loan applicants"),
        Column("models", False, "model ids (; separated) — each becomes …/model/<id>", "credit-xgb-5"),
        Column("supplier", False, "supplier id — becomes …/supplier/<id>", ""),
        # AI Act applicability facts (normgraph applicability; a blank one answers "cannot tell yet: record …")
        Column("annex_i_product", False, "yes/no: the system is, or is a safety component of, an Annex I product that needs "
               "third-party conformity assessment (Art. 6(1))", "no"),
        Column("notified_body", False, "yes/no: a notified body takes part in the conformity assessment (Art. 43)", "no"),
        Column("art_6_3_derogation", False, "yes/no: the provider claims its Annex III system is not high-risk under "
               "Art. 6(3) (blank = no claim: an Annex III system is high-risk, Art. 6(2))", "no"),
        Column("profiling", False, "yes/no: the system profiles natural persons (then always high-risk in Annex III, "
               "no Art. 6(3) derogation)", "yes"),
        Column("open_source", False, "yes/no, for general-purpose AI models: released under a free and open-source "
               "licence with weights public (Art. 53(2), 54(6))", ""),
        Column("deployer_nature", False, "what the operator is for this use (; separated): public-body | "
               "public-service-provider | law-enforcement-authority | migration-authority | financial-institution | "
               "private-entity (blank = the organisation's own, stated in Turtle)", "financial-institution"),
        Column("decides_about_persons", False, "yes/no: makes or assists decisions related to natural persons "
               "(Art. 26(11))", "yes"),
        Column("real_world_testing", False, "yes/no: the provider tests the system in real-world conditions outside a "
               "sandbox (Arts 60, 61)", "no"),
        Column("workers_affected", False, "yes/no: used at the workplace so that the deployer's workers are subject to it "
               "(Art. 26(7))", "no"),
        Column("art_50_triggers", False, "(; separated) interacts-with-people | synthetic-content | emotion-recognition | "
               "biometric-categorisation | deep-fake | public-interest-text | none (Art. 50)", "none"),
        Column("placed_on_market", False, "date YYYY-MM-DD first placed on the market or put into service, not after "
               "today, or not-yet (Art. 111)", "2026-09-01"),
        Column("significantly_changed", False, "yes/no: for systems placed before 2026-08-02, a significant design "
               "change since that date (Art. 111(2))", ""),
        Column("established_outside_union", False, "yes/no: the provider is established outside the Union and must "
               "appoint an authorised representative (Arts 22(1), 54(1)); blank = the organisation's own, stated in Turtle",
               "no"),
        Column("for_public_authorities", False, "yes/no: the system is intended to be used by public authorities "
               "(Art. 111(2): comply by 2030-08-02)", "no"),
        Column("annex_x_component", False, "yes/no: a component of a large-scale IT system of Annex X (SIS, VIS, Eurodac, "
               "EES, ETIAS, ECRIS-TCN); placed before 2027-08-02 it complies by 2030-12-31 (Art. 111(1))", "no"),
        Column("becomes_provider", False, "(; separated) what a distributor, importer or deployer did that makes it the "
               "provider (Art. 25(1)): name-or-trademark | substantial-modification | changed-purpose | none", "none"),
        Column("substantial_modification", False, "yes/no: substantially modified (Art. 3(23)) since its conformity "
               "assessment, so a new one is due (Art. 43(4))", "no"),
        Column("art_50_exceptions", False, "(; separated) criminal-offences-authorised | public-crime-reporting | "
               "obvious-from-context | assistive-editing | editorial-control | artistic-work | none (Art. 50(1)-(4))",
               "none"),
        Column("two_person_check_disproportionate", False, "yes/no, for remote biometric identification (Annex III 1(a)) "
               "used by law-enforcement or migration authorities: Union or national law deems the two-person "
               "verification disproportionate (Art. 14(5))", ""),
        Column("rbi_mode", False, "(; separated) for remote biometric identification (Annex III 1(a)): "
               "real-time-public-spaces | real-time-non-public | post (Arts 5(1)(h), 5(2)-(7), 26(10))", ""),
    )),
}


@dataclass(frozen=True)
class Fact:
    """An AI Act deciding fact of the AI-system inventory: its column, the ng: property it becomes (ontology/
    organisations.ttl) and, for concept values, the ngv: scheme and the values allowed (no scheme: a yes/no cell).
    placed_on_market (a date or not-yet) is read on its own."""

    column: str
    prop: str  # local name in ng:
    scheme: str = ""
    values: tuple[str, ...] = ()


AI_ACT_FACTS: tuple[Fact, ...] = (
    Fact("annex_i_product", "annexIProduct"),
    Fact("notified_body", "notifiedBodyInvolved"),
    Fact("art_6_3_derogation", "claimsArt63Derogation"),
    Fact("profiling", "profilesNaturalPersons"),
    Fact("open_source", "openSourceRelease"),
    Fact("deployer_nature", "deployerNature", "deployer-nature", (
        "public-body", "public-service-provider", "law-enforcement-authority", "migration-authority",
        "financial-institution", "private-entity")),
    Fact("decides_about_persons", "decidesAboutPersons"),
    Fact("real_world_testing", "testsInRealWorldConditions"),
    Fact("workers_affected", "workersAffected"),
    Fact("art_50_triggers", "art50Trigger", "art-50-trigger", (
        "interacts-with-people", "synthetic-content", "emotion-recognition", "biometric-categorisation", "deep-fake",
        "public-interest-text", "none")),
    Fact("significantly_changed", "significantlyChanged"),
    Fact("established_outside_union", "establishedOutsideUnion"),
    Fact("for_public_authorities", "intendedForPublicAuthorities"),
    Fact("annex_x_component", "annexXComponent"),
    Fact("becomes_provider", "art25Trigger", "art-25-trigger", (
        "name-or-trademark", "substantial-modification", "changed-purpose", "none")),
    Fact("substantial_modification", "substantiallyModified"),
    Fact("art_50_exceptions", "art50Exception", "art-50-exception", (
        "criminal-offences-authorised", "public-crime-reporting", "obvious-from-context", "assistive-editing",
        "editorial-control", "artistic-work", "none")),
    Fact("two_person_check_disproportionate", "twoPersonVerificationDisproportionate"),
    Fact("rbi_mode", "biometricIdentificationMode", "rbi-mode", ("real-time-public-spaces", "real-time-non-public", "post")),
)


#: The deciding columns not in AI_ACT_FACTS and the ng: properties that fill them (local names).
OTHER_FACTS: dict[str, tuple[str, ...]] = {
    "placed_on_market": ("placedOnMarket", "notYetPlacedOnMarket"),
    "annex_iii_area": ("annexIIIArea",),
    "risk_category": ("riskCategory",),
}


def recorded_by() -> dict[str, str]:
    """ng: property (local name) → the AI-system column it fills: a subject, or its operator, that holds the property
    has that column recorded, so "cannot tell yet" need not ask for it again."""
    out = {f.prop: f.column for f in AI_ACT_FACTS}
    out.update({prop: column for column, props in OTHER_FACTS.items() for prop in props})
    return out


def template_csv(kind: str) -> str:
    """The blank template: the header and the fixed example row from this module, no organisation's data, so
    it is written plainly (data/templates/ holds it byte for byte); exports use normgraph.exports.csvsafe."""
    t = TEMPLATES[kind]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(t.names)
    w.writerow([c.example for c in t.columns])
    return buf.getvalue()


def write_template(kind: str, path: Path, fmt: str = "csv") -> None:
    """Write a template: header row and one example row (CSV), plus a `columns` sheet documenting them (XLSX)."""
    if kind not in TEMPLATES:
        raise KeyError(f"unknown template {kind!r}; known: {', '.join(TEMPLATES)}")
    t = TEMPLATES[kind]
    if fmt == "csv":
        path.write_text(template_csv(kind), encoding="utf-8")
        return
    if fmt != "xlsx":
        raise ValueError(f"unknown template format {fmt!r}; known: csv, xlsx")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = kind
    ws.append(t.names)
    ws.append([c.example for c in t.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    doc = wb.create_sheet("columns")
    doc.append(["column", "required", "meaning"])
    for c in t.columns:
        doc.append([c.name, "yes" if c.required else "no", c.doc])
    wb.save(path)

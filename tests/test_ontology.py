"""Tests of the OWL ontology modules in ontology/ (issue "knowledge base").

Every test reads the real Turtle files. The OWL RL tests run owlrl over the modules (and a small,
realistic fixture) and look for the two ways owlrl 7.x reports an inconsistency: an
``err:ErrorMessage`` node (namespace http://www.daml.org/2002/03/agents/agent-ont#) that
``Closure.py`` adds for every message in ``error_messages``, and members of ``owl:Nothing``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import owlrl
import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, VANN

from normgraph.iri import NG, NGV, PREFIXES, graph_for_path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
MODULES = ["core", "catalogs", "obligations", "mappings", "organisations", "vocabularies"]
ONT = "https://w3id.org/normgraph/ont"
CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")
DPV = Namespace(PREFIXES["dpv"])
AIRO = Namespace(PREFIXES["airo"])

TERM_TYPES = {
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
}
PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
ALIGNMENT_PREDICATES = {
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
}

#: External terms used as alignment targets, each checked against the published vocabulary
#: (W3C DPV 2.x CSVs, AIRO, SSSOM/semapv docs). A new alignment must be checked and added here.
CONFIRMED_EXTERNAL = {
    # W3C standards
    *(str(SKOS[t]) for t in ["Concept", "ConceptScheme", "note", "example", "mappingRelation",
                             "exactMatch", "broadMatch", "narrowMatch", "relatedMatch"]),
    str(DCTERMS.description), str(DCTERMS.source), str(DCTERMS.issued),
    str(DCAT.Dataset), str(PROV.Entity), str(PROV.wasDerivedFrom), str(RDFS.comment),
    str(OWL.annotatedSource), str(OWL.annotatedProperty), str(OWL.annotatedTarget), str(OWL.propertyChainAxiom),
    "http://www.w3.org/ns/org#Organization",
    "http://xmlns.com/foaf/0.1/Person", "http://xmlns.com/foaf/0.1/Agent",
    "https://schema.org/position",
    "http://data.europa.eu/eli/ontology#LegalResource",
    # W3C DPV core
    *(str(DPV[t]) for t in ["Obligation", "Risk", "RiskMitigationMeasure", "Organisation",
                            "ImpactAssessment", "DPIA", "FRIA", "Audit", "Standard", "Policy",
                            "GovernanceProcedures", "StaffTraining", "LegalAgreement",
                            "Certification", "RecordsOfActivities", "DataGovernance", "AINotice",
                            "AILiteracy", "hasLikelihood", "hasSeverity", "isMitigatedByMeasure"]),
    # DPV risk extension
    *(f"https://w3id.org/dpv/risk#{t}" for t in ["Incident", "ConfidentialityConcept",
                                                  "IntegrityConcept", "AvailabilityConcept",
                                                  "Bias"]),
    # DPV AI extension
    *(f"https://w3id.org/dpv/ai#{t}" for t in ["AISystem", "Model", "hasModel", "AISystemRisk",
                                                "AIBias", "AdversarialAttack", "LifecycleStage",
                                                "InceptionStage", "DesignStage",
                                                "DevelopmentStage", "VerificationStage",
                                                "ValidationStage", "DeploymentStage",
                                                "OperationStage", "ReevaluationStage",
                                                "RetirementStage"]),
    # DPV EU AI Act extension
    *(f"https://w3id.org/dpv/legal/eu/aiact#{t}" for t in [
        "AIProvider", "AIDeployer", "AIImporter", "AIDistributor", "AuthorisedRepresentative",
        "AIProductManufacturer", "AISystem", "GPAIModel", "SystemicRiskForEU",
        "RiskLevelProhibited", "RiskLevelHigh", "RiskLevelTransparencyRequired",
        "RiskLevelMinimal", "TechnicalDocumentation", "InstructionForUse", "TestReport",
        "FRIA", "ConformityAssessment", "EUDeclarationOfConformity", "CEMarking",
        "PostMarketMonitoringPlan", "SeriousIncident", "AILiteracy", "RiskManagementSystem"]),
    # AIRO
    *(str(AIRO[t]) for t in ["AISystem", "Risk", "AIProvider", "AIDeployer", "AIModel",
                             "AIComponent", "RiskControl", "Standard", "Document",
                             "AILifecyclePhase", "hasComponent", "hasPurpose",
                             "hasLifecyclePhase"]),
    # SSSOM
    *(f"https://w3id.org/sssom/{t}" for t in ["Mapping", "MappingSet", "mapping_justification",
                                              "confidence", "subject_source", "object_source"]),
}

#: Evidence kinds that come from an EU AI Act article, and that article (DESIGN.md §4 list).
EVIDENCE_FROM_ARTICLE = {
    "risk-management-record": "art-9",
    "data-governance-record": "art-10",
    "technical-documentation": "art-11",
    "event-log": "art-12",
    "instructions-for-use": "art-13",
    "human-oversight-measure": "art-14",
    "quality-management-system": "art-17",
    "fundamental-rights-impact-assessment": "art-27",
    "conformity-assessment": "art-43",
    "eu-declaration-of-conformity": "art-47",
    "ce-marking": "art-48",
    "registration-record": "art-49",
    "post-market-monitoring-plan": "art-72",
    "serious-incident-report": "art-73",
    "ai-literacy-record": "art-4",
    "transparency-notice": "art-50",
    "copyright-policy": "art-53",
    "training-content-summary": "art-53",
}


# ── helpers ──────────────────────────────────────────────────────────────────────────────────────


def module_path(module: str) -> Path:
    return ONTOLOGY / f"{module}.ttl"


def module_iri(module: str) -> URIRef:
    return URIRef(ONT if module == "core" else f"{ONT}/{module}")


@cache
def module_graph(module: str) -> Graph:
    g = Graph()
    g.parse(module_path(module), format="turtle")
    return g


@cache
def ontology() -> Graph:
    g = Graph()
    for module in MODULES:
        g += module_graph(module)
    return g


def closure(g: Graph) -> Graph:
    closed = Graph()
    closed += g
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closed)
    return closed


def inconsistencies(closed: Graph) -> list[str]:
    """What owlrl reported as inconsistent in a closed graph (empty when consistent)."""
    problems = [str(msg) for node in closed.subjects(RDF.type, ERR.ErrorMessage)
                for msg in closed.objects(node, ERR.error)]
    problems += [f"{s} is a member of owl:Nothing" for s in closed.subjects(RDF.type, OWL.Nothing)]
    return problems


def ng_iris(g: Graph) -> set[URIRef]:
    return {t for triple in g for t in triple if isinstance(t, URIRef) and t.startswith(str(NG))}


def vocab_iris(g: Graph) -> set[URIRef]:
    return {t for triple in g for t in triple if isinstance(t, URIRef) and t.startswith(str(NGV))}


def design_text() -> str:
    return (ROOT / "DESIGN.md").read_text(encoding="utf-8")


def contract_terms() -> set[str]:
    """Every ng: term name DESIGN.md mentions (the binding contract)."""
    return set(re.findall(r"`?ng:([A-Za-z][A-Za-z0-9]*)", design_text()))


def contract_vocabulary() -> dict[str, list[str]]:
    """The ngv: schemes of DESIGN.md §4 with their concept slugs."""
    found = re.findall(r"`ngv:([a-z0-9-]+)/\{([^}]*)\}`", design_text())
    return {scheme: [s.strip() for s in slugs.split(",")] for scheme, slugs in found}


FIXTURE = """
@prefix rdf:      <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd:      <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:     <http://www.w3.org/2004/02/skos/core#> .
@prefix dct:      <http://purl.org/dc/terms/> .
@prefix prov:     <http://www.w3.org/ns/prov#> .
@prefix semapv:   <https://w3id.org/semapv/vocab/> .
@prefix ng:       <https://w3id.org/normgraph/ont#> .
@prefix csf:      <https://w3id.org/normgraph/id/nist-csf-2.0/> .
@prefix sp80053:  <https://w3id.org/normgraph/id/nist-sp800-53r5/> .
@prefix sp800171: <https://w3id.org/normgraph/id/nist-sp800-171r2/> .
@prefix cmmc:     <https://w3id.org/normgraph/id/cmmc-2.0/> .
@prefix aiact:    <https://w3id.org/normgraph/id/eu-ai-act/> .
@prefix aiactob:  <https://w3id.org/normgraph/id/eu-ai-act-obligation/> .
@prefix ngv:      <https://w3id.org/normgraph/id/vocab/> .

# catalogs
<https://w3id.org/normgraph/id/nist-csf-2.0> a ng:Framework ; skos:prefLabel "NIST CSF 2.0"@en .
<https://w3id.org/normgraph/id/nist-sp800-53r5> a ng:Framework ; skos:prefLabel "SP 800-53"@en .
csf:PR-AA-05 a ng:CSFSubcategory ; skos:notation "PR.AA-05" ; ng:order 42 ;
    skos:inScheme <https://w3id.org/normgraph/id/nist-csf-2.0> .
sp80053:AC-3 a ng:Control ; skos:notation "AC-3" ; ng:withdrawn false ;
    skos:inScheme <https://w3id.org/normgraph/id/nist-sp800-53r5> .
sp80053:AC-6 a ng:Control ; skos:notation "AC-6" ;
    skos:inScheme <https://w3id.org/normgraph/id/nist-sp800-53r5> .
sp800171:3-1-1 a ng:SecurityRequirement ; skos:notation "3.1.1" .
cmmc:level-1 a ng:CMMCLevel ; skos:notation "Level 1" .
cmmc:AC-L1-3-1-1 a ng:CMMCPractice ; skos:notation "AC.L1-3.1.1" ;
    ng:cmmcLevel cmmc:level-1 ; ng:derivesFrom sp800171:3-1-1 ; ng:farReference "52.204-21(b)(1)(i)" .
aiact:art-11 a ng:Article ; skos:notation "Art. 11" .

# an obligation
aiactob:art-11-1-provider a ng:Obligation ;
    skos:notation "Art. 11(1) provider" ;
    ng:imposedBy aiact:art-11-1 ;
    ng:appliesToRole <https://w3id.org/normgraph/id/vocab/role/provider> ;
    ng:appliesToSystemCategory <https://w3id.org/normgraph/id/vocab/system-category/high-risk> ;
    ng:requiresEvidence <https://w3id.org/normgraph/id/vocab/evidence-kind/technical-documentation> ;
    ng:applicableFrom "2026-08-02"^^xsd:date .

# a mapping record and the plain triples derived from records
<https://w3id.org/normgraph/id/mapping-set/nist-csf-2.0_to_nist-sp800-53r5>
    a ng:MappingSet ; dct:title "CSF 2.0 to SP 800-53"@en ;
    ng:subjectScheme <https://w3id.org/normgraph/id/nist-csf-2.0> ;
    ng:objectScheme <https://w3id.org/normgraph/id/nist-sp800-53r5> .
<https://w3id.org/normgraph/id/mapping/nist-csf-2.0_to_nist-sp800-53r5/1>
    a ng:MappingRecord ;
    ng:mappingSubject csf:PR-AA-05 ; ng:mappingPredicate ng:subsetOf ; ng:mappingObject sp80053:AC-3 ;
    ng:inMappingSet <https://w3id.org/normgraph/id/mapping-set/nist-csf-2.0_to_nist-sp800-53r5> ;
    ng:justification semapv:ManualMappingCuration ; ng:confidence 0.7 ;
    ng:rationale "Access permissions are one part of access enforcement."@en ;
    ng:inferred false ; dct:date "2026-11-28"^^xsd:date .
csf:PR-AA-05 ng:subsetOf sp80053:AC-3 .
sp80053:AC-3 ng:subsetOf sp80053:AC-6 .
sp80053:AC-6 ng:equalTo cmmc:AC-L1-3-1-1 .
csf:PR-AA-05 ng:intersectsWith cmmc:AC-L1-3-1-1 .

# an organisation's data
<https://w3id.org/normgraph/id/org/acme/org/acme> a ng:Organisation ;
    ng:hasScope <https://w3id.org/normgraph/id/org/acme/scope/aims> .
<https://w3id.org/normgraph/id/org/acme/system/chatbot> a ng:AISystem ;
    ng:operatedBy <https://w3id.org/normgraph/id/org/acme/org/acme> ;
    ng:aiActRole <https://w3id.org/normgraph/id/vocab/role/deployer> ;
    ng:riskCategory <https://w3id.org/normgraph/id/vocab/system-category/art-50-system> ;
    ng:lifecycleStage <https://w3id.org/normgraph/id/vocab/lifecycle-stage/operation-monitoring> ;
    ng:intendedPurpose "Answer customer questions about orders."@en ;
    ng:usesModel <https://w3id.org/normgraph/id/org/acme/model/llm> ;
    ng:inScopeOf <https://w3id.org/normgraph/id/org/acme/scope/aims> .
<https://w3id.org/normgraph/id/org/acme/risk/r1> a ng:AIRisk ;
    ng:riskKind <https://w3id.org/normgraph/id/vocab/risk-kind/hallucination> ;
    ng:likelihood 3 ; ng:impact 4 ; ng:inherentScore 12 ; ng:residualScore 6 ;
    ng:treatedBy csf:PR-AA-05 ;
    ng:affects <https://w3id.org/normgraph/id/org/acme/system/chatbot> ;
    ng:owner <https://w3id.org/normgraph/id/org/acme/person/jdoe> .
<https://w3id.org/normgraph/id/org/acme/evidence/e1> a ng:Evidence ;
    ng:evidenceKind <https://w3id.org/normgraph/id/vocab/evidence-kind/transparency-notice> ;
    ng:issued "2026-01-15"^^xsd:date ; ng:validUntil "2027-01-15"^^xsd:date ;
    ng:location "https://dms.example.org/e1.pdf"^^xsd:anyURI ;
    ng:sha256 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" ;
    ng:supports aiactob:art-11-1-provider ;
    ng:concernsSystem <https://w3id.org/normgraph/id/org/acme/system/chatbot> .
<https://w3id.org/normgraph/id/org/acme/soa/A-5-15> a ng:SoAEntry ;
    ng:forControl sp80053:AC-3 ; ng:applicable true ;
    ng:inclusionReason <https://w3id.org/normgraph/id/vocab/inclusion-reason/risk> ;
    ng:implementationStatus <https://w3id.org/normgraph/id/vocab/implementation-status/implemented> .
<https://w3id.org/normgraph/id/org/acme/audit/2026> a ng:InternalAudit ;
    ng:auditDate "2026-10-01"^^xsd:date ;
    ng:hasFinding <https://w3id.org/normgraph/id/org/acme/finding/f1> .
<https://w3id.org/normgraph/id/org/acme/finding/f1> ng:findingAgainst sp80053:AC-6 ; ng:severity "minor" .
"""


@cache
def closed_with_fixture() -> Graph:
    g = Graph()
    g += ontology()
    g.parse(data=FIXTURE, format="turtle")
    return closure(g)


# ── parsing ──────────────────────────────────────────────────────────────────────────────────────


def test_every_module_file_exists_and_nothing_else():
    assert sorted(p.stem for p in ONTOLOGY.glob("*.ttl")) == sorted(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_module_parses_with_rdflib(module):
    g = Graph()
    g.parse(module_path(module), format="turtle")
    assert len(g) > 10


@pytest.mark.parametrize("module", MODULES)
def test_module_parses_with_oxigraph_to_the_same_triples(module):
    store = pyoxigraph.Store()
    store.load(module_path(module).read_bytes(), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(module_graph(module))
    ox_subjects = {q.subject.value for q in store if isinstance(q.subject, pyoxigraph.NamedNode)}
    rdflib_subjects = {str(s) for s in module_graph(module).subjects() if isinstance(s, URIRef)}
    assert ox_subjects == rdflib_subjects


# ── terms ────────────────────────────────────────────────────────────────────────────────────────


def test_every_ng_term_used_is_declared_labelled_and_defined():
    g = ontology()
    problems = []
    for term in sorted(ng_iris(g)):
        types = set(g.objects(term, RDF.type))
        if not types & TERM_TYPES:
            problems.append(f"{term}: not declared (types {sorted(map(str, types))})")
            continue
        if not any(o.language == "en" for o in g.objects(term, RDFS.label)):
            problems.append(f"{term}: no rdfs:label @en")
        if not any(o.language == "en" for o in g.objects(term, SKOS.definition)):
            problems.append(f"{term}: no skos:definition @en")
        defined_by = set(g.objects(term, RDFS.isDefinedBy))
        if len(defined_by) != 1:
            problems.append(f"{term}: rdfs:isDefinedBy {sorted(map(str, defined_by))}")
    assert not problems, "\n".join(problems)


def test_every_term_is_declared_in_the_module_it_says_defines_it():
    for module in MODULES:
        g = module_graph(module)
        for term in ng_iris(g):
            for owner in g.objects(term, RDFS.isDefinedBy):
                assert owner == module_iri(module), f"{term} declared in {module}.ttl, defined by {owner}"
                assert (owner, RDF.type, OWL.Ontology) in g


def test_every_contract_term_of_design_md_is_declared_with_the_right_kind():
    g = ontology()
    names = contract_terms()
    assert {"Requirement", "Obligation", "equalTo", "HighRiskAISystem", "severity"} <= names
    for name in sorted(names):
        term = NG[name]
        types = set(g.objects(term, RDF.type))
        if name[0].isupper():
            assert OWL.Class in types, f"ng:{name} is not an owl:Class"
        else:
            assert types & PROPERTY_TYPES, f"ng:{name} is not declared as a property"


def test_no_class_is_also_used_as_an_individual():
    g = ontology()
    classes = set(g.subjects(RDF.type, OWL.Class))
    properties = {s for t in PROPERTY_TYPES for s in g.subjects(RDF.type, t)}
    assert not classes & properties
    for c in classes:
        extra = set(g.objects(c, RDF.type)) - {OWL.Class, RDFS.Class}
        assert not extra, f"{c} is a class and also typed {extra}"
    # vocabulary concepts and schemes are individuals, never classes
    for term in vocab_iris(g):
        assert OWL.Class not in set(g.objects(term, RDF.type)), term
        assert (term, RDFS.subClassOf, None) not in g, term


def test_high_risk_ai_system_is_a_class_under_ai_system():
    g = ontology()
    assert (NG.HighRiskAISystem, RDF.type, OWL.Class) in g
    assert (NG.HighRiskAISystem, RDFS.subClassOf, NG.AISystem) in g
    assert (NG.AISystem, RDFS.subClassOf, AIRO.AISystem) in g


def test_provision_is_the_superclass_of_legal_text_units():
    g = ontology()
    for name in ["Article", "Paragraph", "Point", "Annex"]:
        assert (NG[name], RDFS.subClassOf, NG.Provision) in g, name
    assert (NG.Provision, RDFS.subClassOf, NG.Requirement) in g
    assert (NG.Requirement, RDFS.subClassOf, SKOS.Concept) in g
    assert (NG.Catalog, RDFS.subClassOf, SKOS.ConceptScheme) in g
    assert set(g.objects(NG.Obligation, RDFS.subClassOf)) == {DPV.Obligation, NG.Requirement}


def test_mapping_relations_have_the_contract_characteristics():
    g = ontology()
    for rel in ["equalTo", "subsetOf", "supersetOf", "intersectsWith", "relatedTo"]:
        assert (NG[rel], RDFS.subPropertyOf, SKOS.mappingRelation) in g, rel
    assert (NG.equalTo, RDF.type, OWL.SymmetricProperty) in g
    assert (NG.equalTo, RDF.type, OWL.TransitiveProperty) in g
    assert (NG.subsetOf, RDF.type, OWL.TransitiveProperty) in g
    assert (NG.subsetOf, OWL.inverseOf, NG.supersetOf) in g
    assert (NG.intersectsWith, RDF.type, OWL.SymmetricProperty) in g
    assert (NG.relatedTo, RDF.type, OWL.SymmetricProperty) in g
    for rel in ["intersectsWith", "relatedTo"]:
        assert (NG[rel], RDF.type, OWL.TransitiveProperty) not in g, f"{rel} must not compose"


def test_typed_literal_ranges_match_the_contract():
    g = ontology()
    expected = {
        "order": "integer", "withdrawn": "boolean", "applicableFrom": "date",
        "confidence": "decimal", "inferred": "boolean", "applicable": "boolean",
        "likelihood": "integer", "impact": "integer", "issued": "date", "validUntil": "date",
        "location": "anyURI", "occurredOn": "date", "reportedOn": "date", "auditDate": "date",
    }
    for name, datatype in expected.items():
        assert (NG[name], RDF.type, OWL.DatatypeProperty) in g, name
        assert set(g.objects(NG[name], RDFS.range)) == {URIRef(PREFIXES["xsd"] + datatype)}, name


def test_alignments_only_use_confirmed_external_terms():
    g = ontology()
    unconfirmed = set()
    for s, p, o in g:
        if p in ALIGNMENT_PREDICATES and isinstance(o, URIRef):
            if o.startswith(str(NG)) or o.startswith(str(NGV)):
                continue
            if str(o) not in CONFIRMED_EXTERNAL:
                unconfirmed.add(f"{s} {p} {o}")
    assert not unconfirmed, "\n".join(sorted(unconfirmed))


def test_deprecated_terms_are_kept_and_point_to_a_replacement():
    g = ontology()
    for term in g.subjects(OWL.deprecated, Literal(True)):
        replacements = list(g.objects(term, DCTERMS.isReplacedBy))
        assert replacements, f"{term} is deprecated without dct:isReplacedBy"
        for r in replacements:
            assert set(g.objects(r, RDF.type)) & TERM_TYPES, f"{term} is replaced by undeclared {r}"
        assert any(True for _ in g.objects(term, RDFS.label)), f"{term} lost its label"


# ── vocabularies ─────────────────────────────────────────────────────────────────────────────────


def test_every_vocab_iri_used_is_declared_with_label_and_scheme():
    g = ontology()
    problems = []
    for iri in sorted(vocab_iris(g)):
        local = iri[len(str(NGV)):]
        types = set(g.objects(iri, RDF.type))
        labels = [o for o in g.objects(iri, SKOS.prefLabel) if o.language == "en"]
        if not labels:
            problems.append(f"{iri}: no skos:prefLabel @en")
        if "/" not in local:
            if SKOS.ConceptScheme not in types or not list(g.objects(iri, DCTERMS.title)):
                problems.append(f"{iri}: scheme without skos:ConceptScheme type or dct:title")
            continue
        scheme = URIRef(str(NGV) + local.split("/")[0])
        if SKOS.Concept not in types:
            problems.append(f"{iri}: not a skos:Concept")
        if set(g.objects(iri, SKOS.inScheme)) != {scheme}:
            problems.append(f"{iri}: skos:inScheme is not {scheme}")
        if (scheme, RDF.type, SKOS.ConceptScheme) not in g:
            problems.append(f"{iri}: scheme {scheme} not declared")
        if [str(n) for n in g.objects(iri, SKOS.notation)] != [local.split("/", 1)[1]]:
            problems.append(f"{iri}: skos:notation is not its slug")
        if not any(o.language == "en" for o in g.objects(iri, SKOS.definition)):
            problems.append(f"{iri}: no skos:definition @en")
    assert not problems, "\n".join(problems)


def test_every_contract_vocabulary_concept_exists():
    g = module_graph("vocabularies")
    schemes = contract_vocabulary()
    assert set(schemes) == {"role", "system-category", "evidence-kind", "risk-kind",
                            "lifecycle-stage", "implementation-status", "inclusion-reason",
                            "deployer-nature", "art-50-trigger", "applicability-condition", "art-25-trigger",
                            "art-50-exception", "rbi-mode"}
    for scheme, slugs in schemes.items():
        for slug in slugs:
            concept = URIRef(f"{NGV}{scheme}/{slug}")
            assert (concept, SKOS.inScheme, URIRef(f"{NGV}{scheme}")) in g, concept


def test_evidence_kinds_point_to_the_article_they_come_from():
    g = module_graph("vocabularies")
    aiact = PREFIXES["aiact"]
    for slug, article in EVIDENCE_FROM_ARTICLE.items():
        concept = URIRef(f"{NGV}evidence-kind/{slug}")
        assert (concept, RDFS.seeAlso, URIRef(aiact + article)) in g, slug
    technical = URIRef(f"{NGV}evidence-kind/technical-documentation")
    assert (technical, SKOS.exactMatch,
            URIRef("https://w3id.org/dpv/legal/eu/aiact#TechnicalDocumentation")) in g


def test_risk_kinds_have_a_security_or_ai_grouping_concept():
    g = module_graph("vocabularies")
    scheme = URIRef(f"{NGV}risk-kind")
    groups = {URIRef(f"{NGV}risk-kind/security-risk"), URIRef(f"{NGV}risk-kind/ai-risk")}
    for group in groups:
        assert (group, SKOS.topConceptOf, scheme) in g
    for slug in contract_vocabulary()["risk-kind"]:
        broader = set(g.objects(URIRef(f"{NGV}risk-kind/{slug}"), SKOS.broader))
        assert broader and broader <= groups, slug
    assert (URIRef(f"{NGV}risk-kind/confidentiality"), SKOS.broader,
            URIRef(f"{NGV}risk-kind/security-risk")) in g
    assert (URIRef(f"{NGV}risk-kind/drift"), SKOS.broader, URIRef(f"{NGV}risk-kind/ai-risk")) in g


def test_roles_align_to_dpv_eu_ai_act_roles():
    g = module_graph("vocabularies")
    eu = Namespace(PREFIXES["eu-aiact"])
    assert (URIRef(f"{NGV}role/provider"), SKOS.exactMatch, eu.AIProvider) in g
    assert (URIRef(f"{NGV}role/deployer"), SKOS.exactMatch, eu.AIDeployer) in g
    assert (URIRef(f"{NGV}role/deployer"), SKOS.closeMatch, AIRO.AIDeployer) in g


# ── module headers and graph descriptions ────────────────────────────────────────────────────────


@pytest.mark.parametrize("module", MODULES)
def test_module_header_has_the_required_fields(module):
    g = module_graph(module)
    ont = module_iri(module)
    assert list(g.subjects(RDF.type, OWL.Ontology)) == [ont]
    assert (ont, OWL.versionIRI, URIRef(f"{ont}/0.1.0")) in g
    assert (ont, OWL.versionInfo, Literal("0.1.0")) in g
    assert any(o.language == "en" for o in g.objects(ont, DCTERMS.title))
    assert any(o.language == "en" for o in g.objects(ont, DCTERMS.description))
    assert (ont, DCTERMS.license, CC_BY) in g
    assert list(g.objects(ont, DCTERMS.creator))
    assert (ont, DCTERMS.created, Literal("2026-11-28", datatype=URIRef(PREFIXES["xsd"] + "date"))) in g
    assert (ont, VANN.preferredNamespacePrefix, Literal("ng")) in g
    assert (ont, VANN.preferredNamespaceUri, Literal(str(NG))) in g
    known = {module_iri(m) for m in MODULES}
    for imported in g.objects(ont, OWL.imports):
        assert imported in known - {ont, module_iri("core")}, f"{module} imports {imported}"


def test_core_imports_every_module():
    g = module_graph("core")
    imports = set(g.objects(module_iri("core"), OWL.imports))
    assert imports == {module_iri(m) for m in MODULES if m != "core"}


def test_modules_import_what_they_use():
    """A module that uses a term of another module imports it (so it is readable on its own)."""
    for module in MODULES:
        g = module_graph(module)
        own = {t for t in ng_iris(g) if (t, RDFS.isDefinedBy, module_iri(module)) in g}
        imports = set(g.objects(module_iri(module), OWL.imports))
        for _s, p, o in g:
            if p in {RDFS.domain, RDFS.range, RDFS.subClassOf, RDFS.subPropertyOf} and o in ng_iris(g) - own:
                owner = next(ontology().objects(o, RDFS.isDefinedBy))
                assert owner in imports, f"{module} uses {o} from {owner} without importing it"


@pytest.mark.parametrize("module", MODULES)
def test_module_describes_its_named_graph(module):
    g = module_graph(module)
    graph = graph_for_path(module_path(module), ROOT)
    assert str(graph) == f"https://w3id.org/normgraph/graph/ontology/{module}"
    assert (graph, RDF.type, DCAT.Dataset) in g
    assert any(o.language == "en" for o in g.objects(graph, DCTERMS.title))
    assert (graph, DCTERMS.source, module_iri(module)) in g
    assert (graph, DCTERMS.license, CC_BY) in g
    assert (graph, OWL.versionInfo, Literal("0.1.0")) in g
    assert (graph, PROV.wasDerivedFrom, URIRef(ONT)) in g
    for date in g.objects(graph, DCTERMS.created):
        assert date.datatype == URIRef(PREFIXES["xsd"] + "date")


# ── OWL RL ───────────────────────────────────────────────────────────────────────────────────────


def test_inconsistency_detector_sees_owlrl_errors():
    """The helper must notice what owlrl reports, or the consistency tests below prove nothing."""
    ex = Namespace("https://example.org/")
    g = Graph()
    g.add((ex.A, RDF.type, OWL.Class))
    g.add((ex.B, RDF.type, OWL.Class))
    g.add((ex.A, OWL.disjointWith, ex.B))
    g.add((ex.i, RDF.type, ex.A))
    g.add((ex.i, RDF.type, ex.B))
    assert inconsistencies(closure(g))
    g2 = Graph()
    g2.add((ex.i, RDF.type, OWL.Nothing))
    assert inconsistencies(closure(g2))


def test_owl_rl_closure_of_all_modules_is_consistent():
    assert inconsistencies(closure(ontology())) == []


def test_owl_rl_closure_with_realistic_data_is_consistent():
    assert inconsistencies(closed_with_fixture()) == []


def test_owl_rl_closure_derives_mapping_inverses_symmetry_and_chains():
    c = closed_with_fixture()
    csf = Namespace(PREFIXES["csf"])
    sp = Namespace(PREFIXES["sp80053"])
    cmmc = Namespace(PREFIXES["cmmc"])
    assert (sp["AC-3"], NG.supersetOf, csf["PR-AA-05"]) in c  # inverse
    assert (csf["PR-AA-05"], NG.subsetOf, sp["AC-6"]) in c  # transitive
    assert (sp["AC-6"], NG.supersetOf, csf["PR-AA-05"]) in c
    assert (cmmc["AC-L1-3-1-1"], NG.equalTo, sp["AC-6"]) in c  # symmetric
    assert (cmmc["AC-L1-3-1-1"], NG.intersectsWith, csf["PR-AA-05"]) in c
    assert (csf["PR-AA-05"], SKOS.mappingRelation, sp["AC-3"]) in c
    # intersectsWith does not chain with subsetOf
    assert (csf["PR-AA-05"], NG.subsetOf, cmmc["AC-L1-3-1-1"]) not in c


def test_owl_rl_closure_types_data_through_the_alignments():
    c = closed_with_fixture()
    aiactob = Namespace(PREFIXES["aiactob"])
    aiact = Namespace(PREFIXES["aiact"])
    org = Namespace(PREFIXES["ngorg"])
    obligation = aiactob["art-11-1-provider"]
    assert (obligation, RDF.type, DPV.Obligation) in c
    assert (obligation, RDF.type, SKOS.Concept) in c
    assert (aiact["art-11-1"], RDF.type, NG.Provision) in c
    assert (org["acme/system/chatbot"], RDF.type, AIRO.AISystem) in c
    assert (org["acme/risk/r1"], RDF.type, AIRO.Risk) in c
    assert (org["acme/person/jdoe"], RDF.type, URIRef("http://xmlns.com/foaf/0.1/Person")) in c
    assert (URIRef(f"{PREFIXES['ngv']}role/provider"), RDF.type, SKOS.Concept) in c


def test_owl_rl_closure_keeps_ranges_loose():
    """Pointing a risk at a CSF subcategory must not make that subcategory an ng:Control."""
    c = closed_with_fixture()
    csf = Namespace(PREFIXES["csf"])
    assert (csf["PR-AA-05"], RDF.type, NG.Requirement) in c
    assert (csf["PR-AA-05"], RDF.type, NG.Control) not in c
    assert (csf["PR-AA-05"], RDF.type, NG.Obligation) not in c
    # vocabulary concepts stay concepts: no class of ours is inferred for them
    role = URIRef(f"{PREFIXES['ngv']}role/deployer")
    assert {t for t in c.objects(role, RDF.type) if str(t).startswith(str(NG))} == set()
    assert not [s for s in c.subjects(RDF.type, NG.HighRiskAISystem) if not isinstance(s, BNode)]


# ── README ───────────────────────────────────────────────────────────────────────────────────────


def test_readme_documents_modules_vocabularies_alignments_and_deprecation():
    readme = (ONTOLOGY / "README.md").read_text(encoding="utf-8")
    for module in MODULES:
        assert f"{module}.ttl" in readme, module
    for scheme in contract_vocabulary():
        assert f"vocab/{scheme}" in readme, scheme
    assert "owl:deprecated" in readme and "dct:isReplacedBy" in readme
    g = ontology()
    missing = []
    for s, p, o in g:
        if p in ALIGNMENT_PREDICATES and s.startswith(str(NG)) and not str(o).startswith(str(NG)):
            row = re.compile(rf"`ng:{re.escape(s[len(str(NG)):])}`[^\n]*\|[^\n]*`{re.escape(str(o))}`")
            if not row.search(readme):
                missing.append(f"ng:{s[len(str(NG)):]} {p} {o}")
    assert not missing, "README alignment table lacks:\n" + "\n".join(sorted(missing))

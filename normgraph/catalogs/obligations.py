"""EU AI Act obligations: the curated table data/eu-ai-act-obligations.tsv → RDF (DESIGN.md §4).

One row is one obligation: a duty imposed by one provision of Regulation (EU) 2024/1689 on one role
(provider, deployer, …) for one kind of system, with the evidence that shows it is met and the date
it applies from (Art. 113). The table is ours (CC BY 4.0); the provisions it points at are in the
AI Act catalog (graph ``ngg:eu-ai-act``).

TSV columns (tab separated, header row, rows sorted by article, paragraph, point, role):

``obligation_id``            local name, ``<provision>-<role>`` (``art-26-6-deployer``)
``provision``                local name of the imposing AI Act item (``art-4``, ``art-9-1``, ``art-53-1-a``)
``role``                     slug of ``ngv:role/…``
``system_category``          slug of ``ngv:system-category/…``
``evidence``                 space-separated slugs of ``ngv:evidence-kind/…`` (at least one)
``applicable_from``          ISO date from which the obligation applies (Art. 113)
``applicable_from_annex_i``  later date for high-risk systems under Art. 6(1) (Annex I products),
                             empty when the obligation has no such deferral or only concerns Annex III
``conditions``               space-separated slugs of ``ngv:applicability-condition/…`` that must all hold
                             beyond role and category (Annex III point, deployer nature, Art. 50 triggers,
                             Art. 111 transition …), empty when none; decided by queries/applicability-*.rq
``eased_by``                 space-separated condition slugs under which the duty is met through other Union
                             law (the financial-institution subparagraphs), empty when none
``title``                    short label
``summary``                  our own one-sentence paraphrase

The input is checked strictly: an unknown slug, a malformed date or local name, an id that is not
provision + role, a duplicate or an out-of-order row raises :class:`SourceError` naming the file and
line.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from normgraph.catalogs.common import LICENSES, SourceError, describe_catalog, describe_graph, new_graph
from normgraph.catalogs.registry import Catalog
from normgraph.iri import LOCAL_NAME, NG, NGG, NGID, NGV
from normgraph.knowledge import ROOT

TSV_PATH = ROOT / "data" / "eu-ai-act-obligations.tsv"
OUTPUT = "data/eu-ai-act-obligations.ttl"

GRAPH = URIRef(f"{NGG}eu-ai-act-obligations")
#: The catalog as the registry lists it (stated on the scheme in the data).
ENTRY = Catalog.of("eu-ai-act-obligation", "aiactob", "EU AI Act obligations", "AI Act obligations", 4)
CATALOGS = (ENTRY,)
SCHEME = URIRef(ENTRY.scheme)
TITLE = "Obligations under the EU AI Act (Regulation (EU) 2024/1689)"
OBLIGATION_NS = f"{NGID}eu-ai-act-obligation/"
AIACT_NS = f"{NGID}eu-ai-act/"
AIACT_GRAPH = URIRef(f"{NGG}eu-ai-act")
CONDITION_NS = f"{NGV}applicability-condition/"
ELI = URIRef("http://data.europa.eu/eli/reg/2024/1689/oj")
VERSION = "2026-11-28"

COLUMNS = [
    "obligation_id",
    "provision",
    "role",
    "system_category",
    "evidence",
    "applicable_from",
    "applicable_from_annex_i",
    "conditions",
    "eased_by",
    "title",
    "summary",
]

#: The ngv: vocabularies of DESIGN.md §4 that obligations point at.
ROLES = frozenset(
    [
        "provider",
        "deployer",
        "importer",
        "distributor",
        "authorised-representative",
        "gpai-model-provider",
        "product-manufacturer",
    ]
)
SYSTEM_CATEGORIES = frozenset(
    [
        "any-ai-system",
        "prohibited-practice",
        "high-risk",
        "gpai-model",
        "gpai-model-systemic-risk",
        "art-50-system",
        "minimal-risk",
    ]
)
EVIDENCE_KINDS = frozenset(
    [
        "risk-management-record",
        "data-governance-record",
        "technical-documentation",
        "event-log",
        "instructions-for-use",
        "human-oversight-measure",
        "test-report",
        "quality-management-system",
        "fundamental-rights-impact-assessment",
        "data-protection-impact-assessment",
        "ai-system-impact-assessment",
        "conformity-assessment",
        "eu-declaration-of-conformity",
        "ce-marking",
        "registration-record",
        "post-market-monitoring-plan",
        "serious-incident-report",
        "ai-literacy-record",
        "transparency-notice",
        "copyright-policy",
        "training-content-summary",
        "policy",
        "procedure",
        "training-record",
        "audit-report",
        "management-review-record",
        "contract",
        "certificate",
        "log",
        "other",
    ]
)

#: Dates of application in Art. 113 (the only ones an obligation can have).
ART_113_DATES = frozenset({"2025-02-02", "2025-08-02", "2026-08-02", "2027-08-02"})

_PROVISION = re.compile(r"^art-(\d+)(?:-(\d+))?(?:-([a-z]+))?$")


@dataclass(frozen=True)
class ObligationRow:
    line: int
    obligation_id: str
    provision: str
    role: str
    system_category: str
    evidence: tuple[str, ...]
    applicable_from: dt.date
    applicable_from_annex_i: dt.date | None
    conditions: tuple[str, ...]
    eased_by: tuple[str, ...]
    title: str
    summary: str

    @property
    def notation(self) -> str:
        return f"{provision_notation(self.provision)} {self.role}"


def provision_notation(local: str) -> str:
    """``art-9-2-a`` → ``Art. 9(2)(a)``; ``art-16-b`` → ``Art. 16(b)`` (DESIGN.md §2)."""
    m = _PROVISION.match(local)
    if not m:
        raise ValueError(f"{local!r} is not an article, paragraph or point local name")
    article, paragraph, point = m.groups()
    return f"Art. {article}" + (f"({paragraph})" if paragraph else "") + (f"({point})" if point else "")


def _sort_key(provision: str, role: str) -> tuple[int, int, str, str]:
    m = _PROVISION.match(provision)
    assert m is not None
    article, paragraph, point = m.groups()
    return int(article), int(paragraph or 0), point or "", role


def _date(path: Path, line: int, column: str, value: str) -> dt.date:
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise SourceError(path, f"line {line}", f"{column} {value!r} is not an ISO date (YYYY-MM-DD)") from None
    if value not in ART_113_DATES:
        raise SourceError(
            path,
            f"line {line}",
            f"{column} {value} is not a date of application in Art. 113 ({', '.join(sorted(ART_113_DATES))})",
        )
    return date


def read_obligations(path: Path = TSV_PATH) -> list[ObligationRow]:
    """Read and check the obligations table; every problem names the file and line."""
    try:
        f = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise SourceError(path, "file", "not found") from None
    rows: list[ObligationRow] = []
    seen: dict[str, int] = {}
    with f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header != COLUMNS:
            raise SourceError(path, "line 1", f"header must be {'<TAB>'.join(COLUMNS)}, found {header!r}")
        for cells in reader:
            line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(COLUMNS):
                raise SourceError(path, f"line {line}", f"expected {len(COLUMNS)} tab-separated cells, found {len(cells)}")
            rec = dict(zip(COLUMNS, (c.strip() for c in cells), strict=True))
            rows.append(_check_row(path, line, rec, seen))
    if not rows:
        raise SourceError(path, "file", "no obligations")
    for before, after in itertools.pairwise(rows):
        if _sort_key(after.provision, after.role) < _sort_key(before.provision, before.role):
            raise SourceError(
                path,
                f"line {after.line}",
                f"{after.obligation_id} is out of order (rows are sorted by article, paragraph, point, role)",
            )
    return rows


def _check_row(path: Path, line: int, rec: dict[str, str], seen: dict[str, int]) -> ObligationRow:
    where = f"line {line}"
    oid, provision, role = rec["obligation_id"], rec["provision"], rec["role"]
    if not LOCAL_NAME.match(oid):
        raise SourceError(path, where, f"obligation_id {oid!r} is not a valid local name (DESIGN.md §2)")
    if oid in seen:
        raise SourceError(path, where, f"duplicate obligation_id {oid!r} (first on line {seen[oid]})")
    seen[oid] = line
    if not _PROVISION.match(provision):
        raise SourceError(path, where, f"provision {provision!r} is not an AI Act article/paragraph/point local name like art-9-1")
    if role not in ROLES:
        raise SourceError(path, where, f"unknown role {role!r}; known: {', '.join(sorted(ROLES))}")
    if oid != f"{provision}-{role}":
        raise SourceError(path, where, f"obligation_id {oid!r} must be provision + role, i.e. {provision}-{role}")
    category = rec["system_category"]
    if category not in SYSTEM_CATEGORIES:
        raise SourceError(path, where, f"unknown system_category {category!r}; known: {', '.join(sorted(SYSTEM_CATEGORIES))}")
    evidence = tuple(rec["evidence"].split())
    if not evidence:
        raise SourceError(path, where, "evidence is empty (at least one evidence kind)")
    for kind in evidence:
        if kind not in EVIDENCE_KINDS:
            raise SourceError(path, where, f"unknown evidence kind {kind!r}")
    if len(set(evidence)) != len(evidence):
        raise SourceError(path, where, "evidence lists a kind twice")
    start = _date(path, line, "applicable_from", rec["applicable_from"])
    later = None
    if rec["applicable_from_annex_i"]:
        later = _date(path, line, "applicable_from_annex_i", rec["applicable_from_annex_i"])
        if later <= start:
            raise SourceError(path, where, "applicable_from_annex_i must be later than applicable_from")
    for column in ("title", "summary"):
        if not rec[column]:
            raise SourceError(path, where, f"{column} is empty")
    conditions = _conditions(path, where, "conditions", rec["conditions"])
    eased_by = _conditions(path, where, "eased_by", rec["eased_by"])
    return ObligationRow(
        line=line,
        obligation_id=oid,
        provision=provision,
        role=role,
        system_category=category,
        evidence=evidence,
        applicable_from=start,
        applicable_from_annex_i=later,
        conditions=conditions,
        eased_by=eased_by,
        title=rec["title"],
        summary=rec["summary"],
    )


@lru_cache(maxsize=1)
def condition_slugs() -> frozenset[str]:
    """The applicability conditions declared in ontology/vocabularies.ttl (the one list of them)."""
    g = Graph().parse(ROOT / "ontology" / "vocabularies.ttl", format="turtle")
    return frozenset(str(c).removeprefix(CONDITION_NS) for c in g.subjects(SKOS.inScheme, URIRef(CONDITION_NS.rstrip("/"))))


def _conditions(path: Path, where: str, column: str, value: str) -> tuple[str, ...]:
    slugs = tuple(value.split())
    known = condition_slugs()
    for slug in slugs:
        if slug not in known:
            raise SourceError(path, where, f"unknown {column} condition {slug!r}; known: {', '.join(sorted(known))}")
    if len(set(slugs)) != len(slugs):
        raise SourceError(path, where, f"{column} lists a condition twice")
    return slugs


def obligation_iri(local: str) -> URIRef:
    return URIRef(OBLIGATION_NS + local)


def build_graph(path: Path = TSV_PATH) -> Graph:
    """The obligations graph from the TSV at ``path``."""
    rows = read_obligations(path)
    g = new_graph()
    describe_graph(
        g,
        GRAPH,
        title=TITLE,
        source=ELI,
        license=LICENSES["cc-by-4.0"],
        version=VERSION,
        derived_from=[AIACT_GRAPH],
        description=(
            "One obligation per provision and role of the AI Act, with system category, evidence kinds and "
            "date of application (Art. 113). Curated by the normgraph maintainers from the Official Journal "
            "text; titles and summaries are our own paraphrases, not legal text."
        ),
        attribution="Curation: normgraph maintainers, CC BY 4.0. Regulation text: © European Union, EUR-Lex.",
    )
    g.add((GRAPH, DCTERMS.created, Literal(VERSION, datatype=XSD.date)))
    g.add((GRAPH, DCTERMS.modified, Literal(VERSION, datatype=XSD.date)))

    describe_catalog(g, ENTRY)
    g.add((SCHEME, DCTERMS.title, Literal(TITLE, lang="en")))
    g.add((SCHEME, DCTERMS.source, ELI))
    g.add((SCHEME, DCTERMS.license, LICENSES["cc-by-4.0"]))

    for order, row in enumerate(rows, start=1):
        s = obligation_iri(row.obligation_id)
        g.add((s, RDF.type, NG.Obligation))
        g.add((s, RDF.type, SKOS.Concept))
        g.add((s, SKOS.inScheme, SCHEME))
        g.add((s, SKOS.prefLabel, Literal(row.title, lang="en")))
        g.add((s, SKOS.notation, Literal(row.notation)))
        g.add((s, NG.summary, Literal(row.summary, lang="en")))
        g.add((s, NG.order, Literal(order, datatype=XSD.integer)))
        g.add((s, NG.imposedBy, URIRef(AIACT_NS + row.provision)))
        g.add((s, NG.appliesToRole, URIRef(f"{NGV}role/{row.role}")))
        g.add((s, NG.appliesToSystemCategory, URIRef(f"{NGV}system-category/{row.system_category}")))
        for kind in row.evidence:
            g.add((s, NG.requiresEvidence, URIRef(f"{NGV}evidence-kind/{kind}")))
        g.add((s, NG.applicableFrom, Literal(row.applicable_from.isoformat(), datatype=XSD.date)))
        for slug in row.conditions:
            g.add((s, NG.requiresCondition, URIRef(CONDITION_NS + slug)))
        for slug in row.eased_by:
            g.add((s, NG.easedBy, URIRef(CONDITION_NS + slug)))
        if row.applicable_from_annex_i:
            g.add((s, NG.applicableFromAnnexI, Literal(row.applicable_from_annex_i.isoformat(), datatype=XSD.date)))
            g.add(
                (
                    s,
                    SKOS.scopeNote,
                    Literal(
                        f"For high-risk AI systems covered by Art. 6(1) (Annex I products) this obligation applies "
                        f"from {row.applicable_from_annex_i.isoformat()} (Art. 113(c)).",
                        lang="en",
                    ),
                )
            )
    return g


def build(sources: Path) -> dict[str, Graph]:
    """Converter entry point. ``sources`` is unused: the curated table lives in the repository."""
    del sources
    return {OUTPUT: build_graph(TSV_PATH)}

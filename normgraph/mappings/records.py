"""The mapping record model shared by official and curated sets (DESIGN.md §4, §10).

One code path turns records into RDF (``set_graph``) and RDF back into records
(``records_from_graph``), so official crosswalks, curated SSSOM tables and composed records all
look the same in the store, in exports and in ``normgraph explain``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, SKOS, XSD
from rdflib.term import Identifier

from normgraph.catalogs import registry
from normgraph.catalogs.common import describe_graph, new_graph
from normgraph.iri import NG, NGG, NGID, NGMAP, SSSOM

#: The IRIs of the relations the converters write (their facts: normgraph.mappings.relations).
EQUAL, SUBSET, SUPERSET, INTERSECTS, RELATED = (NG[n] for n in ("equalTo", "subsetOf", "supersetOf", "intersectsWith", "relatedTo"))

NO_TERM_FOUND = SSSOM.NoTermFound
MAPPING_SET = URIRef(f"{NGID}mapping-set/")


class Issue(NamedTuple):
    """One line of an ingest report: a row that was empty, malformed, suspect or excluded."""

    file: str
    line: int
    what: str
    why: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}: {self.why}"


@dataclass(frozen=True)
class MappingRecord:
    """An SSSOM-style mapping record: 'subject predicate object', who says so, why and how sure."""

    subject: URIRef
    predicate: URIRef
    object: URIRef
    set_slug: str
    justification: URIRef | None
    creator: str
    source: URIRef | None = None
    confidence: Decimal | None = None
    rationale: str | None = None
    date: dt.date | None = None
    inferred: bool = False
    derived_from: tuple[URIRef, ...] = ()
    chain_length: int | None = None
    notes: tuple[str, ...] = ()
    subject_label: str | None = None
    object_label: str | None = None
    local: str | None = None  # overrides the local name built from subject and object
    stated_iri: URIRef | None = None  # the IRI a record read from a store has, when not …/<set>/<local>

    @property
    def iri(self) -> URIRef:
        if self.stated_iri is not None:
            return self.stated_iri
        return record_iri(self.set_slug, self.local or pair_local(self.subject, self.object))


@dataclass
class MappingSetInfo:
    """Metadata of one mapping set (and of the named graph it is written to)."""

    slug: str
    title: str
    subject_scheme: URIRef | None
    object_scheme: URIRef | None
    source: URIRef
    license: URIRef
    version: str
    derived_from: list[URIRef] = field(default_factory=list)
    description: str | None = None
    modified: dt.date | None = None
    attribution: str | None = None
    creator: str | None = None  # who wrote the crosswalk, as the document states it
    publisher: str | None = None  # who publishes (hosts) it, when that is someone else

    @property
    def iri(self) -> URIRef:
        return set_iri(self.slug)

    @property
    def graph(self) -> URIRef:
        return URIRef(f"{NGG}mappings/{self.slug}")


def set_iri(slug: str) -> URIRef:
    """…/id/mapping-set/<slug>."""
    return URIRef(f"{MAPPING_SET}{slug}")


def record_iri(slug: str, local: str) -> URIRef:
    """…/id/mapping/<slug>/<local>."""
    return URIRef(f"{NGMAP}{slug}/{local}")


def iri_local(iri: URIRef | str) -> str:
    """The last path segment of an item IRI (its local name), 'NoTermFound' for sssom:NoTermFound."""
    text = str(iri)
    return text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def pair_local(subject: URIRef | str, obj: URIRef | str) -> str:
    """The stable record number within a set: '<subject-local>-to-<object-local>'.

    Derived from the pair, not from a row counter, so rebuilding never renumbers. It keeps the
    DESIGN.md §2 local-name pattern (no '--', no dots); no catalog local name contains '-to-'.
    """
    return f"{iri_local(subject)}-to-{iri_local(obj)}"


def catalog_of(iri: URIRef | str) -> str | None:
    """The key of the catalog an item IRI is in (by the catalog registry), else None (also for the
    scheme IRI itself, and for our mapping, vocabulary and organisation IRIs)."""
    found = registry.catalog_of(str(iri))
    return found.key if found is not None and str(iri) != found.scheme else None


def record_from_row(row: Mapping[str, Identifier | None]) -> MappingRecord:
    """A record from one row of queries/explorer-records.rq (record, subject, relation, object, set,
    source, justification, confidence, rationale, inferred, chainLength, derivedFrom), keeping the IRI
    the store gives it. A confidence that is not a number is left out."""

    def text(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value)

    set_node, chain = text("set"), text("chainLength")
    try:
        confidence = Decimal(text("confidence")) if text("confidence") else None
    except InvalidOperation:
        confidence = None
    return MappingRecord(
        subject=URIRef(text("subject")), predicate=URIRef(text("relation")), object=URIRef(text("object")),
        set_slug=iri_local(set_node) if set_node else "unknown",
        justification=URIRef(text("justification")) if text("justification") else None,
        creator=text("creator"), source=URIRef(text("source")) if text("source") else None,
        confidence=confidence, rationale=text("rationale") or None,
        inferred=text("inferred").lower() in ("true", "1"),
        derived_from=tuple(URIRef(d) for d in text("derivedFrom").split()),
        chain_length=int(chain) if chain.isdigit() else None, stated_iri=URIRef(text("record")),
    )


def chain_of(record: MappingRecord, by_iri: Mapping[URIRef, MappingRecord]) -> list[MappingRecord]:
    """The stated records an inferred record was composed from, in chain order from its subject.

    An origin that is itself inferred is replaced by its own chain (recursively); origins missing
    from `by_iri` are left out. A stated record has no chain ([]).
    """
    origins: list[MappingRecord] = []
    seen: set[URIRef] = {record.iri}
    stack = list(reversed(record.derived_from)) if record.inferred else []
    while stack:
        current = by_iri.get(stack.pop())
        if current is None or current.iri in seen:
            continue
        seen.add(current.iri)
        if current.inferred:
            stack.extend(reversed(current.derived_from))
        else:
            origins.append(current)
    ordered: list[MappingRecord] = []
    node = record.subject
    while origins:  # walk from the subject: the record touching the current item comes next
        nxt = next((x for x in origins if node in (x.subject, x.object)), origins[0])
        origins.remove(nxt)
        ordered.append(nxt)
        node = nxt.object if nxt.subject == node else nxt.subject
    return ordered


def _decimal(value: Decimal) -> Literal:
    return Literal(value, datatype=XSD.decimal)


def add_record(g: Graph, rec: MappingRecord) -> URIRef:
    """Write one record into g (ng:MappingRecord with all its DESIGN.md §4 properties)."""
    node = rec.iri
    g.add((node, RDF.type, NG.MappingRecord))
    g.add((node, NG.mappingSubject, rec.subject))
    g.add((node, NG.mappingPredicate, rec.predicate))
    g.add((node, NG.mappingObject, rec.object))
    g.add((node, NG.inMappingSet, set_iri(rec.set_slug)))
    if rec.justification is not None:
        g.add((node, NG.justification, rec.justification))
    if rec.creator:
        g.add((node, DCTERMS.creator, Literal(rec.creator)))
    g.add((node, NG.inferred, Literal(rec.inferred)))
    if rec.source is not None:
        g.add((node, DCTERMS.source, rec.source))
    if rec.confidence is not None:
        g.add((node, NG.confidence, _decimal(rec.confidence)))
    if rec.rationale:
        g.add((node, NG.rationale, Literal(rec.rationale, lang="en")))
    if rec.date is not None:
        g.add((node, DCTERMS.date, Literal(rec.date.isoformat(), datatype=XSD.date)))
    for origin in rec.derived_from:
        g.add((node, PROV.wasDerivedFrom, origin))
    if rec.chain_length is not None:
        g.add((node, NG.chainLength, Literal(rec.chain_length)))
    for note in rec.notes:
        g.add((node, SKOS.editorialNote, Literal(note, lang="en")))
    return node


def set_graph(info: MappingSetInfo, records: Iterable[MappingRecord]) -> Graph:
    """The named graph of one mapping set: graph description, set metadata and its records."""
    g = new_graph()
    describe_graph(
        g,
        info.graph,
        title=info.title,
        source=info.source,
        license=info.license,
        version=info.version,
        derived_from=list(info.derived_from),
        description=info.description,
        modified=info.modified,
        attribution=info.attribution,
    )
    add_set(g, info)
    seen: dict[URIRef, MappingRecord] = {}
    for rec in records:
        if rec.iri in seen:
            raise ValueError(f"two records share the IRI {rec.iri}: {seen[rec.iri]} / {rec}")
        seen[rec.iri] = rec
        add_record(g, rec)
    return g


def add_set(g: Graph, info: MappingSetInfo) -> None:
    """ng:MappingSet description (DESIGN.md §4)."""
    node = info.iri
    g.add((node, RDF.type, NG.MappingSet))
    g.add((node, DCTERMS.title, Literal(info.title, lang="en")))
    g.add((node, DCTERMS.source, info.source))
    g.add((node, DCTERMS.license, info.license))
    g.add((node, OWL.versionInfo, Literal(info.version)))
    if info.subject_scheme is not None:
        g.add((node, NG.subjectScheme, info.subject_scheme))
    if info.object_scheme is not None:
        g.add((node, NG.objectScheme, info.object_scheme))
    if info.description:
        g.add((node, DCTERMS.description, Literal(info.description, lang="en")))
    if info.creator:
        g.add((node, DCTERMS.creator, Literal(info.creator)))
    if info.publisher:
        g.add((node, DCTERMS.publisher, Literal(info.publisher)))
    if info.modified:
        g.add((node, DCTERMS.modified, Literal(info.modified.isoformat(), datatype=XSD.date)))


def records_from_graph(g: Graph) -> list[MappingRecord]:
    """Read every ng:MappingRecord of a graph back into MappingRecord objects (sorted by IRI)."""
    out: list[MappingRecord] = []
    for node in sorted({n for n in g.subjects(RDF.type, NG.MappingRecord) if isinstance(n, URIRef)}, key=str):

        def one(p: URIRef, node: URIRef = node) -> object | None:
            return g.value(node, p)

        set_node = one(NG.inMappingSet)
        slug = iri_local(str(set_node)) if set_node is not None else "unknown"
        conf = one(NG.confidence)
        date = one(DCTERMS.date)
        chain = one(NG.chainLength)
        inferred = one(NG.inferred)
        rationale = one(NG.rationale)
        source = one(DCTERMS.source)
        subject, obj = one(NG.mappingSubject), one(NG.mappingObject)
        justification = one(NG.justification)
        local = iri_local(node)
        out.append(
            MappingRecord(
                subject=URIRef(str(subject)),
                predicate=URIRef(str(one(NG.mappingPredicate))),
                object=URIRef(str(obj)),
                set_slug=slug,
                justification=URIRef(str(justification)) if justification is not None else None,
                creator=str(one(DCTERMS.creator) or ""),
                source=URIRef(str(source)) if source is not None else None,
                confidence=Decimal(str(conf)) if conf is not None else None,
                rationale=str(rationale) if rationale is not None else None,
                date=dt.date.fromisoformat(str(date)) if date is not None else None,
                inferred=bool(inferred is not None and str(inferred) == "true"),
                derived_from=tuple(sorted(URIRef(str(o)) for o in g.objects(node, PROV.wasDerivedFrom))),
                chain_length=int(str(chain)) if chain is not None else None,
                notes=tuple(sorted(str(o) for o in g.objects(node, SKOS.editorialNote))),
                local=None if local == pair_local(str(subject or ""), str(obj or "")) else local,
                stated_iri=None if node == record_iri(slug, local) else node,
            )
        )
    return out

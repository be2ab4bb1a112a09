"""The mapping records as the explorer shows them: the one record model (MappingRecord) of every
record in the store, with its set's IRI and title and human words for its relation and justification."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rdflib.term import Identifier

from normgraph.explorer.cache import cached, run, s
from normgraph.iri import SEMAPV, SSSOM, curie
from normgraph.mappings.records import MappingRecord, chain_of, record_from_row
from normgraph.mappings.relations import relations
from normgraph.store import Store

NO_TERM = str(SSSOM.NoTermFound)
JUSTIFICATIONS = {
    str(SEMAPV.ManualMappingCuration): "manual curation",
    str(SEMAPV.MappingChaining): "chaining of records",
    str(SEMAPV.LexicalMatching): "lexical matching",
    str(SEMAPV.UnspecifiedMatching): "unspecified",
}


def relation_words(iri: str) -> str:
    rel = relations().get(iri)
    return rel.words if rel is not None else curie(iri)


@dataclass(frozen=True)
class Record:
    """One mapping record (`model`) and what the explorer shows with it, as text."""

    model: MappingRecord
    set: str  # the set's IRI ('' when the record names none)
    set_title: str
    confidence: str  # as stated ('' when not)

    @property
    def iri(self) -> str:
        return str(self.model.iri)

    @property
    def subject(self) -> str:
        return str(self.model.subject)

    @property
    def relation(self) -> str:
        return str(self.model.predicate)

    @property
    def object(self) -> str:
        return str(self.model.object)

    @property
    def source(self) -> str:
        return s(self.model.source)

    @property
    def justification(self) -> str:
        return s(self.model.justification)

    @property
    def rationale(self) -> str:
        return self.model.rationale or ""

    @property
    def inferred(self) -> bool:
        return self.model.inferred

    @property
    def chain_length(self) -> str:
        return "" if self.model.chain_length is None else str(self.model.chain_length)

    @property
    def derived_from(self) -> list[str]:
        return [str(d) for d in self.model.derived_from]

    @property
    def no_counterpart(self) -> bool:
        return self.object == NO_TERM

    @property
    def relation_words(self) -> str:
        return relation_words(self.relation)

    @property
    def justification_words(self) -> str:
        return JUSTIFICATIONS.get(self.justification, curie(self.justification) if self.justification else "")


def _record(r: dict[str, Identifier | None]) -> Record:
    return Record(record_from_row(r), s(r.get("set")), s(r.get("setTitle")), s(r.get("confidence")))


def records(store: Store) -> dict[str, Record]:
    """Every mapping record in the store, by IRI."""
    return cached(store, ("records",), lambda: {rec.iri: rec for rec in map(_record, run(store, "explorer-records"))})


def records_by_node(store: Store) -> dict[str, list[Record]]:
    """The records that name an item (as subject or object), by the item's IRI."""

    def compute() -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = defaultdict(list)
        for rec in records(store).values():
            out[rec.subject].append(rec)
            if rec.object != rec.subject:
                out[rec.object].append(rec)
        return dict(out)

    return cached(store, ("by_node",), compute)


def chain(store: Store, rec: Record) -> list[Record]:
    """The stated records an inferred record was composed from, in chain order (records.chain_of)."""
    recs = records(store)
    models = cached(store, ("models",), lambda: {r.model.iri: r.model for r in recs.values()})
    return [recs[str(m.iri)] for m in chain_of(rec.model, models)]

"""Composition of mapping records and the derived plain triples.

Every record is read in both directions (the inverse of "S subsetOf T" is "T supersetOf S"), and
two readings compose as the ontology's ng:composesFrom facts say (normgraph.mappings.relations):
today equal∘equal = equal; equal∘subset = subset∘equal = subset∘subset = subset, likewise superset;
subset∘superset gives nothing, and intersectsWith and relatedTo never compose.

Chains are simple paths (no item twice, so cycles cannot loop) of asserted records, at most
``MAX_CHAIN`` long; the result is the fixed point of composition bounded by that length. Inferred
records are never composed further (they are not input), which makes the step idempotent.
No pair inside one catalog and no pair already linked by an asserted record is inferred.
Plain Python over the records: the graph of composable records is small and this is fast.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from rdflib import Graph, URIRef

from normgraph.catalogs import registry
from normgraph.catalogs.common import LICENSES, describe_graph, new_graph
from normgraph.iri import NGG, SEMAPV, curie, local_id
from normgraph.mappings.records import (
    NO_TERM_FOUND,
    MappingRecord,
    MappingSetInfo,
    add_record,
    add_set,
    catalog_of,
    iri_local,
)
from normgraph.mappings.relations import relations

MAX_CHAIN = 3
DAMPING = Decimal("0.9")
INFERRED_SLUG = "inferred"


def compose_rel(first: URIRef, second: URIRef) -> URIRef | None:
    """The relation of S→U given S first T and T second U, or None when nothing follows."""
    return relations().compose(first, second)


@dataclass(frozen=True)
class Step:
    """One record read in one direction: source --rel--> target."""

    source: URIRef
    rel: URIRef
    target: URIRef
    record: MappingRecord
    forward: bool


def steps(records: Iterable[MappingRecord], composable_only: bool = False) -> dict[URIRef, list[Step]]:
    """Adjacency: every record as a forward step and as its inverse step."""
    rels = relations()
    adj: dict[URIRef, list[Step]] = defaultdict(list)
    for rec in records:
        if rec.object == NO_TERM_FOUND:
            continue
        if composable_only and rec.predicate not in rels.composable:
            continue
        adj[rec.subject].append(Step(rec.subject, rec.predicate, rec.object, rec, True))
        adj[rec.object].append(Step(rec.object, rels.inverse(rec.predicate), rec.subject, rec, False))
    for out in adj.values():
        out.sort(key=lambda s: (str(s.target), str(s.record.iri), s.forward))
    return adj


def chain_confidence(chain: Iterable[Step]) -> Decimal:
    """Product of the links' confidences × DAMPING: strictly below the weakest link (when > 0).

    A link without a stated confidence counts as 1 (only official identities compose, and they
    carry 1.0). Rounded down to 4 places, so rounding never lifts it back to the weakest link.
    """
    value = Decimal(1)
    for step in chain:
        value *= step.record.confidence if step.record.confidence is not None else Decimal(1)
    return (value * DAMPING).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)


def paths(adj: dict[URIRef, list[Step]], start: URIRef, max_len: int = MAX_CHAIN) -> Iterable[tuple[list[Step], URIRef]]:
    """Every simple path of composable steps from start, with its composed relation (len ≥ 1)."""
    composable = relations().composable
    stack: list[tuple[list[Step], URIRef | None, frozenset[URIRef]]] = [([], None, frozenset({start}))]
    while stack:
        chain, rel, visited = stack.pop()
        node = chain[-1].target if chain else start
        if len(chain) >= max_len:
            continue
        for step in adj.get(node, ()):
            if step.target in visited or step.rel not in composable:
                continue
            new_rel = step.rel if rel is None else compose_rel(rel, step.rel)
            if new_rel is None:
                continue
            new_chain = [*chain, step]
            yield new_chain, new_rel
            stack.append((new_chain, new_rel, visited | {step.target}))


def _orient(subject: URIRef, rel: URIRef, obj: URIRef) -> tuple[URIRef, URIRef, URIRef]:
    """One canonical reading per fact: of a relation and its inverse the stronger-ranked one
    (subsetOf, never supersetOf); for a symmetric relation, subject < object."""
    rels = relations()
    inverse = rels.inverse(rel)
    flip = rels.rank(rel) > rels.rank(inverse) if inverse != rel else str(obj) < str(subject)
    return (obj, inverse, subject) if flip else (subject, rel, obj)


def _pair_key(a: URIRef, b: URIRef) -> tuple[str, str]:
    return (str(a), str(b)) if str(a) <= str(b) else (str(b), str(a))


def _prefix(iri: URIRef) -> str:
    """A short, IRI-safe name of the item's catalog for inferred record local names."""
    found = registry.catalog_of(str(iri))
    return local_id(found.prefix) if found is not None else "x"


def _name(iri: URIRef) -> str:
    return curie(str(iri))


def infer(records: Iterable[MappingRecord], max_len: int = MAX_CHAIN, today: dt.date | None = None) -> list[MappingRecord]:
    """Composed records from the asserted ones (inferred input records are ignored)."""
    asserted = [r for r in records if not r.inferred and r.object != NO_TERM_FOUND]
    linked = {_pair_key(r.subject, r.object) for r in asserted}
    adj = steps(asserted, composable_only=True)
    best: dict[tuple[URIRef, URIRef, URIRef], tuple[tuple[object, ...], list[Step]]] = {}
    for start in sorted(adj, key=str):
        start_cat = catalog_of(start)
        for chain, rel in paths(adj, start, max_len):
            if len(chain) < 2:
                continue
            end = chain[-1].target
            if start_cat is not None and catalog_of(end) == start_cat:
                continue
            if _pair_key(start, end) in linked:
                continue
            s, r, o = _orient(start, rel, end)
            if (s, r, o) != (start, rel, end):
                continue  # the same chain is found from the other end, in canonical orientation
            conf = chain_confidence(chain)
            rank = (-conf, len(chain), tuple(str(st.record.iri) for st in chain))
            if (s, r, o) not in best or rank < best[(s, r, o)][0]:
                best[(s, r, o)] = (rank, chain)
    out: list[MappingRecord] = []
    for (s, r, o), (_rank, chain) in sorted(best.items(), key=lambda kv: tuple(map(str, kv[0]))):
        described = "; ".join(
            f"{_name(st.source)} {iri_local(st.rel)} {_name(st.target)}"
            + ("" if st.forward else " (read inversely)")
            + f" [{st.record.set_slug}]"
            for st in chain
        )
        dates = [st.record.date for st in chain if st.record.date is not None]
        prefix_s = _prefix(s)
        prefix_o = _prefix(o)
        out.append(
            MappingRecord(
                subject=s,
                predicate=r,
                object=o,
                set_slug=INFERRED_SLUG,
                justification=SEMAPV.MappingChaining,
                creator="normgraph composition (normgraph.mappings.compose)",
                confidence=chain_confidence(chain),
                rationale=f"Composed from {len(chain)} records: {described}.",
                date=max(dates) if dates else today,
                inferred=True,
                derived_from=tuple(sorted({st.record.iri for st in chain}, key=str)),
                chain_length=len(chain),
                local=f"{prefix_s}-{iri_local(s)}-{iri_local(r)}-{prefix_o}-{iri_local(o)}",
            )
        )
    return out


def _modified(records: Iterable[MappingRecord]) -> dt.date | None:
    dates = [r.date for r in records if r.date is not None]
    return max(dates) if dates else None


def inferred_graph(inferred: list[MappingRecord], inputs: list[MappingRecord], set_graphs: list[URIRef]) -> Graph:
    """data/derived/inferred-mappings.ttl: the composed records and their mapping set."""
    g = new_graph()
    graph_iri = URIRef(f"{NGG}derived/inferred-mappings")
    info = MappingSetInfo(
        slug=INFERRED_SLUG,
        title="Mappings inferred by composing mapping records",
        subject_scheme=None,
        object_scheme=None,
        source=URIRef("https://w3id.org/normgraph/ont#MappingRecord"),
        license=LICENSES["normgraph"],
        version=f"composition rules of DESIGN.md §10, max chain length {MAX_CHAIN}",
        description=(
            "Records composed from asserted mapping records (equalTo/subsetOf/supersetOf only; "
            "intersectsWith and relatedTo never compose). Each says which records it came from."
        ),
        modified=_modified(inputs),
        creator="normgraph composition",
    )
    describe_graph(
        g,
        graph_iri,
        title=info.title,
        source=info.source,
        license=info.license,
        version=info.version,
        derived_from=list(set_graphs),
        description=info.description,
        modified=info.modified,
    )
    add_set(g, info)
    for rec in inferred:
        add_record(g, rec)
    return g


def triples_graph(records: Iterable[MappingRecord], set_graphs: list[URIRef]) -> Graph:
    """data/derived/mapping-triples.ttl: plain 'S rel T' for every record (asserted and inferred),
    with the inverse for subset/superset and both directions for the symmetric relations."""
    g = new_graph()
    recs = [r for r in records if r.object != NO_TERM_FOUND]
    rels = relations()
    for r in recs:
        g.add((r.subject, r.predicate, r.object))
        g.add((r.object, rels.inverse(r.predicate), r.subject))
    describe_graph(
        g,
        URIRef(f"{NGG}derived/mapping-triples"),
        title="Plain mapping triples derived from the mapping records",
        source=URIRef("https://w3id.org/normgraph/ont#MappingRecord"),
        license=LICENSES["normgraph"],
        version="derived",
        derived_from=list(set_graphs),
        description=(
            "One triple per record and reading direction, for easy querying. The records "
            "(ngg:mappings/*, ngg:derived/inferred-mappings) carry source, confidence and rationale."
        ),
        modified=_modified(recs),
    )
    return g

"""What a requirement reaches through mapping records: one record away (any relation), and two
records away where the two compose by the composition rule (normgraph.mappings.compose), so
intersectsWith and relatedTo are shown for one hop only, never chained."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef

from normgraph.explorer.cache import cached
from normgraph.explorer.catalogs import catalog_key, catalog_order, lookup, natural_key
from normgraph.explorer.records import NO_TERM, Record, records_by_node
from normgraph.iri import curie
from normgraph.mappings.compose import compose_rel
from normgraph.mappings.relations import relations
from normgraph.store import Store


@dataclass
class Node:
    iri: str
    text: str
    title: str
    key: str  # catalog key, or "other"
    hop: int


@dataclass
class Edge:
    source: Node
    target: Node
    relation: str  # read from source to target
    words: str
    symbol: str
    record: Record

    @property
    def short(self) -> str:
        return self.relation.rsplit("#", 1)[-1]


@dataclass
class Neighbourhood:
    center: Node
    nodes: list[Node]
    edges: list[Edge]
    omitted: int
    no_counterpart: list[Record]


def other_end(rec: Record, node: str) -> tuple[str, str]:
    """(the other item, the relation read from `node`'s side)."""
    if rec.subject == node:
        return rec.object, rec.relation
    rel = relations().get(rec.relation)
    return rec.subject, str(rel.inverse) if rel is not None else rec.relation


def neighbourhood(store: Store, iri: str, *, hops: int = 2, max_first: int = 24,
                  max_second: int = 24) -> Neighbourhood | None:
    """The requirement, the items one record away, and (hops=2) the items one more stated record away
    from a first-ring item, where the two relations compose."""
    return cached(store, ("hood", iri, hops, max_first, max_second),
                  lambda: _neighbourhood(store, iri, hops, max_first, max_second))


def _node(store: Store, iri: str, hop: int) -> Node:
    item = lookup(store, iri)
    key = item.key if item else (catalog_key(iri) or "other")
    return Node(iri, (item.notation if item else "") or curie(iri), item.label if item else "", key, hop)


def _edge(source: Node, target: Node, rel: str, rec: Record) -> Edge:
    facts = relations().get(rel)
    words, symbol = (facts.words, facts.symbol) if facts is not None else (curie(rel), "?")
    return Edge(source, target, rel, words, symbol, rec)


def _neighbourhood(store: Store, iri: str, hops: int, max_first: int, max_second: int) -> Neighbourhood | None:
    if lookup(store, iri) is None:
        return None
    rank = relations().rank
    by_node = records_by_node(store)
    center = _node(store, iri, 0)
    first: dict[str, tuple[str, Record]] = {}
    none: list[Record] = []
    for rec in by_node.get(iri, ()):
        other, rel = other_end(rec, iri)
        if other == NO_TERM:
            none.append(rec)
            continue
        if other == iri:
            continue
        best = first.get(other)
        if best is None or (rank(rel), rec.inferred) < (rank(best[0]), best[1].inferred):
            first[other] = (rel, rec)
    ordered = sorted(first.items(), key=lambda kv: (rank(kv[1][0]), catalog_order(kv[0]),
                                                    natural_key(_node(store, kv[0], 1).text)))
    omitted = max(0, len(ordered) - max_first)
    ordered = ordered[:max_first]
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    for other, (rel, rec) in ordered:
        nodes[other] = _node(store, other, 1)
        edges.append(_edge(center, nodes[other], rel, rec))
    second: dict[str, tuple[Node, str, Record]] = {}
    if hops >= 2:
        for other, (rel, _rec) in ordered:
            for rec2 in by_node.get(other, ()):
                far, rel2 = other_end(rec2, other)
                if far in (iri, NO_TERM) or far in nodes or rec2.inferred:
                    continue
                if compose_rel(URIRef(rel), URIRef(rel2)) is None:  # the one chain rule
                    continue
                if far not in second or rank(rel2) < rank(second[far][1]):
                    second[far] = (nodes[other], rel2, rec2)
    second_items = sorted(second.items(), key=lambda kv: (kv[1][0].iri, natural_key(kv[0])))
    omitted += max(0, len(second_items) - max_second)
    for far, (parent, rel2, rec2) in second_items[:max_second]:
        nodes[far] = _node(store, far, 2)
        edges.append(_edge(parent, nodes[far], rel2, rec2))
    return Neighbourhood(center, list(nodes.values()), edges, omitted, none)

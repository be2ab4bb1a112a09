"""A store restricted to one scope: the one place access to graphs is enforced (docs/security.md).

The public knowledge (ontology, catalogs, mapping sets, derived graphs) is open to every reader;
an organisation's graph `ngg:org/<slug>` (and anything under it) is private. A `Scope` says which
organisations' graphs a principal may read and write (normgraph/access maps principals to scopes);
`ScopedStore` applies it to EVERY operation of the Store protocol:

* queries always reach the engine with an explicit dataset made only of visible graphs: the union
  default graph becomes the union of the visible graphs, and whatever dataset the request asks for
  (FROM / FROM NAMED, default-graph-uri / named-graph-uri) is cut down to visible graphs. The engine
  is handed nothing else, so GRAPH ?g, DESCRIBE and any trick in the query text see only those;
* graphs(), graph_size() and export() (one graph, or the whole-store dump) answer as if invisible
  graphs did not exist — a denied read looks exactly like absent data;
* load() and drop() of an organisation graph need write access to that organisation, of a public
  graph the global admin; update() (SPARQL Update can read and write any graph) only the global admin.

Stores of the same scope are shared (caches keyed by the store object then serve everyone of that
scope). `on_access(mode, graphs)` is called with the organisation graphs each operation could read
or write, for the audit trail.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from normgraph.iri import NGG
from normgraph.store.base import Dataset, QueryResult, QuerySyntaxError, Store
from normgraph.store.oxigraph import rdf_format
from normgraph.store.query_reach import query_access
from normgraph.store.sparql_text import check_sparql, from_clauses

#: every graph under this IRI belongs to one organisation (the first path segment is its slug)
PRIVATE_PREFIX = f"{NGG}org/"
#: a graph that never exists: the default graph of a dataset that would otherwise be empty. An empty
#: protocol dataset is "no dataset" to a remote store, which would then read the query's own FROM.
NO_GRAPH = "urn:x-normgraph:no-graph"


def org_of_graph(graph: str) -> str | None:
    """The organisation slug of a private graph, None for a public one."""
    if not graph.startswith(PRIVATE_PREFIX):
        return None
    return graph[len(PRIVATE_PREFIX):].split("/", 1)[0]


@dataclass(frozen=True)
class ScopeDataset(Dataset):
    """The whole set of graphs a scope sees, as default and named graphs: what a query of the scope gets
    when it asks for no dataset of its own. A store may keep a copy of such a set (guarded.py); any other
    dataset, e.g. a chosen subset of the visible graphs, it answers from the explicit dataset."""


class AccessDenied(PermissionError):
    """The scope does not allow this write (reads are never refused: they see less)."""


@dataclass(frozen=True)
class Scope:
    """What a principal may do. `read` / `write`: organisation slugs, None = every organisation."""

    read: frozenset[str] | None = frozenset()
    write: frozenset[str] | None = frozenset()
    write_public: bool = False  # load / drop public graphs
    update: bool = False  # SPARQL Update (reads and writes any graph: the global admin only)

    def may_read(self, graph: str) -> bool:
        org = org_of_graph(graph)
        return org is None or self.read is None or org in self.read

    def may_write(self, graph: str) -> bool:
        org = org_of_graph(graph)
        if org is None:
            return self.write_public
        return self.write is None or org in self.write

    @property
    def reads_everything(self) -> bool:
        return self.read is None


#: anonymous readers: the public graphs only, no writes
PUBLIC = Scope()
#: the global admin: everything
EVERYTHING = Scope(None, None, True, True)

AccessHook = Callable[[str, tuple[str, ...]], None]


def _chosen_graphs(sparql: str, dataset: Dataset | None) -> tuple[str, ...] | None:
    """The graphs a query of an unrestricted scope asked for (FROM / FROM NAMED or the protocol's lists);
    None when it reads the union default graph."""
    if dataset is None:
        return None
    if dataset.from_query:
        clauses = from_clauses(sparql)
        return None if clauses is None else tuple(clauses[0]) + tuple(clauses[1])
    if dataset.default_graphs is None or dataset.named_graphs is None:
        return None
    return tuple(dataset.default_graphs) + tuple(dataset.named_graphs)


class ScopedStore:
    """`inner` as seen by one scope (see the module docstring)."""

    def __init__(self, inner: Store, scope: Scope, on_access: AccessHook | None = None) -> None:
        self.inner = inner
        self.scope = scope
        self.on_access = on_access
        self.location = inner.location
        self._lock = threading.Lock()
        self._visible: tuple[Hashable, tuple[str, ...], tuple[str, ...]] | None = None

    @property
    def generation(self) -> Hashable:
        """The epoch of what this scope sees (the public graphs and its organisations'): a write to another
        organisation's graph leaves it, and so every answer cached for this scope (normgraph/store/epochs.py)."""
        return self.inner.epoch(self.scope.read)

    @property
    def lasting_generation(self) -> Hashable:
        """`generation` for inputs that take long to compute (normgraph.store.epochs.lasting_generation)."""
        inner = getattr(self.inner, "lasting_generation", None)
        return self.generation if inner is None else inner

    def epoch(self, orgs: frozenset[str] | None) -> Hashable:
        if self.scope.read is not None:
            orgs = self.scope.read if orgs is None else orgs & self.scope.read
        return self.inner.epoch(orgs)

    def __getattr__(self, name: str) -> object:
        """A remote store's `default_graph_mode()` (what it says of its union default graph), when the
        store has one; nothing else of the inner store shows through (it would bypass the scope)."""
        if name == "default_graph_mode" and "inner" in self.__dict__:
            return getattr(self.inner, name)
        raise AttributeError(name)

    # -- what this scope sees ----------------------------------------------------------------------
    def visible(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(visible graphs, visible private graphs), sorted; computed once per epoch of this scope."""
        generation = self.generation
        with self._lock:
            if self._visible is not None and self._visible[0] == generation:
                return self._visible[1], self._visible[2]
        graphs = tuple(g for g in self.inner.graphs() if self.scope.may_read(g))
        private = tuple(g for g in graphs if org_of_graph(g) is not None)
        with self._lock:
            self._visible = (generation, graphs, private)
        return graphs, private

    def _audit(self, mode: str, graphs: tuple[str, ...]) -> None:
        private = tuple(g for g in graphs if org_of_graph(g) is not None)
        if private and self.on_access is not None:
            self.on_access(mode, private)

    def note_cached_read(self) -> None:
        """An answer served from a cache filled by this scope's queries reads what those queries read: record a
        read-scope of its visible organisation graphs, as the queries did when they ran (normgraph.store.cache)."""
        if self.on_access is not None:
            self._audit("read-scope", self.visible()[1])

    def _audit_query(self, sparql: str, graphs: tuple[str, ...], chosen: tuple[str, ...] | None) -> None:
        """A query's audit records: a read of the graphs it names or chooses, a read-scope of the rest it could
        reach through the union (normgraph.access.audit.query_access)."""
        if self.on_access is None or not self.visible()[1]:
            return  # no organisation graph to record: the query text need not be read (tokens cost ~0.5 ms)
        for mode, reached in query_access(sparql, graphs, chosen):
            self._audit(mode, reached)

    def dataset_for(self, sparql: str, dataset: Dataset | None) -> Dataset | None:
        """The dataset the engine gets: only visible graphs, whatever the request or the query asks for."""
        graphs, _private = self.visible()
        if self.scope.reads_everything:
            if dataset is None and check_sparql(sparql).has_from:
                dataset = Dataset(from_query=True)
            self._audit_query(sparql, graphs, _chosen_graphs(sparql, dataset))
            return dataset
        requested_default: tuple[str, ...] | None = None
        requested_named: tuple[str, ...] | None = None
        if dataset is not None and not dataset.from_query:
            requested_default, requested_named = dataset.default_graphs, dataset.named_graphs
        elif (dataset is not None and dataset.from_query) or check_sparql(sparql).has_from:
            clauses = from_clauses(sparql)
            if clauses is None:
                raise QuerySyntaxError("FROM / FROM NAMED must name graphs by absolute IRIs or declared prefixes")
            requested_default, requested_named = tuple(clauses[0]), tuple(clauses[1])
        if requested_default is None and requested_named is None:
            self._audit_query(sparql, graphs, None)
            return ScopeDataset(graphs or (NO_GRAPH,), graphs)
        allowed = set(graphs)
        default = graphs if requested_default is None else tuple(g for g in requested_default if g in allowed)
        named = graphs if requested_named is None else tuple(g for g in requested_named if g in allowed)
        self._audit("read", tuple(sorted(set(default) | set(named))))
        return Dataset(default or (NO_GRAPH,), named)

    # -- reading -----------------------------------------------------------------------------------
    def query(self, sparql: str, *, dataset: Dataset | None = None, timeout: float | None = None) -> QueryResult:
        return self.inner.query(sparql, dataset=self.dataset_for(sparql, dataset), timeout=timeout)

    def query_serialized(
        self, sparql: str, result_format: str, *, dataset: Dataset | None = None, timeout: float | None = None
    ) -> tuple[bytes, str, str]:
        return self.inner.query_serialized(sparql, result_format, dataset=self.dataset_for(sparql, dataset),
                                           timeout=timeout)

    def graphs(self) -> list[str]:
        return list(self.visible()[0])

    def graph_size(self, graph: str) -> int:
        if graph not in self.visible()[0]:
            return 0
        self._audit("read", (graph,))
        return self.inner.graph_size(graph)

    def export(self, fmt: str, graph: str | None = None) -> bytes:
        if graph is not None:
            if graph not in self.visible()[0]:
                rdf_format(fmt)
                return b""
            self._audit("read", (graph,))
            return self.inner.export(fmt, graph)
        graphs, private = self.visible()
        self._audit("read", private)
        if self.scope.reads_everything:
            return self.inner.export(fmt)
        ox_fmt = rdf_format(fmt)
        if not ox_fmt.supports_datasets:
            raise ValueError(f"{fmt} holds one graph; export the whole store as nquads or trig")
        quads: list[ox.Quad] = []
        for g in graphs:  # graph by graph, so nothing invisible is ever read
            name = ox.NamedNode(g)
            quads.extend(ox.Quad(t.subject, t.predicate, t.object, name)
                         for t in ox.parse(self.inner.export("ntriples", g), ox.RdfFormat.N_TRIPLES))
        out = io.BytesIO()
        ox.serialize(quads, out, ox_fmt)
        return out.getvalue()

    # -- writing -----------------------------------------------------------------------------------
    def _check_write(self, graph: str) -> None:
        if not self.scope.may_write(graph):
            raise AccessDenied(f"you may not write <{graph}>")

    def update(self, sparql: str) -> None:
        if not self.scope.update:
            raise AccessDenied("SPARQL Update is for the global admin; write an organisation's graph through "
                               "/store?graph=… or /org/<slug>/import")
        self._audit("write", self.visible()[1])
        self.inner.update(sparql)

    def load(self, data: bytes | str | Path, fmt: str, graph: str, *, replace: bool = True) -> int:
        self._check_write(graph)
        self._audit("write", (graph,))
        return self.inner.load(data, fmt, graph, replace=replace)

    def drop(self, graph: str) -> None:
        self._check_write(graph)
        self._audit("write", (graph,))
        self.inner.drop(graph)

    def close(self) -> None:
        """Nothing: the scoped view does not own the store it looks through."""


__all__ = ["EVERYTHING", "PRIVATE_PREFIX", "PUBLIC", "AccessDenied", "AccessHook", "Scope", "ScopeDataset", "ScopedStore",
           "org_of_graph"]

"""The embedded default store: Oxigraph (pyoxigraph), in memory or on disk.

Oxigraph answers our crosswalk queries 100–300× faster than rdflib's own SPARQL engine, and it is
transactional on disk: every `load` and `update` is all-or-nothing. `generation` counts the writes
made through this object (an on-disk store written by another process at the same time is not
seen; normgraph never does that); `epoch(orgs)` counts only those that may change the public graphs or
these organisations' graphs (epochs.py).

Graphs derived from others are kept current where the generation changes: every write calls the
`WRITE_HOOKS` (a derived graph registers one, e.g. normgraph.mappings.readings), first asking each
whether the graph written concerns it, before and after, so a write that cannot change its inputs
costs it an index look-up, not a derivation.
"""

from __future__ import annotations

import io
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib import Graph

from normgraph.queries import get_query
from normgraph.store.base import (
    AskResult,
    Dataset,
    GraphResult,
    QueryResult,
    QuerySyntaxError,
    RdfSyntaxError,
    SelectResult,
    StoreError,
)
from normgraph.store.epochs import Epochs, store_epoch
from normgraph.store.oxigraph import (
    OX_RDF,
    dataset_kwargs,
    rdf_format,
    refuse_xml_declarations,
    to_oxigraph,
    to_rdflib,
    triples_for,
    write_result,
)
from normgraph.store.sparql_text import refuse_outbound

__all__ = ["WRITE_HOOKS", "EmbeddedStore", "WriteHook", "to_oxigraph", "to_rdflib"]


class WriteHook(Protocol):
    """Keeps something derived from a store's data current as the store is written."""

    def concerns(self, store: EmbeddedStore, graph: str) -> bool:
        """Whether this graph of the store holds, or is, something the hook derives from or keeps
        (asked before and after a load or drop of the graph: it must be cheap)."""
        ...

    def written(self, store: EmbeddedStore, graph: str | None) -> None:
        """After a write that concerned it: `graph` was loaded or dropped, or None: an update (any graph)."""
        ...


#: the hooks every EmbeddedStore calls after a write (registered by the modules that own derived graphs)
WRITE_HOOKS: list[WriteHook] = []


class EmbeddedStore:
    """pyoxigraph behind the normgraph Store interface."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else None
        try:
            self._store = ox.Store(str(self.path)) if self.path else ox.Store()
        except OSError as e:
            raise StoreError(f"cannot open the embedded store at {self.path}: {e}") from e
        self.location = f"embedded on disk at {self.path}" if self.path else "embedded in memory"
        self.generation = 0
        self.epochs = Epochs()  # the public and per-organisation counts beside `generation` (epochs.py)

    def epoch(self, orgs: frozenset[str] | None) -> Hashable:
        return store_epoch(self.generation, self.epochs, orgs)

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store (for code that needs Oxigraph itself, e.g. the server)."""
        return self._store

    # -- reading ---------------------------------------------------------------------------
    def _run(self, sparql: str, dataset: Dataset | None) -> object:
        refuse_outbound(sparql)  # pyoxigraph would fetch SERVICE / LOAD targets: never
        try:
            return self._store.query(sparql, **dataset_kwargs(dataset))
        except SyntaxError as e:
            raise QuerySyntaxError(str(e)) from None
        except OSError as e:
            raise StoreError(f"{self.location}: {e}") from e

    def query(self, sparql: str, *, dataset: Dataset | None = None, timeout: float | None = None) -> QueryResult:
        result = self._run(sparql, dataset)
        try:
            if isinstance(result, ox.QuerySolutions):
                variables = [v.value for v in result.variables]
                rows = [{v: to_rdflib(sol[v]) for v in variables} for sol in result]
                return SelectResult(variables, rows)
            if isinstance(result, ox.QueryBoolean):
                return AskResult(bool(result))
            g = Graph()
            for t in result:  # type: ignore[attr-defined]
                g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))  # type: ignore[arg-type]
            return GraphResult(g)
        except OSError as e:  # evaluation errors surface while iterating
            raise StoreError(f"{self.location}: {e}") from e

    def query_serialized(
        self, sparql: str, result_format: str, *, dataset: Dataset | None = None, timeout: float | None = None
    ) -> tuple[bytes, str, str]:
        result = self._run(sparql, dataset)
        out = io.BytesIO()
        try:
            media, form = write_result(result, result_format, out)
        except OSError as e:
            raise StoreError(f"{self.location}: {e}") from e
        return out.getvalue(), media, form

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def graph_size(self, graph: str) -> int:
        count = self._store.query(get_query("graph-size").bind({"graph": ox.NamedNode(graph).value}))
        assert isinstance(count, ox.QuerySolutions)
        return int(next(iter(count))["n"].value)

    def __len__(self) -> int:
        return len(self._store)

    def export(self, fmt: str, graph: str | None = None) -> bytes:
        ox_fmt = rdf_format(fmt)
        out = io.BytesIO()
        if graph is None:
            if not ox_fmt.supports_datasets:
                raise ValueError(f"{fmt} holds one graph; export the whole store as nquads or trig")
            self._store.dump(out, ox_fmt)
        else:
            self._store.dump(out, ox_fmt, from_graph=ox.NamedNode(graph))
        return out.getvalue()

    # -- writing ---------------------------------------------------------------------------
    def update(self, sparql: str) -> None:
        refuse_outbound(sparql)
        with self._writing(None):
            try:
                self._store.update(sparql)
            except SyntaxError as e:
                raise QuerySyntaxError(str(e)) from None
            except OSError as e:
                self._wrote(None)  # an I/O failure mid-way: say the data may have changed
                raise StoreError(f"{self.location}: {e}") from e
            self._wrote(None)

    def _wrote(self, graph: str | None) -> None:
        """A new generation after a write of `graph` (None: an update, any graph)."""
        self.generation += 1
        self.epochs.wrote(graph)

    @contextmanager
    def _writing(self, graph: str | None) -> Iterator[None]:
        """Around a write of `graph` (None: an update, any graph): the WRITE_HOOKS it concerns are told
        once it succeeded."""
        hooks = [h for h in WRITE_HOOKS if graph is None or h.concerns(self, graph)]
        yield
        for h in WRITE_HOOKS:
            if h in hooks or (graph is not None and h.concerns(self, graph)):
                h.written(self, graph)

    def load(self, data: bytes | str | Path, fmt: str, graph: str, *, replace: bool = True) -> int:
        """Load into one named graph; replacing is one transaction (readers see old or new, never half)."""
        rdf_format(fmt)
        name = str(data) if isinstance(data, Path) else "data"
        target = ox.NamedNode(graph)
        if isinstance(data, Path) and self.path and not OX_RDF[fmt].supports_datasets and fmt != "rdfxml" \
                and not self._holds(target):
            # A file into a new graph of an on-disk store: Oxigraph's bulk loader streams it from disk and
            # commits once at the end (all or nothing, like `oxigraph load`), instead of one write batch
            # holding the whole file in memory.
            with self._loading(graph, name):
                self._store.bulk_load(path=str(data), format=OX_RDF[fmt], to_graph=target)
            return self.graph_size(graph)
        raw = data.read_bytes() if isinstance(data, Path) else data.encode() if isinstance(data, str) else data
        if fmt == "rdfxml":
            refuse_xml_declarations(raw)
        with self._loading(graph, name):
            self._load(raw, fmt, graph, target, replace, name)
        return self.graph_size(graph)

    @contextmanager
    def _loading(self, graph: str, name: str) -> Iterator[None]:
        """Around a load of `name` into `graph`: its errors as the store's, a new generation either way."""
        with self._writing(graph):
            try:
                yield
            except SyntaxError as e:
                raise RdfSyntaxError(f"{name}: {e}") from None
            except OSError as e:
                raise StoreError(f"{self.location}: loading {name} into <{graph}>: {e}") from e
            finally:
                self._wrote(graph)

    def _holds(self, graph: ox.NamedNode) -> bool:
        return any(True for _ in self._store.quads_for_pattern(None, None, None, graph))

    def _load(self, raw: bytes, fmt: str, graph: str, target: ox.NamedNode, replace: bool, name: str) -> None:
        if OX_RDF[fmt].supports_datasets or (replace and self._holds(target)):
            # Parse first (a syntax error, or a named graph other than the target, changes nothing), then
            # write in one SPARQL Update.
            triples = triples_for(raw, fmt, graph, name)
            if not replace:
                self._store.extend(ox.Quad(t.subject, t.predicate, t.object, target) for t in triples)
                return
            body = io.BytesIO()
            ox.serialize(triples, body, ox.RdfFormat.N_TRIPLES)
            self._store.update(
                f"DROP SILENT GRAPH <{graph}> ; INSERT DATA {{ GRAPH <{graph}> {{ {body.getvalue().decode()} }} }}"
            )
        else:
            self._store.load(raw, OX_RDF[fmt], to_graph=target)

    def drop(self, graph: str) -> None:
        with self._writing(graph):
            try:
                self._store.update(f"DROP SILENT GRAPH <{ox.NamedNode(graph).value}>")
            finally:
                self._wrote(graph)

    def flush(self) -> None:
        if self.path:
            self._store.flush()

    def close(self) -> None:
        self.flush()

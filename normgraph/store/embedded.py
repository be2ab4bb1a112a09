"""The embedded default store: Oxigraph (pyoxigraph), in memory or on disk.

Oxigraph answers our crosswalk queries 100–300× faster than rdflib's own SPARQL engine (GUIDE §2),
and it is transactional on disk: every `load` and `update` is all-or-nothing.
"""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier

from normgraph.store.base import (
    RDF_FORMATS,
    RESULT_FORMATS,
    AskResult,
    Dataset,
    GraphResult,
    QueryResult,
    QuerySyntaxError,
    RdfSyntaxError,
    SelectResult,
    StoreError,
)
from normgraph.store.sparql_text import refuse_outbound

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

_RDF = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
_RESULTS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def to_rdflib(term: object) -> Identifier | None:
    """Convert a pyoxigraph term to the rdflib term normgraph code works with."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Identifier) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def _dataset_kwargs(dataset: Dataset | None) -> dict[str, object]:
    if dataset is not None and dataset.from_query and dataset.default_graphs is None and dataset.named_graphs is None:
        return {}  # Oxigraph then uses the query's FROM / FROM NAMED (local graphs only)
    if dataset is None or (dataset.default_graphs is None and dataset.named_graphs is None):
        return {"use_default_graph_as_union": True}
    kwargs: dict[str, object] = {}
    if dataset.default_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
    if dataset.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
    return kwargs


class EmbeddedStore:
    """pyoxigraph behind the normgraph Store interface."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else None
        try:
            self._store = ox.Store(str(self.path)) if self.path else ox.Store()
        except OSError as e:
            raise StoreError(f"cannot open the embedded store at {self.path}: {e}") from e
        self.location = f"embedded on disk at {self.path}" if self.path else "embedded in memory"

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store (for code that needs Oxigraph itself, e.g. the server)."""
        return self._store

    # -- reading ---------------------------------------------------------------------------
    def _run(self, sparql: str, dataset: Dataset | None) -> object:
        refuse_outbound(sparql)  # pyoxigraph would fetch SERVICE / LOAD targets: never
        try:
            return self._store.query(sparql, **_dataset_kwargs(dataset))
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
        try:
            if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
                form = "select" if isinstance(result, ox.QuerySolutions) else "ask"
                if result_format not in _RESULTS:
                    raise ValueError(f"{form.upper()} results cannot be written as {result_format}")
                return result.serialize(format=_RESULTS[result_format]), RESULT_FORMATS[result_format], form
            if result_format not in _RDF or result_format in ("nquads", "trig"):
                raise ValueError(f"CONSTRUCT/DESCRIBE results cannot be written as {result_format}")
            return result.serialize(format=_RDF[result_format]), RDF_FORMATS[result_format], "graph"  # type: ignore[attr-defined]
        except OSError as e:
            raise StoreError(f"{self.location}: {e}") from e

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def graph_size(self, graph: str) -> int:
        count = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ox.NamedNode(graph).value}> {{ ?s ?p ?o }} }}")
        return int(next(iter(count))["n"].value)  # type: ignore[index, call-overload]

    def __len__(self) -> int:
        return len(self._store)

    def export(self, fmt: str, graph: str | None = None) -> bytes:
        if fmt not in _RDF:
            raise ValueError(f"unknown RDF format {fmt!r}; known: {', '.join(_RDF)}")
        out = io.BytesIO()
        if graph is None:
            if not _RDF[fmt].supports_datasets:
                raise ValueError(f"{fmt} holds one graph; export the whole store as nquads or trig")
            self._store.dump(out, _RDF[fmt])
        else:
            self._store.dump(out, _RDF[fmt], from_graph=ox.NamedNode(graph))
        return out.getvalue()

    # -- writing ---------------------------------------------------------------------------
    def update(self, sparql: str) -> None:
        refuse_outbound(sparql)
        try:
            self._store.update(sparql)
        except SyntaxError as e:
            raise QuerySyntaxError(str(e)) from None
        except OSError as e:
            raise StoreError(f"{self.location}: {e}") from e

    def load(self, data: bytes | str | Path, fmt: str, graph: str, *, replace: bool = True) -> int:
        """Load into one named graph; replacing is one transaction (readers see old or new, never half)."""
        if fmt not in _RDF:
            raise ValueError(f"unknown RDF format {fmt!r}; known: {', '.join(_RDF)}")
        name = str(data) if isinstance(data, Path) else "data"
        raw = data.read_bytes() if isinstance(data, Path) else data.encode() if isinstance(data, str) else data
        target = ox.NamedNode(graph)
        try:
            self._load(raw, fmt, graph, target, replace)
        except SyntaxError as e:
            raise RdfSyntaxError(f"{name}: {e}") from None
        except OSError as e:
            raise StoreError(f"{self.location}: loading {name} into <{graph}>: {e}") from e
        return self.graph_size(graph)

    def _load(self, raw: bytes, fmt: str, graph: str, target: ox.NamedNode, replace: bool) -> None:
        exists = any(True for _ in self._store.quads_for_pattern(None, None, None, target))
        if replace and exists:
            # Parse first (so a syntax error changes nothing), then swap in one SPARQL Update.
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(raw, _RDF[fmt])]
            body = io.BytesIO()
            ox.serialize(triples, body, ox.RdfFormat.N_TRIPLES)
            self._store.update(
                f"DROP SILENT GRAPH <{graph}> ; INSERT DATA {{ GRAPH <{graph}> {{ {body.getvalue().decode()} }} }}"
            )
        else:
            self._store.load(raw, _RDF[fmt], to_graph=target)

    def drop(self, graph: str) -> None:
        self._store.update(f"DROP SILENT GRAPH <{graph}>")

    def flush(self) -> None:
        if self.path:
            self._store.flush()

    def close(self) -> None:
        self.flush()

"""The one store interface every part of normgraph talks to (DESIGN.md §5).

Two implementations: the embedded Oxigraph store (default, `embedded.py`) and a remote SPARQL 1.1
endpoint (`remote.py`); the wrappers (`guarded.py`, `served.py`) implement the same protocol around
them. Callers never see which one they have: the same `queries/*.rq` run on all of them, and
tests/test_store_contract.py holds each to the same behaviour.
Query semantics are fixed here: unless a dataset is given, the default graph is the union of all
named graphs, and all data lives in named graphs.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from rdflib import Graph
from rdflib.term import Identifier, Node

#: RDF serialisations the stores read and write, by short name -> media type.
RDF_FORMATS: dict[str, str] = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}

#: SPARQL result serialisations, by short name -> media type.
RESULT_FORMATS: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}

SUFFIX_FORMATS: dict[str, str] = {
    ".ttl": "turtle",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
}


class StoreError(RuntimeError):
    """The store could not do what was asked (unreachable, refused, I/O); says which store and why."""


class QuerySyntaxError(ValueError):
    """The query or update does not parse; the message is the parser's."""


class RdfSyntaxError(ValueError):
    """RDF data does not parse; the message names the position (and the file, when there is one)."""


class QueryTimeout(TimeoutError):
    """The query ran past its time limit and was stopped."""


@dataclass
class SelectResult:
    """Rows of a SELECT: variable names in projection order and rdflib terms (None when unbound)."""

    variables: list[str]
    rows: list[dict[str, Identifier | None]] = field(default_factory=list)

    def __iter__(self) -> Iterator[dict[str, Identifier | None]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Identifier | None]:
        return [row.get(name) for row in self.rows]


@dataclass
class AskResult:
    value: bool

    def __bool__(self) -> bool:
        return self.value


@dataclass
class GraphResult:
    """Triples from CONSTRUCT / DESCRIBE."""

    graph: Graph

    def __len__(self) -> int:
        return len(self.graph)


QueryResult = SelectResult | AskResult | GraphResult


@dataclass(frozen=True)
class Dataset:
    """A SPARQL dataset: default and named graph IRIs (both None = the store's own default)."""

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    #: True: the query's own FROM / FROM NAMED clauses define the dataset (resolved against the store's
    #: named graphs, never fetched); the union default graph is not forced over them.
    from_query: bool = False


@runtime_checkable
class Store(Protocol):
    """What normgraph needs of a triple store."""

    #: Human-readable location, used in messages ("embedded in-memory", "http://…/sparql").
    location: str

    @property
    def generation(self) -> Hashable:
        """Changes whenever the data may have changed (every write through this object, and for a
        store others can write to, also as time passes). Caches of answers computed from the data
        key them by it; equal generations promise equal data."""
        ...

    def epoch(self, orgs: frozenset[str] | None) -> Hashable:
        """The generation of part of the data: the public graphs and the graphs of organisations `orgs`
        (None: everything, the same as `generation`). A write to another organisation's graph leaves it
        as it was, so caches of answers read from those graphs only key them by it (normgraph/store/epochs.py).
        A store may answer its `generation` for any `orgs` (a remote store does)."""
        ...

    def query(self, sparql: str, *, dataset: Dataset | None = None, timeout: float | None = None) -> QueryResult:
        """Run a SPARQL query; default graph = union of named graphs unless `dataset` says otherwise."""
        ...

    def query_serialized(
        self, sparql: str, result_format: str, *, dataset: Dataset | None = None, timeout: float | None = None
    ) -> tuple[bytes, str, str]:
        """Run a query and serialise its result directly.

        `result_format` is a short name from RESULT_FORMATS (SELECT/ASK) or RDF_FORMATS
        (CONSTRUCT/DESCRIBE). Returns (body, media type, query form: "select"|"ask"|"graph").
        Raises ValueError when the format does not suit the query form.
        """
        ...

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update, all or nothing."""
        ...

    def load(self, data: bytes | str | Path, fmt: str, graph: str, *, replace: bool = True) -> int:
        """Load RDF into one named graph, atomically replacing it when `replace`. Returns its size."""
        ...

    def graphs(self) -> list[str]:
        """The named graphs, sorted."""
        ...

    def graph_size(self, graph: str) -> int:
        ...

    def export(self, fmt: str, graph: str | None = None) -> bytes:
        """Serialise one named graph (triples) or, with graph=None, the whole dataset (quads)."""
        ...

    def drop(self, graph: str) -> None:
        ...

    def close(self) -> None:
        ...


def sort_graphs(graphs: Sequence[str]) -> list[str]:
    return sorted(set(graphs))


def node_to_sparql(term: Node) -> str:
    """Render an rdflib term in SPARQL / N-Triples syntax (used for safe parameter binding)."""
    n3 = getattr(term, "n3", None)
    if n3 is None:
        raise TypeError(f"cannot render {term!r} as a SPARQL term")
    return n3()

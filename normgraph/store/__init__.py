"""Stores: `open_store()` gives the embedded default or a remote SPARQL endpoint (DESIGN.md §5)."""

from __future__ import annotations

from pathlib import Path

from normgraph.store.base import (
    AskResult,
    Dataset,
    GraphResult,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    RdfSyntaxError,
    SelectResult,
    Store,
    StoreError,
)
from normgraph.store.embedded import EmbeddedStore

__all__ = [
    "AskResult",
    "Dataset",
    "EmbeddedStore",
    "GraphResult",
    "QueryResult",
    "QuerySyntaxError",
    "QueryTimeout",
    "RdfSyntaxError",
    "SelectResult",
    "Store",
    "StoreError",
    "open_store",
]


def open_store(
    path: Path | str | None = None,
    *,
    endpoint: str | None = None,
    update_endpoint: str | None = None,
    graph_store: str | None = None,
) -> Store:
    """The embedded store (in memory, or on disk at `path`), or a remote one when `endpoint` is given."""
    if endpoint:
        from normgraph.store.remote import RemoteStore

        return RemoteStore(endpoint, update_endpoint=update_endpoint, graph_store=graph_store)
    return EmbeddedStore(path)

"""Stores: `open_store()` gives the embedded default or a remote SPARQL endpoint (DESIGN.md §5).

base.py       the Store protocol (with `generation`), result types, errors, format tables
embedded.py   pyoxigraph in memory or on disk           remote.py   a SPARQL 1.1 endpoint over HTTP
guarded.py    killable query workers + result cache     served.py   the store as the server serves it
oxigraph.py   pyoxigraph glue shared by them            cache.py    every cache: bounded, per generation
sparql_text.py  the lexical guard (SERVICE / LOAD refused)   durable.py  atomic file writes
scoped.py     a store restricted to one principal's scope (the one place access is enforced)
admission.py  which queries may take a query worker now (fast 503 instead of a queue)
"""

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
    profile: str | None = None,
) -> Store:
    """The embedded store (in memory, or on disk at `path`), or a remote one when `endpoint` is given
    (`profile`: how that server differs, store/profiles.py; NORMGRAPH_STORE_PROFILE when None)."""
    if endpoint:
        # imported when needed: SPARQLWrapper, requests and rdflib's result parsers cost ~0.4 s at start-up
        from normgraph.store.remote import RemoteStore

        return RemoteStore(endpoint, update_endpoint=update_endpoint, graph_store=graph_store, profile=profile)
    return EmbeddedStore(path)

"""A store as the server serves it: `served()` wraps what `open_store()` gave.

* the embedded in-memory or on-disk store goes behind a GuardedStore (guarded.py: killable query
  workers, real timeouts, result cap, result cache);
* with `guard=False` (a test and development mode: no timeouts, no cache) an in-memory store goes
  behind a SandboxedStore (sandbox.py), so queries and updates still run where the engine cannot
  fetch anything; an on-disk one is guarded all the same (its engine may not be forked);
* a remote store goes behind a ServedRemoteStore: over HTTP the same limits come from the client
  side, as below.

A later kind of store (another remote profile) plugs in here; callers only ever see a Store.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path

from normgraph.store.base import Dataset, QueryResult, Store
from normgraph.store.embedded import EmbeddedStore
from normgraph.store.epochs import lasting_generation
from normgraph.store.guarded import GuardedStore
from normgraph.store.remote import RemoteStore
from normgraph.store.sandbox import SandboxedStore

#: called after every write through a served remote store with (store, graph written; None for an update): the
#: remote store's side of embedded.WRITE_HOOKS, for the modules that keep a derived graph current
#: (normgraph.mappings.readings). A remote store cannot be asked cheaply what a write touched, so each hook
#: decides from the graph's name.
REMOTE_WRITE_HOOKS: list[Callable[[Store, str | None], None]] = []


class ServedRemoteStore:
    """A remote store (remote.py) with the server's limits, wrapping the Store protocol.

    * every query gets the server's time limit (`timeout`) as the HTTP client's timeout, so a slow
      remote query ends in RemoteTimeout (a QueryTimeout; the server answers 503);
    * `query_serialized` answers are capped at `max_results` bytes as they are read (ResultTooLarge);
    * `generation` is the remote store's own: bumped by the writes made through it at once, and every
      `cache_ttl` seconds for the changes other clients make to the remote store directly.
    """

    def __init__(self, store: Store, *, timeout: float | None, max_results: int | None) -> None:
        self.inner = store
        self.location: str = store.location
        self.timeout = timeout
        if max_results is not None and getattr(store, "max_result_bytes", None) is None:
            store.max_result_bytes = max_results  # type: ignore[attr-defined]

    @property
    def generation(self) -> Hashable:
        return self.inner.generation

    def epoch(self, orgs: frozenset[str] | None) -> Hashable:
        return self.inner.epoch(orgs)

    @property
    def lasting_generation(self) -> Hashable:
        return lasting_generation(self.inner)

    @property
    def cache_ttl(self) -> float:
        """Seconds one generation lasts without writes through this store (0: forever)."""
        return float(getattr(self.inner, "cache_ttl", 0.0))

    def default_graph_mode(self) -> str | None:
        """"native" / "dataset" (how the remote gives the union default graph), None when not yet known."""
        mode = getattr(self.inner, "default_graph_mode", None)
        return mode() if callable(mode) else None

    def _limit(self, timeout: float | None) -> float | None:
        return timeout if timeout is not None else self.timeout

    def query(self, sparql: str, *, dataset: Dataset | None = None, timeout: float | None = None) -> QueryResult:
        return self.inner.query(sparql, dataset=dataset, timeout=self._limit(timeout))

    def query_serialized(
        self, sparql: str, result_format: str, *, dataset: Dataset | None = None, timeout: float | None = None
    ) -> tuple[bytes, str, str]:
        return self.inner.query_serialized(sparql, result_format, dataset=dataset, timeout=self._limit(timeout))

    def update(self, sparql: str) -> None:
        self.inner.update(sparql)
        self._written(None)

    def load(self, data: bytes | str | Path, fmt: str, graph: str, *, replace: bool = True) -> int:
        n = self.inner.load(data, fmt, graph, replace=replace)
        self._written(graph)
        return n

    def drop(self, graph: str) -> None:
        self.inner.drop(graph)
        self._written(graph)

    def _written(self, graph: str | None) -> None:
        for hook in REMOTE_WRITE_HOOKS:
            hook(self, graph)

    def graphs(self) -> list[str]:
        return self.inner.graphs()

    def graph_size(self, graph: str) -> int:
        return self.inner.graph_size(graph)

    def export(self, fmt: str, graph: str | None = None) -> bytes:
        return self.inner.export(fmt, graph)

    def close(self) -> None:
        self.inner.close()


def served(store: Store, *, guard: bool = True, workers: int = 2, timeout: float | None = 10.0,
           max_results: int | None = 64 * 1024 * 1024, cache_entries: int = 512,
           heavy_per_client: int | None = None) -> Store:
    """The store as served: the embedded one behind a GuardedStore (an in-memory one behind a
    SandboxedStore when `guard` is False), a remote one behind a ServedRemoteStore; anything else
    (already wrapped) as it is. No path evaluates a client's SPARQL where the engine could fetch."""
    if not guard and isinstance(store, EmbeddedStore) and store.path is None:
        return SandboxedStore(store)
    if isinstance(store, EmbeddedStore):
        return GuardedStore(store, workers=workers, timeout=timeout, max_result_bytes=max_results,
                            cache_entries=cache_entries, heavy_per_client=heavy_per_client)
    if isinstance(store, RemoteStore):
        return ServedRemoteStore(store, timeout=timeout, max_results=max_results)
    return store


__all__ = ["ServedRemoteStore", "served"]

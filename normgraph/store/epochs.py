"""Data epochs finer than the store's one `generation`: the public graphs', and each organisation's.

A write to one organisation's private graph cannot change an answer read from the public graphs or from
another organisation's graph, so it must not make their cached answers cold (one editor writing would
otherwise keep every cache of every reader cold). A store counts its writes three ways:

* `generation` (base.py): every write — the epoch of the whole store (an unscoped reader, a remote store);
* the public count: writes that may touch a public graph — every load or drop of a public graph, and every
  write whose graphs are not known up front (SPARQL Update text), which therefore changes every epoch;
* one count per organisation: loads and drops of a graph under `ngg:org/<slug>`.

`Epochs.of(orgs)` is the epoch of a reader that sees the public graphs and those organisations' graphs:
equal epochs promise equal data in those graphs. `dataset_orgs` says which organisations a query's dataset
can reach (None: any, so the whole store's generation applies).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable

from normgraph.store.base import Dataset
from normgraph.store.scoped import org_of_graph


class Epochs:
    """The public and per-organisation write counts of one store (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.public = 0
        self.orgs: dict[str, int] = {}

    def wrote(self, graph: str | None) -> None:
        """Count a write of `graph` (None: a write that may have touched any graph)."""
        org = None if graph is None else org_of_graph(graph)
        with self._lock:
            if org is None:
                self.public += 1
            else:
                self.orgs[org] = self.orgs.get(org, 0) + 1

    def of(self, orgs: Iterable[str]) -> Hashable:
        """The epoch of the public graphs with these organisations' graphs."""
        with self._lock:
            return ("epoch", self.public, tuple((o, self.orgs.get(o, 0)) for o in sorted(set(orgs))))


def dataset_orgs(dataset: Dataset | None) -> frozenset[str] | None:
    """The organisations whose graphs a query with this dataset can read; None when it can read any graph
    (no dataset: the union of all graphs; the query's own FROM clauses; a side left to the store)."""
    if dataset is None or dataset.from_query or dataset.default_graphs is None or dataset.named_graphs is None:
        return None
    return frozenset(o for g in (*dataset.default_graphs, *dataset.named_graphs) if (o := org_of_graph(g)) is not None)


def store_epoch(generation: Hashable, epochs: Epochs, orgs: Iterable[str] | None) -> Hashable:
    """What a store answers to `epoch(orgs)`: its generation for everything (None), else the finer epoch."""
    return generation if orgs is None else epochs.of(orgs)


def lasting_generation(store: object) -> Hashable:
    """The generation to key an input by that may take longer to compute than a remote store's `cache_ttl`
    (remote.RemoteStore.lasting_generation); any other store's `generation`."""
    lasting = getattr(store, "lasting_generation", None)
    return lasting if lasting is not None else store.generation  # type: ignore[attr-defined]


__all__ = ["Epochs", "dataset_orgs", "lasting_generation", "store_epoch"]

"""Answers computed from a store, kept per store and data generation (`Store.generation`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from rdflib.term import Identifier

from normgraph.queries import get_query
from normgraph.store import SelectResult, Store
from normgraph.store.cache import PerGeneration

T = TypeVar("T")

MAX_ENTRIES = 2048
_VIEWS = PerGeneration(max_entries=MAX_ENTRIES)


def cached(store: Store, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """compute() once per (store, data generation, key); LRU, bounded in entries and bytes (normgraph.store.cache)."""
    return _VIEWS.get(store, key, compute)


def run(store: Store, name: str, params: dict[str, str] | None = None) -> SelectResult:
    """The rows of a named SELECT query."""
    result = store.query(get_query(name).bind(params or {}))
    assert isinstance(result, SelectResult), f"{name} is not a SELECT"
    return result


def run_cached(store: Store, name: str, params: dict[str, str]) -> list[dict[str, Identifier | None]]:
    return cached(store, ("q", name, tuple(sorted(params.items()))), lambda: list(run(store, name, params)))


def s(term: Identifier | None) -> str:
    """A term as text ('' when unbound)."""
    return "" if term is None else str(term)

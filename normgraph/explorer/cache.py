"""Answers computed from a store, kept per store and data generation (`Store.generation`)."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from rdflib.term import Identifier

from normgraph.queries import get_query
from normgraph.store import SelectResult, Store

T = TypeVar("T")

_CACHES: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[Any, ...], Any]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
MAX_ENTRIES = 2048


def cached(store: Store, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """compute() once per (store, data generation, key); LRU-bounded."""
    full = (store.generation, *key)
    with _LOCK:
        cache = _CACHES.setdefault(store, OrderedDict())
        if full in cache:
            cache.move_to_end(full)
            hit: T = cache[full]
            return hit
    value = compute()
    with _LOCK:
        cache[full] = value
        while len(cache) > MAX_ENTRIES:
            cache.popitem(last=False)
    return value


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

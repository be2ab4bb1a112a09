"""How normgraph keeps answers: every cache is a `BoundedCache`, keyed by the store's generation.

Whether data changed is the store's to say (`Store.generation`, base.py); how much a cache may hold
is said here, in entries *and* bytes. The caches built on this: the guarded store's result cache
(guarded.py), the compressed bodies of /sparql (normgraph/server/results.py), and read models
computed from a store (`PerGeneration`, e.g. the explorer's). Caches that are many (one per scope: the report
caches) may also share a `Budget`, the bytes they hold together.
"""

from __future__ import annotations

import itertools
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")

#: a single entry may use at most this share of a cache's bytes (bigger ones are not kept)
ENTRY_SHARE = 8

#: when an entry was last used, across every cache of the process (a budget's least recently used entry is the
#: member cache's oldest entry with the lowest tick)
_clock = itertools.count()


class Budget:
    """The bytes several BoundedCaches may hold together (the report caches of every scope in a process). Past it, the
    least recently used entry of all of them goes, whichever cache holds it; each cache keeps its own bound too. The
    member caches share the budget's lock, so evicting from another cache is one step with the put that caused it.
    A member cache that is dropped (its scope gone) takes its bytes with it: `used` is summed over the live members."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.lock = threading.RLock()
        self._members: weakref.WeakSet[BoundedCache[Any, Any]] = weakref.WeakSet()

    @property
    def used(self) -> int:
        with self.lock:
            return sum(c.used for c in list(self._members))

    def join(self, cache: BoundedCache[Any, Any]) -> None:
        with self.lock:
            self._members.add(cache)

    def resize(self, max_bytes: int) -> None:
        """Set the budget (a server's setting); entries past a smaller one go at once."""
        with self.lock:
            self.max_bytes = max_bytes
            self.fit()

    def fit(self) -> None:
        """Evict the least recently used entries of all members until their bytes are within the budget."""
        with self.lock:
            members = [c for c in list(self._members) if c.used or len(c)]
            used = sum(c.used for c in members)
            while used > self.max_bytes:
                oldest = min((c for c in members if len(c)), key=lambda c: c.oldest_tick(), default=None)
                if oldest is None:
                    return
                used -= oldest.drop_oldest()


class BoundedCache(Generic[K, V]):
    """A thread-safe LRU cache bounded by its number of entries and by the bytes they hold (and, with a `budget`, by
    the bytes all the budget's caches hold together).

    The caller says what an entry costs (`size` in `put`); an entry bigger than `largest` (1/ENTRY_SHARE of
    `max_bytes`, or of the budget when smaller) is not kept, so one huge answer cannot flush everything else.
    `lock` may be held around several calls to make them one step."""

    def __init__(self, max_entries: int, max_bytes: int, budget: Budget | None = None) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.budget = budget
        self.lock = threading.RLock() if budget is None else budget.lock
        self._items: OrderedDict[K, tuple[V, int, int]] = OrderedDict()  # value, size, tick of its last use
        self.used = 0  # bytes held, as the callers counted them
        if budget is not None:
            budget.join(self)

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0 and (self.budget is None or self.budget.max_bytes > 0)

    @property
    def largest(self) -> int:
        """The largest entry this cache keeps."""
        room = self.max_bytes if self.budget is None else min(self.max_bytes, self.budget.max_bytes)
        return room // ENTRY_SHARE

    def get(self, key: K) -> V | None:
        with self.lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items[key] = (hit[0], hit[1], next(_clock))
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: K, value: V, size: int) -> bool:
        """Keep `value` (most recently used); False when it is not kept (cache off, or too big)."""
        if not self.enabled or size > self.largest:
            return False
        with self.lock:
            self.discard(key)
            self._items[key] = (value, size, next(_clock))
            self.used += size
            while len(self._items) > self.max_entries or self.used > self.max_bytes:
                self.drop_oldest()
            if self.budget is not None:
                self.budget.fit()
        return True

    def discard(self, key: K) -> None:
        with self.lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.used -= old[1]

    def oldest_tick(self) -> int:
        """When the least recently used entry was last used (the cache is not empty; callers hold the lock)."""
        return self._items[next(iter(self._items))][2]

    def drop_oldest(self) -> int:
        """Evict the least recently used entry (callers hold the lock); returns the bytes it was charged."""
        _k, (_v, gone, _t) = self._items.popitem(last=False)
        self.used -= gone
        return gone

    def clear(self) -> list[tuple[K, V]]:
        """Empty the cache; returns what it held, least recently used first."""
        with self.lock:
            items = [(k, v) for k, (v, _s, _t) in self._items.items()]
            self._items.clear()
            self.used = 0
        return items

    def keys(self) -> list[K]:
        with self.lock:
            return list(self._items)

    def __iter__(self) -> Iterator[K]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items


def rough_size(value: object) -> int:
    """A cheap estimate of the bytes a computed value holds (its own size and, for containers, one
    level of their items): enough to bound a cache of read models, not an exact figure."""
    size = sys.getsizeof(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        size += sum(sys.getsizeof(v) for v in value)
    elif isinstance(value, dict):
        size += sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in value.items())
    return size


class PerGeneration:
    """Values computed from a store's data, each kept until the store's generation changes.

    One BoundedCache per store (held weakly: a closed and dropped store takes its cache with it);
    keys are (generation, *key), so a write makes every older value unreachable and LRU pushes it
    out. `compute` runs outside the lock (two threads may compute the same value once each)."""

    def __init__(self, max_entries: int = 2048, max_bytes: int = 256 * 1024 * 1024,
                 sizeof: Callable[[Any], int] = rough_size) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.sizeof = sizeof
        self._caches: weakref.WeakKeyDictionary[Any, BoundedCache[tuple[Any, ...], Any]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _cache(self, store: Any) -> BoundedCache[tuple[Any, ...], Any]:
        with self._lock:
            cache = self._caches.get(store)
            if cache is None:
                cache = self._caches[store] = BoundedCache(self.max_entries, self.max_bytes)
            return cache

    def get(self, store: Any, key: tuple[Any, ...], compute: Callable[[], T], generation: Hashable | None = None) -> T:
        """The value of `key` for the store's data; `generation`: the epoch it depends on, when not the store's
        own `generation` (e.g. `store.epoch(frozenset())` for a value read from the public graphs only)."""
        full = (store.generation if generation is None else generation, *key)
        cache = self._cache(store)
        with cache.lock:
            hit = full in cache
            if hit:
                value = cache.get(full)
        if hit:
            # a scoped store's answers read an organisation's graphs: the audit trail records a cached
            # read as it recorded the one that filled the cache
            note = getattr(store, "note_cached_read", None)
            if note is not None:
                note()
            return value  # type: ignore[return-value]
        value = compute()
        cache.put(full, value, self.sizeof(value))
        return value

    def keys(self, store: Any) -> list[tuple[Any, ...]]:
        """The keys held for `store`, without their generation."""
        with self._lock:
            cache = self._caches.get(store)
        return [k[1:] for k in cache] if cache is not None else []

    def clear(self) -> None:
        with self._lock:
            self._caches.clear()


__all__ = ["ENTRY_SHARE", "BoundedCache", "Budget", "PerGeneration", "rough_size"]

"""The one cache of normgraph (normgraph/store/cache.py): bounded in entries and bytes, keyed by generation."""

from __future__ import annotations

from normgraph.store import EmbeddedStore
from normgraph.store.cache import ENTRY_SHARE, BoundedCache, PerGeneration


def test_lru_by_entries() -> None:
    c: BoundedCache[str, int] = BoundedCache(max_entries=2, max_bytes=1000)
    c.put("a", 1, 10)
    c.put("b", 2, 10)
    assert c.get("a") == 1  # a is now the most recent
    c.put("c", 3, 10)
    assert "b" not in c and c.get("a") == 1 and c.get("c") == 3 and len(c) == 2 and c.used == 20


def test_bounded_by_bytes_and_one_entry_never_takes_it_all() -> None:
    c: BoundedCache[str, str] = BoundedCache(max_entries=100, max_bytes=800)
    for i in range(10):
        assert c.put(f"k{i}", "v", 100)
    assert c.used <= 800 and len(c) == 8 and "k0" not in c and "k9" in c
    assert not c.put("huge", "v", 800 // ENTRY_SHARE + 1) and "huge" not in c
    c.put("k9", "w", 50)  # replacing an entry counts its new size only
    assert c.used == 7 * 100 + 50


def test_clear_returns_what_it_held_and_an_off_cache_keeps_nothing() -> None:
    c: BoundedCache[str, int] = BoundedCache(max_entries=4, max_bytes=1000)
    c.put("a", 1, 1)
    c.put("b", 2, 1)
    assert c.clear() == [("a", 1), ("b", 2)] and len(c) == 0 and c.used == 0
    off: BoundedCache[str, int] = BoundedCache(max_entries=0, max_bytes=1000)
    assert not off.enabled and not off.put("a", 1, 1) and off.get("a") is None


def test_per_generation_recomputes_after_a_write_only() -> None:
    store = EmbeddedStore()
    views = PerGeneration(max_entries=16)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert views.get(store, ("k",), compute) == 1
    assert views.get(store, ("k",), compute) == 1  # same generation: kept
    store.load('<http://example.org/s> <http://example.org/p> "o" .', "ntriples", "http://example.org/g")
    assert views.get(store, ("k",), compute) == 2  # the data changed
    assert views.keys(store) == [("k",), ("k",)]  # the old generation's entry waits for LRU, unreachable
    other = EmbeddedStore()
    assert views.get(other, ("k",), compute) == 3  # per store

"""Search the catalogs by identifier (after the IRI escaping rule) or by the words of a title."""

from __future__ import annotations

import re
from typing import Any

from normgraph.explorer.cache import cached
from normgraph.explorer.catalogs import Item, catalog_items, keys, natural_key
from normgraph.iri import local_id
from normgraph.store import Store


def _norm(text: str) -> str:
    try:
        return local_id(text).lower()
    except ValueError:
        return ""


def _search_keys(store: Store, key: str) -> list[tuple[Item, set[str], str]]:
    def compute() -> list[tuple[Item, set[str], str]]:
        return [(i, {i.local.lower(), _norm(i.notation)} - {""}, f"{i.notation} {i.label}".casefold())
                for i in catalog_items(store, key)]

    return cached(store, ("search-keys", key), compute)


def search(store: Store, q: str, key: str | None = None, limit: int = 200) -> list[Item]:
    """Items whose identifier or title matches `q`, best first.

    Identifiers are compared after the IRI escaping rule, case-insensitively, so "A.5.19", "a-5-19",
    "5.19" (a suffix), "Art. 9", "GOVERN 1.1" all find their item; otherwise every word of `q` must
    occur in the title or notation.
    """
    q = q.strip()
    if not q:
        return []
    return cached(store, ("search", q, key, limit), lambda: _search(store, q, key, limit))


def _search(store: Store, q: str, key: str | None, limit: int) -> list[Item]:
    nq = _norm(q)
    words = [w for w in re.split(r"\s+", q.casefold()) if w]
    scored: list[tuple[int, int, int, tuple[Any, ...], Item]] = []
    for ci, k in enumerate([key] if key else keys()):
        for item, ids, hay in _search_keys(store, k):
            score = 0
            if nq and nq in ids:
                score = 100
            elif nq and any(i.endswith("-" + nq) for i in ids):
                score = 80
            elif nq and any(i.startswith(nq + "-") for i in ids):
                score = 60
            elif words and all(w in hay for w in words):
                score = 40
            if score:
                scored.append((-score, ci, item.order, natural_key(item.notation), item))
    if any(t[0] <= -60 for t in scored):  # an identifier matched: title-word hits are noise then
        scored = [t for t in scored if t[0] <= -60]
    scored.sort(key=lambda t: t[:4])
    return [t[4] for t in scored[:limit]]

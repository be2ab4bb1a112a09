"""The catalog index: each catalog's items in document order, as a tree, and per-catalog counts."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from normgraph.catalogs.registry import catalog as registry_catalog
from normgraph.catalogs.registry import catalog_of
from normgraph.catalogs.registry import catalogs as registry
from normgraph.explorer.cache import cached, run, s
from normgraph.iri import curie
from normgraph.store import Store


def catalog_key(iri: str) -> str | None:
    """The key of the catalog an item IRI belongs to, or None."""
    entry = catalog_of(iri)
    return entry.key if entry is not None else None


def catalog_order(iri: str) -> int:
    """Sort key: the position of the item's catalog in the registry (others last)."""
    entry = catalog_of(iri)
    return entry.order if entry is not None else 99


def natural_key(text: str) -> tuple[Any, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in re.split(r"(\d+)", text) if p)


@dataclass
class Item:
    iri: str
    key: str
    notation: str
    label: str
    broader: str
    order: int
    cls: str
    children: list[Item] = field(default_factory=list)

    @property
    def local(self) -> str:
        return self.iri.rsplit("/", 1)[-1]

    @property
    def curie(self) -> str:
        return curie(self.iri)

    @property
    def kind(self) -> str:
        """Human words for the class: 'Control', 'AI RMF subcategory' …"""
        return kind_words(self.cls.rsplit("#", 1)[-1] if self.cls else "Item")

    @property
    def title(self) -> str:
        """Notation and title for lists: 'A.5.19 Information security in supplier relationships'."""
        if self.label and self.label != self.notation:
            return f"{self.notation} {self.label}".strip()
        return self.notation or self.curie


def kind_words(name: str) -> str:
    name = name.replace("AIRMF", "AI RMF ").replace("CSF", "CSF ").replace("CMMC", "CMMC ")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).strip()


def catalog_items(store: Store, key: str) -> list[Item]:
    def compute() -> list[Item]:
        rows = run(store, "explorer-catalog-items", {"catalog": registry_catalog(key).scheme})
        items = []
        for r in rows:
            order = r.get("order")
            try:
                n = int(str(order)) if order is not None else 10**9
            except ValueError:
                n = 10**9
            items.append(Item(s(r["item"]), key, s(r.get("notation")), s(r.get("label")), s(r.get("broader")), n,
                              s(r.get("class"))))
        items.sort(key=lambda i: (i.order, natural_key(i.notation or i.local)))
        return items

    return cached(store, ("items", key), compute)


def keys() -> list[str]:
    """The catalog keys the explorer shows, in display order."""
    return [c.key for c in registry()]


def item_index(store: Store) -> dict[str, Item]:
    return cached(store, ("index",), lambda: {i.iri: i for key in keys() for i in catalog_items(store, key)})


def lookup(store: Store, iri: str) -> Item | None:
    if catalog_key(iri) is None:
        return None
    return item_index(store).get(iri)


@dataclass
class CatalogSummary:
    key: str
    iri: str
    title: str
    short: str
    prefix: str
    count: int
    kinds: list[tuple[str, int]]
    records: int


def catalogs(store: Store) -> list[CatalogSummary]:
    def compute() -> list[CatalogSummary]:
        from normgraph.explorer.records import records_by_node

        counts: dict[str, dict[str, int]] = defaultdict(dict)
        by_scheme = {c.scheme: c.key for c in registry()}
        for r in run(store, "catalog-stats"):
            key = by_scheme.get(s(r["scheme"]))
            if key is None:
                continue
            counts[key][s(r["class"]).rsplit("#", 1)[-1]] = int(str(r["count"]))
        by_node = records_by_node(store)
        out = []
        for entry in registry():
            items = catalog_items(store, entry.key)
            if not items:
                continue
            recs = {rec.iri for i in items for rec in by_node.get(i.iri, ())}
            kinds = sorted(((k, n) for k, n in counts[entry.key].items() if k not in ("Requirement", "Provision")),
                           key=lambda kn: -kn[1])
            out.append(CatalogSummary(entry.key, entry.scheme, entry.title, entry.short_title, entry.prefix, len(items),
                                      [(kind_words(k), n) for k, n in kinds], len(recs)))
        return out

    return cached(store, ("catalogs",), compute)


def catalog(store: Store, key: str) -> CatalogSummary | None:
    return next((c for c in catalogs(store) if c.key == key), None)


def catalog_tree(store: Store, key: str) -> list[Item]:
    """Root items of a catalog with .children filled (skos:broader), in document order."""

    def compute() -> list[Item]:
        items = [Item(i.iri, i.key, i.notation, i.label, i.broader, i.order, i.cls) for i in catalog_items(store, key)]
        by_iri = {i.iri: i for i in items}
        roots: list[Item] = []
        for i in items:
            parent = by_iri.get(i.broader)
            (parent.children if parent is not None and parent is not i else roots).append(i)
        return roots

    return cached(store, ("tree", key), compute)


#: a run of at least this many top-level items of one kind is listed under one heading (the AI Act's 180 recitals)
GROUP_RUN = 30


def top_groups(tree: list[Item]) -> list[tuple[str, list[Item]]]:
    """The root items in runs: ("Recitals", [...]) for a long run of one kind, ("", [...]) for the others."""
    runs: list[tuple[str, list[Item]]] = []
    for item in tree:
        if runs and runs[-1][1][-1].cls == item.cls:
            runs[-1][1].append(item)
        else:
            runs.append((item.kind, [item]))
    out: list[tuple[str, list[Item]]] = []
    for kind, items in runs:
        label = f"{kind}s" if len(items) >= GROUP_RUN and not any(i.children for i in items) else ""
        if not label and out and not out[-1][0]:
            out[-1][1].extend(items)
        else:
            out.append((label, items))
    return out


def flatten(tree: list[Item]) -> list[Item]:
    out: list[Item] = []
    stack = list(reversed(tree))
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.children))
    return out


def under(store: Store, key: str, root_local: str) -> set[str]:
    """IRIs of the items below (and including) <catalog>/<root_local>; empty when it has none below."""
    root = f"{registry_catalog(key).scheme}/{root_local}"
    children: dict[str, list[str]] = defaultdict(list)
    for i in catalog_items(store, key):
        children[i.broader].append(i.iri)
    out: set[str] = set()
    stack = [root]
    while stack:
        n = stack.pop()
        if n in out:
            continue
        out.add(n)
        stack.extend(children.get(n, ()))
    return out if len(out) > 1 else set()

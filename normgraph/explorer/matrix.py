"""The coverage matrix of two catalogs: each item of one, what it maps to in the other, by relation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from normgraph.explorer.cache import run_cached, s
from normgraph.explorer.catalogs import CatalogSummary, Item, catalog, catalog_items, catalog_key, item_index, natural_key, under
from normgraph.explorer.page import Link
from normgraph.explorer.records import Record, records
from normgraph.iri import curie
from normgraph.mappings.relations import relations as relation_facts
from normgraph.store import Store


@dataclass
class MatrixCell:
    target: Link
    record: Record


@dataclass
class MatrixRow:
    item: Item
    cells: dict[str, list[MatrixCell]]
    no_counterpart: bool
    explicit: bool
    reason: str


@dataclass
class Matrix:
    a: CatalogSummary
    b: CatalogSummary
    scope: str
    scopes: list[tuple[str, str]]
    relations: list[str]  # relation IRIs present (columns)
    rows: list[MatrixRow]
    sets: list[tuple[str, str]]  # (iri, title) of the sets involved
    selected_relations: list[str]
    selected_sets: list[str]
    show: str
    total_rows: int
    omitted_unmapped: int


def matrix_scopes(store: Store, a: str, b: str) -> list[tuple[str, str]]:
    scopes = [("all", "Whole catalogs")]
    if under(store, a, "annex-A") and under(store, b, "annex-A"):
        scopes.insert(0, ("annex-a", "Annex A × Annex A"))
    return scopes


def matrix(store: Store, a: str, b: str, *, scope: str | None = None, relations: Iterable[str] = (),
           sets: Iterable[str] = (), show: str = "all", big: int = 400) -> Matrix | None:
    ca, cb = catalog(store, a), catalog(store, b)
    if ca is None or cb is None:
        return None
    scopes = matrix_scopes(store, a, b)
    if scope not in {k for k, _ in scopes}:
        scope = scopes[0][0]
    known = relation_facts()
    chosen = [known.by_name(r) for r in relations]
    sel_rel = [str(r.iri) for r in chosen if r is not None]
    sel_sets = [x for x in sets if x]
    pairs = run_cached(store, "coverage-matrix", {"catalogA": ca.iri, "catalogB": cb.iri})
    none = run_cached(store, "no-counterpart", {"catalogA": cb.iri, "catalogB": ca.iri})
    recs = records(store)
    in_a = under(store, a, "annex-A") if scope == "annex-a" else None
    in_b = under(store, b, "annex-A") if scope == "annex-a" else None
    index = item_index(store)
    cells: dict[str, dict[str, list[MatrixCell]]] = defaultdict(lambda: defaultdict(list))
    all_sets: dict[str, str] = {}
    present: set[str] = set()
    any_record: set[str] = set()
    for r in pairs:
        ai, bi, rec = s(r["a"]), s(r["b"]), recs.get(s(r["record"]))
        if rec is None or (in_a is not None and ai not in in_a) or (in_b is not None and bi not in in_b):
            continue
        any_record.add(ai)
        all_sets[rec.set] = rec.set_title or curie(rec.set)
        rel = s(r["relation"])
        if sel_rel and rel not in sel_rel:
            continue
        if sel_sets and rec.set not in sel_sets:
            continue
        present.add(rel)
        target = index.get(bi)
        cells[ai][rel].append(MatrixCell(Link(bi, target.notation if target else curie(bi), target.label if target else ""), rec))
    explicit = {s(r["requirement"]): s(r.get("reason")) for r in none if s(r.get("explicit")).lower() == "true"}
    for rec in recs.values():  # the sets of explicit no-counterpart records count as sources too
        if rec.no_counterpart and rec.subject in explicit and catalog_key(rec.subject) == a and rec.set:
            all_sets.setdefault(rec.set, rec.set_title or curie(rec.set))
    filtering = bool(sel_rel or sel_sets)
    items = catalog_items(store, a)
    if in_a is not None:
        items = [i for i in items if i.iri in in_a and i.cls.endswith(("#Control", "#ControlObjective"))]
    omitted = 0
    rows: list[MatrixRow] = []
    for item in items:
        c = cells.get(item.iri)
        mapped = bool(c)
        if filtering and not mapped:
            continue
        if not mapped and len(items) > big and item.iri not in explicit and item.iri not in any_record:
            omitted += 1
            continue
        if (show == "mapped" and not mapped) or (show == "none" and mapped):
            continue
        row_cells = {rel: sorted(v, key=lambda mc: natural_key(mc.target.text)) for rel, v in (c or {}).items()}
        rows.append(MatrixRow(item, row_cells, not mapped, item.iri in explicit, explicit.get(item.iri, "")))
    columns = [str(rel.iri) for rel in known if str(rel.iri) in present]
    return Matrix(ca, cb, scope, scopes, columns, rows, sorted(all_sets.items(), key=lambda kv: kv[1]), sel_rel, sel_sets,
                  show, len(items), omitted)

"""Search the catalogs: identifiers, titles and texts, ranked, with stemming (SQLite FTS5).

One full-text index per store and epoch of its public graphs (normgraph/store/epochs.py), built in
memory from two named queries that read public graphs only (queries/search-documents.rq,
search-crosswalk.rq): organisation data never enters it, so the same index answers every user,
anonymous or not. Each catalog item is one document with four columns, weighted in that order: its
identifier, its title, its own texts (official text, NIST discussion, our summary) and what the
crosswalk says of it (each record's counterpart and rationale).

Ranking, in tiers: an identifier match (after the IRI escaping rule: "A.5.19", "5.19", "a-5-19",
"Art. 9", "GOVERN 1.1") answers alone; otherwise items whose title holds every word come first, then
those whose own text does, then those found through the crosswalk; BM25 orders each tier. Words are
stemmed by the Porter stemmer ("assessment" finds "Assessing").
"""

from __future__ import annotations

import pickle
import re
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from normgraph.catalogs.registry import catalogs as registry
from normgraph.explorer.cache import run, s
from normgraph.explorer.catalogs import Item, natural_key
from normgraph.iri import NG, local_id
from normgraph.store import Store
from normgraph.store.cache import PerGeneration

_SKOS = "http://www.w3.org/2004/02/skos/core#"
_TEXTS = (f"{NG}text", f"{NG}summary", f"{NG}discussion", f"{NG}implementationExample")
#: column weights for BM25: identifier, title, own text, crosswalk
WEIGHTS = (10.0, 5.0, 1.0, 0.5)
TOKENIZER = "porter unicode61 remove_diacritics 2"
_MARK = ("\x02", "\x03")  # snippet highlight markers (never in the indexed text)
_WORD = re.compile(r"\w+")
#: the most distinct words of one search that reach the index (the rest of a longer query is ignored)
MAX_WORDS = 32
#: the indexes kept: a few data generations of one store, bounded in bytes too (each knows its size)
_INDEXES = PerGeneration(max_entries=4, max_bytes=256 * 1024 * 1024, sizeof=lambda ix: ix.nbytes)
#: the answers to searches, one per distinct query text a client sends: their own LRU, sized by what they
#: hold (pickled), so a client sending many texts evicts older searches, never the read models of every page
_ANSWERS = PerGeneration(max_entries=512, max_bytes=32 * 1024 * 1024,
                         sizeof=lambda r: len(pickle.dumps(r, pickle.HIGHEST_PROTOCOL)))


@dataclass(frozen=True)
class Hit:
    """One search result: the item, its catalog's name, the title it is shown with and a snippet."""

    item: Item
    catalog: str  # the catalog's name (registry), e.g. "ISO/IEC 27001:2022"
    context: str  # for an untitled paragraph or point: its article's notation and title; else ""
    snippet: tuple[tuple[str, bool], ...]  # (text, matched) runs; empty when there is nothing to show
    where: str  # "identifier", "title", "text" or "crosswalk": what it was found by

    @property
    def iri(self) -> str:
        return self.item.iri

    @property
    def key(self) -> str:
        return self.item.key


@dataclass(frozen=True)
class Results:
    query: str
    catalog: str | None  # the catalog key searched, None = all
    hits: list[Hit]
    total: int  # matches in the searched catalog(s), of which `hits` are the first
    facets: list[tuple[str, str, int]] = field(default_factory=list)  # (key, name, matches) per catalog

    @property
    def items(self) -> list[Item]:
        return [h.item for h in self.hits]


class SearchIndex:
    """An FTS5 index of the public catalog items (in memory; `nbytes` is its size)."""

    def __init__(self, items: list[Item], texts: dict[str, list[str]], crosswalk: dict[str, list[str]]) -> None:
        self.items = items
        self.by_iri = {i.iri: i for i in items}
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        db = self._db
        db.execute("CREATE TABLE doc (id INTEGER PRIMARY KEY, nid TEXT, nlocal TEXT, key TEXT)")
        try:
            db.execute(f"CREATE VIRTUAL TABLE fts USING fts5(ident, title, body, crosswalk, tokenize='{TOKENIZER}')")
        except sqlite3.OperationalError as e:  # a Python built against an SQLite without FTS5
            raise RuntimeError(f"search needs SQLite's FTS5 extension (SQLite {sqlite3.sqlite_version}): {e}") from e
        for n, item in enumerate(items):
            db.execute("INSERT INTO doc VALUES (?, ?, ?, ?)", (n, _norm(item.notation), item.local.lower(), item.key))
            title = item.label if item.label != item.notation else ""
            db.execute("INSERT INTO fts (rowid, ident, title, body, crosswalk) VALUES (?, ?, ?, ?, ?)",
                       (n, item.notation, title, "\n".join(texts.get(item.iri, ())),
                        "\n".join(crosswalk.get(item.iri, ()))))
        db.execute("CREATE INDEX doc_nid ON doc (nid)")
        db.execute("CREATE INDEX doc_nlocal ON doc (nlocal)")
        db.commit()
        pages = db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
        self.nbytes = int(pages) + 400 * len(items)  # the database and the Item objects

    def identifier_hits(self, nq: str, digits: bool) -> list[tuple[int, int]]:
        """(score, row) of the items whose identifier is `nq` (100), ends with it (80) or starts with it (60);
        the last two only for a query with a digit ("5.19", "GOVERN 1"), not for words ("a", "risk")."""
        sql = "SELECT 100, id FROM doc WHERE nid = ?1 OR nlocal = ?1"
        if digits:
            sql += (" UNION ALL SELECT 80, id FROM doc WHERE nid LIKE '%-' || ?1 OR nlocal LIKE '%-' || ?1"
                    " UNION ALL SELECT 60, id FROM doc WHERE nid LIKE ?1 || '-%' OR nlocal LIKE ?1 || '-%'")
        best: dict[int, int] = {}
        with self._lock:
            for score, row in self._db.execute(sql, (nq,)):
                best[row] = max(best.get(row, 0), score)
        return sorted(((sc, row) for row, sc in best.items()), key=lambda t: -t[0])

    def text_hits(self, words: list[str]) -> list[tuple[int, float, int, str, str]]:
        """(tier, bm25, row, body snippet, crosswalk snippet) of the items holding every word, tier 1 =
        all in the title, 2 = in identifier, title and own text, 3 = anywhere (incl. the crosswalk)."""
        phrase = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        weights = ", ".join(str(w) for w in WEIGHTS)
        a, b = _MARK
        sql = (f"SELECT rowid, bm25(fts, {weights}), snippet(fts, 2, '{a}', '{b}', '…', 24),"
               f" snippet(fts, 3, '{a}', '{b}', '…', 24) FROM fts WHERE fts MATCH ?")
        seen: set[int] = set()
        out: list[tuple[int, float, int, str, str]] = []
        with self._lock:
            for tier, match in ((1, f"{{title}} : ({phrase})"), (2, f"{{ident title body}} : ({phrase})"), (3, phrase)):
                for row, rank, body, cross in self._db.execute(sql, (match,)):
                    if row not in seen:
                        seen.add(row)
                        out.append((tier, rank, row, body, cross))
        return out


def _norm(text: str) -> str:
    try:
        return local_id(text).lower()
    except ValueError:
        return ""


def build_index(store: Store) -> SearchIndex:
    """Read the public facts of every catalog item and index them."""
    keys = {c.scheme: c.key for c in registry()}
    facts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    scheme_of: dict[str, str] = {}
    for r in run(store, "search-documents"):
        key = keys.get(s(r["scheme"]))
        if key is None:
            continue
        item = s(r["item"])
        scheme_of[item] = key
        facts[item][s(r["p"])].append(s(r["value"]))
    items: list[Item] = []
    texts: dict[str, list[str]] = {}
    for iri, f in facts.items():
        key = scheme_of[iri]
        broader = next((b for b in f.get(f"{_SKOS}broader", ()) if scheme_of.get(b) == key), "")
        cls = next((c for c in sorted(f.get("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", ())) if c.startswith(str(NG))), "")
        order = min((int(o) for o in f.get(f"{NG}order", ()) if o.lstrip("-").isdigit()), default=10**9)
        notation = min(f.get(f"{_SKOS}notation", [""]))
        label = min(f.get(f"{_SKOS}prefLabel", [notation]))
        items.append(Item(iri, key, notation, label, broader, order, cls))
        texts[iri] = [t for p in _TEXTS for t in sorted(f.get(p, ()))]
    by_iri = {i.iri: i for i in items}
    crosswalk: dict[str, list[str]] = defaultdict(list)
    for r in run(store, "search-crosswalk"):
        subject, obj = s(r["subject"]), s(r["object"])
        rationale = "" if s(r.get("inferred")).lower() == "true" else s(r.get("rationale"))
        for here, there in ((subject, obj), (obj, subject)):
            if here in by_iri:
                other = by_iri.get(there)
                words = f"{other.notation} {other.label}" if other is not None and other.label != other.notation else (
                    other.notation if other is not None else "")
                crosswalk[here].append(". ".join(x for x in (words, rationale) if x))
    return SearchIndex(document_order(items), texts, {k: sorted(set(v)) for k, v in crosswalk.items()})


def document_order(items: list[Item]) -> list[Item]:
    """The items as their catalogs list them: catalog by catalog, each item before the items below it."""
    catalog_order = {c.key: c.order for c in registry()}
    by_iri = {i.iri: i for i in items}
    children: dict[str, list[Item]] = defaultdict(list)
    for i in items:
        children[i.broader if i.broader in by_iri and i.broader != i.iri else ""].append(i)
    for siblings in children.values():
        siblings.sort(key=lambda i: (catalog_order.get(i.key, 99), i.order, natural_key(i.notation or i.local)))
    out: list[Item] = []
    seen: set[str] = set()
    stack = list(reversed(children[""]))
    while stack:
        i = stack.pop()
        if i.iri in seen:  # a cycle of skos:broader in the data: list each item once
            continue
        seen.add(i.iri)
        out.append(i)
        stack.extend(reversed(children.get(i.iri, ())))
    return out + [i for i in items if i.iri not in seen]


def index(store: Store) -> SearchIndex:
    """The index of the store's public graphs as they are now. It holds public knowledge only, so all scopes
    of one store (normgraph.store.scoped: `inner`) share it, and a write to an organisation's graph keeps it."""
    base = getattr(store, "inner", store)
    return _INDEXES.get(base, ("search-index",), lambda: build_index(store), generation=base.epoch(frozenset()))


def search(store: Store, q: str, key: str | None = None, limit: int = 200) -> Results:
    """The items matching `q` (in catalog `key`, or all), best first, at most `limit` of them."""
    q = q.strip()
    if not q:
        return Results(q, key, [], 0)
    return _ANSWERS.get(store, ("search", q, key, limit), lambda: _search(store, q, key, limit))


def _search(store: Store, q: str, key: str | None, limit: int) -> Results:
    ix = index(store)
    names = {c.key: c.title for c in registry()}
    nq = _norm(q)
    scored: list[tuple[int, float, int, Hit]] = []
    ids = ix.identifier_hits(nq, any(ch.isdigit() for ch in q)) if nq else []
    if ids:
        for score, row in ids:
            item = ix.items[row]
            scored.append((-score, 0.0, row, _hit(ix, item, names, "identifier", "", "")))
    else:
        # each word once, and a bounded number of them: FTS5's work grows with repeated terms, and a search
        # runs in the server process for anonymous readers (no query worker, no admission control)
        words = list(dict.fromkeys(w.casefold() for w in _WORD.findall(q)))[:MAX_WORDS]
        for tier, rank, row, body, cross in ix.text_hits(words) if words else []:
            item = ix.items[row]
            where = {1: "title", 2: "text", 3: "crosswalk"}[tier]
            scored.append((tier, rank, row, _hit(ix, item, names, where, body, cross)))
    counts: dict[str, int] = defaultdict(int)
    for *_rest, hit in scored:
        counts[hit.key] += 1
    facets = [(c.key, c.title, counts[c.key]) for c in registry() if counts.get(c.key)]
    chosen = [t for t in scored if key is None or t[3].key == key]
    chosen.sort(key=lambda t: t[:3])
    return Results(q, key, [t[3] for t in chosen[:limit]], len(chosen), facets)


def _hit(ix: SearchIndex, item: Item, names: dict[str, str], where: str, body: str, cross: str) -> Hit:
    context = ""
    if item.label == item.notation:  # an untitled paragraph or point: say which article it is in
        parent = ix.by_iri.get(item.broader)
        while parent is not None and parent.label == parent.notation:
            parent = ix.by_iri.get(parent.broader)
        if parent is not None:
            context = parent.title
    # the words found in its own text, else in the crosswalk, else the opening of its text (a recital's words)
    text = body if _MARK[0] in body else cross if _MARK[0] in cross else body
    return Hit(item, names.get(item.key, item.key), context, _runs(text), where)


def _runs(snippet: str) -> tuple[tuple[str, bool], ...]:
    """'a \\x02b\\x03 c' → (('a ', False), ('b', True), (' c', False))."""
    out: list[tuple[str, bool]] = []
    for n, part in enumerate(re.split("[\x02\x03]", snippet)):
        if part:
            out.append((part, n % 2 == 1))
    return tuple(out)

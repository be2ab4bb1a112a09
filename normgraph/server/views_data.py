"""The explorer's view-model layer: run the named queries, shape the rows for the templates.

Templates stay dumb: every function here returns plain dataclasses / dicts of strings, already
sorted, with human words for relations. Results are cached per store and *data generation*
(`Store.generation`, which changes whenever the data may have changed), so a page costs a few dictionary look-ups once the data is warm.

Named queries used: catalog-stats, crosswalk-of-requirement, coverage-matrix, no-counterpart,
obligations-for-42001-control, airmf-for-ai-act-article, and the explorer-* ones
(explorer-catalog-items, explorer-records, explorer-requirement, explorer-obligations-of-provision).
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS
from rdflib.term import Identifier

from normgraph.iri import CATALOGS, NG, NGID, SEMAPV, SSSOM, curie, local_id
from normgraph.queries import get_query
from normgraph.store import SelectResult, Store

T = TypeVar("T")

OBLIGATIONS_KEY = "eu-ai-act-obligation"
NO_TERM = str(SSSOM.NoTermFound)

#: Catalog keys shown by the explorer, in display order, with (prefix, title, short title).
CATALOG_INFO: dict[str, tuple[str, str, str]] = {
    "iso27001-2022": ("iso27001", CATALOGS["iso27001-2022"][1], "ISO 27001"),
    "iso42001-2023": ("iso42001", CATALOGS["iso42001-2023"][1], "ISO 42001"),
    "eu-ai-act": ("aiact", CATALOGS["eu-ai-act"][1], "AI Act"),
    OBLIGATIONS_KEY: ("aiactob", "EU AI Act obligations (normgraph)", "AI Act obligations"),
    "gdpr": ("gdpr", CATALOGS["gdpr"][1], "GDPR"),
    "nist-ai-rmf-1.0": ("airmf", CATALOGS["nist-ai-rmf-1.0"][1], "AI RMF"),
    "nist-sp800-171r2": ("sp800171", CATALOGS["nist-sp800-171r2"][1], "SP 800-171"),
    "cmmc-2.0": ("cmmc", CATALOGS["cmmc-2.0"][1], "CMMC"),
    "nist-csf-2.0": ("csf", CATALOGS["nist-csf-2.0"][1], "CSF 2.0"),
    "nist-sp800-53r5": ("sp80053", CATALOGS["nist-sp800-53r5"][1], "SP 800-53"),
}
#: Okabe-Ito based colours (distinguishable with the common colour-vision deficiencies).
CATALOG_COLOURS: dict[str, str] = {
    "iso27001-2022": "#0072B2",
    "iso42001-2023": "#009E73",
    "eu-ai-act": "#D55E00",
    OBLIGATIONS_KEY: "#E69F00",
    "gdpr": "#CC79A7",
    "nist-ai-rmf-1.0": "#56B4E9",
    "nist-sp800-171r2": "#8C564B",
    "cmmc-2.0": "#7F7F7F",
    "nist-csf-2.0": "#F0E442",
    "nist-sp800-53r5": "#332288",
}
OTHER_COLOUR = "#999999"

RELATIONS: dict[str, tuple[str, str]] = {  # IRI -> (words, symbol)
    str(NG.equalTo): ("equal to", "="),
    str(NG.subsetOf): ("subset of", "⊂"),
    str(NG.supersetOf): ("superset of", "⊃"),
    str(NG.intersectsWith): ("intersects with", "∩"),
    str(NG.relatedTo): ("related to", "~"),
}
RELATION_BY_SHORT = {iri.rsplit("#", 1)[1]: iri for iri in RELATIONS}
INVERSE = {
    str(NG.equalTo): str(NG.equalTo), str(NG.subsetOf): str(NG.supersetOf), str(NG.supersetOf): str(NG.subsetOf),
    str(NG.intersectsWith): str(NG.intersectsWith), str(NG.relatedTo): str(NG.relatedTo),
}
COMPOSABLE = {str(NG.equalTo), str(NG.subsetOf), str(NG.supersetOf)}
JUSTIFICATIONS = {
    str(SEMAPV.ManualMappingCuration): "manual curation",
    str(SEMAPV.MappingChaining): "chaining of records",
    str(SEMAPV.LexicalMatching): "lexical matching",
    str(SEMAPV.UnspecifiedMatching): "unspecified",
}


# -- caching per data generation ---------------------------------------------------------------
_CACHES: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[Any, ...], Any]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_MAX_ENTRIES = 2048


def _generation(store: Store) -> Any:
    return store.generation  # part of the Store protocol: changes whenever the data may have changed


def cached(store: Store, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """compute() once per (store, data generation, key); LRU-bounded."""
    full = (_generation(store), *key)
    with _LOCK:
        cache = _CACHES.setdefault(store, OrderedDict())
        if full in cache:
            cache.move_to_end(full)
            return cache[full]  # type: ignore[no-any-return]
    value = compute()
    with _LOCK:
        cache[full] = value
        while len(cache) > _MAX_ENTRIES:
            cache.popitem(last=False)
    return value


def clear_cache() -> None:
    with _LOCK:
        _CACHES.clear()


def run(store: Store, name: str, params: dict[str, str] | None = None) -> SelectResult:
    result = store.query(get_query(name).bind(params or {}))
    assert isinstance(result, SelectResult), f"{name} is not a SELECT"
    return result


def s(term: Identifier | None) -> str:
    return "" if term is None else str(term)


# -- catalogs and items --------------------------------------------------------------------------
def catalog_key(iri: str) -> str | None:
    """The catalog key an item IRI belongs to (by its path), or None."""
    if not iri.startswith(str(NGID)):
        return None
    first = iri[len(str(NGID)):].split("/", 1)[0]
    return first if first in CATALOG_INFO else None


def scheme(key: str) -> str:
    return f"{NGID}{key}"


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
        name = self.cls.rsplit("#", 1)[-1] if self.cls else "Item"
        name = name.replace("AIRMF", "AI RMF ").replace("CSF", "CSF ").replace("CMMC", "CMMC ")
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).strip()

    @property
    def title(self) -> str:
        """Notation and title for lists: 'A.5.19 Information security in supplier relationships'."""
        if self.label and self.label != self.notation:
            return f"{self.notation} {self.label}".strip()
        return self.notation or self.curie


def catalog_items(store: Store, key: str) -> list[Item]:
    def compute() -> list[Item]:
        rows = run(store, "explorer-catalog-items", {"catalog": scheme(key)})
        items = []
        for r in rows:
            order = r.get("order")
            try:
                n = int(str(order)) if order is not None else 10**9
            except ValueError:
                n = 10**9
            iri = s(r["item"])
            items.append(Item(iri, key, s(r.get("notation")), s(r.get("label")), s(r.get("broader")), n, s(r.get("class"))))
        items.sort(key=lambda i: (i.order, natural_key(i.notation or i.local)))
        return items

    return cached(store, ("items", key), compute)


def natural_key(text: str) -> tuple[Any, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in re.split(r"(\d+)", text) if p)


def item_index(store: Store) -> dict[str, Item]:
    def compute() -> dict[str, Item]:
        return {i.iri: i for key in CATALOG_INFO for i in catalog_items(store, key)}

    return cached(store, ("index",), compute)


def lookup(store: Store, iri: str) -> Item | None:
    key = catalog_key(iri)
    if key is None:
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
    colour: str


def catalogs(store: Store) -> list[CatalogSummary]:
    def compute() -> list[CatalogSummary]:
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        titles: dict[str, str] = {}
        for r in run(store, "catalog-stats"):
            key = catalog_key(s(r["scheme"]))
            if key is None or s(r["scheme"]) != scheme(key):
                continue
            cls = s(r["class"]).rsplit("#", 1)[-1]
            counts[key][cls] = int(str(r["count"]))
            if r.get("title"):
                titles[key] = s(r["title"])
        by_node = records_by_node(store)
        out = []
        for key, (prefix, title, short) in CATALOG_INFO.items():
            items = catalog_items(store, key)
            if not items:
                continue
            recs = {rec.iri for i in items for rec in by_node.get(i.iri, ())}
            kinds = sorted(((k, n) for k, n in counts[key].items() if k not in ("Requirement", "Provision")),
                           key=lambda kn: -kn[1])
            out.append(CatalogSummary(key, scheme(key), title, short, prefix, len(items),
                                      [(_kind_words(k), n) for k, n in kinds], len(recs), CATALOG_COLOURS[key]))
        return out

    return cached(store, ("catalogs",), compute)


def _kind_words(cls: str) -> str:
    return Item("", "", "", "", "", 0, f"#{cls}").kind


def catalog(store: Store, key: str) -> CatalogSummary | None:
    return next((c for c in catalogs(store) if c.key == key), None)


def catalog_tree(store: Store, key: str) -> list[Item]:
    """Root items of a catalog with .children filled (skos:broader), in document order."""

    def compute() -> list[Item]:
        items = [Item(i.iri, i.key, i.notation, i.label, i.broader, i.order, i.cls) for i in catalog_items(store, key)]
        by_iri = {i.iri: i for i in items}
        roots = []
        for i in items:
            parent = by_iri.get(i.broader)
            (parent.children if parent is not None and parent is not i else roots).append(i)
        return roots

    return cached(store, ("tree", key), compute)


# -- search ----------------------------------------------------------------------------------------
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
    keys = [key] if key else list(CATALOG_INFO)
    scored: list[tuple[int, int, int, tuple[Any, ...], Item]] = []
    for ci, k in enumerate(keys):
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


# -- mapping records -------------------------------------------------------------------------------
@dataclass
class Record:
    iri: str
    subject: str
    relation: str
    object: str
    set: str
    set_title: str
    source: str
    justification: str
    confidence: str
    rationale: str
    inferred: bool
    chain_length: str
    derived_from: list[str]
    terms: dict[str, Identifier | None] = field(repr=False, default_factory=dict)

    @property
    def no_counterpart(self) -> bool:
        return self.object == NO_TERM

    @property
    def relation_words(self) -> str:
        return RELATIONS.get(self.relation, (curie(self.relation), ""))[0]

    @property
    def justification_words(self) -> str:
        return JUSTIFICATIONS.get(self.justification, curie(self.justification) if self.justification else "")


def records(store: Store) -> dict[str, Record]:
    def compute() -> dict[str, Record]:
        out = {}
        for r in run(store, "explorer-records"):
            inferred = s(r.get("inferred")).lower() in ("true", "1")
            rec = Record(
                s(r["record"]), s(r["subject"]), s(r["relation"]), s(r["object"]), s(r.get("set")),
                s(r.get("setTitle")), s(r.get("source")), s(r.get("justification")), s(r.get("confidence")),
                s(r.get("rationale")), inferred, s(r.get("chainLength")), s(r.get("derivedFrom")).split(), dict(r),
            )
            out[rec.iri] = rec
        return out

    return cached(store, ("records",), compute)


def records_by_node(store: Store) -> dict[str, list[Record]]:
    def compute() -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = defaultdict(list)
        for rec in records(store).values():
            out[rec.subject].append(rec)
            if rec.object != rec.subject:
                out[rec.object].append(rec)
        return dict(out)

    return cached(store, ("by_node",), compute)


def record_triples(g: Graph, rec: Record) -> None:
    """The record's statements (as loaded) into g."""
    node = URIRef(rec.iri)
    g.add((node, RDF.type, NG.MappingRecord))
    g.add((node, NG.mappingSubject, URIRef(rec.subject)))
    g.add((node, NG.mappingPredicate, URIRef(rec.relation)))
    g.add((node, NG.mappingObject, URIRef(rec.object)))
    t = rec.terms
    for var, prop in (("set", NG.inMappingSet), ("source", DCTERMS.source), ("justification", NG.justification),
                      ("confidence", NG.confidence), ("rationale", NG.rationale), ("inferred", NG.inferred),
                      ("chainLength", NG.chainLength)):
        value = t.get(var)
        if value is not None:
            g.add((node, prop, value))
    for d in rec.derived_from:
        g.add((node, PROV.wasDerivedFrom, URIRef(d)))


def item_triples(g: Graph, item: Item) -> None:
    node = URIRef(item.iri)
    if item.notation:
        g.add((node, SKOS.notation, Literal(item.notation)))
    if item.label:
        g.add((node, SKOS.prefLabel, Literal(item.label, lang="en")))
    g.add((node, SKOS.inScheme, URIRef(scheme(item.key))))
    if item.broader:
        g.add((node, SKOS.broader, URIRef(item.broader)))


# -- a requirement's page ---------------------------------------------------------------------------
@dataclass
class Link:
    iri: str
    text: str
    title: str = ""
    key: str = ""


@dataclass
class MappingRow:
    counterpart: Link | None  # None = explicitly no counterpart
    relation: str
    relation_words: str
    direction: str
    record: Record
    chain: list[tuple[Record, Link, Link]] = field(default_factory=list)


@dataclass
class MappingGroup:
    key: str
    title: str
    colour: str
    rows: list[MappingRow]


@dataclass
class Property:
    name: str
    values: list[Link | str]


@dataclass
class ResourcePage:
    iri: str
    curie: str
    heading: str
    item: Item | None
    kind: str
    catalog: CatalogSummary | None
    texts: list[tuple[str, str]]  # (caption, text)
    broader: list[Link]
    narrower: list[Link]
    properties: list[Property]
    groups: list[MappingGroup]
    no_counterpart: list[MappingRow]
    obligations: list[dict[str, Any]]
    helped_by_obligations: list[dict[str, Any]]
    airmf: list[dict[str, Any]]
    record: Record | None
    rows: list[dict[str, Identifier | None]] = field(repr=False, default_factory=list)


_TEXT_PROPS = {str(NG.text): "Text", str(NG.summary): "Summary (normgraph)", str(NG.discussion): "Discussion",
               str(SKOS.scopeNote): "Note", str(SKOS.definition): "Definition", str(DCTERMS.description): "Description"}
_SKIP_PROPS = {str(SKOS.notation), str(SKOS.prefLabel), str(SKOS.broader), str(SKOS.narrower), str(NG.order),
               str(SKOS.inScheme), str(SKOS.topConceptOf), *RELATIONS}
_PROP_NAMES = {
    str(RDF.type): "type", str(NG.imposedBy): "imposed by", str(NG.appliesToRole): "applies to role",
    str(NG.appliesToSystemCategory): "for systems", str(NG.requiresEvidence): "evidence",
    str(NG.applicableFrom): "applicable from", str(DCTERMS.source): "source", str(NG.derivesFrom): "derives from",
    str(NG.cmmcLevel): "CMMC level", str(NG.withdrawn): "withdrawn", str(NG.farReference): "FAR reference",
    str(NG.implementationExample): "implementation example", str(NG.footnote): "footnote",
}


def link(store: Store, iri: str) -> Link:
    item = lookup(store, iri)
    if item is not None:
        return Link(iri, item.notation or item.curie, item.label, item.key)
    return Link(iri, curie(iri))


def requirement_rows(store: Store, iri: str) -> list[dict[str, Identifier | None]]:
    return cached(store, ("describe", iri), lambda: list(run(store, "explorer-requirement", {"requirement": iri})))


def resource_page(store: Store, iri: str) -> ResourcePage | None:
    """Everything the explorer shows about one IRI (catalog item, mapping record or anything else)."""
    return cached(store, ("page", iri), lambda: _resource_page(store, iri))


def _resource_page(store: Store, iri: str) -> ResourcePage | None:
    rows = requirement_rows(store, iri)
    if not rows:
        return None
    item = lookup(store, iri)
    texts: list[tuple[str, str]] = []
    broader: list[Link] = []
    narrower: list[Link] = []
    props: dict[str, list[Link | str]] = defaultdict(list)
    label = notation = ""
    for r in rows:
        p, o = s(r["p"]), r["o"]
        if p in _TEXT_PROPS and isinstance(o, Literal):
            texts.append((_TEXT_PROPS[p], str(o)))
        elif p == str(SKOS.broader):
            broader.append(Link(s(o), s(r.get("oNotation")) or curie(s(o)), s(r.get("oLabel"))))
        elif p == str(SKOS.narrower):
            narrower.append(Link(s(o), s(r.get("oNotation")) or curie(s(o)), s(r.get("oLabel"))))
        elif p == str(SKOS.prefLabel):
            label = str(o)
        elif p == str(SKOS.notation):
            notation = str(o)
        elif p in _SKIP_PROPS or (item is not None and p == str(RDF.type)):
            continue
        elif isinstance(o, URIRef):
            text = s(r.get("oNotation")) or s(r.get("oLabel")) or curie(str(o))
            props[p].append(Link(str(o), text, s(r.get("oLabel"))))
        else:
            props[p].append(str(o))
    order = list(_PROP_NAMES)
    properties = [Property(_PROP_NAMES.get(p, curie(p)), v)
                  for p, v in sorted(props.items(), key=lambda pv: (order.index(pv[0]) if pv[0] in order else 99, pv[0]))]
    narrower.sort(key=lambda link_: natural_key(link_.text))
    recs = records(store)
    record = recs.get(iri)
    groups: list[MappingGroup] = []
    none_rows: list[MappingRow] = []
    obligations: list[dict[str, Any]] = []
    helped: list[dict[str, Any]] = []
    airmf: list[dict[str, Any]] = []
    if item is not None:
        groups, none_rows = _mapping_groups(store, iri)
        if item.key == "eu-ai-act":
            obligations = _obligations_of_provision(store, iri)
            if item.cls.endswith("#Article"):
                airmf = _airmf_for_article(store, iri)
        if item.key == "iso42001-2023":
            helped = _obligations_for_42001(store, iri)
    heading = " ".join(x for x in (notation, label) if x) or curie(iri)
    if record is not None:
        subj, obj = link(store, record.subject), link(store, record.object)
        heading = f"Mapping record: {subj.text} {record.relation_words} {obj.text if not record.no_counterpart else 'nothing'}"
    kind = item.kind if item is not None else ("Mapping record" if record is not None else "Resource")
    return ResourcePage(iri, curie(iri), heading, item, kind, catalog(store, item.key) if item else None, texts, broader,
                        narrower, properties, groups, none_rows, obligations, helped, airmf, record, rows)


def _chain(store: Store, rec: Record) -> list[tuple[Record, Link, Link]]:
    recs = records(store)
    steps = [recs[d] for d in rec.derived_from if d in recs]
    ordered: list[Record] = []
    node = rec.subject
    while steps:  # walk the chain from the inferred record's subject
        nxt = next((x for x in steps if node in (x.subject, x.object)), steps[0])
        steps.remove(nxt)
        ordered.append(nxt)
        node = nxt.object if nxt.subject == node else nxt.subject
    return [(src, link(store, src.subject), link(store, src.object)) for src in ordered]


def _mapping_groups(store: Store, iri: str) -> tuple[list[MappingGroup], list[MappingRow]]:
    recs = records(store)
    grouped: dict[str, list[MappingRow]] = defaultdict(list)
    none_rows: list[MappingRow] = []
    seen: set[str] = set()
    for r in run_cached(store, "crosswalk-of-requirement", {"requirement": iri}):
        rec = recs.get(s(r["record"]))
        if rec is None or rec.iri in seen:
            continue
        seen.add(rec.iri)
        other = s(r["counterpart"])
        relation = s(r["relation"])
        row = MappingRow(None, relation, RELATIONS.get(relation, (curie(relation), ""))[0], s(r.get("direction")), rec,
                         _chain(store, rec))
        if other == NO_TERM:
            none_rows.append(row)
            continue
        row.counterpart = Link(other, s(r.get("notation")) or curie(other), s(r.get("label")), catalog_key(other) or "")
        grouped[row.counterpart.key or "other"].append(row)
    strength = list(RELATIONS)
    groups = []
    for key in [*CATALOG_INFO, "other"]:
        if key in grouped:
            rows = sorted(grouped[key], key=lambda m: (strength.index(m.relation) if m.relation in strength else 9,
                                                       m.record.inferred, natural_key(m.counterpart.text if m.counterpart else "")))
            title = CATALOG_INFO[key][1] if key in CATALOG_INFO else "Other"
            groups.append(MappingGroup(key, title, CATALOG_COLOURS.get(key, OTHER_COLOUR), rows))
    return groups, none_rows


def run_cached(store: Store, name: str, params: dict[str, str]) -> list[dict[str, Identifier | None]]:
    return cached(store, ("q", name, tuple(sorted(params.items()))), lambda: list(run(store, name, params)))


def _obligations_of_provision(store: Store, iri: str) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    recs = records(store)
    for r in run_cached(store, "explorer-obligations-of-provision", {"provision": iri}):
        ob = s(r["obligation"])
        entry = out.setdefault(ob, {"obligation": Link(ob, s(r.get("notation")), s(r.get("label"))),
                                    "role": curie(s(r.get("role"))).split("/")[-1] if r.get("role") else "",
                                    "imposed_by": link(store, s(r["imposedBy"])), "controls": [], "none": []})
        if r.get("counterpart") is None:
            continue
        rec = recs.get(s(r.get("record")))
        if s(r["counterpart"]) == NO_TERM:
            entry["none"].append(rec)
        else:
            entry["controls"].append({"link": Link(s(r["counterpart"]), s(r.get("cNotation")), s(r.get("cLabel"))),
                                      "relation": RELATIONS.get(s(r.get("relation")), ("", ""))[0], "record": rec})
    return list(out.values())


def _obligations_for_42001(store: Store, iri: str) -> list[dict[str, Any]]:
    out = []
    seen = set()
    for r in run_cached(store, "obligations-for-42001-control", {"control": iri}):
        key = (s(r["obligation"]), s(r.get("record")))
        if key in seen:
            continue
        seen.add(key)
        out.append({"obligation": Link(s(r["obligation"]), s(r.get("notation")), s(r.get("label"))),
                    "provision": link(store, s(r.get("provision"))) if r.get("provision") else None,
                    "path": s(r.get("path")), "relation": RELATIONS.get(s(r.get("relation")), ("", ""))[0],
                    "record": s(r.get("record"))})
    return out


def _airmf_for_article(store: Store, iri: str) -> list[dict[str, Any]]:
    out = []
    for r in run_cached(store, "airmf-for-ai-act-article", {"article": iri}):
        out.append({"subcategory": Link(s(r["subcategory"]), s(r.get("notation")), s(r.get("label"))),
                    "path": s(r.get("path")), "relation": RELATIONS.get(s(r.get("relation")), ("", ""))[0],
                    "via": link(store, s(r["via"])) if r.get("via") else None,
                    "provision": link(store, s(r["provision"])) if r.get("provision") else None,
                    "record": s(r.get("record"))})
    return out


def resource_graph(store: Store, page: ResourcePage) -> Graph:
    g = Graph()
    node = URIRef(page.iri)
    for r in page.rows:
        p, o = r["p"], r["o"]
        if o is None:
            continue
        if s(p) == str(SKOS.narrower):
            g.add((o, SKOS.broader, node))  # type: ignore[arg-type]
        else:
            g.add((node, p, o))  # type: ignore[arg-type]
    for group in page.groups:
        for row in group.rows:
            record_triples(g, row.record)
            for src, _a, _b in row.chain:
                record_triples(g, src)
    for row in page.no_counterpart:
        record_triples(g, row.record)
    return g


def resource_table(page: ResourcePage) -> tuple[list[str], list[list[str]]]:
    head = ["requirement", "catalog", "relation", "counterpart", "counterpart_notation", "counterpart_title",
            "confidence", "inferred", "justification", "mapping_set", "source", "rationale", "record", "derived_from"]
    out = []
    for group in page.groups:
        for row in group.rows:
            c = row.counterpart
            assert c is not None
            out.append(_record_row(page.iri, group.key, row, c.iri, c.text, c.title))
    for row in page.no_counterpart:
        out.append(_record_row(page.iri, "", row, NO_TERM, "no counterpart", ""))
    return head, out


def _record_row(iri: str, key: str, row: MappingRow, other: str, notation: str, title: str) -> list[str]:
    rec = row.record
    return [iri, key, row.relation_words, other, notation, title, rec.confidence, "true" if rec.inferred else "false",
            rec.justification_words, rec.set, rec.source, rec.rationale, rec.iri, " ".join(rec.derived_from)]


# -- matrix ----------------------------------------------------------------------------------------
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


def _under(store: Store, key: str, root_local: str) -> set[str]:
    """IRIs of the items below (and including) <catalog>/<root_local>."""
    root = f"{scheme(key)}/{root_local}"
    items = catalog_items(store, key)
    children: dict[str, list[str]] = defaultdict(list)
    for i in items:
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


def matrix_scopes(store: Store, a: str, b: str) -> list[tuple[str, str]]:
    scopes = [("all", "Whole catalogs")]
    if _under(store, a, "annex-A") and _under(store, b, "annex-A"):
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
    sel_rel = [RELATION_BY_SHORT.get(r, r) for r in relations if RELATION_BY_SHORT.get(r, r) in RELATIONS]
    sel_sets = [x for x in sets if x]
    pairs = run_cached(store, "coverage-matrix", {"catalogA": scheme(a), "catalogB": scheme(b)})
    none = run_cached(store, "no-counterpart", {"catalogA": scheme(b), "catalogB": scheme(a)})
    recs = records(store)
    in_a = _under(store, a, "annex-A") if scope == "annex-a" else None
    in_b = _under(store, b, "annex-A") if scope == "annex-a" else None
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
    columns = [rel for rel in RELATIONS if rel in present]
    return Matrix(ca, cb, scope, scopes, columns, rows, sorted(all_sets.items(), key=lambda kv: kv[1]), sel_rel, sel_sets,
                  show, len(items), omitted)


def matrix_table(m: Matrix) -> tuple[list[str], list[list[str]]]:
    head = ["subject", "subject_notation", "subject_title", "relation", "object", "object_notation", "object_title",
            "confidence", "inferred", "mapping_set", "source", "rationale", "record", "no_counterpart_reason"]
    out = []
    for row in m.rows:
        i = row.item
        if row.no_counterpart:
            out.append([i.iri, i.notation, i.label, "", NO_TERM if row.explicit else "", "", "", "", "", "", "", "", "",
                        row.reason or "no record"])
            continue
        for rel in m.relations:
            for cell in row.cells.get(rel, ()):
                rec = cell.record
                out.append([i.iri, i.notation, i.label, RELATIONS[rel][0], cell.target.iri, cell.target.text, cell.target.title,
                            rec.confidence, "true" if rec.inferred else "false", rec.set, rec.source, rec.rationale, rec.iri, ""])
    return head, out


def matrix_graph(store: Store, m: Matrix) -> Graph:
    g = Graph()
    index = item_index(store)
    recs = records(store)
    for row in m.rows:
        item_triples(g, row.item)
        for cells in row.cells.values():
            for cell in cells:
                record_triples(g, cell.record)
                target = index.get(cell.target.iri)
                if target is not None:
                    item_triples(g, target)
        if row.explicit:
            for rec in recs.values():
                if rec.subject == row.item.iri and rec.no_counterpart:
                    record_triples(g, rec)
    return g


# -- neighbourhood -------------------------------------------------------------------------------
@dataclass
class Node:
    iri: str
    text: str
    title: str
    key: str
    colour: str
    hop: int
    x: float = 0.0
    y: float = 0.0
    angle: float = 0.0


@dataclass
class Edge:
    source: Node
    target: Node
    relation: str  # read from source to target
    words: str
    symbol: str
    record: Record

    def ends(self) -> tuple[float, float, float, float]:
        """The line from source to target, trimmed to the node circles."""
        x1, y1, x2, y2 = self.source.x, self.source.y, self.target.x, self.target.y
        d = math.hypot(x2 - x1, y2 - y1) or 1.0
        r1, r2 = node_radius(self.source) + 2, node_radius(self.target) + 4
        return (x1 + (x2 - x1) * r1 / d, y1 + (y2 - y1) * r1 / d, x2 - (x2 - x1) * r2 / d, y2 - (y2 - y1) * r2 / d)

    @property
    def mid(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.ends()
        return (x1 + x2) / 2, (y1 + y2) / 2

    @property
    def short(self) -> str:
        return self.relation.rsplit("#", 1)[-1]


def node_radius(n: Node) -> float:
    return 30.0 if n.hop == 0 else 18.0 if n.hop == 1 else 13.0


@dataclass
class Neighbourhood:
    center: Node
    nodes: list[Node]
    edges: list[Edge]
    size: int
    omitted: int
    no_counterpart: list[Record]

    @property
    def legend(self) -> list[tuple[str, str, str]]:
        keys = []
        for n in [self.center, *self.nodes]:
            if n.key not in keys:
                keys.append(n.key)
        return [(k, CATALOG_INFO[k][2] if k in CATALOG_INFO else "other", CATALOG_COLOURS.get(k, OTHER_COLOUR)) for k in keys]


def _other_end(rec: Record, node: str) -> tuple[str, str]:
    """(the other item, the relation read from `node`'s side)."""
    if rec.subject == node:
        return rec.object, rec.relation
    return rec.subject, INVERSE.get(rec.relation, rec.relation)


def neighbourhood(store: Store, iri: str, *, hops: int = 2, max_first: int = 24, max_second: int = 24,
                  size: int = 720) -> Neighbourhood | None:
    """The requirement, the items one mapping record away, and (hops=2) the items one more composable
    record (equal/subset/superset) away from a first-ring item reached by a composable record —
    intersectsWith and relatedTo are shown for one hop only, never chained (DESIGN.md §10)."""
    return cached(store, ("hood", iri, hops, max_first, max_second, size),
                  lambda: _neighbourhood(store, iri, hops, max_first, max_second, size))


def _node(store: Store, iri: str, hop: int) -> Node:
    item = lookup(store, iri)
    key = item.key if item else (catalog_key(iri) or "other")
    return Node(iri, (item.notation if item else "") or curie(iri), item.label if item else "", key,
                CATALOG_COLOURS.get(key, OTHER_COLOUR), hop)


def _strength(rel: str) -> int:
    order = list(RELATIONS)
    return order.index(rel) if rel in order else 9


def _neighbourhood(store: Store, iri: str, hops: int, max_first: int, max_second: int, size: int) -> Neighbourhood | None:
    if lookup(store, iri) is None:
        return None
    by_node = records_by_node(store)
    center = _node(store, iri, 0)
    first: dict[str, tuple[str, Record]] = {}
    none: list[Record] = []
    for rec in by_node.get(iri, ()):
        other, rel = _other_end(rec, iri)
        if other == NO_TERM:
            none.append(rec)
            continue
        if other == iri:
            continue
        best = first.get(other)
        if best is None or (_strength(rel), rec.inferred) < (_strength(best[0]), best[1].inferred):
            first[other] = (rel, rec)
    ordered = sorted(first.items(), key=lambda kv: (_strength(kv[1][0]), catalog_order(kv[0]), natural_key(_node(store, kv[0], 1).text)))
    omitted = max(0, len(ordered) - max_first)
    ordered = ordered[:max_first]
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    for other, (rel, rec) in ordered:
        n = _node(store, other, 1)
        nodes[other] = n
        words, symbol = RELATIONS.get(rel, (curie(rel), "?"))
        edges.append(Edge(center, n, rel, words, symbol, rec))
    second: dict[str, tuple[Node, str, Record]] = {}
    if hops >= 2:
        for other, (rel, _rec) in ordered:
            if rel not in COMPOSABLE:
                continue
            for rec2 in by_node.get(other, ()):
                far, rel2 = _other_end(rec2, other)
                if rel2 not in COMPOSABLE or far in (iri, NO_TERM) or far in nodes or rec2.inferred:
                    continue
                if far not in second or _strength(rel2) < _strength(second[far][1]):
                    second[far] = (nodes[other], rel2, rec2)
    second_items = sorted(second.items(), key=lambda kv: (kv[1][0].iri, natural_key(kv[0])))
    omitted += max(0, len(second_items) - max_second)
    for far, (parent, rel2, rec2) in second_items[:max_second]:
        n = _node(store, far, 2)
        nodes[far] = n
        words, symbol = RELATIONS.get(rel2, (curie(rel2), "?"))
        edges.append(Edge(parent, n, rel2, words, symbol, rec2))
    _layout(center, list(nodes.values()), edges, size)
    return Neighbourhood(center, list(nodes.values()), edges, size, omitted, none)


def catalog_order(iri: str) -> int:
    keys = list(CATALOG_INFO)
    key = catalog_key(iri)
    return keys.index(key) if key in keys else 99


def _layout(center: Node, nodes: list[Node], edges: list[Edge], size: int) -> None:
    c = size / 2
    center.x = center.y = c
    ring1 = [n for n in nodes if n.hop == 1]
    ring2 = [n for n in nodes if n.hop == 2]
    r1 = size * (0.24 if ring2 else 0.34)
    r2 = size * 0.42
    for k, n in enumerate(ring1):
        n.angle = -math.pi / 2 + 2 * math.pi * k / max(1, len(ring1))
        n.x, n.y = c + r1 * math.cos(n.angle), c + r1 * math.sin(n.angle)
    parent_of = {e.target.iri: e.source for e in edges if e.target.hop == 2}
    ring2.sort(key=lambda n: (parent_of[n.iri].angle, n.text))
    for k, n in enumerate(ring2):
        want = parent_of[n.iri].angle
        even = -math.pi / 2 + 2 * math.pi * k / max(1, len(ring2))
        n.angle = even if len(ring2) > 6 else want + (k % 3 - 1) * 0.25
        n.x, n.y = c + r2 * math.cos(n.angle), c + r2 * math.sin(n.angle)


def neighbourhood_table(h: Neighbourhood) -> tuple[list[str], list[list[str]]]:
    head = ["from", "from_notation", "relation", "to", "to_notation", "to_title", "to_catalog", "hop", "record", "inferred"]
    out = [[e.source.iri, e.source.text, e.words, e.target.iri, e.target.text, e.target.title, e.target.key, str(e.target.hop),
            e.record.iri, "true" if e.record.inferred else "false"] for e in h.edges]
    out += [[h.center.iri, h.center.text, "no counterpart", NO_TERM, "", rec.rationale, "", "1", rec.iri, "false"]
            for rec in h.no_counterpart]
    return head, out


def neighbourhood_graph(store: Store, h: Neighbourhood) -> Graph:
    g = Graph()
    index = item_index(store)
    for n in [h.center, *h.nodes]:
        item = index.get(n.iri)
        if item is not None:
            item_triples(g, item)
    for e in h.edges:
        record_triples(g, e.record)
    for rec in h.no_counterpart:
        record_triples(g, rec)
    return g


# -- catalog listing exports ------------------------------------------------------------------------
def catalogs_table(cats: list[CatalogSummary]) -> tuple[list[str], list[list[str]]]:
    return (["catalog", "key", "title", "items", "mapping_records"],
            [[c.iri, c.key, c.title, str(c.count), str(c.records)] for c in cats])


def catalogs_graph(cats: list[CatalogSummary]) -> Graph:
    from rdflib.namespace import VOID

    g = Graph()
    for c in cats:
        node = URIRef(c.iri)
        g.add((node, RDF.type, SKOS.ConceptScheme))
        g.add((node, DCTERMS.title, Literal(c.title)))
        g.add((node, VOID.entities, Literal(c.count)))
    return g


def items_table(items: list[Item]) -> tuple[list[str], list[list[str]]]:
    return (["item", "catalog", "notation", "title", "kind", "broader"],
            [[i.iri, i.key, i.notation, i.label, i.kind, i.broader] for i in items])


def items_graph(items: list[Item]) -> Graph:
    g = Graph()
    for i in items:
        item_triples(g, i)
    return g


def flatten(tree: list[Item]) -> list[Item]:
    out: list[Item] = []
    stack = list(reversed(tree))
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.children))
    return out

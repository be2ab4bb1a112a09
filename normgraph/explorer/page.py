"""One resource's page: a catalog item (texts, hierarchy, mappings grouped by catalog, obligations),
a mapping record, or anything else the store says something about."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from rdflib.term import Identifier

from normgraph.catalogs.registry import catalogs as registry
from normgraph.explorer.applies import WhenItApplies, when_it_applies
from normgraph.explorer.cache import cached, run, run_cached, s
from normgraph.explorer.catalogs import CatalogSummary, Item, catalog, catalog_key, lookup, natural_key
from normgraph.explorer.records import NO_TERM, Record, chain, records, relation_words
from normgraph.iri import NG, curie
from normgraph.mappings.relations import relations
from normgraph.store import Store


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
    applies: WhenItApplies | None = None  # an AI Act obligation: when it applies (normgraph.explorer.applies)


_TEXT_PROPS = {str(NG.text): "Text", str(NG.summary): "Summary (normgraph)", str(NG.discussion): "Discussion",
               str(SKOS.scopeNote): "Note", str(SKOS.definition): "Definition", str(DCTERMS.description): "Description"}
_SKIP_PROPS = {str(SKOS.notation), str(SKOS.prefLabel), str(SKOS.broader), str(SKOS.narrower), str(NG.order),
               str(SKOS.inScheme), str(SKOS.topConceptOf)}  # and the mapping relations (shown as mappings)
_PROP_NAMES = {
    str(RDF.type): "type", str(NG.imposedBy): "imposed by", str(NG.appliesToRole): "applies to role",
    str(NG.appliesToSystemCategory): "for systems", str(NG.requiresEvidence): "evidence",
    str(NG.applicableFrom): "applicable from", str(NG.applicableFromAnnexI): "applicable from (Annex I route only)",
    str(NG.requiresCondition): "needs", str(NG.easedBy): "eased by", str(DCTERMS.source): "source", str(NG.derivesFrom): "derives from",
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
        elif p in _SKIP_PROPS or URIRef(p) in relations() or (item is not None and p == str(RDF.type)):
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
    applies = when_it_applies(store, iri) if NG.Obligation in _types(rows) else None
    heading = " ".join(x for x in (notation, label) if x) or curie(iri)
    if record is not None:
        subj, obj = link(store, record.subject), link(store, record.object)
        heading = f"Mapping record: {subj.text} {record.relation_words} {obj.text if not record.no_counterpart else 'nothing'}"
    kind = item.kind if item is not None else ("Mapping record" if record is not None else "Resource")
    return ResourcePage(iri, curie(iri), heading, item, kind, catalog(store, item.key) if item else None, texts, broader,
                        narrower, properties, groups, none_rows, obligations, helped, airmf, record, rows, applies)


def _types(rows: list[dict[str, Identifier | None]]) -> set[URIRef]:
    return {URIRef(s(r["o"])) for r in rows if s(r["p"]) == str(RDF.type)}


def _chain(store: Store, rec: Record) -> list[tuple[Record, Link, Link]]:
    return [(src, link(store, src.subject), link(store, src.object)) for src in chain(store, rec)]


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
        row = MappingRow(None, relation, relation_words(relation), s(r.get("direction")), rec, _chain(store, rec))
        if other == NO_TERM:
            none_rows.append(row)
            continue
        row.counterpart = Link(other, s(r.get("notation")) or curie(other), s(r.get("label")), catalog_key(other) or "")
        grouped[row.counterpart.key or "other"].append(row)
    rels = relations()
    titles = {c.key: c.title for c in registry()}
    groups = []
    for key in [*titles, "other"]:
        if key in grouped:
            rows = sorted(grouped[key], key=lambda m: (rels.rank(m.relation), m.record.inferred,
                                                       natural_key(m.counterpart.text if m.counterpart else "")))
            groups.append(MappingGroup(key, titles.get(key, "Other"), rows))
    return groups, none_rows


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
                                      "relation": relation_words(s(r.get("relation"))) if r.get("relation") else "", "record": rec})
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
                    "path": s(r.get("path")), "relation": relation_words(s(r.get("relation"))) if r.get("relation") else "",
                    "record": s(r.get("record"))})
    return out


def _airmf_for_article(store: Store, iri: str) -> list[dict[str, Any]]:
    out = []
    for r in run_cached(store, "airmf-for-ai-act-article", {"article": iri}):
        out.append({"subcategory": Link(s(r["subcategory"]), s(r.get("notation")), s(r.get("label"))),
                    "path": s(r.get("path")), "relation": relation_words(s(r.get("relation"))) if r.get("relation") else "",
                    "via": link(store, s(r["via"])) if r.get("via") else None,
                    "provision": link(store, s(r["provision"])) if r.get("provision") else None,
                    "record": s(r.get("record"))})
    return out

"""One resource's page: a catalog item (texts, hierarchy, mappings grouped by catalog, obligations),
a mapping record, or anything else the store says something about."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from rdflib.term import Identifier

from normgraph.catalogs.registry import catalogs as registry
from normgraph.explorer.applies import WhenItApplies, when_it_applies
from normgraph.explorer.cache import cached, run, run_cached, s
from normgraph.explorer.catalogs import CatalogSummary, Item, catalog, catalog_items, catalog_key, lookup, natural_key
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
    via: Link | None = None  # the paragraph or point the record names, when rolled up to its article


@dataclass
class TextPart:
    """A numbered paragraph or point of a provision's text: its own words up to its first point, then its points."""

    link: Link
    lead: str
    points: list[TextPart] = field(default_factory=list)


@dataclass
class AirmfLine:
    """One AI RMF subcategory connected to an article: directly (relation, the provision, the record) and/or
    through ISO/IEC 42001 items."""

    subcategory: Link
    direct: list[tuple[str, Link | None, str]] = field(default_factory=list)  # (relation words, provision, record)
    via: list[Link] = field(default_factory=list)


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
    airmf: list[AirmfLine]
    record: Record | None
    rows: list[dict[str, Identifier | None]] = field(repr=False, default_factory=list)
    applies: WhenItApplies | None = None  # an AI Act obligation: when it applies (normgraph.explorer.applies)
    intro: str = ""  # the official text before the first numbered part, when `parts` is filled
    parts: list[TextPart] = field(default_factory=list)  # the official text paragraph by paragraph

    @property
    def rolled_up(self) -> bool:
        """Whether some mapping rows are those of a paragraph or point, shown on its article's page."""
        return any(r.via is not None for g in self.groups for r in g.rows) or any(r.via for r in self.no_counterpart)


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
    airmf: list[AirmfLine] = []
    intro, parts = "", list[TextPart]()
    official = next((text for caption, text in texts if caption == _TEXT_PROPS[str(NG.text)]), "")
    if item is not None and official and narrower:
        intro, parts = _text_parts(store, iri, official)
        if parts:
            texts = [(caption, text) for caption, text in texts if text != official]
    if item is not None:
        groups, none_rows = _mapping_groups(store, iri)
        if item.key == "eu-ai-act":
            obligations = _obligations_of_provision(store, iri)
            if item.cls.endswith("#Article"):
                airmf = _airmf_for_article(store, iri)
        if item.key == "iso42001-2023":
            helped = _obligations_for_42001(store, iri)
    applies = when_it_applies(store, iri) if NG.Obligation in _types(rows) else None
    heading = " ".join(x for x in (notation, label if label != notation else "") if x) or curie(iri)
    if record is not None:
        subj, obj = link(store, record.subject), link(store, record.object)
        heading = f"Mapping record: {subj.text} {record.relation_words} {obj.text if not record.no_counterpart else 'nothing'}"
    kind = item.kind if item is not None else ("Mapping record" if record is not None else "Resource")
    return ResourcePage(iri, curie(iri), heading, item, kind, catalog(store, item.key) if item else None, texts, broader,
                        narrower, properties, groups, none_rows, obligations, helped, airmf, record, rows, applies, intro,
                        parts)


def _types(rows: list[dict[str, Identifier | None]]) -> set[URIRef]:
    return {URIRef(s(r["o"])) for r in rows if s(r["p"]) == str(RDF.type)}


def _chain(store: Store, rec: Record) -> list[tuple[Record, Link, Link]]:
    return [(src, link(store, src.subject), link(store, src.object)) for src in chain(store, rec)]


def _mapping_groups(store: Store, iri: str) -> tuple[list[MappingGroup], list[MappingRow]]:
    """The item's mapping rows by the counterpart's catalog, each record once; an article's rows include those
    of its paragraphs and points, marked with the provision the record names (`via`)."""
    recs = records(store)
    grouped: dict[str, list[MappingRow]] = defaultdict(list)
    none_rows: list[MappingRow] = []
    seen: set[str] = set()
    for r in run_cached(store, "explorer-crosswalk", {"requirement": iri}):
        rec = recs.get(s(r["record"]))
        if rec is None or rec.iri in seen:
            continue
        seen.add(rec.iri)
        other = s(r["counterpart"])
        relation = s(r["relation"])
        provision = s(r["provision"])
        via = Link(provision, s(r.get("pNotation")) or curie(provision)) if provision != iri else None
        row = MappingRow(None, relation, relation_words(relation), s(r.get("direction")), rec, _chain(store, rec), via)
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
            rows = sorted(grouped[key], key=lambda m: (rels.rank(m.relation), m.record.inferred, m.via is not None,
                                                       natural_key(m.counterpart.text if m.counterpart else ""),
                                                       natural_key(m.via.text if m.via else "")))
            groups.append(MappingGroup(key, titles.get(key, "Other"), rows))
    return groups, none_rows


def _obligations_of_provision(store: Store, iri: str) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    recs = records(store)
    for r in run_cached(store, "explorer-obligations-of-provision", {"provision": iri}):
        ob = s(r["obligation"])
        entry = out.setdefault(ob, {"obligation": Link(ob, s(r.get("notation")), s(r.get("label"))),
                                    "role": s(r.get("roleLabel")) or s(r.get("role")).rstrip("/").rsplit("/", 1)[-1],
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


def _airmf_for_article(store: Store, iri: str) -> list[AirmfLine]:
    """One line per AI RMF subcategory (the query has a row per path, provision and record): its direct records
    and the ISO/IEC 42001 items it is reached through, each once, in AI RMF order."""
    lines: dict[str, AirmfLine] = {}
    for r in run_cached(store, "airmf-for-ai-act-article", {"article": iri}):
        sub = s(r["subcategory"])
        line = lines.setdefault(sub, AirmfLine(Link(sub, s(r.get("notation")), s(r.get("label")))))
        if r.get("via") is not None:
            via = link(store, s(r["via"]))
            if via.iri not in {v.iri for v in line.via}:
                line.via.append(via)
        elif r.get("relation") is not None:
            direct = (relation_words(s(r["relation"])), link(store, s(r["provision"])) if r.get("provision") else None,
                      s(r.get("record")))
            if direct[2] not in {d[2] for d in line.direct}:
                line.direct.append(direct)
    for line in lines.values():
        line.via.sort(key=lambda v: natural_key(v.text))
        line.direct.sort(key=lambda d: natural_key(d[1].text if d[1] else ""))
    index = {i.iri: i.order for i in catalog_items(store, "nist-ai-rmf-1.0")}
    return sorted(lines.values(), key=lambda ln: (index.get(ln.subcategory.iri, 10**9), natural_key(ln.subcategory.text)))


_MARKER = re.compile(r"\s*(?:\(\w+\)|\d+\.)\s*$")


def _text_parts(store: Store, iri: str, text: str) -> tuple[str, list[TextPart]]:
    """The official `text` of a provision as its numbered parts (paragraphs, their points), each with its own
    words up to its first point, and the words before the first part; ("", []) when the parts' texts cannot be
    found in order in the text (the page then shows it as one block)."""
    children: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
    for r in run_cached(store, "explorer-provision-parts", {"provision": iri}):
        order = s(r.get("order"))
        children[s(r["parent"])].append((int(order) if order.isdigit() else 10**9, s(r["part"]), s(r.get("notation")),
                                         s(r.get("text"))))
    top = sorted(children.get(iri, ()))
    intro = _lead(text, [c[3] for c in top])
    if not top or intro is None:
        return "", []
    parts = []
    for _order, part, notation, own in top:
        points = sorted(children.get(part, ()))
        lead = _lead(own, [p[3] for p in points]) if points else own
        sub = [TextPart(Link(p[1], p[2] or curie(p[1])), p[3]) for p in points] if lead is not None else []
        parts.append(TextPart(Link(part, notation or curie(part)), own if lead is None else lead, sub))
    return intro, parts


def _lead(text: str, parts: list[str]) -> str | None:
    """The words of `text` before the first of `parts` (without its number), or None when the parts do not
    occur in `text` in this order."""
    at = 0
    first = -1
    for part in parts:
        found = text.find(part, at)
        if found < 0:
            return None
        first = found if first < 0 else first
        at = found + len(part)
    return _MARKER.sub("", text[:first]).strip() if first >= 0 else text

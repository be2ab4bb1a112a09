"""A normgraph mapping set → an OSCAL 1.2 mapping collection (JSON), validated by compliance-trestle.

``mapping_collection_json(store, slug)`` renders the set held in the named graph
``ngg:mappings/<slug>`` against the OSCAL catalogs of normgraph.exports.oscal:

* **Resources.** One ``mapping`` per (subject catalog, object catalog) pair, in practice one per set.
  ``source-resource`` / ``target-resource`` are ``type: catalog`` with ``href`` = the catalog's scheme
  IRI (``https://w3id.org/normgraph/id/<key>``): the stable IRI that catalog export gives as its
  canonical link and that the SoA component definition uses as its ``source``.
* **Ids.** Sources and targets are looked up in the catalog export itself (``catalog_dict``), so they
  follow its id rule exactly: a control → ``type: control``, ``id-ref`` = its control id
  (``A-5-19 → a-5-19``, ``3-1-1 → req-3-1-1``); an EU paragraph or point, which that export writes
  as an item part of the article's statement → ``type: statement``, ``id-ref`` = the part id
  (``gdpr art-5-1-f → art-5_smt.1.f``). An item the catalog export leaves out (ISO clauses 4–10: the
  ISO catalogs are their Annex A) or renders as a group keeps the id rule (``9-3-1 → req-9-3-1``) and
  gets the prop ``catalog-status`` (``not-exported`` / ``group``) saying the id does not resolve in
  the catalog; every item carries a ``canonical`` link to its normgraph IRI.
* **Relationship.** OSCAL's vocabulary (NIST IR 8477) for our relations, one to one
  (``RELATIONSHIPS``): ng:equalTo → ``equal-to`` (our equalTo is the IR 8477 set relation "equal":
  same requirements, each fully covering the other; OSCAL's weaker ``equivalent-to`` means "similar,
  not necessarily identical"), ng:subsetOf → ``subset-of``, ng:supersetOf → ``superset-of``,
  ng:intersectsWith → ``intersects-with``. ng:relatedTo ("related, no set relation stated", e.g.
  NIST informative references) has no OSCAL value: the nearest, ``intersects-with``, would claim a
  partial overlap the source never made, and tools would count it as partial coverage. It is written
  as ``related-to`` with the map's ``ns`` set to normgraph's namespace, OSCAL's own mechanism for a
  relationship outside its vocabulary (the allowed-values constraint only binds the OSCAL namespace).
* **Per map.** ``confidence-score.percentage`` = ng:confidence (absent when the record states none,
  as NIST's do); ``remarks`` = our rationale (plus editorial notes on source defects); provenance as
  a ``canonical`` link to the record IRI, a ``source`` link to dct:source, ``derived-from`` links to
  the records an inferred record came from, and props ``justification`` (semapv IRI), ``creator``,
  ``mapping-date``, ``inferred``, ``chain-length``. ``matching-rationale`` is ``semantic`` for the
  whole collection (in the provenance); ``method`` is ``human`` when every record is
  semapv:ManualMappingCuration, else ``automation``.
* **No counterpart.** A record with object sssom:NoTermFound has no target, and an OSCAL ``map`` needs
  at least one target (``no-relationship`` relates a source to a target; there is none). OSCAL's
  construct for "not mapped at all" is the mapping's ``source-gap-summary``: the subject is listed
  there (unless another record of the set maps it, or the catalog export does not hold it). The
  record itself, which the gap summary cannot
  hold, becomes a group of mapping-level props (``group`` = ``ntf-<id>``): ``no-counterpart`` = the
  source id with the rationale as remarks, and the same provenance props as a map (``record``,
  ``confidence``, ``justification``, ``creator``, …). So maps + no-counterpart props = records.
  Items a set never covers (out of its scope) are not in the gap summary: only explicit verdicts are.

Deterministic (uuid5 from IRIs, dates from the graph, maps sorted by subject, object, relation,
record), parsed by trestle's pydantic models before it is written, no network.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from normgraph.catalogs.registry import catalog_of
from normgraph.exports.oscal import (
    NS,
    PROFILES,
    OscalError,
    catalog_dict,
    dump_model,
    one_line,
    oscal_datetime,
    oscal_id,
    oscal_version,
    prop,
    stable_uuid,
)
from normgraph.iri import NG, NGG, NGID
from normgraph.reports import run, text
from normgraph.store.base import Store

DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
NO_TERM_FOUND = "https://w3id.org/sssom/NoTermFound"
MANUAL = "https://w3id.org/semapv/vocab/ManualMappingCuration"
OSCAL_NS = "http://csrc.nist.gov/ns/oscal"

#: The relationship values OSCAL 1.2 allows in its own namespace (mapping-common metaschema, after
#: NIST IR 8477). trestle's model takes any token, so the export checks against this list itself.
OSCAL_RELATIONSHIPS = ("equivalent-to", "equal-to", "subset-of", "superset-of", "intersects-with", "no-relationship")

#: ng: relation → (OSCAL relationship token, its namespace or None for OSCAL's own). One to one.
RELATIONSHIPS: dict[str, tuple[str, str | None]] = {
    f"{NG}equalTo": ("equal-to", None),
    f"{NG}subsetOf": ("subset-of", None),
    f"{NG}supersetOf": ("superset-of", None),
    f"{NG}intersectsWith": ("intersects-with", None),
    f"{NG}relatedTo": ("related-to", NS),
}
assert all(token in OSCAL_RELATIONSHIPS for token, ns in RELATIONSHIPS.values() if ns is None)
assert len(set(RELATIONSHIPS.values())) == len(RELATIONSHIPS), "relation tokens must be one to one"

MAKER = "normgraph maintainers"
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SET_PREFIXES = (f"{NGG}mappings/", "ngg:mappings/", f"{NGID}mapping-set/")


# ---------------------------------------------------------------- sets in the store

def set_slug(name: str) -> str:
    """A set argument (slug, set IRI or graph IRI) → its slug; OscalError when it cannot be one."""
    slug = name.strip().strip("<>")
    for prefix in _SET_PREFIXES:
        slug = slug.removeprefix(prefix)
    if not _SLUG.match(slug):
        raise OscalError(f"{name!r} is not a mapping set slug")
    return slug


def mapping_sets(store: Store) -> dict[str, dict[str, Any]]:
    """The mapping sets in the store by slug: graph, set IRI, title, records, noCounterpart."""
    out: dict[str, dict[str, Any]] = {}
    prefix = f"{NGG}mappings/"
    for row in run(store, "oscal-mapping-sets").rows:
        graph = text(row["graph"])
        out[graph.removeprefix(prefix)] = {
            "graph": graph,
            "set": text(row["set"]),
            "title": text(row.get("title")),
            "records": int(text(row.get("records")) or 0),
            "noCounterpart": int(text(row.get("noCounterpart")) or 0),
        }
    return out


# ---------------------------------------------------------------- records

@dataclass
class _Record:
    iri: str
    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def one(self, prop_iri: str) -> str:
        vals = self.values.get(prop_iri) or []
        return sorted(vals)[0] if vals else ""

    def all(self, prop_iri: str) -> list[str]:
        return sorted(set(self.values.get(prop_iri) or []))

    @property
    def subject(self) -> str:
        return self.one(f"{NG}mappingSubject")

    @property
    def object(self) -> str:
        return self.one(f"{NG}mappingObject")

    @property
    def predicate(self) -> str:
        return self.one(f"{NG}mappingPredicate")

    @property
    def no_counterpart(self) -> bool:
        return self.object == NO_TERM_FOUND

    @property
    def confidence(self) -> Decimal | None:
        raw = self.one(f"{NG}confidence")
        try:
            return Decimal(raw) if raw else None
        except InvalidOperation:
            return None

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.subject, self.object, self.predicate, self.iri)


def _records(store: Store, graph: str) -> list[_Record]:
    records: dict[str, _Record] = {}
    for row in run(store, "oscal-mapping-records", graph=graph).rows:
        iri = text(row["record"])
        records.setdefault(iri, _Record(iri)).values[text(row["p"])].append(text(row["o"]))
    out = sorted(records.values(), key=_Record.sort_key)
    for rec in out:
        if not rec.subject or not rec.object or rec.predicate not in RELATIONSHIPS:
            raise OscalError(f"{rec.iri}: a mapping record needs a subject, an object and one of the five "
                             f"ng: relations (got {rec.predicate or 'none'})")
    return out


# ---------------------------------------------------------------- catalog ids

def _catalog_index(store: Store, key: str) -> dict[str, tuple[str, str]]:
    """Item IRI → (kind, OSCAL id) as normgraph's OSCAL catalog of `key` writes it; kind is
    ``control``, ``statement`` (an item part) or ``group``."""
    index: dict[str, tuple[str, str]] = {}

    def canonical(node: dict[str, Any]) -> Iterator[str]:
        for link in node.get("links", []):
            if link.get("rel") == "canonical":
                yield str(link["href"])

    def walk(node: dict[str, Any]) -> None:
        for group in node.get("groups", []):
            for iri in canonical(group):
                index.setdefault(iri, ("group", group["id"]))
            walk(group)
        for control in node.get("controls", []):
            for iri in canonical(control):
                index.setdefault(iri, ("control", control["id"]))
            walk(control)
        for part in node.get("parts", []):
            if part.get("name") == "item":
                for iri in canonical(part):
                    index.setdefault(iri, ("statement", part["id"]))
            walk(part)

    walk(catalog_dict(store, key))
    return index


def _item(iri: str, index: dict[str, tuple[str, str]]) -> dict[str, Any]:
    kind, oid = index.get(iri, ("absent", oscal_id(iri)))
    out: dict[str, Any] = {"type": "statement" if kind == "statement" else "control", "id-ref": oid,
                           "links": [{"href": iri, "rel": "canonical"}]}
    if kind == "group":
        out["props"] = [prop("catalog-status", "group", ns=NS, remarks=(
            "A group (not a control) in the OSCAL catalog export; the id is the group's id."))]
    elif kind == "absent":
        out["props"] = [prop("catalog-status", "not-exported", ns=NS, remarks=(
            "This item is not part of normgraph's OSCAL catalog export (ISO catalogs hold Annex A only; "
            "clauses 4-10 are not exported), so the id, built by the same rule, does not resolve there; "
            "the canonical link gives the item."))]
    return out


# ---------------------------------------------------------------- provenance of one record

def _provenance(rec: _Record, *, group: str | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Props and links carrying a record's provenance (the same names on maps and no-counterpart groups)."""
    props = [prop("record", rec.iri, ns=NS)]
    justification = rec.one(f"{NG}justification")
    if justification:
        props.append(prop("justification", justification, ns=NS))
    creator = rec.one(f"{DCT}creator")
    if creator:
        props.append(prop("creator", creator, ns=NS))
    day = rec.one(f"{DCT}date")
    if day:
        props.append(prop("mapping-date", day[:10], ns=NS))
    inferred = rec.one(f"{NG}inferred").lower()
    props.append(prop("inferred", "true" if inferred in ("true", "1") else "false", ns=NS))
    chain = rec.one(f"{NG}chainLength")
    if chain:
        props.append(prop("chain-length", chain, ns=NS))
    links: list[dict[str, Any]] = [{"href": rec.iri, "rel": "canonical"}]
    source = rec.one(f"{DCT}source")
    if source:
        links.append({"href": source, "rel": "source", "text": "source document"})
    links += [{"href": origin, "rel": "derived-from"} for origin in rec.all(f"{PROV}wasDerivedFrom")]
    if group:
        for p in props:
            p["group"] = group
    return props, links


def _remarks(rec: _Record) -> str:
    parts = [rec.one(f"{NG}rationale")]
    notes = rec.all(f"{SKOS}editorialNote")
    if notes:
        parts.append("Notes: " + " ".join(notes))
    return "\n\n".join(p for p in parts if p)


def _map(rec: _Record, sources: dict[str, tuple[str, str]], targets: dict[str, tuple[str, str]]) -> dict[str, Any]:
    token, ns = RELATIONSHIPS[rec.predicate]
    props, links = _provenance(rec)
    out: dict[str, Any] = {
        "uuid": stable_uuid(rec.iri, "oscal-map"),
        "relationship": token,
        "sources": [_item(rec.subject, sources)],
        "targets": [_item(rec.object, targets)],
        "props": props,
        "links": links,
    }
    if ns:
        out["ns"] = ns
    confidence = rec.confidence
    if confidence is not None:
        out["confidence-score"] = {"percentage": float(confidence)}
    remarks = _remarks(rec)
    if remarks:
        out["remarks"] = remarks
    return out


def _no_counterpart_props(rec: _Record, sources: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    source = _item(rec.subject, sources)
    group = f"ntf-{source['id-ref']}"
    head = prop("no-counterpart", source["id-ref"], ns=NS,
                remarks=_remarks(rec) or "The object catalog has no counterpart for this item.")
    head["group"] = group
    props, links = _provenance(rec, group=group)
    props += [{**p, "group": group} for p in source.get("props", [])]  # catalog-status, if not in the catalog
    confidence = rec.confidence
    if confidence is not None:
        props.insert(1, {**prop("confidence", str(confidence), ns=NS), "group": group})
    for link in links[1:]:
        props.append({**prop(link["rel"], link["href"], ns=NS), "group": group})
    return [head, *props]


# ---------------------------------------------------------------- the collection

def _key(scheme_or_item: str) -> str | None:
    found = catalog_of(scheme_or_item)
    return found.key if found is not None and found.key in PROFILES else None


def _resource(key: str) -> dict[str, Any]:
    return {"type": "catalog", "href": f"{NGID}{key}", "props": [prop("catalog-key", key, ns=NS)],
            "remarks": (f"normgraph's OSCAL catalog '{key}' (normgraph export oscal catalog {key}); the href "
                        "is the catalog's scheme IRI, its canonical link.")}


def _party_uuid(name: str) -> str:
    return stable_uuid(str(NGID), "normgraph-maintainers") if name == MAKER else stable_uuid(str(NGID), "party", name)


def mapping_collection_dict(store: Store, slug: str) -> dict[str, Any]:
    """The OSCAL mapping collection of the set in ngg:mappings/<slug> as a plain dict (not yet validated)."""
    slug = set_slug(slug)
    graph = f"{NGG}mappings/{slug}"
    meta_rows = run(store, "oscal-mapping-set-meta", graph=graph).rows
    if not meta_rows:
        known = ", ".join(sorted(mapping_sets(store))) or "none"
        raise OscalError(f"unknown mapping set {slug!r} (no ng:MappingSet in graph {graph}; known: {known})")
    meta = meta_rows[0]
    set_iri = text(meta["set"])
    records = _records(store, graph)
    if not records:
        raise OscalError(f"mapping set {slug!r} holds no records; an OSCAL mapping needs at least one map")

    subject_scheme, object_scheme = text(meta.get("subjectScheme")), text(meta.get("objectScheme"))
    real_objects = Counter(_key(r.object) for r in records if not r.no_counterpart)
    fallback_object = _key(object_scheme) if object_scheme else None
    if fallback_object is None and real_objects:
        fallback_object = sorted(real_objects.items(), key=lambda kv: (-kv[1], str(kv[0])))[0][0]
    pairs: dict[tuple[str, str], list[_Record]] = defaultdict(list)
    for rec in records:
        src = _key(rec.subject) or (_key(subject_scheme) if subject_scheme else None)
        tgt = fallback_object if rec.no_counterpart else _key(rec.object)
        if src is None or tgt is None:
            raise OscalError(f"{rec.iri}: no OSCAL catalog for {rec.subject if src is None else rec.object}")
        pairs[(src, tgt)].append(rec)

    indexes: dict[str, dict[str, tuple[str, str]]] = {}

    def index(key: str) -> dict[str, tuple[str, str]]:
        if key not in indexes:
            indexes[key] = _catalog_index(store, key)
        return indexes[key]

    mappings = []
    for (src, tgt), recs in sorted(pairs.items()):
        maps = [_map(r, index(src), index(tgt)) for r in recs if not r.no_counterpart]
        none = [r for r in recs if r.no_counterpart]
        if not maps:
            raise OscalError(f"mapping set {slug!r}: {src} → {tgt} has only no-counterpart records; "
                             "an OSCAL mapping needs at least one map")
        mapping: dict[str, Any] = {
            "uuid": stable_uuid(set_iri, "oscal-mapping", src, tgt),
            "source-resource": _resource(src),
            "target-resource": _resource(tgt),
            "maps": maps,
        }
        if none:
            mapping["props"] = [p for r in none for p in _no_counterpart_props(r, index(src))]
            mapped = {m["sources"][0]["id-ref"] for m in maps}
            # only ids the source catalog holds: a gap summary entry is a reference into that catalog
            unmapped = sorted({item["id-ref"] for item in (_item(r.subject, index(src)) for r in none)
                               if "props" not in item} - mapped)
            if unmapped:
                mapping["source-gap-summary"] = {
                    "uuid": stable_uuid(set_iri, "oscal-source-gap-summary", src, tgt),
                    "unmapped-controls": [{"with-ids": unmapped}],
                }
        mappings.append(mapping)

    creators = sorted({c for r in records for c in r.all(f"{DCT}creator")} | ({text(meta["creator"])}
                                                                             if meta.get("creator") else set()))
    authors = [_party_uuid(name) for name in creators]
    publishers = [text(meta["publisher"])] if meta.get("publisher") else []  # the host, when not the author
    parties = [{"uuid": _party_uuid(name), "type": "organization", "name": one_line(name)}
               for name in sorted(set(creators) | set(publishers) | {MAKER})]
    manual = all(r.one(f"{NG}justification") == MANUAL for r in records)
    title = one_line(text(meta.get("title")) or slug)
    description = text(meta.get("description")) or title
    links = [{"href": set_iri, "rel": "canonical"}, {"href": graph, "rel": "reference", "text": "named graph"}]
    if meta.get("license") is not None:
        links.append({"href": text(meta["license"]), "rel": "license"})
    if meta.get("source") is not None:
        links.append({"href": text(meta["source"]), "rel": "source", "text": "source document"})
    links += [{"href": origin, "rel": "derived-from"} for origin in sorted(text(meta.get("derivedFrom")).split())]
    none_total = sum(r.no_counterpart for r in records)
    metadata: dict[str, Any] = {
        "title": title,
        "last-modified": oscal_datetime(meta.get("modified")),
        "version": one_line(text(meta.get("version")) or text(meta.get("modified")) or "unversioned"),
        "oscal-version": oscal_version(),
        "props": [prop("mapping-set", slug, ns=NS)],
        "links": links,
        "roles": [{"id": "mapping-author", "title": "Author of the mapping records"},
                  {"id": "publisher", "title": "Publisher (host) of the source document, not its author"},
                  {"id": "creator", "title": "Creator of this OSCAL rendering"}],
        "parties": parties,
        "responsible-parties": ([{"role-id": "mapping-author", "party-uuids": authors}] if authors else [])
        + ([{"role-id": "publisher", "party-uuids": [_party_uuid(p) for p in publishers]}] if publishers else [])
        + [{"role-id": "creator", "party-uuids": [_party_uuid(MAKER)]}],
        "remarks": (f"Generated by normgraph from the named graph {graph}: {len(records)} mapping records, "
                    f"{len(records) - none_total} as maps"
                    + (f" and {none_total} 'no counterpart' records as no-counterpart props, their subjects in "
                       "the source gap summary" if none_total else "")
                    + ". Source and target ids are those of normgraph's OSCAL catalogs (normgraph export oscal "
                    "catalog KEY); 'canonical' links give each item's and each record's normgraph IRI."
                    + (f" Relationship 'related-to' (ns {NS}) is ng:relatedTo: related, no set relation stated."
                       if any(r.predicate == f"{NG}relatedTo" and not r.no_counterpart for r in records) else "")),
    }
    provenance: dict[str, Any] = {
        "method": "human" if manual else "automation",
        "matching-rationale": "semantic",
        "status": "complete",
        "mapping-description": description,
        "links": [{"href": set_iri, "rel": "canonical"}],
    }
    if authors:
        provenance["responsible-parties"] = [{"role-id": "mapping-author", "party-uuids": authors}]
    return {"uuid": stable_uuid(set_iri, "oscal-mapping-collection"), "metadata": metadata,
            "provenance": provenance, "mappings": mappings}


def mapping_collection_json(store: Store, slug: str) -> str:
    """The OSCAL mapping collection (JSON text) of a mapping set, parsed by trestle before it is written."""
    from trestle.oscal.mapping import MappingCollection

    return dump_model(MappingCollection.model_validate(mapping_collection_dict(store, slug)))


__all__ = [
    "OSCAL_RELATIONSHIPS",
    "RELATIONSHIPS",
    "mapping_collection_dict",
    "mapping_collection_json",
    "mapping_sets",
    "set_slug",
]

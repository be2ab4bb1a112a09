"""normgraph catalogs and an organisation's SoA → NIST OSCAL JSON, validated by compliance-trestle.

Two documents:

* ``catalog_json(store, key)``: an OSCAL catalog for any catalog key of DESIGN.md §3. The catalog's
  hierarchy becomes groups (ISO themes, NIST families/functions/categories, EU chapters/sections),
  its requirements controls (800-53 enhancements nested in their control), and EU paragraphs and
  points ``item`` parts of the article's statement. Statements carry ng:text only where the source
  is public (NIST, EU); ISO items get their title and a ``text-status: copyrighted`` prop — never
  text. Withdrawn items (800-53, CSF 1.1 entries in CSF 2.0) are kept with ``status: withdrawn`` and
  no statement, as NIST's own 800-53 OSCAL catalog does.
* ``component_definition_json(store, slug)``: the organisation's unified SoA over both Annex A sets as
  one component with two control implementations (source = the catalog's scheme IRI). A component
  definition fits better than an SSP: an SSP must import a *profile* and describe one authorised
  system (boundary, information types, users), while an SoA is an organisation-wide statement
  against the catalogs themselves.

OSCAL ids (``oscal_id``): the normgraph local name of the item (DESIGN.md §2), lower-cased; a local
name starting with a digit (SP 800-171 requirements ``3-1-1``) gets the prefix ``req-``, because
OSCAL tokens must start with a letter or ``_``. So ``A-5-19 → a-5-19``, ``AC-2-1 → ac-2-1``,
``GOVERN-1-1 → govern-1-1``, ``3-1-1 → req-3-1-1``, ``art-9 → art-9``. Statement parts are
``<id>_smt``, guidance ``<id>_gdn``, items ``<id>_smt.<rest>`` (``art-9-2-a → art-9_smt.2.a``).

Output is deterministic: uuid5 from IRIs, dates from the graphs (never "now"), sorted JSON keys.
Every document is parsed by trestle's pydantic models before it is written, and written from the
parsed model, so what we emit is what trestle reads. Nothing here touches the network.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef
from rdflib.term import Identifier

from normgraph.catalogs.registry import catalog
from normgraph.iri import NG, NGID
from normgraph.reports import run, text, vocab_local
from normgraph.store.base import Store

#: Namespace of normgraph's own OSCAL props (names outside the OSCAL core set).
NS = "https://w3id.org/normgraph/ns/oscal"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: The pseudo-property queries/oscal-catalog-items.rq gives the text of an obligation's imposing provision.
IMPOSED_BY_TEXT = "imposed-by-text"
ISO_NOTICE = ("ISO/IEC copyright: only the identifier and title are included; the control text is in "
              "the ISO publication and is not reproduced here.")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class OscalError(ValueError):
    """Bad input to an OSCAL export (unknown catalog key, catalog not loaded); the message says which."""


@dataclass(frozen=True)
class Profile:
    """How a catalog's ng: classes become OSCAL groups, controls and statement items."""

    groups: tuple[str, ...]
    controls: tuple[str, ...]
    parts: tuple[str, ...] = ()
    public_text: bool = True


_ISO = Profile(groups=("ControlTheme", "ControlObjective"), controls=("Control",), public_text=False)
_EU = Profile(groups=("Chapter", "Section"), controls=("Article", "Annex"), parts=("Paragraph", "Point"))

#: Per catalog key. ISO clauses 4–10 and EU recitals are not exported (requirements of the management
#: system / non-normative text): an OSCAL catalog of ISO here is its Annex A control set.
PROFILES: dict[str, Profile] = {
    "iso27001-2022": _ISO,
    "iso42001-2023": _ISO,
    "eu-ai-act": _EU,
    "gdpr": _EU,
    "eu-ai-act-obligation": Profile(groups=(), controls=("Obligation",)),
    "nist-ai-rmf-1.0": Profile(groups=("AIRMFFunction", "AIRMFCategory"), controls=("AIRMFSubcategory",)),
    "nist-sp800-171r2": Profile(groups=("RequirementFamily",), controls=("SecurityRequirement",)),
    "cmmc-2.0": Profile(groups=("CMMCDomain",), controls=("CMMCPractice",)),
    "nist-csf-2.0": Profile(groups=("CSFFunction", "CSFCategory"), controls=("CSFSubcategory",)),
    "nist-sp800-53r5": Profile(groups=("RequirementFamily",), controls=("Control", "ControlEnhancement")),
}

#: The two catalogs whose Annex A controls make the unified SoA (rows name them by the catalog's title).
SOA_CATALOGS = ("iso27001-2022", "iso42001-2023")


# ---------------------------------------------------------------- ids, uuids, small values

def oscal_id(iri: str) -> str:
    """The OSCAL id of a normgraph item: its local name, lower-cased, ``req-`` before a leading digit."""
    local = str(iri).rstrip("/").rsplit("/", 1)[-1].lower()
    return f"req-{local}" if local[:1].isdigit() else local


def stable_uuid(*parts: str) -> str:
    """A uuid5 (URL namespace) of the joined parts: the same input gives the same uuid on every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "#".join(parts)))


def _line(value: str) -> str:
    """One line, whitespace runs collapsed (OSCAL titles, prop values and link texts are single-line)."""
    return " ".join(value.split())


def _datetime(date: Identifier | None, fallback: str = "1970-01-01") -> str:
    day = text(date)[:10] or fallback
    return f"{day}T00:00:00+00:00"


def _prop(name: str, value: str, *, ns: str | None = None, remarks: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "value": _line(value)}
    if ns:
        out["ns"] = ns
    if remarks:
        out["remarks"] = remarks
    return out


def _dump(model: Any) -> str:
    """Sorted, indented JSON of a trestle model (wrapped in its root key, e.g. {"catalog": …})."""
    return json.dumps(json.loads(model.oscal_serialize_json()), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- catalog

@dataclass
class _Item:
    iri: str
    types: set[str] = field(default_factory=set)
    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def one(self, prop: str) -> str:
        vals = self.values.get(prop) or []
        return sorted(vals)[0] if vals else ""

    def all(self, prop: str) -> list[str]:
        return sorted(set(self.values.get(prop) or []))

    @property
    def order(self) -> int:
        try:
            return int(self.one(f"{NG}order") or 0)
        except ValueError:
            return 0

    @property
    def notation(self) -> str:
        return self.one(f"{SKOS}notation")

    @property
    def title(self) -> str:
        return _line(self.one(f"{SKOS}prefLabel") or self.notation or oscal_id(self.iri))

    @property
    def withdrawn(self) -> bool:
        return self.one(f"{NG}withdrawn").lower() in ("true", "1")


def _load_items(store: Store, scheme: str) -> dict[str, _Item]:
    items: dict[str, _Item] = {}
    for row in run(store, "oscal-catalog-items", scheme=scheme).rows:
        iri, prop, value = text(row["item"]), text(row["p"]), text(row["o"])
        item = items.setdefault(iri, _Item(iri))
        if prop == RDF_TYPE:
            item.types.add(value.removeprefix(str(NG)))
        else:
            item.values[prop].append(value)
    return items


class _CatalogBuilder:
    def __init__(self, key: str, items: dict[str, _Item], meta: dict[str, Identifier | None]) -> None:
        self.key = key
        self.profile = PROFILES[key]
        self.items = items
        self.source = text(meta.get("source"))
        self.kind: dict[str, str] = {}
        for iri, item in items.items():
            for kind, classes in (("group", self.profile.groups), ("control", self.profile.controls),
                                  ("part", self.profile.parts)):
                if item.types & set(classes):
                    self.kind[iri] = kind
                    break
        self.children: dict[str | None, list[str]] = defaultdict(list)
        self.parent: dict[str, str | None] = {}
        for iri in self.kind:
            parent = self._included_parent(iri)
            self.parent[iri] = parent
            self.children[parent].append(iri)
        for kids in self.children.values():
            kids.sort(key=lambda i: (items[i].order, items[i].notation, i))
        self._check_shape()

    def _included_parent(self, iri: str) -> str | None:
        seen: set[str] = set()
        current = iri
        while True:
            broader = [b for b in self.items[current].all(f"{SKOS}broader") if b in self.items]
            if not broader or current in seen:
                return None
            seen.add(current)
            current = broader[0]
            if current in self.kind:
                return current

    def _check_shape(self) -> None:
        allowed: dict[str, set[str | None]] = {"group": {None, "group"}, "control": {None, "group", "control"},
                                              "part": {"control", "part"}}
        for iri, kind in self.kind.items():
            parent = self.parent[iri]
            parent_kind = self.kind.get(parent) if parent else None
            if parent_kind not in allowed[kind]:
                raise OscalError(f"{iri}: a {kind} under a {parent_kind or 'catalog root'} cannot be written as OSCAL")

    def _sort_id(self, iri: str) -> str:
        path: list[int] = []
        current: str | None = iri
        while current is not None:
            path.append(self.items[current].order)
            current = self.parent[current]
        return ".".join(f"{n:04d}" for n in reversed(path))

    def _common_props(self, item: _Item) -> list[dict[str, Any]]:
        props = []
        if item.notation:
            props.append(_prop("label", item.notation))
        props.append(_prop("sort-id", self._sort_id(item.iri)))
        if item.withdrawn:
            props.append(_prop("status", "withdrawn"))
        return props

    def _links(self, item: _Item) -> list[dict[str, Any]]:
        links = [{"href": item.iri, "rel": "canonical"}]
        if self.source:
            links.append({"href": self.source, "rel": "reference", "text": "source document"})
        return links

    def group(self, iri: str) -> dict[str, Any]:
        item = self.items[iri]
        out: dict[str, Any] = {"id": oscal_id(iri), "class": _class(item, self.profile.groups), "title": item.title,
                               "props": self._common_props(item), "links": self._links(item)}
        overview = item.one(f"{NG}text") if self.profile.public_text else ""
        if overview:
            out["parts"] = [{"id": f"{oscal_id(iri)}_ovw", "name": "overview", "prose": overview}]
        groups = [self.group(c) for c in self.children[iri] if self.kind[c] == "group"]
        controls = [self.control(c) for c in self.children[iri] if self.kind[c] == "control"]
        if groups:
            out["groups"] = groups
        if controls:
            out["controls"] = controls
        return out

    def control(self, iri: str) -> dict[str, Any]:
        item = self.items[iri]
        cid = oscal_id(iri)
        props = self._common_props(item)
        links = self._links(item)
        parts: list[dict[str, Any]] = []
        for level in item.all(f"{NG}cmmcLevel"):
            props.append(_prop("cmmc-level", level.rsplit("-", 1)[-1], ns=NS))
        for role in item.all(f"{NG}appliesToRole"):
            props.append(_prop("ai-act-role", vocab_local(URIRef(role)), ns=NS))
        for target in item.all(f"{NG}derivesFrom"):
            links.append({"href": target, "rel": "derived-from"})
        for provision in item.all(f"{NG}imposedBy"):
            links.append({"href": provision, "rel": "imposed-by"})
        if not self.profile.public_text:
            props.append(_prop("text-status", "copyrighted", ns=NS, remarks=ISO_NOTICE))
        elif not item.withdrawn:
            statement_text = item.one(f"{NG}text") or "\n\n".join(item.all(IMPOSED_BY_TEXT))
            items = [self.item_part(c, cid) for c in self.children[iri] if self.kind[c] == "part"]
            if statement_text or items:
                statement: dict[str, Any] = {"id": f"{cid}_smt", "name": "statement"}
                if statement_text and not items:
                    statement["prose"] = statement_text
                if items:
                    statement["parts"] = items
                parts.append(statement)
            guidance = item.one(f"{NG}discussion") or item.one(f"{NG}summary")
            if guidance:
                parts.append({"id": f"{cid}_gdn", "name": "guidance", "prose": guidance})
            for n, example in enumerate(item.all(f"{NG}implementationExample"), start=1):
                parts.append({"id": f"{cid}_ex{n}", "name": "example", "ns": NS, "prose": example})
        out: dict[str, Any] = {"id": cid, "class": _class(item, self.profile.controls), "title": item.title,
                               "props": props, "links": links}
        if parts:
            out["parts"] = parts
        nested = [self.control(c) for c in self.children[iri] if self.kind[c] == "control"]
        if nested:
            out["controls"] = nested
        return out

    def item_part(self, iri: str, control_id: str) -> dict[str, Any]:
        item = self.items[iri]
        own = oscal_id(iri)
        rest = own.removeprefix(f"{control_id}-") if own.startswith(f"{control_id}-") else own
        out: dict[str, Any] = {"id": f"{control_id}_smt.{rest.replace('-', '.')}", "name": "item",
                               "props": [_prop("label", item.notation)] if item.notation else [],
                               "links": [{"href": iri, "rel": "canonical"}]}
        if not out["props"]:
            del out["props"]
        prose = item.one(f"{NG}text")
        if prose:
            out["prose"] = prose
        sub = [self.item_part(c, control_id) for c in self.children[iri] if self.kind[c] == "part"]
        if sub:
            out["parts"] = sub
        return out

    def body(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        top = self.children[None]
        return ([self.group(i) for i in top if self.kind[i] == "group"],
                [self.control(i) for i in top if self.kind[i] == "control"])


def _class(item: _Item, classes: tuple[str, ...]) -> str:
    for cls in classes:
        if cls in item.types:
            return re.sub(r"(?<!^)(?=[A-Z][a-z])", "-", cls).lower()
    return "item"


def _single(store: Store, query: str, **params: str) -> dict[str, Identifier | None]:
    rows = run(store, query, **params).rows
    return rows[0] if rows else {}


def catalog_dict(store: Store, key: str) -> dict[str, Any]:
    """The OSCAL catalog of a catalog key as a plain dict (not yet validated)."""
    if key not in PROFILES:
        raise OscalError(f"unknown catalog key {key!r} (known: {', '.join(sorted(PROFILES))})")
    scheme = f"{NGID}{key}"
    meta = _single(store, "oscal-catalog-meta", scheme=scheme)
    if not meta:
        raise OscalError(f"catalog {key!r} is not loaded in the store (no concept scheme {scheme})")
    items = _load_items(store, scheme)
    builder = _CatalogBuilder(key, items, meta)
    groups, controls = builder.body()
    publisher = _line(text(meta.get("publisher")) or catalog(key).title)
    publisher_uuid = stable_uuid(scheme, "publisher")
    maker_uuid = stable_uuid(str(NGID), "normgraph-maintainers")
    links = [{"href": scheme, "rel": "canonical"}]
    if meta.get("license") is not None:
        links.append({"href": text(meta["license"]), "rel": "license"})
    if meta.get("source") is not None:
        links.append({"href": text(meta["source"]), "rel": "source", "text": "source document"})
    remarks = [text(meta.get("rights"))] if meta.get("rights") is not None else []
    if not builder.profile.public_text:
        remarks.append(ISO_NOTICE)
    remarks.append("Generated by normgraph from the named graph " + text(meta.get("graph")) + ". Control ids are the "
                   "normgraph local names, lower-cased (req- before a leading digit); 'canonical' links give each "
                   "item's normgraph IRI.")
    metadata: dict[str, Any] = {
        "title": _line(text(meta.get("title")) or catalog(key).title),
        "last-modified": _datetime(meta.get("modified")),
        "version": _line(text(meta.get("version")) or text(meta.get("modified")) or "unversioned"),
        "oscal-version": _oscal_version(),
        "props": [_prop("catalog-key", key, ns=NS)],
        "links": links,
        "roles": [{"id": "publisher", "title": "Publisher of the source document"},
                  {"id": "creator", "title": "Creator of this OSCAL rendering"}],
        "parties": [
            {"uuid": publisher_uuid, "type": "organization", "name": publisher},
            {"uuid": maker_uuid, "type": "organization", "name": "normgraph maintainers"},
        ],
        "responsible-parties": [
            {"role-id": "publisher", "party-uuids": [publisher_uuid]},
            {"role-id": "creator", "party-uuids": [maker_uuid]},
        ],
        "remarks": "\n\n".join(remarks),
    }
    if meta.get("issued") is not None:
        metadata["published"] = _datetime(meta["issued"])
    out: dict[str, Any] = {"uuid": stable_uuid(scheme, "oscal-catalog"), "metadata": metadata}
    if groups:
        out["groups"] = groups
    if controls:
        out["controls"] = controls
    return out


def _oscal_version() -> str:
    from trestle.oscal import OSCAL_VERSION

    return str(OSCAL_VERSION)


def catalog_json(store: Store, key: str) -> str:
    """The OSCAL catalog (JSON text) of a catalog key, parsed by trestle before it is written."""
    from trestle.oscal.catalog import Catalog

    return _dump(Catalog.model_validate(catalog_dict(store, key)))


# ---------------------------------------------------------------- component definition (the SoA)

@dataclass
class _Evidence:
    iri: str
    notation: str
    label: str
    kind: str
    issued: str
    valid_until: str
    location: str
    sha256: str
    controls: set[str] = field(default_factory=set)

    @property
    def uuid(self) -> str:
        return stable_uuid(self.iri, "oscal-resource")

    @property
    def caption(self) -> str:
        return _line(": ".join(x for x in (self.notation, self.label) if x) or self.iri)

    def resource(self) -> dict[str, Any]:
        props = [_prop("evidence-kind", self.kind, ns=NS)] if self.kind else []
        if self.issued:
            props.append(_prop("issued", self.issued, ns=NS))
        if self.valid_until:
            props.append(_prop("valid-until", self.valid_until, ns=NS))
        rlink: dict[str, Any] = {"href": self.location or self.iri}
        out: dict[str, Any] = {"uuid": self.uuid, "title": self.caption, "rlinks": [rlink]}
        if _SHA256.match(self.sha256):
            rlink["hashes"] = [{"algorithm": "SHA-256", "value": self.sha256}]
        elif self.sha256:
            out["remarks"] = (f"The recorded sha256 ({self.sha256!r}) is not 64 lower-case hex digits; "
                              "it is not emitted as a hash.")
        out["props"] = [*props, _prop("normgraph-iri", self.iri, ns=NS)]
        return out


def _evidence(store: Store, graph: str) -> dict[str, _Evidence]:
    out: dict[str, _Evidence] = {}
    for row in run(store, "oscal-evidence", graph=graph).rows:
        iri = text(row["evidence"])
        ev = out.get(iri)
        if ev is None:
            ev = out[iri] = _Evidence(iri, text(row.get("notation")), text(row.get("label")),
                                      vocab_local(row.get("kind")), text(row.get("issued")),
                                      text(row.get("validUntil")), text(row.get("location")),
                                      text(row.get("sha256")).strip())
        ev.controls.add(text(row["control"]))
    return out


def component_definition_dict(store: Store, slug: str) -> dict[str, Any]:
    """The organisation's SoA as an OSCAL component definition (a plain dict, not yet validated).

    Raises normgraph.reports.ReportError for an unknown organisation."""
    from normgraph.reports import check_org
    from normgraph.reports.soa import build

    graph = str(check_org(store, slug))
    gmeta = _single(store, "oscal-graph-meta", graph=graph)
    day = text(gmeta.get("modified"))[:10] or "1970-01-01"
    report = build(store, slug, dt.date.fromisoformat(day))
    rows = report.tables[0].rows
    evidence = _evidence(store, graph)
    by_control: dict[str, list[_Evidence]] = defaultdict(list)
    for ev in evidence.values():
        for control in ev.controls:
            by_control[control].append(ev)

    org_uuid = stable_uuid(graph, "organisation")
    owners: dict[str, str] = {}
    for r in rows:
        if r["owner"] and r["applicable"] == "yes":
            owners.setdefault(str(r["owner"]), stable_uuid(graph, "owner", str(r["owner"])))

    implementations = []
    for key in SOA_CATALOGS:
        standard = catalog(key).title
        mine = [r for r in rows if r["standard"] == standard]
        applicable = [r for r in mine if r["applicable"] == "yes"]
        excluded = [r for r in mine if r["applicable"] == "no"]
        unassessed = [r for r in mine if r["applicable"] == "not assessed"]
        props = [_prop("excluded-control", oscal_id(str(r["iri"])), ns=NS,
                       remarks=str(r["exclusion_justification"]) or "No exclusion justification is recorded.")
                 for r in excluded]
        props += [_prop("not-assessed-control", oscal_id(str(r["iri"])), ns=NS,
                        remarks="The SoA has no entry for this control.") for r in unassessed]
        requirements = [_implemented(graph, r, by_control.get(str(r["iri"]), []), owners) for r in applicable]
        impl: dict[str, Any] = {
            "uuid": stable_uuid(graph, "oscal-control-implementation", key),
            "source": f"{NGID}{key}",
            "description": (f"Statement of Applicability of {report.org_label} for {standard} Annex A "
                            f"({len(mine)} controls): {len(applicable)} applicable, {len(excluded)} excluded, "
                            f"{len(unassessed)} not assessed. Control ids are those of normgraph's OSCAL catalog "
                            f"'{key}' (normgraph export oscal catalog {key})."),
            "links": [{"href": f"{NGID}{key}", "rel": "canonical"}],
        }
        if props:
            impl["props"] = props
        if requirements:
            impl["implemented-requirements"] = requirements
        implementations.append(impl)

    used = sorted({ev.iri for r in rows if r["applicable"] == "yes" for ev in by_control.get(str(r["iri"]), [])})
    parties = [{"uuid": org_uuid, "type": "organization", "name": _line(report.org_label)}]
    parties += [{"uuid": u, "type": "person", "name": _line(name)} for name, u in sorted(owners.items())]
    links = [{"href": graph, "rel": "canonical"}]
    if gmeta.get("license") is not None:
        links.append({"href": text(gmeta["license"]), "rel": "license"})
    metadata: dict[str, Any] = {
        "title": _line(f"{report.org_label}: Statement of Applicability (ISO/IEC 27001:2022 + ISO/IEC 42001:2023 Annex A)"),
        "last-modified": _datetime(gmeta.get("modified")),
        "version": _line(text(gmeta.get("version")) or day),
        "oscal-version": _oscal_version(),
        "links": links,
        "roles": [{"id": "provider", "title": "Organisation operating the management system"},
                  {"id": "control-owner", "title": "Owner of the control's implementation"}],
        "parties": parties,
        "responsible-parties": [{"role-id": "provider", "party-uuids": [org_uuid]}],
        "remarks": "Generated by normgraph from the named graph " + graph + " (the unified SoA report).",
    }
    component = {
        "uuid": stable_uuid(graph, "oscal-component"),
        "type": "policy",
        "title": _line(f"{report.org_label}: information security and AI management system"),
        "description": ("The organisation's integrated ISMS (ISO/IEC 27001:2022) and AI management system "
                        "(ISO/IEC 42001:2023), as declared in its Statement of Applicability."),
        "props": [_prop("organisation", slug, ns=NS)],
        "responsible-roles": [{"role-id": "provider", "party-uuids": [org_uuid]}],
        "control-implementations": implementations,
    }
    out: dict[str, Any] = {"uuid": stable_uuid(graph, "oscal-component-definition"), "metadata": metadata,
                           "components": [component]}
    if used:
        out["back-matter"] = {"resources": [evidence[i].resource() for i in used]}
    return out


def _implemented(graph: str, row: Mapping[str, object], evidence: list[_Evidence], owners: dict[str, str]) -> dict[str, Any]:
    iri = str(row["iri"])
    measures = [m.strip() for m in str(row["measures"]).split(" | ") if m.strip()]
    status = str(row["implementation_status"]) or "not-recorded"
    props = [_prop("implementation-status", status, ns=NS)]
    props += [_prop("inclusion-reason", r.strip(), ns=NS) for r in str(row["inclusion_reasons"]).split(",") if r.strip()]
    out: dict[str, Any] = {
        "uuid": stable_uuid(graph, "oscal-implemented-requirement", iri),
        "control-id": oscal_id(iri),
        "description": "\n\n".join(sorted(measures)) or "No implementing measure is recorded in the SoA.",
        "props": props,
        "links": [{"href": iri, "rel": "canonical"}]
        + [{"href": f"#{ev.uuid}", "rel": "evidence", "text": ev.caption} for ev in sorted(evidence, key=lambda e: e.iri)],
    }
    owner = str(row["owner"])
    if owner:
        props.append(_prop("owner", owner, ns=NS))
        out["responsible-roles"] = [{"role-id": "control-owner", "party-uuids": [owners[owner]]}]
    return out


def component_definition_json(store: Store, slug: str) -> str:
    """The organisation's SoA as an OSCAL component definition (JSON text), parsed by trestle first."""
    from trestle.oscal.component import ComponentDefinition

    return _dump(ComponentDefinition.model_validate(component_definition_dict(store, slug)))


#: Helpers shared with the mapping-collection export (normgraph.exports.oscal_mapping), public
#: under these names so that module renders props, dates and JSON exactly as this one does.
one_line = _line
prop = _prop
oscal_datetime = _datetime
dump_model = _dump
oscal_version = _oscal_version

__all__ = [
    "NS",
    "PROFILES",
    "OscalError",
    "catalog_dict",
    "catalog_json",
    "component_definition_dict",
    "component_definition_json",
    "dump_model",
    "one_line",
    "oscal_datetime",
    "oscal_id",
    "oscal_version",
    "prop",
    "stable_uuid",
]

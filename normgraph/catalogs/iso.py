"""ISO/IEC 27001:2022 and ISO/IEC 42001:2023: identifiers, titles and structure only.

Source: the reference pack's iso27001-2022/outline.json and iso42001-2023/outline.json (derived
from CISO Assistant's library files, fields id/title/parent only, with corrections already applied
in the outline). ISO text is copyrighted: no requirement or control text is written, only the
identifier, the title and the place in the structure of each clause and Annex A item.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from normgraph.catalogs.common import Publication, SourceError, ca_url, pack_url, read_json, text
from normgraph.catalogs.registry import Catalog
from normgraph.iri import NG

RIGHTS = (
    "{std} is copyright ISO/IEC. This graph holds only the identifiers, titles and structure of "
    "its clauses and Annex A items; no requirement or control text is included. Titles may differ "
    "from the publication in places; the ISO publication is authoritative."
)

#: Per standard: the publication its scheme describes (with the catalog's registry entry).
PUBLICATIONS = {
    "iso27001-2022": Publication(
        Catalog.of("iso27001-2022", "iso27001", "ISO/IEC 27001:2022", "ISO 27001", 1),
        kind=NG.Standard,
        title="ISO/IEC 27001:2022 Information security, cybersecurity and privacy protection — "
        "Information security management systems — Requirements",
        publisher="ISO/IEC",
        version="2022",
        issued="2022-10-25",
        source="https://www.iso.org/standard/27001",
        license="iso-identifiers",
    ),
    "iso42001-2023": Publication(
        Catalog.of("iso42001-2023", "iso42001", "ISO/IEC 42001:2023", "ISO 42001", 2),
        kind=NG.Standard,
        title="ISO/IEC 42001:2023 Information technology — Artificial intelligence — Management system",
        publisher="ISO/IEC",
        version="2023",
        issued="2023-12-18",
        source="https://www.iso.org/standard/81230.html",
        license="iso-identifiers",
    ),
}
CATALOGS = tuple(pub.entry for pub in PUBLICATIONS.values())

#: Per standard: the outline file and the Annex A title (the outline has no Annex A item; its title
#: is the annex heading of the publication).
STANDARDS = {
    "iso27001-2022": {"outline": "iso27001-2022/outline.json", "annex": "Information security controls reference"},
    "iso42001-2023": {"outline": "iso42001-2023/outline.json", "annex": "Reference control objectives and controls"},
}

#: Titles the outline gets wrong, per standard: notation -> (the outline's title, the title as ISO
#: publishes it). The outline's titles come from a third-party library that anglicised or
#: re-cased some of them; the published standard says otherwise. A correction is applied only when
#: the outline still has exactly the wrong title (a fixed outline needs no correction; a different
#: title is an error) and the concept keeps a skos:editorialNote saying what was corrected.
TITLE_CORRECTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "iso27001-2022": {
        "6.3": ("Planning for changes", "Planning of changes"),
        "7.5": ("Documented Information", "Documented information"),
        "7.5.2": ("Creating and Updating documented information", "Creating and updating documented information"),
        "A.5": ("Organisational controls", "Organizational controls"),
        "A.8.1": ("User end point devices", "User endpoint devices"),
    },
    "iso42001-2023": {},
}

#: outline.json `kind` -> our class.
KINDS: dict[str, URIRef] = {
    "clause": NG.Clause,
    "subclause": NG.Clause,
    "annex_a_group": NG.ControlTheme,
    "annex_a_objective_heading": NG.ControlObjective,
    "annex_a_control": NG.Control,
}


def build_one(sources: Path, key: str) -> dict[str, Graph]:
    spec = STANDARDS[key]
    path = sources / spec["outline"]
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise SourceError(path, "top level", "expected an object with an 'items' list")
    derived = data.get("derived_from") or {}
    if not derived.get("repo") or not derived.get("path") or not derived.get("commit"):
        raise SourceError(path, "derived_from", "repo, path and commit are required")

    pub = PUBLICATIONS[key]
    g, c = pub.start()
    annex: URIRef | None = None
    for n, item in enumerate(data["items"], start=1):
        where = f"items[{n - 1}]"
        if not isinstance(item, dict):
            raise SourceError(path, where, "item is not an object")
        notation = text(item.get("id"))
        title = text(item.get("title"))
        kind = item.get("kind")
        parent_id = item.get("parent")
        where = f"item {notation or '?'} ({where})"
        if not notation or not title:
            raise SourceError(path, where, "id and title are required")
        if kind not in KINDS:
            raise SourceError(path, where, f"unknown kind {kind!r}")
        if kind == "annex_a_group":
            if parent_id is not None:
                raise SourceError(path, where, "an Annex A group has no parent in the outline")
            if annex is None:
                # Annex A itself is not an item of the outline: it is the parent of the groups.
                annex = c.add("Annex A", spec["annex"], NG.Annex, local="annex-A")
            parent = annex
        elif parent_id is None:
            if kind != "clause":
                raise SourceError(path, where, f"a {kind} needs a parent")
            parent = None
        else:
            parent = c.iris.get(parent_id)
            if parent is None:
                raise SourceError(path, where, f"parent {parent_id!r} is not an earlier item")
        wrong, right = TITLE_CORRECTIONS[key].get(notation, (title, title))
        if title not in (wrong, right):
            raise SourceError(path, where, f"title {title!r}: a correction expects {wrong!r} (or {right!r})")
        try:
            node = c.add(notation, right, KINDS[kind], parent=parent)
        except ValueError as e:
            raise SourceError(path, where, str(e)) from None
        if title != right:
            g.add((node, SKOS.editorialNote, Literal(
                f"Title corrected: the source outline has '{title}'; the published standard has '{right}'.", lang="en")))

    name = pub.entry.title
    return pub.finish(
        g,
        title=f"{name}: identifiers, titles and structure",
        derived_from=[
            pack_url(spec["outline"]),
            ca_url(derived["path"], derived["commit"]),
        ],
        description=f"Clauses and Annex A of {name} as a SKOS concept scheme, converted "
        f"from the normgraph reference pack file {spec['outline']}.",
        attribution=RIGHTS.format(std=name),
    )


def build(sources: Path) -> dict[str, Graph]:
    return {rel: g for key in STANDARDS for rel, g in build_one(sources, key).items()}

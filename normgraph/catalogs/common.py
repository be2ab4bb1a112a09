"""Helpers shared by every converter: deterministic Turtle, graph and catalog metadata, SKOS
schemes and concepts in document order, source errors."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, SKOS, VANN, XSD

from normgraph.catalogs.registry import Catalog
from normgraph.iri import NG, NGG, STATIC_PREFIXES, item_iri, local_id, scheme_iri

#: Licences we cite, by short name.
LICENSES = {
    "public-domain-us": URIRef("https://www.nist.gov/open/copyright-fair-use-and-licensing-statements-srd-data-software-and-technical-series-publications"),
    "eu-reuse": URIRef("http://data.europa.eu/eli/dec/2011/833/oj"),
    "cc-by-4.0": URIRef("https://creativecommons.org/licenses/by/4.0/"),
    "cc0": URIRef("https://creativecommons.org/publicdomain/zero/1.0/"),
    "iso-identifiers": URIRef("https://www.iso.org/terms-conditions-licence-agreement.html"),
    "normgraph": URIRef("https://creativecommons.org/licenses/by/4.0/"),
}


class SourceError(ValueError):
    """A reference source file is missing or not what its converter expects (file and line/item)."""

    def __init__(self, path: Path | str, where: str, message: str) -> None:
        super().__init__(f"{path}: {where}: {message}")
        self.path = str(path)
        self.where = where
        self.message = message


def new_graph() -> Graph:
    """An rdflib graph with every normgraph prefix bound (and no others).

    The catalogs' prefixes are taken from the converters' own declarations (what they state on the
    schemes), not from the data: converting never depends on the files it is about to write.
    """
    from normgraph.catalogs.build import declared_catalogs  # the converters import this module

    g = Graph(bind_namespaces="none")
    prefixes = {**STATIC_PREFIXES, **{c.prefix: c.namespace for c in declared_catalogs()}}
    for prefix, ns in prefixes.items():
        g.bind(prefix, ns, override=True, replace=True)
    return g


def describe_catalog(g: Graph, entry: Catalog) -> URIRef:
    """State a catalog's registry facts on its scheme (read back by normgraph.catalogs.registry)."""
    scheme = URIRef(entry.scheme)
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, NG.catalogKey, Literal(entry.key)))
    g.add((scheme, VANN.preferredNamespacePrefix, Literal(entry.prefix)))
    g.add((scheme, VANN.preferredNamespaceUri, Literal(entry.namespace)))
    g.add((scheme, SKOS.prefLabel, en(entry.title)))
    g.add((scheme, NG.shortTitle, en(entry.short_title)))
    g.add((scheme, NG.order, Literal(entry.order, datatype=XSD.integer)))
    return scheme


def describe_graph(
    g: Graph,
    graph_iri: URIRef,
    *,
    title: str,
    source: URIRef | str,
    license: URIRef | str,
    version: str,
    derived_from: list[URIRef | str],
    description: str | None = None,
    modified: dt.date | None = None,
    attribution: str | None = None,
) -> None:
    """State where a graph comes from and under what licence (every graph does, DESIGN.md §3)."""
    g.add((graph_iri, RDF.type, DCAT.Dataset))
    g.add((graph_iri, DCTERMS.title, Literal(title, lang="en")))
    g.add((graph_iri, DCTERMS.source, URIRef(str(source))))
    g.add((graph_iri, DCTERMS.license, URIRef(str(license))))
    g.add((graph_iri, OWL.versionInfo, Literal(version)))
    for origin in derived_from:
        g.add((graph_iri, PROV.wasDerivedFrom, URIRef(str(origin))))
    if description:
        g.add((graph_iri, DCTERMS.description, Literal(description, lang="en")))
    if attribution:
        g.add((graph_iri, DCTERMS.rights, Literal(attribution, lang="en")))
    if modified:
        g.add((graph_iri, DCTERMS.modified, Literal(modified.isoformat(), datatype=XSD.date)))


def write_turtle(g: Graph, path: Path) -> bool:
    """Write a graph as sorted, diff-friendly Turtle. Returns True when the file changed.

    rdflib's ``longturtle`` serializer sorts subjects and predicates and inlines blank nodes, so the
    same graph always gives the same bytes. The file is replaced atomically.
    """
    text = g.serialize(format="longturtle")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


def read_json(path: Path) -> Any:
    """Read a JSON source file, naming it in the error when it is missing or malformed."""
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise SourceError(path, "file", "not found (is --sources the reference folder?)") from None
    except json.JSONDecodeError as e:
        raise SourceError(path, f"line {e.lineno}", e.msg) from None


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for a CSV source with a header row."""
    try:
        f = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise SourceError(path, "file", "not found (is --sources the reference folder?)") from None
    with f:
        reader = csv.DictReader(f)
        for row in reader:
            yield reader.line_num, row


def text(value: str | None) -> str:
    """Normalise whitespace of a source string (collapses runs, strips ends)."""
    return " ".join((value or "").split())


#: The date this conversion of the reference pack was made (fixed, so builds are reproducible).
CONVERTED = dt.date(2026, 11, 28)

CSA_REPO = "https://github.com/CloudSecurityAlliance-DataSets/dataset-public-laws-regulations-standards"
CSA_COMMIT = "7d418867b0650a0982683b90af1bd0a42357a227"
CA_REPO = "https://github.com/intuitem/ciso-assistant-community"
CA_COMMIT = "f990d7b1b9a9f56e391acbc247c9076262a11412"
PACK = "https://w3id.org/normgraph/source/"


def csa_url(path: str, commit: str = CSA_COMMIT) -> URIRef:
    """The GitHub URL of a file in the CSA data-set repository at the commit the pack used."""
    return URIRef(f"{CSA_REPO}/blob/{commit}/{path}")


def ca_url(path: str, commit: str = CA_COMMIT) -> URIRef:
    """The GitHub URL of a file in the CISO Assistant repository."""
    return URIRef(f"{CA_REPO}/blob/{commit}/{path}")


def pack_url(rel: str) -> URIRef:
    """The IRI we use for a derived file of the reference pack (…/source/<pack path>)."""
    return URIRef(PACK + rel)


def graph_iri(key: str) -> URIRef:
    return URIRef(f"{NGG}{key}")


def date(value: str) -> Literal:
    dt.date.fromisoformat(value)  # fail early on a malformed constant
    return Literal(value, datatype=XSD.date)


def en(value: str) -> Literal:
    return Literal(value, lang="en")


class Concepts:
    """Adds concepts to one scheme in document order (ng:order counts from 1)."""

    def __init__(self, g: Graph, key: str) -> None:
        self.g = g
        self.key = key
        self.scheme = scheme_iri(key)
        self.order = 0
        self.iris: dict[str, URIRef] = {}

    def iri(self, notation: str, prefix: str = "") -> URIRef:
        """The IRI of a notation: local_id(notation), with a structural prefix where DESIGN §2 says."""
        return item_iri(self.key, prefix + local_id(notation))

    def add(
        self,
        notation: str,
        label: str,
        cls: URIRef,
        *,
        parent: URIRef | None = None,
        prefix: str = "",
        local: str | None = None,
    ) -> URIRef:
        """Add one concept; without a parent it is a top concept of the scheme.

        The local name is local_id(notation) behind a structural `prefix` ("family-"), or an
        explicit `local` for structural items whose notation is not their id ("Annex A" ->
        "annex-A", "Level 1" -> "level-1"; DESIGN.md §2).
        """
        if notation in self.iris:
            raise ValueError(f"duplicate notation {notation!r} in {self.key}")
        node = item_iri(self.key, local) if local else self.iri(notation, prefix)
        self.order += 1
        g = self.g
        g.add((node, RDF.type, cls))
        g.add((node, RDF.type, SKOS.Concept))
        g.add((node, SKOS.notation, Literal(notation)))
        g.add((node, SKOS.prefLabel, en(label)))
        g.add((node, SKOS.inScheme, self.scheme))
        g.add((node, NG.order, Literal(self.order, datatype=XSD.integer)))
        if parent is None:
            g.add((node, SKOS.topConceptOf, self.scheme))
            g.add((self.scheme, SKOS.hasTopConcept, node))
        else:
            g.add((node, SKOS.broader, parent))
        self.iris[notation] = node
        return node


def rel(path: Path, sources: Path) -> str:
    """A source path relative to the reference folder, for messages and pack URLs."""
    try:
        return path.relative_to(sources).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass(frozen=True)
class Publication:
    """What a catalog converter states besides the items: the catalog's registry entry, the
    publication its scheme describes (`kind` ng:Standard / ng:Framework, formal title, publisher,
    version, dates, official page) and the licence of the converted text (a LICENSES key).

    `start()` and `finish()` write the scheme and the graph description, the same for every
    structured catalog (ISO, NIST, CMMC); the EU converters write their own richer scheme.
    """

    entry: Catalog
    kind: URIRef
    title: str
    publisher: str
    version: str
    issued: str
    source: str
    license: str
    modified: str | None = None

    def start(self) -> tuple[Graph, Concepts]:
        """A new graph holding the catalog's scheme, and the helper that adds its items in order."""
        g = new_graph()
        scheme = describe_catalog(g, self.entry)
        g.add((scheme, RDF.type, self.kind))
        g.add((scheme, DCTERMS.title, en(self.title)))
        g.add((scheme, DCTERMS.publisher, en(self.publisher)))
        g.add((scheme, OWL.versionInfo, Literal(self.version)))
        g.add((scheme, DCTERMS.issued, date(self.issued)))
        if self.modified:
            g.add((scheme, DCTERMS.modified, date(self.modified)))
        g.add((scheme, DCTERMS.source, URIRef(self.source)))
        return g, Concepts(g, self.entry.key)

    def finish(
        self,
        g: Graph,
        *,
        title: str,
        description: str,
        derived_from: list[URIRef | str],
        attribution: str | None = None,
    ) -> dict[str, Graph]:
        """Describe the graph (DESIGN.md §3) and return it under its data/ path."""
        describe_graph(
            g,
            graph_iri(self.entry.key),
            title=title,
            source=self.source,
            license=LICENSES[self.license],
            version=self.version,
            derived_from=derived_from,
            description=description,
            modified=CONVERTED,
            attribution=attribution,
        )
        return {f"data/{self.entry.key}.ttl": g}

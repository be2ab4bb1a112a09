"""Small SKOS helpers shared by the catalog converters (schemes, concepts, source URLs).

Private to normgraph.catalogs: the converters for ISO 27001/42001, AI RMF, SP 800-171, CMMC,
CSF 2.0 and SP 800-53 all build the same shape of scheme and concept, so it is written once here.
(A candidate for normgraph/catalogs/common.py.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS, XSD

from normgraph.iri import NG, NGG, item_iri, local_id, scheme_iri

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


def add_scheme(
    g: Graph,
    key: str,
    *,
    kind: URIRef,
    title: str,
    publisher: str,
    version: str,
    issued: str,
    source: str,
    modified: str | None = None,
) -> URIRef:
    """Declare the skos:ConceptScheme of a catalog (also typed ng:Standard / ng:Framework)."""
    scheme = scheme_iri(key)
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, RDF.type, kind))
    g.add((scheme, DCTERMS.title, en(title)))
    g.add((scheme, DCTERMS.publisher, en(publisher)))
    g.add((scheme, OWL.versionInfo, Literal(version)))
    g.add((scheme, DCTERMS.issued, date(issued)))
    if modified:
        g.add((scheme, DCTERMS.modified, date(modified)))
    g.add((scheme, DCTERMS.source, URIRef(source)))
    return scheme


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

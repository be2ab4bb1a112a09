"""Helpers shared by every converter: deterministic Turtle, graph metadata, source errors."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, XSD

from normgraph.iri import PREFIXES

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
    """An rdflib graph with every normgraph prefix bound (and no others)."""
    g = Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True, replace=True)
    return g


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

"""GDPR (Regulation (EU) 2016/679) → data/gdpr.ttl (graph ngg:gdpr).

Source: the reference folder's gdpr/gdpr-articles.json (CSA; 99 articles in 11 chapters, each article's
text on one line). Every article is split into numbered paragraphs and lettered points by
``eu_text`` (Art. 4's definitions become points ``art-4-1`` …). The source has no section field, so
the sections of Chapters III, IV, V and VI are not modelled: articles hang from their chapter.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from normgraph.catalogs.common import LICENSES, SourceError, describe_catalog, describe_graph, new_graph, read_json
from normgraph.catalogs.eu_ai_act import ATTRIBUTION, check_split, sentence_case
from normgraph.catalogs.eu_text import add_concept, add_units, split_article
from normgraph.catalogs.registry import Catalog
from normgraph.iri import NG, NGG

CATALOG = "gdpr"
#: The catalog as the registry lists it (stated on the scheme in the data).
ENTRY = Catalog.of(CATALOG, "gdpr", "GDPR (Regulation (EU) 2016/679)", "GDPR", 5)
CATALOGS = (ENTRY,)
OUTPUT = "data/gdpr.ttl"
GRAPH = NGG[CATALOG]
ELI = URIRef("http://data.europa.eu/eli/reg/2016/679/oj")
VERSION = "OJ L 119, 4.5.2016, p. 1"
#: When this conversion last changed (a constant, so that builds are reproducible).
MODIFIED = dt.date(2026, 11, 28)
TITLE = (
    "Regulation (EU) 2016/679 of the European Parliament and of the Council of 27 April 2016 on the "
    "protection of natural persons with regard to the processing of personal data and on the free "
    "movement of such data, and repealing Directive 95/46/EC (General Data Protection Regulation)"
)
SOURCE_URL = (
    "https://github.com/CloudSecurityAlliance-DataSets/dataset-public-laws-regulations-standards/blob/"
    "7d418867b0650a0982683b90af1bd0a42357a227/regulation/europa.eu/gdpr/gdpr-articles.json"
)
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI"]


def add_scheme(g: Graph) -> URIRef:
    scheme = describe_catalog(g, ENTRY)
    g.add((scheme, RDF.type, NG.Regulation))
    g.add((scheme, SKOS.altLabel, Literal("General Data Protection Regulation", lang="en")))
    g.add((scheme, DCTERMS.title, Literal(TITLE, lang="en")))
    g.add((scheme, DCTERMS.identifier, Literal("CELEX:32016R0679")))
    g.add((scheme, DCTERMS.source, ELI))
    g.add((scheme, RDFS.seeAlso, ELI))  # not owl:sameAs: see eu_ai_act.add_scheme
    g.add((scheme, DCTERMS.issued, Literal("2016-04-27", datatype=XSD.date)))
    g.add(
        (
            scheme,
            DCTERMS.description,
            Literal(
                "Signed on 27 April 2016, published in the Official Journal on 4 May 2016 (OJ L 119, "
                "p. 1), in force since 24 May 2016; applies from 25 May 2018 (Article 99).",
                lang="en",
            ),
        )
    )
    return scheme


def build(sources: Path) -> dict[str, Graph]:
    """Convert gdpr/gdpr-articles.json under ``sources`` (the reference folder) into one graph."""
    path = sources / "gdpr" / "gdpr-articles.json"
    items = read_json(path)
    if not isinstance(items, list):
        raise SourceError(path, "file", "expected a JSON list of articles")
    g = new_graph()
    add_scheme(g)
    chapters: dict[str, tuple[URIRef, str]] = {}
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get("article") != index:
            raise SourceError(path, f"item {index}", f"expected article {index} (document order)")
        where = f"article {index}"
        fields = {}
        for key in ("article_name", "chapter", "chapter_name", "content"):
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                raise SourceError(path, where, f"missing or empty field {key!r}")
            fields[key] = " ".join(value.split())
        chapter = fields["chapter"]
        if chapter not in _ROMAN:
            raise SourceError(path, where, f"chapter {chapter!r} is not a Roman numeral I–XI")
        if chapters and _ROMAN.index(chapter) < _ROMAN.index(list(chapters)[-1]):
            raise SourceError(path, where, f"chapter {chapter} after chapter {list(chapters)[-1]}")
        if chapter not in chapters:
            label = sentence_case(fields["chapter_name"])
            iri = add_concept(
                g, CATALOG, f"chapter-{chapter}", NG.Chapter, notation=f"Chapter {chapter}", label=label,
                broader=None, order=_ROMAN.index(chapter) + 1,
            )  # fmt: skip
            chapters[chapter] = (iri, fields["chapter_name"])
        elif chapters[chapter][1] != fields["chapter_name"]:
            raise SourceError(path, where, f"chapter {chapter} is named {chapters[chapter][1]!r} elsewhere")
        content = fields["content"]
        local = f"art-{index}"
        article = add_concept(
            g, CATALOG, local, NG.Article, notation=f"Art. {index}", label=fields["article_name"],
            broader=chapters[chapter][0], order=index, text=content,
        )  # fmt: skip
        split = split_article(content)
        check_split(path, where, content, split)
        add_units(g, CATALOG, article, local, f"Art. {index}", split)
    describe_graph(
        g,
        GRAPH,
        title="GDPR (Regulation (EU) 2016/679): chapters, articles, paragraphs and points",
        source=ELI,
        license=LICENSES["eu-reuse"],
        version=VERSION,
        derived_from=[URIRef(SOURCE_URL)],
        description=(
            "Text from the CSA extraction of the Official Journal; articles split into numbered "
            "paragraphs and points by normgraph. Recitals and sections are not included. Only the "
            "Official Journal text is authentic."
        ),
        modified=MODIFIED,
        attribution=ATTRIBUTION,
    )
    return {OUTPUT: g}

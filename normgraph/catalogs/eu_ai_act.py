"""EU AI Act (Regulation (EU) 2024/1689) → data/eu-ai-act.ttl (graph ngg:eu-ai-act).

Sources (the reference folder's eu-ai-act/): ai-act-articles.json (113 articles, text on
one line), structure.csv (chapters and the 16 sections), ai-act-annexes.json + annexes-index.csv
(13 annexes), ai-act-recitals.json (180 recitals).

Structure: scheme → chapter → (section →) article → paragraph → point, plus annexes (Annex III split
into its 8 areas and their points, needed to classify high-risk systems) and recitals. The top concepts'
ng:order is the Official Journal's: recitals 1–180, then Chapters I–XIII, then Annexes I–XIII; below them,
ng:order is the number of the section, article, paragraph or point. Articles are
split by ``eu_text``; the amending articles 102–110 are not split (their text quotes the amended acts,
with those acts' own numbering).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from normgraph.catalogs.common import LICENSES, SourceError, describe_catalog, describe_graph, new_graph, read_csv, read_json
from normgraph.catalogs.common import text as clean
from normgraph.catalogs.eu_text import Split, Unit, add_concept, add_units, split_article, split_at, split_numbered
from normgraph.catalogs.registry import Catalog
from normgraph.iri import NG, NGG, item_iri

CATALOG = "eu-ai-act"
#: The catalog as the registry lists it (stated on the scheme in the data).
ENTRY = Catalog.of(CATALOG, "aiact", "EU AI Act (Regulation (EU) 2024/1689)", "AI Act", 3)
CATALOGS = (ENTRY,)
OUTPUT = "data/eu-ai-act.ttl"
GRAPH = NGG[CATALOG]
ELI = URIRef("http://data.europa.eu/eli/reg/2024/1689/oj")
ATTRIBUTION = "Source: EUR-Lex, © European Union, https://eur-lex.europa.eu/"
VERSION = "OJ L, 2024/1689, 12.7.2024"
#: When this conversion last changed (a constant, so that builds are reproducible).
MODIFIED = dt.date(2026, 11, 28)
TITLE = (
    "Regulation (EU) 2024/1689 of the European Parliament and of the Council of 13 June 2024 laying "
    "down harmonised rules on artificial intelligence and amending Regulations (EC) No 300/2008, (EU) "
    "No 167/2013, (EU) No 168/2013, (EU) 2018/858, (EU) 2018/1139 and (EU) 2019/2144 and Directives "
    "2014/90/EU, (EU) 2016/797 and (EU) 2020/1828 (Artificial Intelligence Act)"
)
_CSA = (
    "https://github.com/CloudSecurityAlliance-DataSets/dataset-public-laws-regulations-standards/blob/"
    "7d418867b0650a0982683b90af1bd0a42357a227/regulation/europa.eu/ai-act/"
)
_CA_SECTIONS = (
    "https://github.com/intuitem/ciso-assistant-community/blob/f990d7b1b9a9f56e391acbc247c9076262a11412/"
    "backend/library/libraries/ai-act.yaml"
)
#: Articles that amend other acts: their text quotes those acts' numbering, so it is not split.
AMENDING = range(102, 111)
#: Paragraphs the Official Journal prints without numbers but the Regulation cites by number
#: (Art. 111(1): "Article 113(3), point (a)"): opening words of each paragraph.
UNNUMBERED = {113: ["This Regulation shall enter into force", "It shall apply from", "However:"]}
#: Words kept upper case when an ALL-CAPS chapter title is put in sentence case.
_ACRONYMS = {"AI", "EU"}
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"]


def sentence_case(title: str) -> str:
    """'HIGH-RISK AI SYSTEMS' → 'High-risk AI systems' (titles not all in capitals are kept)."""
    if title != title.upper():
        return title
    words = []
    for word in title.split(" "):
        parts = [p if p in _ACRONYMS else p.lower() for p in word.split("-")]
        words.append("-".join(parts))
    result = " ".join(words)
    return result[:1].upper() + result[1:]


def _field(path: Path, item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str | int) or not str(value).strip():
        raise SourceError(path, where, f"missing or empty field {key!r}")
    return clean(str(value))


def add_scheme(g: Graph) -> URIRef:
    scheme = describe_catalog(g, ENTRY)
    g.add((scheme, RDF.type, NG.Regulation))
    g.add((scheme, SKOS.altLabel, Literal("Artificial Intelligence Act", lang="en")))
    g.add((scheme, DCTERMS.title, Literal(TITLE, lang="en")))
    g.add((scheme, DCTERMS.identifier, Literal("CELEX:32024R1689")))
    g.add((scheme, DCTERMS.source, ELI))
    # rdfs:seeAlso, not owl:sameAs: our scheme is a structured reading of the act, not the ELI work
    # itself, and OWL RL would otherwise merge every statement about the two.
    g.add((scheme, RDFS.seeAlso, ELI))
    g.add((scheme, DCTERMS.issued, Literal("2024-06-13", datatype=XSD.date)))
    g.add(
        (
            scheme,
            DCTERMS.description,
            Literal(
                "Signed on 13 June 2024, published in the Official Journal on 12 July 2024 (OJ L, "
                "2024/1689), in force since 1 August 2024; applies from 2 August 2026, with the "
                "exceptions of Article 113(3), points (a) to (c).",
                lang="en",
            ),
        )
    )
    return scheme


def _chapters_and_sections(g: Graph, scheme: URIRef, sources: Path, titles: dict[int, str], first: int) -> dict[int, URIRef]:
    """Add chapters and sections from structure.csv; return article number → parent IRI. Chapter N is the
    scheme's top concept number `first` + N - 1 (they follow the recitals)."""
    path = sources / "eu-ai-act" / "structure.csv"
    parents: dict[int, URIRef] = {}
    chapters: dict[str, URIRef] = {}
    sections: dict[tuple[str, str], URIRef] = {}
    for line, row in read_csv(path):
        where = f"line {line}"
        try:
            number = int(row["article"])
        except (KeyError, TypeError, ValueError):
            raise SourceError(path, where, f"article number {row.get('article')!r} is not an integer") from None
        where = f"line {line} (article {number})"
        chapter = _field(path, row, "chapter", where)
        if chapter not in _ROMAN:
            raise SourceError(path, where, f"chapter {chapter!r} is not a Roman numeral I–XV")
        if number in titles and clean(row.get("article_title")) != titles[number]:
            raise SourceError(path, where, f"title {row.get('article_title')!r} differs from the articles file: {titles[number]!r}")
        if chapter not in chapters:
            caps = _field(path, row, "chapter_title", where)
            iri = add_concept(
                g, CATALOG, f"chapter-{chapter}", NG.Chapter, notation=f"Chapter {chapter}",
                label=sentence_case(caps), broader=None, order=first + _ROMAN.index(chapter),
            )  # fmt: skip
            if sentence_case(caps) != caps:
                g.add((iri, SKOS.altLabel, Literal(caps, lang="en")))
            chapters[chapter] = iri
        section = clean(row.get("section"))
        if not section:
            parents[number] = chapters[chapter]
            continue
        if not section.isdigit():
            raise SourceError(path, where, f"section {section!r} is not a number")
        key = (chapter, section)
        if key not in sections:
            sections[key] = add_concept(
                g, CATALOG, f"chapter-{chapter}-section-{section}", NG.Section,
                notation=f"Chapter {chapter}, Section {section}",
                label=_field(path, row, "section_title", where), broader=chapters[chapter], order=int(section),
            )  # fmt: skip
        parents[number] = sections[key]
    return parents


def _articles(g: Graph, scheme: URIRef, sources: Path, first: int) -> int:
    """Add the chapters (top concepts `first`, `first` + 1, …), sections, articles, paragraphs and points;
    return the number of chapters."""
    path = sources / "eu-ai-act" / "ai-act-articles.json"
    items = read_json(path)
    if not isinstance(items, list):
        raise SourceError(path, "file", "expected a JSON list of articles")
    titles: dict[int, str] = {}
    contents: dict[int, str] = {}
    for index, item in enumerate(items, start=1):
        where = f"item {index}"
        if not isinstance(item, dict):
            raise SourceError(path, where, "not a JSON object")
        number = item.get("article")
        if number != index:
            raise SourceError(path, where, f"article number {number!r}, expected {index} (document order)")
        where = f"article {number}"
        title = _field(path, item, "article_name", where)
        # Defect: Article 1's title ends in a stray backtick ("Subject matter`") in the source.
        if title.endswith("`"):
            title = title.rstrip("`").rstrip()
        titles[number] = title
        contents[number] = _field(path, item, "content", where)
    parents = _chapters_and_sections(g, scheme, sources, titles, first)
    missing = sorted(set(titles) ^ set(parents))
    if missing:
        raise SourceError(path, f"article {missing[0]}", "not in both the articles file and structure.csv")
    for number, title in titles.items():
        where = f"article {number}"
        content = contents[number]
        local = f"art-{number}"
        iri = add_concept(
            g, CATALOG, local, NG.Article, notation=f"Art. {number}", label=title,
            broader=parents[number], order=number, text=content,
        )  # fmt: skip
        if number == 1:
            _note(g, iri, "Title corrected: the source has a stray backtick after 'Subject matter'.")
        if number == 111:
            _note(g, iri, "'placed on the marked' in the title is as published in the Official Journal.")
        if number in AMENDING:
            continue
        try:
            split = split_at(content, UNNUMBERED[number]) if number in UNNUMBERED else split_article(content)
        except ValueError as e:
            raise SourceError(path, where, str(e)) from None
        check_split(path, where, content, split)
        add_units(g, CATALOG, iri, local, f"Art. {number}", split)
        if number in UNNUMBERED:
            for n in range(1, len(UNNUMBERED[number]) + 1):
                _note(
                    g,
                    item_iri(CATALOG, f"{local}-{n}"),
                    "Unnumbered in the Official Journal; numbered as the Regulation cites it.",
                )
    return len(set(g.subjects(RDF.type, NG.Chapter)))


def _note(g: Graph, iri: URIRef, note: str) -> None:
    g.add((iri, SKOS.editorialNote, Literal(note, lang="en")))


def check_split(path: Path, where: str, content: str, split: Split) -> None:
    """Refuse a split that loses or reorders text (the source would then not be what we expect)."""
    rebuilt = " ".join(part for part in [split.intro, *(_marked(content, u) for u in split.units)] if part)
    if rebuilt.split() != content.split():
        raise SourceError(path, where, "splitting into paragraphs and points lost text")


def _marked(parent: str, unit: Unit) -> str:
    return (parent[unit.marker_start : unit.start] + unit.text).strip()


def _annexes(g: Graph, scheme: URIRef, sources: Path, first: int) -> None:
    """Add the annexes as top concepts `first`, `first` + 1, … (they follow the enacting terms)."""
    index_path = sources / "eu-ai-act" / "annexes-index.csv"
    titles = {clean(row.get("annex")): clean(row.get("title")) for _line, row in read_csv(index_path)}
    path = sources / "eu-ai-act" / "ai-act-annexes.json"
    items = read_json(path)
    if not isinstance(items, list):
        raise SourceError(path, "file", "expected a JSON list of annexes")
    for order, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise SourceError(path, f"item {order}", "not a JSON object")
        annex = _field(path, item, "annex", f"item {order}")
        where = f"annex {annex}"
        if annex != _ROMAN[order - 1]:
            raise SourceError(path, where, f"expected annex {_ROMAN[order - 1]} (document order)")
        title = titles.get(annex)
        if not title:
            raise SourceError(index_path, where, "no title in annexes-index.csv")
        content = _field(path, item, "content", where)
        # Defect: annex_name is empty; the content opens with "ANNEX III <title> ".
        heading = f"ANNEX {annex} {title}"
        if not content.startswith(heading + " "):
            raise SourceError(path, where, f"content does not open with the heading {heading!r}")
        body = content[len(heading) :].strip()
        local = f"annex-{annex}"
        iri = add_concept(
            g, CATALOG, local, NG.Annex, notation=f"Annex {annex}", label=title, broader=None, order=first + order - 1,
            text=body,
        )  # fmt: skip
        if annex == "III":
            split = split_numbered(body, allow_intro=True)
            if len(split.units) != 8:
                raise SourceError(path, where, f"found {len(split.units)} numbered areas, expected 8")
            check_split(path, where, body, split)
            add_units(g, CATALOG, iri, local, f"Annex {annex}", split, heading=_area_heading, kind=NG.Point)


def _area_heading(unit: Unit) -> str:
    """Annex III area heading: '1. Biometrics, in so far as …: (a) …' → text before the colon."""
    return unit.text.split(":", 1)[0].strip()


def _recitals(g: Graph, scheme: URIRef, sources: Path) -> int:
    """Add the recitals, top concepts 1, 2, … (the Regulation opens with them), labelled "Recital N" (they
    have no titles); return how many."""
    path = sources / "eu-ai-act" / "ai-act-recitals.json"
    items = read_json(path)
    if not isinstance(items, list):
        raise SourceError(path, "file", "expected a JSON list of recitals")
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get("recital") != index:
            raise SourceError(path, f"item {index}", f"expected recital {index} (document order)")
        content = _field(path, item, "content", f"recital {index}")
        add_concept(
            g, CATALOG, f"recital-{index}", NG.Recital, notation=f"Recital {index}", label=f"Recital {index}",
            broader=None, order=index, text=content,
        )  # fmt: skip
    return len(items)


def build(sources: Path) -> dict[str, Graph]:
    """Convert the AI Act sources under ``sources`` (the reference folder) into one graph."""
    g = new_graph()
    scheme = add_scheme(g)
    # ng:order of the top concepts is the Official Journal's order: recitals, chapters, annexes
    recitals = _recitals(g, scheme, sources)
    chapters = _articles(g, scheme, sources, first=recitals + 1)
    _annexes(g, scheme, sources, first=recitals + chapters + 1)
    describe_graph(
        g,
        GRAPH,
        title="EU AI Act (Regulation (EU) 2024/1689): chapters, sections, articles, annexes and recitals",
        source=ELI,
        license=LICENSES["eu-reuse"],
        version=VERSION,
        derived_from=[
            URIRef(_CSA + "ai-act-articles.json"),
            URIRef(_CSA + "ai-act-annexes.json"),
            URIRef(_CSA + "ai-act-recitals.json"),
            URIRef(_CA_SECTIONS),
        ],
        description=(
            "Text from the CSA extraction of the Official Journal HTML; sections from the CISO "
            "Assistant library, checked against the Official Journal's headings. Articles split into "
            "numbered paragraphs and points by normgraph. Only the Official Journal text is authentic."
        ),
        modified=MODIFIED,
        attribution=ATTRIBUTION,
    )
    return {OUTPUT: g}

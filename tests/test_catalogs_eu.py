"""EU AI Act and GDPR catalogs: the article splitter, counts, IRIs, lossless text, reproducible builds."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from repo import ROOT

from normgraph.catalogs import eu_ai_act, gdpr
from normgraph.catalogs.common import LICENSES, SourceError, write_turtle
from normgraph.catalogs.eu_text import Split, Unit, normalise, split_article, split_at, split_numbered
from normgraph.iri import LOCAL_NAME, NGG, NGID, PREFIXES, local_id

FILES = {"eu-ai-act": ROOT / "data" / "eu-ai-act.ttl", "gdpr": ROOT / "data" / "gdpr.ttl"}
SPARQL_PREFIXES = """
PREFIX ng: <https://w3id.org/normgraph/ont#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


# --- helpers -----------------------------------------------------------------------------------


def shape(split: Split) -> list[tuple[str, str]]:
    """[(unit label, its point letters joined)], e.g. [('1', 'ab'), ('2', '')]."""
    return [(u.label, "".join(p.label for p in u.points)) for u in split.units]


def articles(sources: Path, key: str) -> dict[int, str]:
    name = {"eu-ai-act": "eu-ai-act/ai-act-articles.json", "gdpr": "gdpr/gdpr-articles.json"}[key]
    return {a["article"]: normalise(a["content"]) for a in json.loads((sources / name).read_text("utf-8"))}


@pytest.fixture(scope="module")
def ai_act(sources: Path) -> dict[int, str]:
    return articles(sources, "eu-ai-act")


@pytest.fixture(scope="module")
def gdpr_articles(sources: Path) -> dict[int, str]:
    return articles(sources, "gdpr")


# --- the splitter on small texts ---------------------------------------------------------------


def test_reference_ending_a_sentence_does_not_open_a_paragraph() -> None:
    text = "1. As set out in Article 6(2). Also Regulation (EU) 2019/1020. 2. See paragraph 3. More text. 3. Last one."
    split = split_article(text)
    assert split.kind == "paragraph"
    assert [u.label for u in split.units] == ["1", "2", "3"]
    assert split.units[0].text == "As set out in Article 6(2). Also Regulation (EU) 2019/1020."
    assert split.units[1].text == "See paragraph 3. More text."


def test_paragraph_one_must_open_an_article() -> None:
    assert split_article("Member States shall act. 1. Nothing numbered here.").kind == "none"
    annex = split_numbered("Areas: 1. Biometrics: (a) one; (b) two. 2. Critical infrastructure.", allow_intro=True)
    assert annex.intro == "Areas:"
    assert shape(annex) == [("1", "ab"), ("2", "")]


def test_point_references_are_not_points() -> None:
    text = "1. Where points (a) and (b) apply, the following: (a) first, see point (b); (b) second; or (c) third."
    split = split_article(text)
    assert shape(split) == [("1", "abc")]
    assert split.units[0].points[0].text == "first, see point (b);"


def test_roman_subpoints_stay_inside_their_point() -> None:
    text = (
        "1. Shall: (a) alpha; (b) beta: (i) one; (ii) two; (iii) three; (iv) four; (v) five; "
        "(c) gamma; (d) d; (e) e; (f) f; (g) g; (h) h; (i) real i; (j) j."
    )
    split = split_article(text)
    assert shape(split) == [("1", "abcdefghij")]
    assert split.units[0].points[1].text.startswith("beta: (i) one;")
    assert split.units[0].points[8].text == "real i;"


def test_letter_v_and_x_after_u_and_w_are_points() -> None:
    letters = "abcdefghijklmnopqrstuvwxy"
    text = "1. Tasks: " + " ".join(f"({c}) task {c};" for c in letters)
    assert shape(split_article(text)) == [("1", letters)]


def test_unnumbered_paragraphs_by_opening_words() -> None:
    split = split_at("It applies. It applies later. However: (a) x; (b) y.", ["It applies.", "It applies later", "However"])
    assert shape(split) == [("1", ""), ("2", ""), ("3", "ab")]
    with pytest.raises(ValueError, match="paragraph 2"):
        split_at("It applies. Nothing else.", ["It applies", "Missing"])


# --- the splitter on real articles (pinned, checked by eye against the text) --------------------


def test_ai_act_art_5(ai_act: dict[int, str]) -> None:
    split = split_article(ai_act[5])
    assert shape(split) == [("1", "abcdefgh"), ("2", "ab"), ("3", ""), ("4", ""), ("5", ""), ("6", ""), ("7", ""), ("8", "")]
    h = split.units[0].points[7]
    assert h.text.startswith("the use of ‘real-time’ remote biometric identification systems")
    assert "(i) the targeted search" in h.text and "(iii) the localisation" in h.text


def test_ai_act_art_6(ai_act: dict[int, str]) -> None:
    split = split_article(ai_act[6])
    assert shape(split) == [("1", "ab"), ("2", ""), ("3", "abcd"), ("4", ""), ("5", ""), ("6", ""), ("7", ""), ("8", "")]
    assert split.units[1].text.startswith("In addition to the high-risk AI systems referred to in paragraph 1")


def test_ai_act_art_9(ai_act: dict[int, str]) -> None:
    split = split_article(ai_act[9])
    assert len(split.units) == 10
    assert shape(split)[1] == ("2", "abcd") and shape(split)[4] == ("5", "abc")
    assert split.units[3].text.startswith("The risk management measures referred to in paragraph 2, point (d)")


def test_ai_act_art_26_and_50(ai_act: dict[int, str]) -> None:
    assert shape(split_article(ai_act[26])) == [(str(n), "") for n in range(1, 13)]
    assert shape(split_article(ai_act[50])) == [(str(n), "") for n in range(1, 8)]


def test_ai_act_art_113(ai_act: dict[int, str]) -> None:
    # The OJ prints no paragraph numbers; Art. 111(1) cites "Article 113(3), point (a)". Points (a)-(c).
    assert shape(split_article(ai_act[113])) == [("a", ""), ("b", ""), ("c", "")]
    split = split_at(ai_act[113], eu_ai_act.UNNUMBERED[113])
    assert shape(split) == [("1", ""), ("2", ""), ("3", "abc")]
    assert split.units[1].text == "It shall apply from 2 August 2026."
    assert split.units[2].points[2].text.startswith("Article 6(1) and the corresponding obligations")


def test_ai_act_art_3_definitions_are_numbered_points(ai_act: dict[int, str]) -> None:
    split = split_article(ai_act[3])
    assert split.kind == "numbered-point"
    assert [u.label for u in split.units] == [str(n) for n in range(1, 69)]
    assert split.units[0].text.startswith("‘AI system’ means")
    letters = {u.label: "".join(p.label for p in u.points) for u in split.units if u.points}
    assert letters == {"45": "ab", "49": "abcd", "61": "ab"}


def test_ai_act_roman_and_letter_i(ai_act: dict[int, str]) -> None:
    assert shape(split_article(ai_act[7]))[1] == ("2", "abcdefghijk")  # a real point (i)
    assert shape(split_article(ai_act[13]))[2] == ("3", "abcdef")  # (i)-(vii) inside (b)
    assert shape(split_article(ai_act[59]))[0] == ("1", "abcdefghij")  # (i)-(v) inside (a), real (i)
    assert shape(split_article(ai_act[66])) == [(c, "") for c in "abcdefghijklmno"]  # no paragraphs


def test_ai_act_second_list_in_a_paragraph(ai_act: dict[int, str]) -> None:
    # Art. 43(1): "(a) … or (b) …" then a second subparagraph with its own list "(a) … (d)": the
    # second list cannot be named under DESIGN.md §2, so it stays inside point (b)'s text.
    split = split_article(ai_act[43])
    assert shape(split)[0] == ("1", "ab")
    assert "Annex VII where: (a) harmonised standards" in split.units[0].points[1].text


def test_gdpr_pinned_splits(gdpr_articles: dict[int, str]) -> None:
    assert shape(split_article(gdpr_articles[5])) == [("1", "abcdef"), ("2", "")]
    art35 = shape(split_article(gdpr_articles[35]))
    assert len(art35) == 11
    assert art35[2] == ("3", "abc") and art35[6] == ("7", "abcd")
    assert shape(split_article(gdpr_articles[9]))[1] == ("2", "abcdefghij")
    assert shape(split_article(gdpr_articles[70]))[0] == ("1", "abcdefghijklmnopqrstuvwxy")
    definitions = split_article(gdpr_articles[4])
    assert definitions.kind == "numbered-point" and len(definitions.units) == 26


def _check_units(parent: str, units: tuple[Unit, ...], marker: re.Pattern[str], where: str) -> None:
    for unit in units:
        assert parent[unit.start : unit.end] == unit.text, where
        token = parent[unit.marker_start : unit.start].strip()
        assert token == "" or marker.fullmatch(token), f"{where}: marker {token!r}"
        assert token == "" or token.strip("().") == unit.label, where


@pytest.mark.parametrize("key", ["eu-ai-act", "gdpr"])
def test_splitting_loses_nothing(sources: Path, key: str) -> None:
    """Every unit's text starts where its number was; units + intro give back the article text."""
    paragraph, point = re.compile(r"\d{1,3}\."), re.compile(r"\((?:[a-z]|\d{1,3})\)")
    split_count = 0
    for number, content in articles(sources, key).items():
        if key == "eu-ai-act" and number in eu_ai_act.AMENDING:
            continue
        split = (
            split_at(content, eu_ai_act.UNNUMBERED[number])
            if key == "eu-ai-act" and number in eu_ai_act.UNNUMBERED
            else split_article(content)
        )
        where = f"{key} article {number}"
        _check_units(content, split.units, paragraph if split.kind == "paragraph" else point, where)
        expected_labels = [u.label for u in split.units]
        if split.kind in ("paragraph", "numbered-point"):
            assert expected_labels == [str(n) for n in range(1, len(split.units) + 1)], where
        pieces = [split.intro]
        for unit in split.units:
            _check_units(unit.text, unit.points, point, where)
            assert [p.label for p in unit.points] == [chr(ord("a") + i) for i in range(len(unit.points))], where
            inner = (
                " ".join([unit.text[: unit.points[0].marker_start], *(f"({p.label}) {p.text}" for p in unit.points)])
                if unit.points
                else unit.text
            )
            assert inner.split() == unit.text.split(), where
            pieces.append(content[unit.marker_start : unit.start] + unit.text)
        assert " ".join(pieces).split() == content.split(), where
        split_count += bool(split.units)
    assert split_count == (98 if key == "eu-ai-act" else 84)  # the rest have no numbered units


# --- the committed data files, through Oxigraph -------------------------------------------------


@pytest.fixture(scope="module")
def store(oxigraph_loader) -> ox.Store:
    return oxigraph_loader(FILES.values())


def count(store: ox.Store, key: str, where: str) -> int:
    q = SPARQL_PREFIXES + f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{NGG}{key}> {{ {where} }} }}"
    return int(next(iter(store.query(q)))["n"].value)


def values(store: ox.Store, key: str, where: str) -> list[str]:
    q = SPARQL_PREFIXES + f"SELECT ?v WHERE {{ GRAPH <{NGG}{key}> {{ {where} }} }} ORDER BY ?v"
    return [str(r["v"].value) for r in store.query(q)]


@pytest.mark.parametrize(
    ("key", "where", "expected"),
    [
        ("eu-ai-act", "?s a ng:Article", 113),
        ("eu-ai-act", "?s a ng:Chapter", 13),
        ("eu-ai-act", "?s a ng:Section", 16),
        ("eu-ai-act", "?s a ng:Article ; skos:broader/a ng:Section", 80),
        ("eu-ai-act", "?s a ng:Article ; skos:broader/a ng:Chapter", 33),
        ("eu-ai-act", "?s a ng:Annex", 13),
        ("eu-ai-act", "?s a ng:Recital ; ng:text ?t", 180),
        ("eu-ai-act", "?s skos:broader <%s/annex-III>" % (NGID + "eu-ai-act"), 8),
        ("eu-ai-act", "?s skos:broader/skos:broader <%s/annex-III>" % (NGID + "eu-ai-act"), 24),
        ("eu-ai-act", "?s a ng:Paragraph ; skos:broader <%s/art-9>" % (NGID + "eu-ai-act"), 10),
        ("eu-ai-act", "?s a ng:Point ; skos:broader <%s/art-3>" % (NGID + "eu-ai-act"), 68),
        ("eu-ai-act", "?s a ng:Paragraph ; skos:broader ?a . ?a skos:notation ?n FILTER(?n IN ('Art. 102', 'Art. 110'))", 0),
        ("eu-ai-act", "?s a ng:Paragraph", 503),
        ("eu-ai-act", "?s a ng:Point", 449),
        ("gdpr", "?s a ng:Article", 99),
        ("gdpr", "?s a ng:Chapter", 11),
        ("gdpr", "?s a ng:Section", 0),
        ("gdpr", "?s a ng:Paragraph ; skos:broader <%s/art-35>" % (NGID + "gdpr"), 11),
        ("gdpr", "?s a ng:Point ; skos:broader <%s/art-35-7>" % (NGID + "gdpr"), 4),
        ("gdpr", "?s a ng:Point ; skos:broader <%s/art-5-1>" % (NGID + "gdpr"), 6),
        ("gdpr", "?s a ng:Paragraph", 372),
        ("gdpr", "?s a ng:Point", 385),
    ],
)
def test_counts(store: ox.Store, key: str, where: str, expected: int) -> None:
    assert count(store, key, where) == expected


def test_gdpr_required_articles(store: ox.Store) -> None:
    for n in (5, 24, 25, 30, 32, 33, 34, 35, 36):
        art = f"<{NGID}gdpr/art-{n}>"
        assert count(store, "gdpr", f"{art} ng:text ?t ; skos:prefLabel ?l ; skos:broader/a ng:Chapter . BIND({art} AS ?s)") == 1
        assert count(store, "gdpr", f"?s a ng:Paragraph ; skos:broader {art} ; ng:text ?t") >= 2, n


def test_labels_and_defects(store: ox.Store) -> None:
    act = NGID + "eu-ai-act"
    assert values(store, "eu-ai-act", f"<{act}/art-1> skos:prefLabel ?v") == ["Subject matter"]
    assert values(store, "eu-ai-act", f"<{act}/art-111> skos:prefLabel ?v")[0].endswith("placed on the marked")
    assert values(store, "eu-ai-act", f"<{act}/chapter-III> skos:prefLabel ?v") == ["High-risk AI systems"]
    assert values(store, "eu-ai-act", f"<{act}/chapter-III> skos:altLabel ?v") == ["HIGH-RISK AI SYSTEMS"]
    assert values(store, "eu-ai-act", f"<{act}/chapter-V> skos:prefLabel ?v") == ["General-purpose AI models"]
    assert values(store, "eu-ai-act", f"<{act}/chapter-III-section-2> skos:notation ?v") == ["Chapter III, Section 2"]
    assert values(store, "eu-ai-act", f"<{act}/art-9-2-a> skos:notation ?v") == ["Art. 9(2)(a)"]
    assert values(store, "eu-ai-act", f"<{act}/annex-III-5-b> skos:notation ?v") == ["Annex III(5)(b)"]
    assert values(store, "eu-ai-act", f"<{act}/annex-III-1> skos:prefLabel ?v") == [
        "Biometrics, in so far as their use is permitted under relevant Union or national law"
    ]
    assert values(store, "eu-ai-act", f"<{act}/annex-III> skos:prefLabel ?v") == ["High-risk AI systems referred to in Article 6(2)"]
    annex_text = values(store, "eu-ai-act", f"<{act}/annex-III> ng:text ?v")[0]
    assert annex_text.startswith("High-risk AI systems pursuant to Article 6(2) are the AI systems listed")
    assert values(store, "eu-ai-act", f"<{act}/art-113-3-c> ng:text ?v")[0].endswith("shall apply from 2 August 2027.")
    para = values(store, "eu-ai-act", f"<{act}/art-9-2> ng:text ?v")[0]
    assert para.startswith("The risk management system shall be understood") and "(d) the adoption" in para
    areas = {a: count(store, "eu-ai-act", f"?s a ng:Point ; skos:broader <{act}/annex-III-{a}>") for a in range(1, 9)}
    assert areas == {1: 3, 2: 0, 3: 4, 4: 2, 5: 4, 6: 5, 7: 4, 8: 2}


def test_article_text_is_the_source_text(store: ox.Store, ai_act: dict[int, str], gdpr_articles: dict[int, str]) -> None:
    for key, texts in (("eu-ai-act", ai_act), ("gdpr", gdpr_articles)):
        for n in (1, 9, 35, 99):
            assert values(store, key, f"<{NGID}{key}/art-{n}> ng:text ?v") == [texts[n]]


KIND_WORDS = {"Art", "Chapter", "Section", "Annex", "Recital"}


@pytest.mark.parametrize("key", ["eu-ai-act", "gdpr"])
def test_local_names_follow_design(store: ox.Store, key: str) -> None:
    """DESIGN.md §2: local name = local_id(notation) with the kind words in lower case."""
    q = SPARQL_PREFIXES + f"SELECT ?s ?n WHERE {{ GRAPH <{NGG}{key}> {{ ?s skos:inScheme ?scheme ; skos:notation ?n }} }}"
    seen = 0
    for row in store.query(q):
        iri, notation = str(row["s"].value), str(row["n"].value)
        local = iri.removeprefix(f"{NGID}{key}/")
        assert LOCAL_NAME.match(local), iri
        expected = "-".join(p.lower() if p in KIND_WORDS else p for p in local_id(notation).split("-"))
        assert local == expected, (iri, notation)
        seen += 1
    assert seen > 800
    # every subject in the catalog namespace is such an item
    outside = f"?s ?p ?o FILTER(STRSTARTS(STR(?s), '{NGID}{key}/')) FILTER NOT EXISTS {{ ?s skos:notation ?n }}"
    assert count(store, key, outside) == 0


@pytest.mark.parametrize("key", ["eu-ai-act", "gdpr"])
def test_every_item_has_order_label_and_a_path_to_the_scheme(store: ox.Store, key: str) -> None:
    scheme = f"<{NGID}{key}>"
    assert count(store, key, f"?s skos:inScheme {scheme} FILTER NOT EXISTS {{ ?s ng:order ?o ; skos:prefLabel ?l }}") == 0
    assert count(store, key, f"?s skos:inScheme {scheme} FILTER NOT EXISTS {{ ?s skos:broader*/skos:topConceptOf {scheme} }}") == 0
    assert count(store, key, f"?s skos:inScheme {scheme} ; ng:order ?o FILTER(DATATYPE(?o) != xsd:integer)") == 0


def test_ai_act_top_level_in_the_official_journals_order(store: ox.Store) -> None:
    """The Regulation as the Official Journal prints it: recitals 1-180, the enacting terms chapter by chapter,
    then the annexes; ng:order of the top concepts says so, one position each."""
    q = SPARQL_PREFIXES + f"""SELECT ?n ?o WHERE {{ GRAPH <{NGG}eu-ai-act> {{
        ?s skos:topConceptOf <{NGID}eu-ai-act> ; skos:notation ?n ; ng:order ?o }} }} ORDER BY ?o"""
    rows = [(str(r["n"].value), int(r["o"].value)) for r in store.query(q)]
    notations = [n for n, _ in rows]
    roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII"]
    assert notations == ([f"Recital {i}" for i in range(1, 181)] + [f"Chapter {r}" for r in roman]
                         + [f"Annex {r}" for r in roman])
    assert [o for _, o in rows] == list(range(1, 207))


def test_ai_act_recitals_are_labelled_by_number(store: ox.Store) -> None:
    """Recitals have no titles in the Official Journal: each is labelled "Recital N", nothing invented."""
    labels = values(store, "eu-ai-act", "?s a ng:Recital ; skos:prefLabel ?v")
    assert len(labels) == 180 and set(labels) == {f"Recital {i}" for i in range(1, 181)}


@pytest.mark.parametrize(
    ("key", "eli", "celex", "issued", "version"),
    [
        ("eu-ai-act", "http://data.europa.eu/eli/reg/2024/1689/oj", "CELEX:32024R1689", "2024-06-13", "OJ L, 2024/1689, 12.7.2024"),
        ("gdpr", "http://data.europa.eu/eli/reg/2016/679/oj", "CELEX:32016R0679", "2016-04-27", "OJ L 119, 4.5.2016, p. 1"),
    ],
)
def test_scheme_and_graph_metadata(store: ox.Store, key: str, eli: str, celex: str, issued: str, version: str) -> None:
    scheme, graph = f"<{NGID}{key}>", f"<{NGG}{key}>"
    about = f"dct:identifier '{celex}' ; dct:source <{eli}> ; rdfs:seeAlso <{eli}> ; dct:issued '{issued}'^^xsd:date"
    assert count(store, key, f"{scheme} a skos:ConceptScheme, ng:Regulation ; {about} . BIND(1 AS ?s)") == 1
    assert values(store, key, f"{graph} dct:license ?v") == [str(LICENSES["eu-reuse"])]
    assert values(store, key, f"{graph} dct:source ?v") == [eli]
    assert values(store, key, f"{graph} owl:versionInfo ?v") == [version]
    assert values(store, key, f"{graph} dct:rights ?v") == [eu_ai_act.ATTRIBUTION]
    derived = values(store, key, f"{graph} prov:wasDerivedFrom ?v")
    assert derived and all("7d418867b0650a0982683b90af1bd0a42357a227" in d or "ciso-assistant" in d for d in derived)
    assert count(store, key, f"{graph} dct:modified ?d FILTER(DATATYPE(?d) = xsd:date) BIND(1 AS ?s)") == 1


def test_obligations_point_at_existing_provisions(store: ox.Store) -> None:
    """Every aiact: IRI the obligations catalog cites is an item of data/eu-ai-act.ttl."""
    path = ROOT / "data" / "eu-ai-act-obligations.ttl"
    obligations = ox.Store()
    obligations.load(path=str(path), format=ox.RdfFormat.TURTLE)
    base = PREFIXES["aiact"]
    cited = {
        str(q.object.value) for q in obligations.quads_for_pattern(None, None, None)
        if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(base)
    }  # fmt: skip
    assert cited
    known = set(values(store, "eu-ai-act", f"?v skos:inScheme <{NGID}eu-ai-act>"))
    assert sorted(cited - known) == []


# --- builds: reproducible, equal to the committed files, loud on broken sources ---------------


@pytest.mark.parametrize("module", [eu_ai_act, gdpr])
def test_build_is_deterministic_and_matches_committed(sources: Path, tmp_path: Path, module) -> None:
    first = {rel: g.serialize(format="longturtle") for rel, g in module.build(sources).items()}
    second = {rel: g.serialize(format="longturtle") for rel, g in module.build(sources).items()}
    assert first == second
    for rel, graph in module.build(sources).items():
        out = tmp_path / rel
        write_turtle(graph, out)
        assert out.read_bytes() == (ROOT / rel).read_bytes(), f"{rel} is stale: rebuild it"


def _copy(sources: Path, tmp_path: Path, folder: str) -> Path:
    shutil.copytree(sources / folder, tmp_path / folder)
    for f in (tmp_path / folder).iterdir():
        f.chmod(0o644)
    return tmp_path


def test_broken_ai_act_article_names_file_and_article(sources: Path, tmp_path: Path) -> None:
    root = _copy(sources, tmp_path, "eu-ai-act")
    path = root / "eu-ai-act" / "ai-act-articles.json"
    items = json.loads(path.read_text("utf-8"))
    del items[41]["content"]
    path.write_text(json.dumps(items), "utf-8")
    with pytest.raises(SourceError) as e:
        eu_ai_act.build(root)
    assert e.value.path == str(path) and e.value.where == "article 42" and "content" in str(e.value)


def test_missing_ai_act_article_is_reported(sources: Path, tmp_path: Path) -> None:
    root = _copy(sources, tmp_path, "eu-ai-act")
    path = root / "eu-ai-act" / "ai-act-articles.json"
    items = json.loads(path.read_text("utf-8"))
    del items[9]
    path.write_text(json.dumps(items), "utf-8")
    with pytest.raises(SourceError, match=r"ai-act-articles\.json: item 10: article number 11, expected 10"):
        eu_ai_act.build(root)


def test_broken_annex_heading_is_reported(sources: Path, tmp_path: Path) -> None:
    root = _copy(sources, tmp_path, "eu-ai-act")
    path = root / "eu-ai-act" / "ai-act-annexes.json"
    items = json.loads(path.read_text("utf-8"))
    items[2]["content"] = items[2]["content"].replace("ANNEX III", "ANNEX 3", 1)
    path.write_text(json.dumps(items), "utf-8")
    with pytest.raises(SourceError, match=r"ai-act-annexes\.json: annex III: content does not open"):
        eu_ai_act.build(root)


def test_broken_gdpr_article_names_file_and_article(sources: Path, tmp_path: Path) -> None:
    root = _copy(sources, tmp_path, "gdpr")
    path = root / "gdpr" / "gdpr-articles.json"
    items = json.loads(path.read_text("utf-8"))
    items[34]["chapter"] = ""
    path.write_text(json.dumps(items), "utf-8")
    with pytest.raises(SourceError, match=r"gdpr-articles\.json: article 35: missing or empty field 'chapter'"):
        gdpr.build(root)


def test_missing_sources_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        gdpr.build(tmp_path)


def test_sentence_case() -> None:
    assert eu_ai_act.sentence_case("EU DATABASE FOR HIGH-RISK AI SYSTEMS") == "EU database for high-risk AI systems"
    assert eu_ai_act.sentence_case("Controller and processor") == "Controller and processor"

"""ISO/IEC 27001:2022 and 42001:2023 catalogs: counts, IRIs, no ISO text, reproducible builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from repo import ROOT

from normgraph.catalogs import iso
from normgraph.catalogs.common import LICENSES, SourceError, write_turtle
from normgraph.iri import LOCAL_NAME, NGG, NGID, local_id

FILES = {key: ROOT / "data" / f"{key}.ttl" for key in iso.STANDARDS}
PREFIXES = """
PREFIX ng: <https://w3id.org/normgraph/ont#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
"""


@pytest.fixture(scope="module")
def store(oxigraph_loader) -> ox.Store:
    return oxigraph_loader(FILES.values())


def rows(store: ox.Store, key: str, select: str, where: str) -> list[tuple[str, ...]]:
    """SELECT `select` (e.g. "?s ?n") over the graph of one ISO file; values as strings."""
    q = PREFIXES + f"SELECT {select} WHERE {{ GRAPH <{NGG}{key}> {{ {where} }} }}"
    return [tuple(str(t.value) for t in r) for r in store.query(q)]


def count(store: ox.Store, key: str, where: str) -> int:
    q = PREFIXES + f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{NGG}{key}> {{ {where} }} }}"
    return int(next(iter(store.query(q)))["n"].value)


def scheme(key: str) -> str:
    return f"{NGID}{key}"


# --- counts (computed by SPARQL over the committed files) ------------------------------------

@pytest.mark.parametrize(
    ("key", "cls", "where", "expected"),
    [
        ("iso27001-2022", "ng:Clause", "FILTER NOT EXISTS { ?s skos:broader ?p }", 7),
        ("iso27001-2022", "ng:Clause", "?s skos:broader ?p", 34),
        ("iso27001-2022", "ng:Annex", "", 1),
        ("iso27001-2022", "ng:ControlTheme", "", 4),
        ("iso27001-2022", "ng:ControlObjective", "", 0),
        ("iso27001-2022", "ng:Control", "", 93),
        ("iso42001-2023", "ng:Clause", "FILTER NOT EXISTS { ?s skos:broader ?p }", 7),
        ("iso42001-2023", "ng:Clause", "?s skos:broader ?p", 36),
        ("iso42001-2023", "ng:Annex", "", 1),
        ("iso42001-2023", "ng:ControlTheme", "", 9),
        ("iso42001-2023", "ng:ControlObjective", "", 2),
        ("iso42001-2023", "ng:Control", "", 38),
    ],
)
def test_counts(store, key, cls, where, expected):
    assert count(store, key, f"?s a {cls} ; a skos:Concept ; skos:inScheme <{scheme(key)}> . {where}") == expected


def test_27001_controls_per_theme(store):
    got = dict(rows(store, "iso27001-2022", "?n ?k", """
        { SELECT ?n (COUNT(?c) AS ?k) WHERE {
            ?c a ng:Control ; skos:broader ?t . ?t a ng:ControlTheme ; skos:notation ?n .
        } GROUP BY ?n }"""))
    assert got == {"A.5": "37", "A.6": "8", "A.7": "14", "A.8": "34"}


def test_42001_subclauses_include_6_1_1_to_6_1_4(store):
    got = {n for (n,) in rows(store, "iso42001-2023", "?n", f"""
        ?s skos:broader <{scheme('iso42001-2023')}/6-1> ; skos:notation ?n""")}
    assert got == {"6.1.1", "6.1.2", "6.1.3", "6.1.4"}


def test_42001_annex_structure(store):
    key = "iso42001-2023"
    groups = {n for (n,) in rows(store, key, "?n", f"""
        ?g a ng:ControlTheme ; skos:broader <{scheme(key)}/annex-A> ; skos:notation ?n""")}
    assert groups == {f"A.{i}" for i in range(2, 11)}
    # A.6 controls hang under the objective headings, the objectives under A.6.
    under = dict(rows(store, key, "?o ?k", """
        { SELECT ?o (COUNT(?c) AS ?k) WHERE {
            ?o a ng:ControlObjective ; skos:broader ?g . ?g skos:notation "A.6" .
            ?c a ng:Control ; skos:broader ?o .
        } GROUP BY ?o }"""))
    assert under == {f"{scheme(key)}/A-6-1": "2", f"{scheme(key)}/A-6-2": "7"}


@pytest.mark.parametrize("key", list(iso.STANDARDS))
def test_top_concepts_are_clauses_and_annex(store, key):
    tops = {n for (n,) in rows(store, key, "?n", f"""
        ?s skos:topConceptOf <{scheme(key)}> ; skos:notation ?n .
        <{scheme(key)}> skos:hasTopConcept ?s .""")}
    assert tops == {"4", "5", "6", "7", "8", "9", "10", "Annex A"}


# --- IRIs, labels, order --------------------------------------------------------------------

@pytest.mark.parametrize("key", list(iso.STANDARDS))
def test_local_names_follow_the_iri_rule(store, key):
    items = rows(store, key, "?s ?n", f"?s skos:inScheme <{scheme(key)}> ; skos:notation ?n")
    assert items
    for iri, notation in items:
        local = iri.removeprefix(scheme(key) + "/")
        assert LOCAL_NAME.match(local), iri
        expected = "annex-A" if notation == "Annex A" else local_id(notation)
        assert local == expected, (iri, notation)


@pytest.mark.parametrize("key", list(iso.STANDARDS))
def test_every_item_has_label_order_and_parent_in_scheme(store, key):
    missing = rows(store, key, "?s", f"""
        ?s skos:inScheme <{scheme(key)}> .
        FILTER NOT EXISTS {{ ?s skos:prefLabel ?l FILTER(lang(?l) = "en") }}""")
    assert missing == []
    orders = [int(o) for (o,) in rows(store, key, "?o", f"?s skos:inScheme <{scheme(key)}> ; ng:order ?o")]
    assert sorted(orders) == list(range(1, len(orders) + 1))
    dangling = rows(store, key, "?s", "?s skos:broader ?p FILTER NOT EXISTS { ?p skos:inScheme ?x }")
    assert dangling == []


def test_corrected_titles_are_kept(store):
    got = {n: label for (_s, n, label) in rows(store, "iso27001-2022", "?s ?n ?l",
                                               "?s skos:notation ?n ; skos:prefLabel ?l")}
    assert got["8"] == "Operation"
    assert got["6.1.2"] == "Information security risk assessment"
    assert got["A.7.6"] == "Working in secure areas"


def test_titles_the_outline_gets_wrong_are_corrected_with_a_note(store):
    """issue 10: five 27001 titles as ISO publishes them; each corrected concept says so."""
    got = {n: label for (_s, n, label) in rows(store, "iso27001-2022", "?s ?n ?l",
                                               "?s skos:notation ?n ; skos:prefLabel ?l")}
    assert (got["6.3"], got["7.5"], got["7.5.2"], got["A.5"], got["A.8.1"]) == (
        "Planning of changes", "Documented information", "Creating and updating documented information",
        "Organizational controls", "User endpoint devices")
    notes = rows(store, "iso27001-2022", "?n ?note", "?s skos:notation ?n ; skos:editorialNote ?note")
    assert sorted(n for n, _ in notes) == ["6.3", "7.5", "7.5.2", "A.5", "A.8.1"]


def test_a_correction_that_no_longer_fits_the_source_is_an_error(sources, tmp_path):
    def retitle(data):
        item = next(i for i in data["items"] if i["id"] == "6.3")
        item["title"] = "Change planning"
    copy = _broken_copy(sources, tmp_path, "iso27001-2022", retitle)
    with pytest.raises(SourceError, match="a correction expects"):
        iso.build_one(copy, "iso27001-2022")


# --- no ISO text; graph description ---------------------------------------------------------

@pytest.mark.parametrize("key", list(iso.STANDARDS))
def test_no_iso_text(store, key):
    for prop in ("ng:text", "ng:discussion", "ng:summary", "skos:definition", "ng:footnote"):
        assert count(store, key, f"?s {prop} ?o") == 0, prop


@pytest.mark.parametrize("key", list(iso.STANDARDS))
def test_graph_describes_itself(store, key):
    g = f"{NGG}{key}"
    got = rows(store, key, "?lic ?src ?rights ?t", f"""
        <{g}> a <http://www.w3.org/ns/dcat#Dataset> ; dct:license ?lic ; dct:source ?src ;
              dct:rights ?rights ; dct:title ?t .""")
    assert len(got) == 1
    lic, src, rights, _title = got[0]
    assert lic == str(LICENSES["iso-identifiers"])
    assert src == iso.PUBLICATIONS[key].source
    assert "no requirement or control text" in rights
    derived = {d for (d,) in rows(store, key, "?d", f"<{g}> <http://www.w3.org/ns/prov#wasDerivedFrom> ?d")}
    assert f"https://w3id.org/normgraph/source/{key}/outline.json" in derived
    assert any(d.startswith("https://github.com/intuitem/ciso-assistant-community/blob/") for d in derived)
    issued = rows(store, key, "?d", f"""<{scheme(key)}> dct:issued ?d
        FILTER(datatype(?d) = <http://www.w3.org/2001/XMLSchema#date>)""")
    assert len(issued) == 1


# --- builds ---------------------------------------------------------------------------------

def test_build_is_deterministic(sources, tmp_path):
    first = {k: g.serialize(format="longturtle") for k, g in iso.build(sources).items()}
    second = {k: g.serialize(format="longturtle") for k, g in iso.build(sources).items()}
    assert first == second
    assert set(first) == {f"data/{key}.ttl" for key in iso.STANDARDS}


def test_committed_files_equal_a_fresh_build(sources, tmp_path):
    for rel, graph in iso.build(sources).items():
        out = tmp_path / rel
        write_turtle(graph, out)
        assert out.read_bytes() == (ROOT / rel).read_bytes(), f"{rel} is stale: rebuild it"


def _broken_copy(sources: Path, tmp_path: Path, key: str, mutate) -> Path:
    copy = tmp_path / "reference"
    for k in iso.STANDARDS:
        (copy / k).mkdir(parents=True)
        shutil.copy(sources / k / "outline.json", copy / k / "outline.json")
    path = copy / key / "outline.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    return copy


def test_unknown_parent_is_a_source_error_naming_file_and_item(sources, tmp_path):
    def orphan(data):
        for item in data["items"]:
            if item["id"] == "A.5.19":
                item["parent"] = "A.55"

    copy = _broken_copy(sources, tmp_path, "iso27001-2022", orphan)
    with pytest.raises(SourceError) as err:
        iso.build(copy)
    assert err.value.path == str(copy / "iso27001-2022" / "outline.json")
    assert "A.5.19" in str(err.value) and "A.55" in str(err.value)


def test_missing_title_is_a_source_error(sources, tmp_path):
    def untitle(data):
        data["items"][3]["title"] = "  "

    copy = _broken_copy(sources, tmp_path, "iso42001-2023", untitle)
    with pytest.raises(SourceError, match=r"iso42001-2023/outline\.json: item 4\.3"):
        iso.build(copy)


def test_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match=r"iso27001-2022/outline\.json"):
        iso.build(tmp_path)

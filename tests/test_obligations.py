"""AI Act obligations catalog and the two AI-Act-facing curated mapping sets.

Checks the generated graph against the curated TSV, the Art. 113 dates, the links into the AI Act,
ISO/IEC 42001 and AI RMF catalogs (skipped while a catalog file is absent), SSSOM parsing, strict
TSV validation and reproducible builds.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD
from repo import ROOT

from normgraph.catalogs import obligations
from normgraph.catalogs.common import SourceError, write_turtle
from normgraph.iri import LOCAL_NAME, NG, NGID, NGV, expand

TTL = ROOT / "data" / "eu-ai-act-obligations.ttl"
TSV = ROOT / "data" / "eu-ai-act-obligations.tsv"
ISO_SET = ROOT / "data" / "mappings" / "eu-ai-act-obligations_to_iso42001-2023.sssom.tsv"
RMF_SET = ROOT / "data" / "mappings" / "nist-ai-rmf-1.0_to_eu-ai-act.sssom.tsv"
CATALOG_FILES = {
    "aiact": ROOT / "data" / "eu-ai-act.ttl",
    "iso42001": ROOT / "data" / "iso42001-2023.ttl",
    "airmf": ROOT / "data" / "nist-ai-rmf-1.0.ttl",
    "aiactob": TTL,
}
REQUIRED_ARTICLES = [4, 5, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 22, 25, 26, 27, 43, 47, 48, 49, 50, 53, 54, 55, 72, 73]
AIACT = f"{NGID}eu-ai-act/"
NO_TERM_FOUND = "https://w3id.org/sssom/NoTermFound"


@pytest.fixture(scope="module")
def graph() -> Graph:
    g = Graph()
    g.parse(TTL, format="turtle")
    return g


@pytest.fixture(scope="module")
def obligation_iris(graph: Graph) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, NG.Obligation) if isinstance(s, URIRef))


def article_of(g: Graph, ob: URIRef) -> int:
    provision = str(g.value(ob, NG.imposedBy))
    return int(provision.removeprefix(AIACT).split("-")[1])


def catalog_subjects(prefix: str) -> set[str]:
    path = CATALOG_FILES[prefix]
    g = Graph()
    g.parse(path, format="turtle")
    return {str(s) for s in g.subjects() if isinstance(s, URIRef)}


def sssom_rows(path: Path) -> list[dict[str, str]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, ln.split("\t"), strict=True)) for ln in lines[1:]]


# --- the obligations graph -----------------------------------------------------------------------


def test_graph_parses_and_matches_the_tsv(graph: Graph, obligation_iris: list[URIRef]) -> None:
    rows = obligations.read_obligations(TSV)
    assert len(obligation_iris) == len(rows) >= 100
    assert {str(o).rsplit("/", 1)[1] for o in obligation_iris} == {r.obligation_id for r in rows}
    meta = obligations.GRAPH
    assert (meta, None, None) in graph
    assert str(graph.value(meta, URIRef("http://purl.org/dc/terms/source"))) == "http://data.europa.eu/eli/reg/2024/1689/oj"
    assert str(graph.value(meta, URIRef("http://purl.org/dc/terms/license"))) == "https://creativecommons.org/licenses/by/4.0/"
    assert str(graph.value(meta, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))) == ("https://w3id.org/normgraph/graph/eu-ai-act")


@pytest.mark.parametrize("article", REQUIRED_ARTICLES)
def test_required_article_has_an_obligation(graph: Graph, obligation_iris: list[URIRef], article: int) -> None:
    assert any(article_of(graph, ob) == article for ob in obligation_iris), f"no obligation under Art. {article}"


def test_every_obligation_is_complete(graph: Graph, obligation_iris: list[URIRef]) -> None:
    for ob in obligation_iris:
        local = str(ob).removeprefix(obligations.OBLIGATION_NS)
        assert LOCAL_NAME.match(local), ob
        assert (ob, RDF.type, SKOS.Concept) in graph
        assert graph.value(ob, SKOS.inScheme) == obligations.SCHEME
        imposed = list(graph.objects(ob, NG.imposedBy))
        assert len(imposed) == 1 and str(imposed[0]).startswith(AIACT), ob
        roles = list(graph.objects(ob, NG.appliesToRole))
        assert roles and all(str(r).startswith(f"{NGV}role/") for r in roles), ob
        cats = list(graph.objects(ob, NG.appliesToSystemCategory))
        assert cats and all(str(c).startswith(f"{NGV}system-category/") for c in cats), ob
        evidence = list(graph.objects(ob, NG.requiresEvidence))
        assert evidence and all(str(e).startswith(f"{NGV}evidence-kind/") for e in evidence), ob
        dates = list(graph.objects(ob, NG.applicableFrom))
        assert len(dates) == 1 and isinstance(dates[0], Literal) and dates[0].datatype == XSD.date, ob
        assert isinstance(dates[0].toPython(), dt.date), ob
        for prop in (SKOS.prefLabel, SKOS.notation, NG.summary):
            assert graph.value(ob, prop), (ob, prop)
        role = str(roles[0]).rsplit("/", 1)[1]
        assert str(graph.value(ob, SKOS.notation)).endswith(f" {role}")
        assert local == f"{str(imposed[0]).removeprefix(AIACT)}-{role}"


def test_notation_follows_design(graph: Graph) -> None:
    ob = URIRef(obligations.OBLIGATION_NS + "art-9-1-provider")
    assert str(graph.value(ob, SKOS.notation)) == "Art. 9(1) provider"
    assert obligations.provision_notation("art-53-1-a") == "Art. 53(1)(a)"
    assert obligations.provision_notation("art-16-b") == "Art. 16(b)"


def test_dates_follow_article_113(graph: Graph, obligation_iris: list[URIRef]) -> None:
    for ob in obligation_iris:
        article = article_of(graph, ob)
        date = graph.value(ob, NG.applicableFrom).toPython()
        if article in (4, 5):  # Chapters I and II
            assert date == dt.date(2025, 2, 2), ob
        elif 51 <= article <= 56:  # Chapter V (GPAI)
            assert date == dt.date(2025, 8, 2), ob
        else:  # general date, or 2027 for obligations tied to Art. 6(1) / Annex I products
            assert date in (dt.date(2026, 8, 2), dt.date(2027, 8, 2)), ob
    for local in ("art-9-1-provider", "art-9-2-provider", "art-26-6-deployer", "art-50-2-provider"):
        assert graph.value(URIRef(obligations.OBLIGATION_NS + local), NG.applicableFrom).toPython() == dt.date(2026, 8, 2)
    annex_i_only = URIRef(obligations.OBLIGATION_NS + "art-43-3-provider")
    assert graph.value(annex_i_only, NG.applicableFrom).toPython() == dt.date(2027, 8, 2)
    deferred = graph.value(URIRef(obligations.OBLIGATION_NS + "art-9-1-provider"), SKOS.scopeNote)
    assert deferred is not None and "2027-08-02" in str(deferred)


def test_imposing_provisions_exist_in_the_ai_act_catalog(graph: Graph, obligation_iris: list[URIRef]) -> None:
    known = catalog_subjects("aiact")
    missing = sorted({str(graph.value(ob, NG.imposedBy)) for ob in obligation_iris} - known)
    assert not missing, f"provisions not in data/eu-ai-act.ttl: {missing}"


# --- mapping sets --------------------------------------------------------------------------------


def test_every_obligation_is_mapped_to_42001(obligation_iris: list[URIRef]) -> None:
    subjects = {str(expand(r["subject_id"])) for r in sssom_rows(ISO_SET)}
    missing = sorted(str(o) for o in obligation_iris if str(o) not in subjects)
    assert not missing, f"obligations with no row in {ISO_SET.name}: {missing}"


@pytest.mark.parametrize("path", [ISO_SET, RMF_SET], ids=lambda p: p.name)
def test_mapping_rows_are_well_formed_and_sorted(path: Path) -> None:
    rows = sssom_rows(path)
    assert rows
    keys = [(r["subject_id"], r["object_id"]) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for r in rows:
        assert r["mapping_justification"] == "semapv:ManualMappingCuration"
        assert 0.5 <= float(r["confidence"]) <= 0.9
        assert r["comment"].strip()
        if r["object_id"] == "sssom:NoTermFound":
            assert r["predicate_id"] == "ng:relatedTo"


@pytest.mark.parametrize(
    ("path", "sides"),
    [(ISO_SET, ("aiactob", "iso42001")), (RMF_SET, ("airmf", "aiact"))],
    ids=lambda v: v.name if isinstance(v, Path) else "-".join(v),
)
def test_every_curie_resolves(path: Path, sides: tuple[str, str]) -> None:
    rows = sssom_rows(path)
    for column, prefix in zip(("subject_id", "object_id"), sides, strict=True):
        known = catalog_subjects(prefix)
        bad = sorted(
            {
                r[column]
                for r in rows
                if r[column] != "sssom:NoTermFound" and (not r[column].startswith(prefix + ":") or str(expand(r[column])) not in known)
            }
        )
        assert not bad, f"{path.name}: {column} values not in the {prefix} catalog: {bad}"


@pytest.mark.parametrize("path", [ISO_SET, RMF_SET], ids=lambda p: p.name)
def test_sssom_parses(path: Path) -> None:
    from sssom import parsers as sssom_parsers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecation noise from inside sssom
        msdf = sssom_parsers.parse_sssom_table(str(path))
    assert len(msdf.df) == len(sssom_rows(path))
    assert set(msdf.df["predicate_id"]) <= {
        "ng:equalTo",
        "ng:subsetOf",
        "ng:supersetOf",
        "ng:intersectsWith",
        "ng:relatedTo",
    }


@pytest.mark.parametrize("path", [ISO_SET, RMF_SET], ids=lambda p: p.name)
def test_curated_reader_accepts_the_sets(path: Path) -> None:
    from normgraph.mappings import curated
    _info, records, issues = curated.read_table(path)
    assert len(records) == len(sssom_rows(path))
    assert not [i for i in issues if "out of order" in str(i)]


# --- strict input, reproducible output -----------------------------------------------------------


def _broken_copy(tmp_path: Path, line_no: int, column: int, value: str) -> Path:
    lines = TSV.read_text(encoding="utf-8").splitlines()
    cells = lines[line_no - 1].split("\t")
    cells[column] = value
    lines[line_no - 1] = "\t".join(cells)
    out = tmp_path / "eu-ai-act-obligations.tsv"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (2, "vendor", "unknown role"),
        (3, "high-risky", "unknown system_category"),
        (4, "technical-documentation selfie", "unknown evidence kind"),
        (5, "2026-13-01", "not an ISO date"),
        (5, "2026-01-01", "Art. 113"),
        (0, "art_9_1.provider", "not a valid local name"),
        (1, "article-9", "provision"),
    ],
)
def test_broken_row_names_file_and_line(tmp_path: Path, column: int, value: str, message: str) -> None:
    path = _broken_copy(tmp_path, 5, column, value)
    with pytest.raises(SourceError) as err:
        obligations.build_graph(path)
    assert err.value.path == str(path)
    assert err.value.where == "line 5"
    assert message in err.value.message


def test_duplicate_id_is_reported(tmp_path: Path) -> None:
    lines = TSV.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "dup.tsv"
    path.write_text("\n".join([*lines[:4], lines[3], *lines[4:]]) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"dup\.tsv: line 5: duplicate obligation_id"):
        obligations.build_graph(path)


def test_build_is_byte_identical_and_matches_the_committed_file(tmp_path: Path) -> None:
    first = tmp_path / "a.ttl"
    second = tmp_path / "b.ttl"
    graphs = obligations.build(tmp_path)
    assert list(graphs) == ["data/eu-ai-act-obligations.ttl"]
    write_turtle(graphs["data/eu-ai-act-obligations.ttl"], first)
    write_turtle(obligations.build(tmp_path)["data/eu-ai-act-obligations.ttl"], second)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == TTL.read_bytes(), "data/eu-ai-act-obligations.ttl is stale: rebuild it"

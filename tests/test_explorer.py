"""The crosswalk explorer and the query UI page, through Flask's test client, on the real data/ files."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyld import jsonld
from rdflib import URIRef

from normgraph.explorer.neighbourhood import neighbourhood
from normgraph.explorer.records import records_by_node
from normgraph.exports.jsonld import document_loader
from normgraph.iri import NG
from normgraph.loading import load_knowledge
from normgraph.mappings.compose import compose_rel
from normgraph.mappings.readings import refresh
from normgraph.mappings.relations import relations
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore, QueryResult
from normgraph.store.sandbox import SandboxedStore

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
A519 = "https://w3id.org/normgraph/id/iso27001-2022/A-5-19"
A1003 = "https://w3id.org/normgraph/id/iso42001-2023/A-10-3"
REC_A1003_A519 = "https://w3id.org/normgraph/id/mapping/iso42001-2023_to_iso27001-2022-annex-a/A-10-3-to-A-5-19"


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    s = EmbeddedStore()
    load_knowledge(s)
    return s


@pytest.fixture(scope="module")
def app(store: EmbeddedStore) -> Flask:
    return create_app(store, config={"guard": False})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    resp = client.get(url, headers=HTML)
    assert resp.status_code == status, (url, resp.status_code, resp.data[:500])
    if status == 200:
        assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def text_of(html: str) -> str:
    """Visible text with whitespace collapsed (tags removed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&amp;", "&")


class Basics(HTMLParser):
    """Collects what the validity checks need: <html lang>, h1 count, form controls and labels."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.h1 = 0
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append({**a, "_wrapped": "1" if self.label_depth else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth -= 1


def check_basics(html: str) -> None:
    p = Basics()
    p.feed(html)
    assert p.lang == "en"
    assert p.h1 == 1, f"{p.h1} h1 elements"
    for c in p.controls:
        assert c["_wrapped"] or c.get("aria-label") or (c.get("id") and c["id"] in p.label_for), f"unlabelled control {c}"
    dupes = {i for i in p.ids if p.ids.count(i) > 1}
    assert not dupes, f"duplicate ids {dupes}"


# -- pages ------------------------------------------------------------------------------------------
PAGES = [
    "/explore/",
    "/",
    "/explore/catalog/iso27001-2022",
    "/explore/catalog/eu-ai-act",
    "/explore/catalog/iso27001-2022?q=A.5.19",
    "/explore/search?q=supplier",
    f"/explore/resource?iri={A519}",
    "/explore/resource?iri=iso42001:A-10-3",
    "/explore/resource?iri=aiact:art-9",
    f"/explore/resource?iri={REC_A1003_A519}",
    "/explore/matrix",
    "/explore/matrix?from=nist-ai-rmf-1.0&to=iso42001-2023",
    "/explore/neighbourhood?iri=iso27001:A-5-19",
    "/query",
]


@pytest.mark.parametrize("url", PAGES)
def test_page_renders_valid_basics(client: FlaskClient, url: str) -> None:
    check_basics(page(client, url))


def test_index_lists_catalogs_with_counts(client: FlaskClient) -> None:
    html = page(client, "/explore/")
    text = text_of(html)
    for short in ("ISO 27001", "ISO 42001", "AI Act", "GDPR", "AI RMF", "SP 800-171", "CMMC", "CSF 2.0", "SP 800-53"):
        assert short in text
    assert re.search(r"ISO 27001 ISO/IEC 27001:2022 139 ", text), "27001 has 139 items"
    assert 'href="/explore/catalog/iso27001-2022"' in html
    home = page(client, "/")  # the home page is the catalog list
    assert "<h1>Crosswalk explorer</h1>" in home and 'href="/explore/catalog/iso27001-2022"' in home


def test_catalog_tree_follows_broader(client: FlaskClient) -> None:
    html = page(client, "/explore/catalog/iso27001-2022")
    # Annex A contains A.5, which contains A.5.19: nested lists in that order
    annex = html.index(">Annex A<")
    a5 = html.index(">A.5<", annex)
    a519 = html.index(">A.5.19<", a5)
    assert annex < a5 < a519
    assert html[a5:a519].count("<ul") == 1


@pytest.mark.parametrize(("catalog", "q", "expected"), [
    ("iso27001-2022", "A.5.19", "A-5-19"),
    ("iso27001-2022", "5.19", "A-5-19"),
    ("iso27001-2022", "a-5-19", "A-5-19"),
    ("eu-ai-act", "Art. 9", "art-9"),
    ("nist-ai-rmf-1.0", "GOVERN 1.1", "GOVERN-1-1"),
    ("nist-csf-2.0", "GV.OC-01", "GV-OC-01"),
    ("nist-sp800-53r5", "AC-2(1)", "AC-2-1"),
])
def test_search_by_identifier_puts_the_item_first(client: FlaskClient, catalog: str, q: str, expected: str) -> None:
    html = page(client, f"/explore/catalog/{catalog}?q={q}")
    first = re.search(r'<ol class="results">\s*<li><a href="([^"]+)"', html)
    assert first, html
    assert first.group(1).endswith(f"/{expected}"), first.group(1)


def test_search_everywhere(client: FlaskClient) -> None:
    text = text_of(page(client, "/explore/search?q=A.5.19"))
    assert "A.5.19 Information security in supplier relationships" in text
    supplier = text_of(page(client, "/explore/search?q=supplier"))
    assert "A.5.19 Information security in supplier relationships" in supplier
    assert "A.10.3 Suppliers" in supplier  # ISO 42001 too
    assert "0 results" in text_of(page(client, "/explore/search?q=zzzzqqq"))


def test_requirement_page_shows_mapping_with_relation_and_rationale(client: FlaskClient) -> None:
    html = page(client, f"/explore/resource?iri={A519}")
    text = text_of(html)
    assert "<h1>" in html and "A.5.19 Information security in supplier relationships" in text
    assert "Part of A.5 Organizational controls" in text
    group = html[html.index("ISO/IEC 42001:2023"):]
    row = group[group.index("A.10.3"):]
    row = row[: row.index("</tr>")]
    assert "Suppliers" in row
    assert "Both require a process for supplier relationships" in row
    assert "0.7" in row
    assert "ISO/IEC 42001:2023 Annex A to ISO/IEC 27001:2022 (Annex A controls and clauses)" in row
    assert "manual curation" in row
    # the relation is read from A.5.19's side, in words, in the same row
    before = group[: group.index("A.10.3")]
    assert before[before.rindex("<tr"):].count("intersects with") == 1
    assert "ISO text is copyrighted" in text
    assert "NIST CSF 2.0" in text and "GV.SC-01" in text  # NIST informative references, related to
    assert 'class="hood-svg"' in html  # the neighbourhood picture


def test_nist_item_shows_its_text(client: FlaskClient) -> None:
    text = text_of(page(client, "/explore/resource?iri=airmf:GOVERN-1-1"))
    assert "Legal and regulatory requirements involving AI are understood, managed, and documented." in text
    assert "Text" in text


def test_follow_mapping_to_the_other_standard(client: FlaskClient) -> None:
    html = page(client, f"/explore/resource?iri={A519}")
    href = re.search(r'<a href="(/explore/resource\?iri=[^"]*A-10-3)">A\.10\.3</a>', html)
    assert href
    other = text_of(page(client, href.group(1).replace("&amp;", "&")))
    assert "A.10.3 Suppliers" in other
    assert "A.5.19" in other and "Both require a process for supplier relationships" in other


def test_no_counterpart_records_are_shown_with_reason(client: FlaskClient) -> None:
    # A.5.5 (societal impacts): A.10.4 was the example until its verdict was corrected (issue 10)
    text = text_of(page(client, "/explore/resource?iri=iso42001:A-5-5"))
    assert "No counterpart" in text
    rec = next(r for r in records_by_node(client.application.extensions["normgraph"].store)[
        "https://w3id.org/normgraph/id/iso42001-2023/A-5-5"] if r.no_counterpart)
    assert rec.rationale[:60] in text


def test_record_page(client: FlaskClient) -> None:
    text = text_of(page(client, f"/explore/resource?iri={REC_A1003_A519}"))
    assert "Mapping record: A.10.3 intersects with A.5.19" in text
    assert "Both require a process for supplier relationships" in text
    assert "no (asserted)" in text


def test_ai_act_article_lists_its_obligations(client: FlaskClient) -> None:
    text = text_of(page(client, "/explore/resource?iri=aiact:art-9"))
    assert "Obligations imposed by Art. 9" in text
    assert "Art. 9(1) provider" in text and "Establish a risk management system" in text


def test_obligation_page_says_when_it_applies(client: FlaskClient) -> None:
    """Art. 86(1): deployer, from 2026-08-02, Annex III except point 2 and decisions about persons, in plain words,
    with the article each condition rests on and the template columns that decide it; public knowledge only."""
    html = page(client, "/explore/resource?iri=aiactob:art-86-1-deployer")
    check_basics(html)
    text = text_of(html)
    assert "When it applies" in text and "2026-08-02" in text
    assert "Makes or assists decisions about natural persons" in text
    assert "decides_about_persons" in text and "annex_iii_area" in text
    assert "Art. 26(11)" in text  # the article the condition rests on
    assert "workers_affected" not in text  # only its own conditions
    annex_i = text_of(page(client, "/explore/resource?iri=aiactob:art-72-1-provider"))
    assert "2027-08-02 for a system that is high-risk only as an Annex I product" in annex_i
    assert "eased by" in annex_i and "When it applies" not in text_of(page(client, "/explore/resource?iri=aiact:art-9"))


def test_unknown_iri_is_404(client: FlaskClient) -> None:
    html = page(client, "/explore/resource?iri=iso27001:A-99-99", status=404)
    assert "Nothing is known" in html
    page(client, "/explore/resource?iri=nope:xyz", status=404)
    page(client, "/explore/resource", status=404)
    page(client, "/explore/catalog/no-such-catalog", status=404)
    page(client, "/explore/neighbourhood?iri=iso27001:A-99-99", status=404)


def test_linked_data_redirects_browsers_here(client: FlaskClient) -> None:
    resp = client.get("/id/iso27001-2022/A-5-19", headers=HTML)
    assert resp.status_code in (302, 303)
    assert resp.headers["Location"].startswith("/explore/resource?iri=")
    assert text_of(page(client, resp.headers["Location"])).count("A.5.19") > 1


# -- matrix -----------------------------------------------------------------------------------------
def matrix_rows(html: str) -> list[str]:
    body = html[html.index("<tbody>"): html.index("</tbody>")] if "<tbody>" in html else ""
    return re.findall(r'<th scope="row"><a href="[^"]+"><span class="notation">([^<]+)</span>', body)


def test_matrix_defaults_to_annex_a(client: FlaskClient) -> None:
    html = page(client, "/explore/matrix")
    assert "Annex A × Annex A" in text_of(html)
    rows = matrix_rows(html)
    assert rows and all(r.startswith("A.") for r in rows)
    assert "A.10.3" in rows
    # explicit "no counterpart" rows say why
    nc = html[html.index(">A.5.5<"):]
    nc = nc[: nc.index("</tr>")]
    assert "<strong>none</strong>:" in nc
    # cells link to records
    assert f'href="/explore/resource?iri={REC_A1003_A519}"' in html


def test_matrix_relation_filter_changes_rows(client: FlaskClient) -> None:
    base = "/explore/matrix?from=iso42001-2023&to=iso27001-2022&scope=all"
    everything = matrix_rows(page(client, base))
    equal_html = page(client, base + "&relation=equalTo")
    equal = matrix_rows(equal_html)
    intersects = matrix_rows(page(client, base + "&relation=intersectsWith"))
    assert equal and intersects
    assert set(equal) < set(everything) and set(intersects) < set(everything)
    assert set(equal) != set(intersects)
    head = equal_html[equal_html.index("<thead>"): equal_html.index("</thead>")]
    assert "equal to" in head and "intersects with" not in head  # only the filtered relation is a column


def test_matrix_source_filter(client: FlaskClient) -> None:
    base = "/explore/matrix?from=iso42001-2023&to=iso27001-2022&scope=all"
    clauses = matrix_rows(page(client, base + "&set=https://w3id.org/normgraph/id/mapping-set/iso42001-2023_to_iso27001-2022-clauses"))
    assert clauses and all(not r.startswith("A.") for r in clauses)


def test_matrix_no_counterpart_only(client: FlaskClient) -> None:
    html = page(client, "/explore/matrix?show=none")
    rows = matrix_rows(html)
    assert "A.5.5" in rows and "A.10.3" not in rows


# -- downloads --------------------------------------------------------------------------------------
DOWNLOADS = [
    "/explore/",
    "/explore/catalog/iso42001-2023",
    "/explore/catalog/iso27001-2022?q=supplier",
    "/explore/search?q=A.5.19",
    f"/explore/resource?iri={A519}",
    "/explore/matrix",
    "/explore/neighbourhood?iri=iso27001:A-5-19",
]


def _csv(client: FlaskClient, url: str, **kw: Any) -> list[dict[str, str]]:
    resp = client.get(url, **kw)
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))


def _jsonld_triples(client: FlaskClient, url: str, **kw: Any) -> set[tuple[str, str, str]]:
    resp = client.get(url, **kw)
    assert resp.status_code == 200
    assert resp.mimetype == "application/ld+json"
    doc = json.loads(resp.get_data(as_text=True))
    assert doc["@context"] == "https://w3id.org/normgraph/context.jsonld"
    expanded = jsonld.expand(doc, {"documentLoader": document_loader})
    out = set()
    for node in expanded:
        for prop, values in node.items():
            if prop.startswith("@") and prop != "@type":
                continue
            for v in values if isinstance(values, list) else [values]:
                out.add((node["@id"], prop, v.get("@id") or v.get("@value") if isinstance(v, dict) else v))
    return out


@pytest.mark.parametrize("url", DOWNLOADS)
def test_downloads_parse(client: FlaskClient, url: str) -> None:
    sep = "&" if "?" in url else "?"
    rows = _csv(client, url + sep + "format=csv")
    assert rows
    triples = _jsonld_triples(client, url + sep + "format=jsonld")
    assert triples
    html = page(client, url)
    assert "format=csv" in html and "format=jsonld" in html


def test_downloads_by_accept_header(client: FlaskClient) -> None:
    rows = _csv(client, f"/explore/resource?iri={A519}", headers={"Accept": "text/csv"})
    row = next(r for r in rows if r["counterpart"] == A1003)
    assert row["relation"] == "intersects with"
    assert row["confidence"] == "0.7"
    assert row["rationale"].startswith("Both require a process for supplier relationships")
    triples = _jsonld_triples(client, f"/explore/resource?iri={A519}", headers={"Accept": "application/ld+json"})
    ng = str(NG)
    assert (REC_A1003_A519, f"{ng}mappingSubject", A1003) in triples
    assert (REC_A1003_A519, f"{ng}mappingObject", A519) in triples
    assert (REC_A1003_A519, f"{ng}mappingPredicate", f"{ng}intersectsWith") in triples
    assert client.get("/explore/", headers={"Accept": "image/png"}).status_code == 406


def test_matrix_csv_has_no_counterpart_rows(client: FlaskClient) -> None:
    rows = _csv(client, "/explore/matrix?format=csv")
    assert any(r["subject_notation"] == "A.10.3" and r["object_notation"] == "A.5.19" and r["relation"] == "intersects with"
               for r in rows)
    assert any(r["subject_notation"] == "A.5.5" and r["no_counterpart_reason"] for r in rows)


# -- neighbourhood ----------------------------------------------------------------------------------
def test_neighbourhood_svg_and_text_alternative(client: FlaskClient) -> None:
    html = page(client, "/explore/neighbourhood?iri=iso27001:A-5-19")
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'role="group"' in html
    text = text_of(html)
    assert "The neighbourhood as text" in text
    assert "A.5.19 is intersects with A.10.3 Suppliers" in text
    resp = client.get("/explore/neighbourhood?iri=iso27001:A-5-19&format=svg")
    assert resp.mimetype == "image/svg+xml"
    root = ET.fromstring(resp.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "A.5.19" in labels and "A.10.3" in labels
    assert root.find(".//{http://www.w3.org/2000/svg}title") is not None


def test_neighbourhood_never_chains_through_partial_relations(store: EmbeddedStore) -> None:
    for iri in (A519, "https://w3id.org/normgraph/id/nist-sp800-171r2/3-1-1", "https://w3id.org/normgraph/id/cmmc-2.0/AC-L1-3-1-1"):
        hood = neighbourhood(store, iri)
        assert hood is not None
        first = {e.target.iri: e for e in hood.edges if e.source.iri == iri}
        for e in hood.edges:
            if e.target.hop == 2:
                assert URIRef(e.relation) in relations().composable
                assert URIRef(first[e.source.iri].relation) in relations().composable
                # the two records compose by compose's own rule (subset then superset gives nothing)
                assert compose_rel(URIRef(first[e.source.iri].relation), URIRef(e.relation)) is not None
    # CMMC AC.L1-3.1.1 = SP 800-171 3.1.1, which is only *related to* SP 800-53 AC-2: AC-2 is not reached
    hood = neighbourhood(store, "https://w3id.org/normgraph/id/cmmc-2.0/AC-L1-3-1-1")
    assert hood is not None
    assert "https://w3id.org/normgraph/id/nist-sp800-171r2/3-1-1" in {n.iri for n in hood.nodes}
    assert "https://w3id.org/normgraph/id/nist-sp800-53r5/AC-2" not in {n.iri for n in hood.nodes}


INFERRED = """
@prefix ng: <https://w3id.org/normgraph/ont#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix semapv: <https://w3id.org/semapv/vocab/> .
<https://w3id.org/normgraph/id/mapping/inferred/test-1> a ng:MappingRecord ;
  ng:mappingSubject <https://w3id.org/normgraph/id/cmmc-2.0/AC-L1-3-1-1> ;
  ng:mappingPredicate ng:equalTo ;
  ng:mappingObject <https://w3id.org/normgraph/id/nist-sp800-53r5/AC-2> ;
  ng:inMappingSet <https://w3id.org/normgraph/id/mapping-set/inferred> ;
  ng:justification semapv:MappingChaining ;
  ng:inferred true ; ng:chainLength 2 ;
  prov:wasDerivedFrom <https://w3id.org/normgraph/id/mapping/cmmc-2.0_to_nist-sp800-171r2/AC-L1-3-1-1-to-3-1-1> ,
                      <https://w3id.org/normgraph/id/mapping/nist-sp800-171r2_to_nist-sp800-53r5/3-1-1-to-AC-2> .
"""


@pytest.fixture()
def inferred_client() -> Iterator[FlaskClient]:
    s = EmbeddedStore()
    load_knowledge(s)
    s.load(INFERRED.encode(), "turtle", "https://w3id.org/normgraph/graph/test/inferred")
    refresh(s)  # a record written after the build is read from both ends once its readings are derived
    yield create_app(s, config={"guard": False}).test_client()


def test_inferred_records_are_marked_with_their_chain(inferred_client: FlaskClient) -> None:
    html = page(inferred_client, "/explore/resource?iri=cmmc:AC-L1-3-1-1")
    row = html[: html.index("mapping/inferred/test-1")]
    row = html[row.rindex('<tr class="inferred">'):]
    row = row[: row.index("</tr>")]
    assert "AC-2" in row and "equal to" in row
    assert "Chain:" in row
    assert "AC.L1-3.1.1 equal to 3.1.1" in text_of(row)
    assert "mapping/nist-sp800-171r2_to_nist-sp800-53r5/3-1-1-to-AC-2" in row
    rec = text_of(page(inferred_client, "/explore/resource?iri=https://w3id.org/normgraph/id/mapping/inferred/test-1"))
    assert "yes — composed from the records below" in rec and "chaining of records" in rec


# -- query UI ---------------------------------------------------------------------------------------
def test_query_ui_on_sparql_for_browsers(client: FlaskClient) -> None:
    html = page(client, "/sparql")
    assert "vendor/yasgui/yasgui.min.js" in html and "vendor/yasgui/yasgui.min.css" in html
    assert "https://cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    cfg = json.loads(re.search(r'<script type="application/json" id="ng-config">(.*?)</script>', html, re.S).group(1))
    assert cfg["endpoint"] == "/sparql"
    assert cfg["prefixes"]["iso27001"] == "https://w3id.org/normgraph/id/iso27001-2022/"
    assert "crosswalk-of-requirement" in cfg["examples"]
    assert "<https://w3id.org/normgraph/id/iso27001-2022/A-5-19>" in cfg["examples"]["crosswalk-of-requirement"]["text"]
    assert "Crosswalk of a requirement" in html
    lic = client.get("/query/yasgui-license")
    assert lic.status_code == 200 and "MIT License" in lic.get_data(as_text=True)
    assert 'href="/query/yasgui-license"' in html
    for asset in ("vendor/yasgui/yasgui.min.js", "vendor/yasgui/yasgui.min.css", "query.js", "explorer.css"):
        assert client.get(f"/ui/static/{asset}").status_code == 200
    # machines still get the service description / results
    assert client.get("/sparql").mimetype != "text/html"


class CountingSandbox(SandboxedStore):
    """The store as served without a guard, counting the queries that reach it (each runs in a forked
    child, so the count is kept here, in the parent)."""

    def __init__(self, inner: EmbeddedStore) -> None:
        super().__init__(inner)
        self.queries = 0

    def query(self, sparql: str, **kwargs: Any) -> QueryResult:
        self.queries += 1
        return super().query(sparql, **kwargs)

    def query_serialized(self, sparql: str, result_format: str, **kwargs: Any) -> tuple[bytes, str, str]:
        self.queries += 1
        return super().query_serialized(sparql, result_format, **kwargs)


def test_warm_pages_are_served_from_the_cache_without_a_query(store: EmbeddedStore) -> None:
    """A page viewed before is answered from the explorer's cache: no query reaches the store again.
    (What that saves in time is measured, not asserted: normgraph/server/README.md.)"""
    counting = CountingSandbox(store)
    app = create_app(counting, config={"guard": False})
    try:
        client = app.test_client()
        urls = ["/explore/", f"/explore/resource?iri={A519}", "/explore/matrix",
                "/explore/catalog/iso27001-2022?q=A.5.19", "/explore/neighbourhood?iri=iso27001:A-5-19"]
        first = {url: page(client, url) for url in urls}
        asked = counting.queries
        assert asked > 0  # the first views did ask the store
        for url in urls:
            assert page(client, url) == first[url], url
            assert counting.queries == asked, url
    finally:
        close_app(app)


# -- the HTML cache is keyed by what the page shows ----------------------------------------------------------
def test_catalog_html_cache_ignores_junk_parameters_and_other_formats(app: Flask, client: FlaskClient) -> None:
    from flask import template_rendered

    rendered: list[str] = []

    def record(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        rendered.append(template.name)

    url = "/explore/catalog/nist-csf-2.0"
    with template_rendered.connected_to(record, app):
        assert client.get(f"{url}?format=csv").mimetype == "text/csv"
        assert client.get(url, headers={"Accept": "application/ld+json"}).mimetype == "application/ld+json"
        assert "explorer/catalog.html" not in rendered  # CSV and JSON-LD never render the page
        first = page(client, url)
        for n in range(40):
            assert page(client, f"{url}?junk={n}&utm_source=x{n}") == first  # junk reaches neither the cache nor the links
    assert rendered.count("explorer/catalog.html") <= 1  # … once per data generation, whatever the query string
    csv_link = client.get(f"{url}?junk=1&format=csv")
    assert csv_link.status_code == 200 and 'download_url' not in first and "junk" not in first


# -- data-derived links are never javascript: (stored XSS) --------------------------------------------------------
EVIL_TTL = """
@prefix ng: <https://w3id.org/normgraph/ont#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix rec: <https://w3id.org/normgraph/id/mapping/org-acme/> .
rec:1 a ng:MappingRecord ; ng:mappingSubject <https://w3id.org/normgraph/id/org/acme/system/1> ;
  ng:mappingPredicate ng:relatedTo ; ng:mappingObject <https://w3id.org/normgraph/id/org/acme/system/2> ;
  dct:source <javascript:alert(1)> .
rec:2 a ng:MappingRecord ; ng:mappingSubject <https://w3id.org/normgraph/id/org/acme/system/1> ;
  ng:mappingPredicate ng:relatedTo ; ng:mappingObject <https://w3id.org/normgraph/id/org/acme/system/2> ;
  dct:source " JaVa\\tScRiPt:alert(2)" .
rec:3 a ng:MappingRecord ; ng:mappingSubject <https://w3id.org/normgraph/id/org/acme/system/1> ;
  ng:mappingPredicate ng:relatedTo ; ng:mappingObject <https://w3id.org/normgraph/id/org/acme/system/2> ;
  dct:source <https://example.org/policy> .
<https://w3id.org/normgraph/id/org/acme/system/1> dct:source <javascript:alert(3)> ;
  ng:location <data:text/html,<script>alert(4)</script>> , <vbscript:msgbox(5)> , <http://example.org/ok> .
<javascript://%0Aalert(6)> dct:title "planted" ; dct:source <javascript:alert(7)> .
"""


def hrefs(html: str) -> list[str]:
    out: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            out.extend(v or "" for k, v in attrs if k in ("href", "xlink:href", "src", "action", "formaction"))

    Links().feed(html)
    return out


def test_data_urls_never_become_script_links() -> None:
    st = EmbeddedStore()
    st.load(EVIL_TTL.replace("<data:text/html,<script>alert(4)</script>>", "<data:text/html,alert(4)>"), "turtle",
            "https://w3id.org/normgraph/graph/org/acme")
    client = create_app(st, config={"guard": False, "update_token": "t"}).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer t"  # acme's data is private: read it as the admin
    urls = ["/explore/resource?iri=https://w3id.org/normgraph/id/mapping/org-acme/1",
            "/explore/resource?iri=https://w3id.org/normgraph/id/mapping/org-acme/2",
            "/explore/resource?iri=https://w3id.org/normgraph/id/mapping/org-acme/3",
            "/explore/resource?iri=https://w3id.org/normgraph/id/org/acme/system/1",
            "/explore/resource?iri=%3Cjavascript://%250Aalert(6)%3E"]
    seen = ""
    for url in urls:
        html = page(client, url)
        seen += html
        for h in hrefs(html):
            assert not re.sub(r"[\x00-\x20]", "", h).lower().startswith(("javascript:", "data:", "vbscript:")), (url, h)
    text = text_of(seen)
    for shown in ("javascript:alert(1)", "javascript:alert(3)", "vbscript:msgbox(5)", "data:text/html,alert(4)",
                  "javascript://%0Aalert(6)", "javascript:alert(7)"):
        assert shown in text  # still shown, as text
    assert 'href="https://example.org/policy"' in seen and 'href="http://example.org/ok"' in seen  # http(s) stays a link
    # an IRI the named queries cannot take is "not found", not a server error
    assert client.get("/explore/resource?iri=%3Cjavascript:alert(8)%3E", headers=HTML).status_code == 404


@pytest.mark.parametrize(("url", "safe"), [
    ("https://example.org/x", True), ("HTTP://example.org", True), ("/explore/resource?iri=x", True), ("#top", True),
    ("javascript:alert(1)", False), (" javascript:alert(1)", False), ("java\tscript:alert(1)", False),
    ("JaVaScRiPt:alert(1)", False), ("\x01javascript:alert(1)", False), ("data:text/html,x", False),
    ("vbscript:x", False), ("urn:x", False), ("mailto:a@b", False), ("", False), ("relative/path", False),
])
def test_safe_href(url: str, safe: bool) -> None:
    from normgraph.server.explorer import safe_href

    assert (safe_href(url) == url) is safe


# -- one chain walk: the explorer shows an inferred record's origins as normgraph explain does ------------
def test_explorer_and_explain_walk_an_inferred_record_the_same_way(store: EmbeddedStore, client: FlaskClient) -> None:
    from normgraph.explorer.records import chain, records
    from normgraph.mappings.records import chain_of

    recs = records(store)
    models = {r.model.iri: r.model for r in recs.values()}
    inferred = [r for r in recs.values() if r.inferred]
    assert inferred
    for rec in inferred[:20]:
        walked = [r.iri for r in chain(store, rec)]
        assert walked == [str(m.iri) for m in chain_of(rec.model, models)] and len(walked) >= 2
    html = page(client, f"/explore/resource?iri={inferred[0].iri}")
    positions = [html.find(iri) for iri in (r.iri for r in chain(store, inferred[0]))]
    assert -1 not in positions and positions == sorted(positions)


# -- issue 12: the AI Act's structure, articles paragraph by paragraph, rolled-up mappings, legends ----------------
def test_ai_act_catalog_in_the_official_journals_order(client: FlaskClient) -> None:
    """Recitals (under one heading), then Chapter I … XIII, then Annex I … XIII."""
    html = page(client, "/explore/catalog/eu-ai-act")
    tops = re.findall(r'<span class="notation">((?:Recital|Chapter|Annex) [0-9IVX]+)</span>', html)
    firsts = [n for i, n in enumerate(tops) if i == 0 or n.split()[0] != tops[i - 1].split()[0]]
    assert firsts == ["Recital 1", "Chapter I", "Annex I"]
    assert tops.index("Chapter XIII") < tops.index("Annex I") and tops[-1] == "Annex XIII"
    assert "Recitals 1–180 <span class=\"count\">(180)</span>" in html


def test_article_text_paragraph_by_paragraph(client: FlaskClient) -> None:
    """Art. 9's text as its paragraphs, each linking to its own page, points nested in their paragraph."""
    html = page(client, "/explore/resource?iri=aiact:art-9")
    text = html[html.index('id="text-h"'): html.index("</section>", html.index('id="text-h"'))]
    links = re.findall(r'<a class="part" href="/explore/resource\?iri=[^"]*/(art-9-[0-9a-z-]+)">', text)
    assert links[:4] == ["art-9-1", "art-9-2", "art-9-2-a", "art-9-2-b"] and "art-9-10" in links
    two = re.search(r'art-9-2">Art\. 9\(2\)</a> (.*?)<ol class="parts">', text, re.S)
    assert two and two.group(1).strip().endswith("It shall comprise the following steps:")  # its own words, then its points
    assert text_of(text).count("the identification and analysis of the known") == 1  # no text shown twice


def test_article_rolls_up_its_paragraphs_mappings_once_each(client: FlaskClient, store: EmbeddedStore) -> None:
    html = page(client, "/explore/resource?iri=aiact:art-9")
    text = text_of(html)
    assert "No mapping record names this item" not in text
    group = html[html.index('id="g-nist-ai-rmf-1.0"'):]
    group = group[: group.index("</table>")]
    row = group[group.index("GOVERN 1.4"):]
    row = row[: row.index("</tr>")]
    before = group[: group.index("GOVERN 1.4")]
    assert "via" in text_of(before[before.rindex("<tr"):]) and ">Art. 9(1)</a>" in before[before.rindex("<tr"):]
    records = re.findall(r'href="/explore/resource\?iri=(https://w3id.org/normgraph/id/mapping/[^"]+)"', group)
    assert len(records) == len(set(records)) == 18  # each record of Art. 9(1)…(10) once
    # AI RMF subcategories: one line each (the query has a row per path, provision and record)
    airmf = html[html.index('id="airmf"'):]
    airmf = airmf[: airmf.index("</ul>")]
    subs = re.findall(r'<li><a href="[^"]*nist-ai-rmf-1.0/([A-Z]+-[0-9-]+)">', airmf)
    assert subs and len(subs) == len(set(subs)) and "GOVERN-1-4" in subs
    assert "provider&gt;" not in html and "provider>" not in text
    obligations = html[html.index('id="obligations"'):]
    assert re.search(r"<td>Provider</td>", obligations)


def test_legend_explains_relations_and_confidence(client: FlaskClient) -> None:
    from normgraph.mappings.relations import relations

    for url in (f"/explore/resource?iri={A519}", "/explore/matrix", "/explore/neighbourhood?iri=iso27001:A-5-19",
                f"/explore/resource?iri={REC_A1003_A519}"):
        html = page(client, url)
        legend = html[html.index('id="legend-rel"'):]
        legend = text_of(legend[: legend.index("</section>")])
        for rel in relations():  # words, symbol and definition, as the ontology states them
            assert rel.words in legend and rel.symbol in legend and rel.definition and rel.definition in legend
        assert relations().confidence and relations().confidence in legend and "from 0 to 1" in legend


def test_matrix_cells_show_confidence(client: FlaskClient) -> None:
    html = page(client, "/explore/matrix")
    cell = html[html.index(f'href="/explore/resource?iri={REC_A1003_A519}"'):]
    cell = cell[: cell.index("</td>")]
    assert '<span class="conf" aria-hidden="true">0.7</span>' in cell and "confidence 0.7" in cell


def test_neighbourhood_keeps_focus_rings(client: FlaskClient) -> None:
    html = page(client, "/explore/neighbourhood?iri=iso27001:A-5-19")
    assert "outline: none" not in html and "outline:none" not in html.replace(" ", "")


def test_wide_tables_scroll_in_a_focusable_region(client: FlaskClient) -> None:
    """At 390 px the requirement tables scroll sideways instead of squeezing Counterpart and Rationale to nothing."""
    for url in (f"/explore/resource?iri={A519}", "/explore/matrix", "/explore/resource?iri=aiact:art-9"):
        html = page(client, url)
        for m in re.finditer(r"<table class=\"data", html):
            opener = html[: m.start()].rstrip()
            assert re.search(r'<div class="scroll" role="region" aria-label(?:ledby)?="[^"]+" tabindex="0">$', opener), url


@pytest.mark.browser
def test_requirement_table_columns_keep_their_width_on_a_phone(store: EmbeddedStore) -> None:
    """At 390 px (Chromium) every column of the requirement tables keeps a readable width — the table scrolls in its
    own box — and the page itself does not scroll sideways."""
    from playwright import sync_api
    from test_browser import ARGS, CHROMIUM, warm_server

    with warm_server(store) as base, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            tab = browser.new_page(viewport={"width": 390, "height": 844})
            for url in (f"/explore/resource?iri={A519}", "/explore/resource?iri=aiact:art-9"):
                tab.goto(base + url)
                widths = tab.evaluate("""() => [...document.querySelectorAll('table.mappings thead th')]
                    .map(th => [th.textContent.trim(), th.getBoundingClientRect().width])""")
                assert {name for name, _ in widths} >= {"Counterpart", "Rationale"}, url
                assert all(w >= 60 for _, w in widths), (url, widths)
                assert tab.evaluate("document.documentElement.scrollWidth") <= 390, url
        finally:
            browser.close()


@pytest.mark.parametrize("iri", ["aiact:art-9", "aiact:art-10", "aiact:art-13", "aiact:art-14", "aiact:art-15",
                                 "aiact:art-17", "aiact:art-26", "aiact:art-27", "aiact:art-50", "iso42001:6-1-2",
                                 "iso42001:A-6-2-4", "iso27001:A-5-19"])
def test_requirement_page_lists_hold_no_duplicates(store: EmbeddedStore, iri: str) -> None:
    """Each mapping record once, each AI RMF subcategory once, each 42001 item once per obligation, each obligation once."""
    from collections import Counter

    from normgraph.explorer.page import resource_page
    from normgraph.iri import expand

    p = resource_page(store, str(expand(iri)))
    assert p is not None

    def twice(values: list[str]) -> list[str]:
        return [v for v, n in Counter(values).items() if n > 1]

    assert not twice([r.record.iri for g in p.groups for r in g.rows] + [r.record.iri for r in p.no_counterpart])
    assert not twice([line.subcategory.iri for line in p.airmf])
    assert not twice([ob["obligation"].iri for ob in p.obligations])
    for ob in p.obligations:
        assert not twice([c["link"].iri for c in ob["controls"]]), ob["obligation"].text
    assert not twice([h["obligation"].iri + h["record"] for h in p.helped_by_obligations])

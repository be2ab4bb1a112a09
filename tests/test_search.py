"""Search over identifiers, titles and texts (normgraph.explorer.search), on the real knowledge, through the
explorer's pages: stemming, tiers (identifier, title, own text, crosswalk), catalog names, snippets, the
catalog filter, and organisation data never in the results."""

# ruff: noqa: F811  (test arguments named after the fixtures imported from test_explorer)
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from flask.testing import FlaskClient
from test_explorer import app, client, store, text_of  # noqa: F401  (fixtures: the real knowledge, one app)

from normgraph.explorer.search import search
from normgraph.loading import load_knowledge
from normgraph.server import create_app
from normgraph.store import EmbeddedStore

HTML = {"Accept": "text/html"}
ROOT = Path(__file__).resolve().parent.parent
ISO27001 = "https://w3id.org/normgraph/id/iso27001-2022/"
ISO42001 = "https://w3id.org/normgraph/id/iso42001-2023/"


def results(html: str) -> str:
    return html[html.index('<ol class="results">'): html.index("</ol>", html.index('<ol class="results">'))]


def test_supplier_finds_the_supply_chain_and_cloud_controls(store: EmbeddedStore) -> None:
    """A.5.21 (ICT supply chain) and A.5.23 (cloud services) do not say "supplier" in their titles: the crosswalk
    does (42001 A.10.3 Suppliers); the controls that do say it come first."""
    found = search(store, "supplier", "iso27001-2022")
    iris = [h.iri for h in found.hits]
    for local in ("A-5-19", "A-5-20", "A-5-21", "A-5-22", "A-5-23"):
        assert ISO27001 + local in iris, local
    titled = {ISO27001 + x for x in ("A-5-19", "A-5-20", "A-5-22")}
    assert set(iris[:3]) == titled
    a521 = next(h for h in found.hits if h.iri == ISO27001 + "A-5-21")
    assert a521.where == "crosswalk" and any(hit and text.lower().startswith("supplier") for text, hit in a521.snippet)


def test_impact_assessment_finds_42001_impact_controls_by_stem(store: EmbeddedStore) -> None:
    """'Assessing AI system impact on individuals …' (A.5.4) and 'Assessing societal impacts …' (A.5.5) hold
    neither "assessment" nor "impact assessment" as such: the stems match."""
    found = search(store, "impact assessment")
    by_iri = {h.iri: h for h in found.hits}
    for local in ("A-5-4", "A-5-5"):
        assert by_iri[ISO42001 + local].where == "title"
    assert found.total > len([h for h in found.hits if h.where == "title"])  # texts hold it too (GDPR Art. 35 …)


def test_titles_rank_above_text_hits(store: EmbeddedStore) -> None:
    found = search(store, "risk")
    tiers = [{"title": 1, "text": 2, "crosswalk": 3}[h.where] for h in found.hits]
    assert tiers == sorted(tiers) and tiers[0] == 1 and 2 in tiers
    first_text = next(h for h in found.hits if h.where == "text")
    assert "risk" not in first_text.item.label.lower()


def test_identifiers_answer_alone_in_document_order(store: EmbeddedStore) -> None:
    found = search(store, "Art. 9", "eu-ai-act")
    notations = [h.item.notation for h in found.hits]
    assert notations[:5] == ["Art. 9", "Art. 9(1)", "Art. 9(2)", "Art. 9(2)(a)", "Art. 9(2)(b)"]
    assert {h.where for h in found.hits} == {"identifier"}


def test_search_page_shows_catalog_names_snippets_and_article_titles(client: FlaskClient) -> None:
    html = client.get("/explore/search?q=reasonably+foreseeable+misuse", headers=HTML).get_data(as_text=True)
    hits = results(html)
    text = text_of(hits)
    # a paragraph or point is shown with its article's title, never with a blank title
    assert "Art. 9(2)(b) in Art. 9 Risk management system" in text
    assert "EU AI Act (Regulation (EU) 2024/1689)" in text and ">eu-ai-act<" not in hits
    assert "<mark>misuse</mark>" in hits  # the snippet marks the words found


def test_search_page_filters_by_catalog(client: FlaskClient) -> None:
    everything = client.get("/explore/search?q=supplier", headers=HTML).get_data(as_text=True)
    assert "ISO/IEC 27001:2022 (" in text_of(everything)  # a count per catalog, by name
    one = client.get("/explore/search?q=supplier&catalog=iso42001-2023", headers=HTML).get_data(as_text=True)
    listed = re.findall(r'<li><a href="/explore/resource\?iri=([^"]+)"', results(one))
    assert listed and all("iso42001-2023" in iri for iri in listed)
    assert "A.10.3" in text_of(results(one))
    text = client.get("/explore/search?q=supplier&catalog=iso42001-2023&format=csv").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text)))
    assert header[:3] == ["item", "catalog", "catalog_name"] and "ISO/IEC 42001:2023" in text


ORG_TTL = """
@prefix ng: <https://w3id.org/normgraph/ont#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix iso27001: <https://w3id.org/normgraph/id/iso27001-2022/> .
@prefix ngid: <https://w3id.org/normgraph/id/> .
iso27001:A-5-19 ng:summary "Aldhelm onboarding of imaging suppliers" ; skos:prefLabel "Aldhelm supplier control"@en .
<https://w3id.org/normgraph/id/org/hospital/control/X-1> skos:inScheme ngid:iso27001-2022 ;
    skos:notation "X.1" ; skos:prefLabel "Aldhelm radiology supplier vetting"@en .
<https://w3id.org/normgraph/id/org/hospital/mapping/1> a ng:MappingRecord ;
    ng:mappingSubject iso27001:A-5-21 ; ng:mappingPredicate ng:relatedTo ; ng:mappingObject iso27001:A-5-23 ;
    ng:rationale "Aldhelm buys its PACS as a cloud service." .
"""


def test_organisation_data_never_reaches_the_search(tmp_path: Path) -> None:
    """An organisation's graph (the hospital example, plus facts it states about public items, a control of its
    own and a mapping record) stays out of the index, even when the index is first built for the admin."""
    st = EmbeddedStore()
    load_knowledge(st)
    st.load((ROOT / "data/examples/hospital.ttl").read_bytes(), "turtle", "https://w3id.org/normgraph/graph/org/hospital")
    st.load(ORG_TTL.encode(), "turtle", "https://w3id.org/normgraph/graph/org/hospital/notes")
    admin = create_app(st, config={"guard": False, "update_token": "t"}).test_client()
    admin.environ_base["HTTP_AUTHORIZATION"] = "Bearer t"
    # the admin sees the organisation's data elsewhere ...
    assert "Aldhelm" in text_of(admin.get("/explore/resource?iri=iso27001:A-5-19", headers=HTML).get_data(as_text=True))
    # ... but never in the search, nor does anybody else
    for q in ("Aldhelm", "radiology vetting", "Aldhelm onboarding", "PACS"):
        html = admin.get(f"/explore/search?q={q}", headers=HTML).get_data(as_text=True)
        assert "0 results" in text_of(html), q
        assert '<ol class="results">' not in html
    a519 = next(h for h in search(st, "supplier", "iso27001-2022").hits if h.iri == ISO27001 + "A-5-19")
    assert a519.item.label == "Information security in supplier relationships" and not a519.snippet
    anonymous = create_app(st, config={"guard": False}).test_client()
    assert "0 results" in text_of(anonymous.get("/explore/search?q=Aldhelm", headers=HTML).get_data(as_text=True))


def test_many_distinct_searches_keep_the_catalog_pages_cached(store: EmbeddedStore) -> None:
    """One client sending thousands of distinct search texts must not push the catalog trees and pages every
    reader shares out of the cache: searches have an LRU of their own, sized by what they hold."""
    from normgraph.explorer import search as search_module
    from normgraph.explorer.cache import _VIEWS, cached

    cached(store, ("html", "catalog", "probe"), lambda: "<html>the AI Act's tree</html>")
    words = ["data", "risk", "system", "control", "security", "access", "supplier", "model"]
    for a in words:
        for b in words:
            search(store, f"{a} {b}")
    assert ("html", "catalog", "probe") in _VIEWS.keys(store)
    assert not any(k[0] == "search" for k in _VIEWS.keys(store))
    answers = search_module._ANSWERS._cache(store)
    assert 0 < len(answers) <= 512 and answers.used <= 32 * 1024 * 1024
    assert answers.used > 100 * len(answers)  # counted by what they hold, not a dataclass's shallow size

"""Who may see what, route by route: every route of the application — taken from Flask's URL map, so a
new route cannot be forgotten — is asked, in every dataset form it offers, for the example organisation
"fintech"'s data by three principals: anonymous, a viewer of another organisation (hospital) and a viewer
of fintech. Strings and IRIs that only fintech's graph holds (data/examples/fintech.ttl) may appear only
in the answers to the last one; denied reads look like absent data (same status as an unknown slug).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from repo import ROOT

from normgraph.access import Registry
from normgraph.loading import load_knowledge
from normgraph.queries import list_queries
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore

ORG = "fintech"
OTHER = "hospital"
GRAPH = f"https://w3id.org/normgraph/graph/org/{ORG}"
OTHER_GRAPH = f"https://w3id.org/normgraph/graph/org/{OTHER}"
ID = "https://w3id.org/normgraph/id/"
PUBLIC_GRAPH = "https://w3id.org/normgraph/graph/iso27001-2022"


@pytest.fixture(scope="module")
def setup() -> Iterator[tuple[Flask, dict[str, str], list[str], str]]:
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    registry = Registry()
    tokens = {}
    for name, org in (("fin-viewer", ORG), ("hosp-viewer", OTHER)):
        registry.add(name)
        registry.grant(name, org, "viewer")
        tokens[name] = registry.new_token(name)
    others = b"".join(store.export("ntriples", g) for g in store.graphs() if g != GRAPH).decode()
    markers, subject = _markers(others)
    app = create_app(store, config={"workers": 2, "query_timeout": 30}, registry=registry)
    app.testing = True  # an exception fails the test with its traceback
    yield app, tokens, markers, subject
    close_app(app)


def _markers(others: str) -> tuple[list[str], str]:
    """IRIs and strings that only fintech's graph holds (no other graph has them), and one fintech resource IRI."""
    g = Graph().parse(ROOT / "data" / "examples" / f"{ORG}.ttl")
    found: set[str] = set()
    for s, _p, o in g:
        for term in (s, o):
            text = str(term)
            org_iri = isinstance(term, URIRef) and text.startswith(f"{ID}org/{ORG}")
            plain_text = isinstance(term, Literal) and len(text) >= 12 and re.fullmatch(r"[\w .,()-]+", text)
            if org_iri or plain_text:
                found.add(text)
    markers = sorted(m for m in found if m not in others)
    subject = next(m for m in markers if m.startswith(f"{ID}org/{ORG}/"))
    assert len(markers) > 50
    return markers, subject


def _probes(app: Flask, subject: str) -> dict[str, list[tuple[str, str, dict[str, object]]]]:
    """endpoint -> requests (method, URL, keyword arguments for the test client) asking for fintech's data."""
    q_graph = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }} LIMIT 2000"
    q_any = 'SELECT ?g ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?g), "/org/")) } LIMIT 5000'
    q_union = f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), \"{ID}org/\")) }} LIMIT 5000"
    q_from = f"SELECT ?s ?p ?o FROM <{GRAPH}> WHERE {{ ?s ?p ?o }} LIMIT 2000"
    q_named = f"SELECT ?g ?s ?o FROM NAMED <{GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 2000"
    q_plain = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && CONTAINS(STR(?o), \"Northwind\")) }"
    q_graph_var = "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 200000"
    describe = f"DESCRIBE <{subject}>"
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    sparql: list[tuple[str, str, dict[str, object]]] = []
    for text in (q_graph, q_any, q_union, q_from, q_named, q_plain, q_graph_var, describe, construct):
        sparql.append(("GET", "/sparql?query=" + quote(text), {}))
        sparql.append(("POST", "/sparql", {"data": text, "content_type": "application/sparql-query"}))
    for extra in (f"&default-graph-uri={quote(GRAPH)}", f"&named-graph-uri={quote(GRAPH)}",
                  f"&default-graph-uri={quote(GRAPH)}&named-graph-uri={quote(GRAPH)}"):
        sparql.append(("GET", "/sparql?query=" + quote(q_plain) + extra, {}))
        sparql.append(("GET", "/sparql?query=" + quote(q_graph_var) + extra, {}))
    sparql.append(("POST", "/sparql", {"data": {"query": q_plain, "default-graph-uri": GRAPH}}))
    api = [("GET", f"/api/queries/{q.name}?graph={quote(GRAPH)}", {})
           for q in list_queries(internal=True) if any(p.name == "graph" for p in q.params)]
    api += [("GET", "/api/queries/graph-provenance", {})]
    local = subject[len(ID):]
    reports = {kind: [("GET", f"/org/{ORG}/{kind}" + (f"?format={fmt}" if fmt else ""), {})
                      for fmt in ("", "csv", "jsonld")] for kind in ("soa", "risks", "gap")}
    table: dict[str, list[tuple[str, str, dict[str, object]]]] = {
        "sparql.sparql": sparql,
        "gsp.graph_store": [("GET", "/store", {}), ("GET", "/store?default", {}),
                            ("GET", f"/store?graph={quote(GRAPH)}", {}),
                            ("GET", "/store", {"headers": {"Accept": "application/trig"}})],
        "api.queries": [("GET", "/api/queries", {})],
        "api.run_named": api,
        "api.graphs": [("GET", "/api/graphs", {})],
        "api.openapi": [("GET", "/api/openapi.json", {})],
        "linked_data.resource": [("GET", f"/id/{local}", {}), ("GET", f"/id/{local}", {"headers": {"Accept": "text/html"}}),
                                 ("GET", f"/id/org/{ORG}", {})],
        "linked_data.context": [("GET", "/context.jsonld", {})],
        "access.signin_page": [("GET", "/access/signin", {})],
        "access.signin": [("POST", "/access/signin", {"data": {"name": "x", "password": "y"}})],
        "access.signout": [("POST", "/access/signout", {})],
        "access.me": [("GET", "/access/me", {})],
        "explorer.home": [("GET", "/", {})],
        "explorer.index": [("GET", "/explore/", {}), ("GET", "/explore/?format=csv", {})],
        "explorer.catalog": [("GET", "/explore/catalog/iso27001-2022?q=Northwind", {})],
        "explorer.search": [("GET", "/explore/search?q=Northwind", {}), ("GET", "/explore/search?q=NorthScore", {})],
        "explorer.resource": [("GET", "/explore/resource?iri=" + quote(subject), {}),
                              ("GET", "/explore/resource?format=jsonld&iri=" + quote(subject), {}),
                              ("GET", "/explore/resource?iri=iso27001:A-5-19", {})],
        "explorer.matrix": [("GET", "/explore/matrix", {})],
        "explorer.neighbourhood": [("GET", "/explore/neighbourhood?iri=" + quote(subject), {})],
        "ui.query_ui": [("GET", "/query", {})],
        "ui.yasgui_license": [("GET", "/query/yasgui-license", {})],
        "ui.favicon": [("GET", "/favicon.ico", {})],
        "api_docs.page": [("GET", "/api/", {})],
        "org_import.import_org_data": [("POST", f"/org/{ORG}/import?format=csv", {"data": b"x"})],
        "reports.report": [*reports["soa"], *reports["risks"], *reports["gap"], ("GET", f"/org/{ORG}/audit-pack", {}),
                           ("GET", f"/org/{ORG}/audit-pack?format=zip", {}),
                           ("GET", f"/org/{ORG}/soa?section=ai-act-duties", {}),
                           ("GET", f"/org/{ORG}/audit-pack?section=evidence-1", {})],
        "reports.template": [("GET", "/org/templates/soa.csv", {})],
        "org_import.spreadsheets": [("GET", f"/org/{ORG}/spreadsheets", {})],
        "org_import.export": [("GET", f"/org/{ORG}/export/{kind}.{ext}", {})
                              for kind in ("soa", "risks", "evidence", "ai-systems") for ext in ("csv", "xlsx")],
        "org_import.upload": [("POST", f"/org/{ORG}/upload", {"data": {"kind": "soa"}}),
                              ("POST", f"/org/{ORG}/upload?format=json", {"data": {"kind": "soa"}})],
        "org_import.preview": [("GET", f"/org/{ORG}/upload/no-such-preview", {})],
        "org_import.confirm": [("POST", f"/org/{ORG}/upload/no-such-preview/confirm", {})],
        "org_import.discard": [("POST", f"/org/{ORG}/upload/no-such-preview/discard", {})],
        "org_import.restore": [("POST", f"/org/{ORG}/restore?format=json", {})],
        "org.index": [("GET", "/org/", {})],
        "org.dashboard_page": [("GET", f"/org/{ORG}", {}), ("GET", f"/org/{ORG}?today=2026-12-01", {})],
        "api.org_applicability": [("GET", f"/api/orgs/{ORG}/applicability", {}),
                                  ("GET", f"/api/orgs/{ORG}/applicability?on=2026-12-01&why=art-26-1-deployer", {})],
        # the access pages: an organisation's admin or the global admin only; to these three, absent
        "access_admin.overview": [("GET", "/access/", {})],
        "access_admin.person": [("GET", "/access/people/fin-viewer", {})],
        "access_admin.change": [("POST", "/access/", {"data": {"action": "grant", "name": "fin-viewer", "org": ORG,
                                                                 "role": "admin"}})],
        "access_admin.people": [("GET", f"/org/{ORG}/people", {})],
        "access_admin.member": [("GET", f"/org/{ORG}/people/fin-viewer", {})],
        "access_admin.people_change": [("POST", f"/org/{ORG}/people", {"data": {"action": "grant", "name": "fin-viewer",
                                                                                 "role": "admin"}})],
        "static": [("GET", "/static/nothing.css", {})],
        "explorer.static": [("GET", "/explore/static/nothing.css", {})],
        "ui.static": [("GET", "/ui/static/nothing.css", {})],
    }
    return table


#: the routes whose answers are organisation data: the right viewer must see fintech's markers there
SHOWS_ORG_DATA = ("sparql.sparql", "gsp.graph_store", "api.run_named", "linked_data.resource", "explorer.resource",
                  "reports.report", "org_import.export", "org.index", "org.dashboard_page", "api.org_applicability")


#: pages of one organisation: to anyone else, a 404 like an organisation that does not exist
PRIVATE_PAGES = ("reports.report", "linked_data.resource", "org.dashboard_page", "api.org_applicability",
                 "org_import.spreadsheets", "org_import.export")


def _client(app: Flask, token: str | None) -> FlaskClient:
    client = app.test_client()
    if token:
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _body(resp: object) -> str:
    data = resp.get_data()  # type: ignore[attr-defined]
    if resp.headers.get("Content-Type", "").startswith("application/zip"):  # type: ignore[attr-defined]
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(data)) as z:
            data = b"".join(z.read(n) for n in z.namelist())
    return data.decode("utf-8", "replace").replace("&#39;", "'").replace("&amp;", "&")


def test_every_route_is_probed(setup: tuple[Flask, dict[str, str], list[str], str]) -> None:
    app, _tokens, _markers, subject = setup
    probes = _probes(app, subject)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(probes))
    assert not missing, f"routes without an access probe (add them to _probes): {missing}"


def test_organisation_data_reaches_only_its_viewers(setup: tuple[Flask, dict[str, str], list[str], str]) -> None:
    app, tokens, markers, subject = setup
    probes = _probes(app, subject)
    leaks: list[str] = []
    seen_by_viewer: dict[str, bool] = {}
    for endpoint, requests in sorted(probes.items()):
        for method, url, kwargs in requests:
            statuses = {}
            # the organisation's viewer first: an answer cached for it must not be served to the others
            for who, token in (("fin-viewer", tokens["fin-viewer"]), ("anonymous", None),
                               ("hosp-viewer", tokens["hosp-viewer"])):
                resp = _client(app, token).open(url, method=method, **kwargs)  # type: ignore[arg-type]
                body = _body(resp)
                # what the request itself names may be echoed (e.g. "no resource <IRI>"): not a leak
                asked = url + str(kwargs.get("data", "")) + (ID + url[4:] if url.startswith("/id/") else "")
                shown = [m for m in markers if m in body and all(
                    form not in asked for form in (m, quote(m), quote(m, safe="")))]
                statuses[who] = resp.status_code
                if who == "fin-viewer":
                    seen_by_viewer[endpoint] = seen_by_viewer.get(endpoint, False) or bool(shown)
                elif shown:
                    leaks.append(f"{who} {method} {url[:120]} -> {resp.status_code}: {shown[:3]}")
                assert resp.status_code < 500, (who, method, url, resp.status_code, body[:300])
            # a denied read looks like absent data: the others get what an unknown organisation gets
            if statuses["fin-viewer"] == 200 and endpoint in PRIVATE_PAGES:
                assert statuses["anonymous"] == statuses["hosp-viewer"] == 404, (url, statuses)
    assert not leaks, "organisation data reached principals without a grant:\n" + "\n".join(leaks)
    blind = [e for e in SHOWS_ORG_DATA if not seen_by_viewer.get(e)]
    assert not blind, f"fintech's viewer did not see fintech's data at {blind}"


def test_denied_and_unknown_organisations_answer_alike(setup: tuple[Flask, dict[str, str], list[str], str]) -> None:
    app, tokens, _markers, _subject = setup
    for token in (None, tokens["hosp-viewer"]):
        client = _client(app, token)
        for page in ("/org/{}/soa", "/org/{}", "/api/orgs/{}/applicability"):
            denied = client.get(page.format(ORG))
            unknown = client.get(page.format("no-such-org"))
            assert denied.status_code == unknown.status_code == 404
            assert _body(denied).replace(ORG, "X") == _body(unknown).replace("no-such-org", "X")
            assert OTHER not in _body(unknown) or token is not None  # no listing of organisations to strangers
        assert client.get(f"/store?graph={quote(GRAPH)}").status_code == 404
        assert ORG not in _body(client.get("/api/graphs"))


def test_writes_need_the_right_role(setup: tuple[Flask, dict[str, str], list[str], str]) -> None:
    app, tokens, _markers, _subject = setup
    turtle = b"<https://w3id.org/normgraph/id/org/fintech/x> <http://www.w3.org/2000/01/rdf-schema#label> \"x\" ."
    for token, status in ((None, 401), (tokens["fin-viewer"], 403), (tokens["hosp-viewer"], 403)):
        client = _client(app, token)
        r = client.post(f"/store?graph={quote(GRAPH)}", data=turtle, content_type="text/turtle")
        assert r.status_code == status, (token, r.status_code, r.data)
        r = client.post("/sparql", data="INSERT DATA { GRAPH <http://x/g> { <http://x/a> <http://x/b> 1 } }",
                        content_type="application/sparql-update")
        assert r.status_code == status
        r = client.post(f"/store?graph={quote(PUBLIC_GRAPH)}", data=turtle, content_type="text/turtle")
        assert r.status_code == status

"""The SPARQL 1.1 Protocol at /sparql over real HTTP (waitress on loopback), point by point (DESIGN.md §12)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic

from normgraph.store import SelectResult
from tests.server_helpers import GRAPH_A, GRAPH_B, TOKEN, Listener, fixture_store, running

SELECT = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?s ?l WHERE { ?s skos:prefLabel ?l } ORDER BY ?s"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
RES = "http://www.w3.org/2005/sparql-results#"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with running(query_timeout=2.0, max_results=200_000) as (url, _app):
        yield url


def expected_rows() -> list[tuple[str, str]]:
    result = fixture_store().query(SELECT)
    assert isinstance(result, SelectResult)
    return [(str(r["s"]), str(r["l"])) for r in result]


def json_rows(body: bytes) -> list[tuple[str, str]]:
    data = json.loads(body)
    return [(b["s"]["value"], b["l"]["value"]) for b in data["results"]["bindings"]]


# -- the three ways to send a query ---------------------------------------------------------------
def test_get_post_form_and_direct_post_give_the_embedded_answer(base: str) -> None:
    want = expected_rows()
    assert len(want) == 7
    r1 = requests.get(f"{base}/sparql", params={"query": SELECT})
    r2 = requests.post(f"{base}/sparql", data={"query": SELECT})
    r3 = requests.post(f"{base}/sparql", data=f"query={requests.utils.quote(SELECT, safe='')}".encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    r4 = requests.post(f"{base}/sparql", data=SELECT.encode(), headers={"Content-Type": "application/sparql-query"})
    for r in (r1, r2, r3, r4):
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("application/sparql-results+json")
        assert "Accept" in r.headers["Vary"]
        assert json_rows(r.content) == want


def test_plus_and_percent_2b_are_decoded_once(base: str) -> None:
    q = 'ASK { ?s ?p "Alpha + two"@en }'
    # requests percent-encodes '+' as %2B: it must arrive as '+', not as a space
    assert requests.get(f"{base}/sparql", params={"query": q}).json()["boolean"] is True
    assert requests.post(f"{base}/sparql", data={"query": q}).json()["boolean"] is True
    # a literal '+' in a form-encoded query string means a space (ASK+{...})
    raw = "ASK+%7B+%3Fs+%3Fp+%22Alpha+%2B+two%22%40en+%7D"
    assert requests.get(f"{base}/sparql?query={raw}").json()["boolean"] is True
    # %252B must stay '%2B' (decoded once, not twice)
    once = requests.get(f"{base}/sparql?query=ASK+%7B+%3Fs+%3Fp+%22Alpha+%252B+two%22%40en+%7D").json()
    assert once["boolean"] is False


# -- 4xx cases -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        ("get", {"params": {"default-graph-uri": GRAPH_A}}, 400),  # missing query
        ("get", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400),  # repeated
        ("post", {"data": [("query", "ASK {}"), ("query", "ASK {}")]}, 400),
        ("post", {"data": {}}, 400),
        ("post", {"data": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415),
        ("post", {"data": b"ASK {}", "headers": {"Content-Type": "application/json"}}, 415),
        ("post", {"data": b"ASK {}", "headers": {"Content-Type": ""}}, 400),
        ("get", {"params": {"query": "SELEC * {"}}, 400),
        ("get", {"params": {"query": "ASK {}", "default-graph-uri": "not an iri"}}, 400),
    ],
)
def test_bad_requests(base: str, method: str, kwargs: dict, status: int) -> None:
    r = getattr(requests, method)(f"{base}/sparql", **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.text.strip()


def test_malformed_query_returns_the_parser_message(base: str) -> None:
    r = requests.get(f"{base}/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "error at 1:" in r.text  # Oxigraph's own position message


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(base: str, method: str) -> None:
    r = requests.request(method, f"{base}/sparql", data=b"x")
    assert r.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in r.headers["Allow"].split(",")}


def test_oversized_body_is_413() -> None:
    with running(max_upload=1000) as (url, _app):
        r = requests.post(f"{url}/sparql", data=b"#" * 5000, headers={"Content-Type": "application/sparql-query"})
        assert r.status_code == 413
        r = requests.post(f"{url}/sparql", data={"query": "#" * 5000})
        assert r.status_code == 413


# -- result formats ------------------------------------------------------------------------------------
def test_every_select_format_parses_back_to_the_same_rows(base: str) -> None:
    want = expected_rows()
    url = f"{base}/sparql"
    r = requests.get(url, params={"query": SELECT}, headers={"Accept": "application/sparql-results+xml"})
    assert r.headers["Content-Type"].startswith("application/sparql-results+xml")
    root = ET.fromstring(r.content)
    got = []
    for res in root.iter(f"{{{RES}}}result"):
        vals = {b.get("name"): next(iter(b)).text for b in res.iter(f"{{{RES}}}binding")}
        got.append((vals["s"], vals["l"]))
    assert got == want
    r = requests.get(url, params={"query": SELECT}, headers={"Accept": "text/csv"})
    assert r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["s", "l"] and [tuple(x) for x in rows[1:]] == want
    r = requests.get(url, params={"query": SELECT}, headers={"Accept": "text/tab-separated-values"})
    assert r.headers["Content-Type"].startswith("text/tab-separated-values")
    lines = r.text.splitlines()
    assert lines[0].split("\t") == ["?s", "?l"]
    assert [tuple(c.strip("<>") for c in line.split("\t")) for line in lines[1:]] == [
        (s, f'"{label}"@en') for s, label in want]
    # ?format= shortcut
    assert requests.get(url, params={"query": SELECT, "format": "csv"}).headers["Content-Type"].startswith("text/csv")


def test_q_values_decide(base: str) -> None:
    url = f"{base}/sparql"
    h = {"Accept": "text/csv;q=0.5, application/sparql-results+xml"}
    assert "xml" in requests.get(url, params={"query": SELECT}, headers=h).headers["Content-Type"]
    h = {"Accept": "application/sparql-results+xml;q=0.2, text/csv;q=0.9"}
    assert requests.get(url, params={"query": SELECT}, headers=h).headers["Content-Type"].startswith("text/csv")
    h = {"Accept": "*/*"}
    assert "json" in requests.get(url, params={"query": SELECT}, headers=h).headers["Content-Type"]


def test_406_lists_available_types(base: str) -> None:
    r = requests.get(f"{base}/sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert "application/sparql-results+json" in r.text and "text/csv" in r.text
    r = requests.get(f"{base}/sparql", params={"query": CONSTRUCT}, headers={"Accept": "text/csv"})
    assert r.status_code == 406 and "text/turtle" in r.text


@pytest.mark.parametrize(
    ("accept", "ctype", "rdflib_format"),
    [
        (None, "text/turtle", "turtle"),
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
    ],
)
def test_construct_formats_parse_back_to_the_same_graph(base: str, accept: str | None, ctype: str,
                                                        rdflib_format: str) -> None:
    headers = {"Accept": accept} if accept else {}
    r = requests.get(f"{base}/sparql", params={"query": CONSTRUCT}, headers=headers)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(ctype)
    got = Graph().parse(data=r.content, format=rdflib_format)
    want = fixture_store().query(CONSTRUCT).graph  # type: ignore[union-attr]
    assert len(got) == len(want) == 15
    assert isomorphic(got, want)


# -- dataset -----------------------------------------------------------------------------------------
def count(base: str, query: str, **params: object) -> int:
    r = requests.get(f"{base}/sparql", params={"query": query, **params})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_dataset_parameters_change_the_answer(base: str) -> None:
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert count(base, q) == 15  # union default graph
    assert count(base, q, **{"default-graph-uri": GRAPH_A}) == 9
    assert count(base, q, **{"default-graph-uri": GRAPH_B}) == 6
    assert count(base, q, **{"default-graph-uri": [GRAPH_A, GRAPH_B]}) == 15
    qn = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(base, qn, **{"named-graph-uri": GRAPH_B}) == 6
    # a protocol dataset overrides FROM in the query
    qf = f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH_A}> WHERE {{ ?s ?p ?o }}"
    assert count(base, qf, **{"default-graph-uri": GRAPH_B}) == 6
    # POST form carries them in the body
    r = requests.post(f"{base}/sparql", data={"query": q, "default-graph-uri": GRAPH_B})
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == 6


def test_from_and_from_named_resolve_against_local_graphs(base: str) -> None:
    assert count(base, f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH_A}> WHERE {{ ?s ?p ?o }}") == 9
    assert count(base, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{GRAPH_B}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}") == 6
    assert count(base, "SELECT (COUNT(*) AS ?n) FROM <http://example.org/none> WHERE { ?s ?p ?o }") == 0


# -- service description, UI, CORS ------------------------------------------------------------------
def test_service_description_by_accept(base: str) -> None:
    for accept, fmt in [("text/turtle", "turtle"), ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld"),
                        ("*/*", "turtle")]:
        r = requests.get(f"{base}/sparql", headers={"Accept": accept})
        assert r.status_code == 200
        g = Graph().parse(data=r.content, format=fmt)
        sd = "http://www.w3.org/ns/sparql-service-description#"
        assert any(str(o) == sd + "UnionDefaultGraph" for o in g.objects(None, None))
        assert {str(o) for o in g.objects(None, None)} >= {GRAPH_A, GRAPH_B}


def test_browser_gets_the_query_page(base: str) -> None:
    r = requests.get(f"{base}/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "<form" in r.text


def test_cors(base: str) -> None:
    r = requests.get(f"{base}/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://x.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    r = requests.options(f"{base}/sparql", headers={"Origin": "https://x.example",
                                                     "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "content-type"})
    assert r.status_code in (200, 204)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert requests.options(f"{base}/api/queries").headers["Access-Control-Allow-Origin"] == "*"


# -- updates and tokens --------------------------------------------------------------------------------
INSERT = f'INSERT DATA {{ GRAPH <{GRAPH_A}> {{ <http://example.org/new> <http://example.org/p> "x" }} }}'
ASK_NEW = "ASK { <http://example.org/new> ?p ?o }"


def asks(url: str) -> bool:
    return bool(requests.get(f"{url}/sparql", params={"query": ASK_NEW}).json()["boolean"])


def test_updates_refused_without_configured_token(base: str) -> None:
    for kwargs in ({"data": {"update": INSERT}},
                   {"data": INSERT.encode(), "headers": {"Content-Type": "application/sparql-update"}},
                   {"data": {"update": INSERT}, "headers": {"Authorization": f"Bearer {TOKEN}"}}):
        r = requests.post(f"{base}/sparql", **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 403, r.text
    assert not asks(base)


def test_update_token_paths() -> None:
    with running(update_token=TOKEN) as (url, _app):
        r = requests.post(f"{url}/sparql", data={"update": INSERT})
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
        r = requests.post(f"{url}/sparql", data={"update": INSERT}, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 403
        r = requests.post(f"{url}/sparql", data={"update": INSERT}, headers={"Authorization": f"Basic {TOKEN}"})
        assert r.status_code == 403
        assert not asks(url)
        r = requests.post(f"{url}/sparql", data=INSERT.encode(),
                          headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 204, r.text
        assert asks(url)  # the workers were recycled: readers see the write
        r = requests.post(f"{url}/sparql", data={"update": "INSERT DATA {"},
                          headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 400


# -- no outbound requests ------------------------------------------------------------------------------
def test_no_outbound_requests() -> None:
    listener = Listener()
    target = f"http://127.0.0.1:{listener.port}/x"
    try:
        with running(update_token=TOKEN) as (url, _app):
            auth = {"Authorization": f"Bearer {TOKEN}"}
            for q in (f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
                      f"SELECT * WHERE {{ service silent <{target}> {{ ?s ?p ?o }} }}",
                      f"PREFIX x: <http://127.0.0.1:{listener.port}/> SELECT * WHERE {{ # c\n SeRvIcE x:y {{ ?s ?p ?o }} }}"):
                r = requests.get(f"{url}/sparql", params={"query": q})
                assert r.status_code == 400 and "SERVICE" in r.text
            for u in (f"LOAD <{target}>", f"LOAD SILENT <{target}> INTO GRAPH <{GRAPH_A}>"):
                r = requests.post(f"{url}/sparql", data={"update": u}, headers=auth)
                assert r.status_code == 400 and "LOAD" in r.text
            r = requests.get(f"{url}/sparql", params={"query": f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}"})
            assert r.status_code == 200 and r.json()["results"]["bindings"] == []
            r = requests.get(f"{url}/sparql", params={"query": f"SELECT * FROM NAMED <{target}> {{ GRAPH ?g {{?s ?p ?o}} }}"})
            assert r.status_code == 200
            r = requests.put(f"{url}/store", params={"graph": GRAPH_A}, headers={**auth, "Content-Type": "application/ld+json"},
                             data=json.dumps({"@context": target, "@id": "http://example.org/z", "p": "v"}))
            assert r.status_code == 400 and "context" in r.text
            # the word SERVICE in a string, a comment or a prefixed name is no service call
            ok = 'PREFIX e: <http://example.org/> SELECT * WHERE { ?s e:SERVICE ?o . FILTER(?o != "SERVICE <x>") } # SERVICE'
            assert requests.get(f"{url}/sparql", params={"query": ok}).status_code == 200
        time.sleep(0.3)
        assert listener.hits == []
    finally:
        listener.close()


# -- timeouts and caps ---------------------------------------------------------------------------------
HOSTILE = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r . "
           "?s ?t ?u . ?v ?w ?x . ?y ?z ?aa }")


def test_timeout_is_503_and_others_are_served_meanwhile() -> None:
    # the other client signs in as a principal of its own: per-client fairness (normgraph/store/admission.py)
    # counts every anonymous client of one address as one client
    with running(update_token=TOKEN, query_timeout=2.0) as (url, _app):
        _timeout_is_503_and_others_are_served_meanwhile(url)


def _timeout_is_503_and_others_are_served_meanwhile(base: str) -> None:
    results: dict[str, object] = {}

    def hostile() -> None:
        started = time.monotonic()
        r = requests.get(f"{base}/sparql", params={"query": HOSTILE}, timeout=30)
        results["hostile"] = (r.status_code, r.text, time.monotonic() - started)

    t = threading.Thread(target=hostile)
    t.start()
    time.sleep(0.3)
    r = requests.get(f"{base}/sparql", params={"query": SELECT + " LIMIT 3"}, timeout=30,
                     headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 3
    assert t.is_alive()  # answered while the hostile query still runs, not queued behind it
    t.join(30)
    status, text, elapsed = results["hostile"]  # type: ignore[misc]
    assert status == 503 and "timeout" in text
    assert elapsed < 20  # not a speed assertion: unstopped, HOSTILE runs for hours; 10x the 2 s timeout shows the stop
    # and the server still works after killing the worker
    assert requests.get(f"{base}/sparql", params={"query": "ASK {}"}).status_code == 200


def test_result_too_large_is_422_not_truncated() -> None:
    with running(max_results=300) as (url, _app):
        r = requests.get(f"{url}/sparql", params={"query": CONSTRUCT})
        assert r.status_code == 422 and "300 bytes" in r.text
        assert requests.get(f"{url}/sparql", params={"query": "ASK {}"}).status_code == 200


def test_big_results_are_gzip_encoded_for_clients_that_accept_it() -> None:
    """A client that accepts gzip gets big bodies compressed (the same rows); others get them plain."""
    import gzip as gz

    from normgraph.server import create_app
    from normgraph.store import EmbeddedStore

    store = EmbeddedStore()
    store.load("".join(f"<http://example.org/s{i}> <http://example.org/p> \"value {i}\" .\n" for i in range(3000)),
               "ntriples", "http://example.org/g")
    client = create_app(store, config={"examples": False}).test_client()
    query = {"query": "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"}
    plain = client.get("/sparql", query_string=query, headers={"Accept": "application/sparql-results+json"})
    packed = client.get("/sparql", query_string=query, headers={"Accept": "application/sparql-results+json",
                                                                "Accept-Encoding": "gzip, deflate"})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 4
    assert json.loads(gz.decompress(packed.data)) == json.loads(plain.data)

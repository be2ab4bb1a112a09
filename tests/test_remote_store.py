"""RemoteStore against a real `oxigraph serve` (and small fake servers for failures).

Same knowledge, same query → same rows on the embedded and the remote store, with the server's
default graph the union or not (both ways of handling it); errors name the URL, status and message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD
from repo import ROOT

from normgraph.loading import knowledge_files, load_files
from normgraph.store import (
    AskResult,
    Dataset,
    EmbeddedStore,
    GraphResult,
    QuerySyntaxError,
    RdfSyntaxError,
    SelectResult,
    Store,
    StoreError,
)
from normgraph.store.remote import RemoteStore, RemoteStoreError, RemoteTimeout

try:
    from oxigraph_server import OxigraphServer, free_port, oxigraph_server, requires_oxigraph
except ImportError:  # tests/ imported as a package
    from tests.oxigraph_server import OxigraphServer, free_port, oxigraph_server, requires_oxigraph

pytestmark = [pytest.mark.remote, requires_oxigraph]

G1 = "https://w3id.org/normgraph/graph/test/one"
G2 = "https://w3id.org/normgraph/graph/test/two"
FIXTURE = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ng: <https://w3id.org/normgraph/ont#> .
<https://w3id.org/normgraph/id/iso27001-2022/A-5-19> skos:prefLabel "Information security in supplier relationships"@en ;
    skos:notation "A.5.19" ; ng:order 19 ; ng:issued "2026-11-28"^^xsd:date ;
    ng:note [ ng:text "a blank node" ] .
"""
FIXTURE2 = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/normgraph/id/iso42001-2023/A-10-3> skos:prefLabel "Suppliers"@en ; skos:notation "A.10.3" .
"""
LABELS = "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } ORDER BY ?s ?l"

#: Queries compared row by row between embedded and remote (over whatever data/*.ttl exists).
SAME_ROWS = [
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "SELECT ?scheme (COUNT(?c) AS ?n) WHERE { ?c <http://www.w3.org/2004/02/skos/core#inScheme> ?scheme } "
    "GROUP BY ?scheme ORDER BY ?scheme",
    "SELECT ?c ?notation ?label WHERE { ?c <http://www.w3.org/2004/02/skos/core#notation> ?notation . "
    "OPTIONAL { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?label } } ORDER BY ?c ?notation ?label LIMIT 500",
    "SELECT ?rec ?s ?o WHERE { ?rec <https://w3id.org/normgraph/ont#mappingSubject> ?s ; "
    "<https://w3id.org/normgraph/ont#mappingObject> ?o } ORDER BY ?rec ?s ?o LIMIT 500",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
]


def remote(server: OxigraphServer, *, gsp: bool = True, **kw: object) -> RemoteStore:
    return RemoteStore(server.query_url, update_endpoint=server.update_url,
                       graph_store=server.store_url if gsp else None, **kw)  # type: ignore[arg-type]


def fill(store: Store) -> None:
    store.load(FIXTURE, "turtle", G1)
    store.load(FIXTURE2, "turtle", G2)


@pytest.fixture(scope="module")
def plain() -> Iterator[OxigraphServer]:
    with oxigraph_server() as server:
        yield server


@pytest.fixture(scope="module")
def union() -> Iterator[OxigraphServer]:
    with oxigraph_server(union_default_graph=True) as server:
        yield server


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[OxigraphServer]:
    with oxigraph_server(tmp_path / "ox") as server:
        yield server


# -- the Store protocol, both ways of writing --------------------------------------------------------------
@pytest.mark.parametrize("gsp", [True, False], ids=["gsp", "sparql-update"])
def test_protocol_round_trip(fresh: OxigraphServer, gsp: bool) -> None:
    store = remote(fresh, gsp=gsp)
    assert isinstance(store, Store)
    assert store.graphs() == []
    assert store.load(FIXTURE, "turtle", G1) == 6
    assert store.load(FIXTURE2, "turtle", G2) == 2
    assert store.graphs() == [G1, G2]
    assert store.graph_size(G1) == 6

    rows = store.query(LABELS)
    assert isinstance(rows, SelectResult) and rows.variables == ["s", "l"]
    assert rows.column("l") == [Literal("Information security in supplier relationships", lang="en"),
                                Literal("Suppliers", lang="en")]
    typed = store.query("SELECT ?n ?d ?x WHERE { ?s <https://w3id.org/normgraph/ont#order> ?n ; "
                        "<https://w3id.org/normgraph/ont#issued> ?d ; <http://www.w3.org/2004/02/skos/core#notation> ?x }")
    assert isinstance(typed, SelectResult)
    row = typed.rows[0]
    assert row["n"] == Literal("19", datatype=XSD.integer)
    assert row["d"] == Literal("2026-11-28", datatype=XSD.date)
    assert row["x"] == Literal("A.5.19") and row["x"].datatype is None  # xsd:string comes back plain
    bnode = store.query("SELECT ?b WHERE { ?s <https://w3id.org/normgraph/ont#note> ?b }")
    assert isinstance(bnode, SelectResult) and isinstance(bnode.rows[0]["b"], BNode)
    unbound = store.query("SELECT ?s ?missing WHERE { ?s <http://www.w3.org/2004/02/skos/core#notation> ?n "
                          "OPTIONAL { ?s <urn:none> ?missing } } LIMIT 1")
    assert isinstance(unbound, SelectResult) and unbound.rows[0]["missing"] is None

    ask = store.query("ASK { ?s <http://www.w3.org/2004/02/skos/core#notation> \"A.10.3\" }")
    assert isinstance(ask, AskResult) and ask.value is True
    graph = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    assert isinstance(graph, GraphResult) and len(graph) == 6

    # replace is a replacement, append is an append
    assert store.load(FIXTURE2, "turtle", G1, replace=True) == 2
    assert store.load(FIXTURE, "turtle", G1, replace=False) == 8
    # a syntax error sends nothing
    with pytest.raises(RdfSyntaxError):
        store.load("<a> <b> .", "turtle", G1)
    assert store.graph_size(G1) == 8
    store.update(f"INSERT DATA {{ GRAPH <{G2}> {{ <urn:x> <urn:y> <urn:z> }} }}")
    assert store.graph_size(G2) == 3
    store.drop(G1)
    assert store.graphs() == [G2]


def test_query_serialized_passes_accept_and_bytes_through(fresh: OxigraphServer) -> None:
    store = remote(fresh)
    fill(store)
    body, media, form = store.query_serialized(LABELS, "csv")
    assert (media, form) == ("text/csv", "select")
    assert body.decode().splitlines()[0] == "s,l"
    body, media, form = store.query_serialized(LABELS, "xml")
    assert media == "application/sparql-results+xml" and body.startswith(b"<?xml")
    body, media, form = store.query_serialized("ASK {}", "json")
    assert form == "ask" and b"true" in body
    body, media, form = store.query_serialized(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G2}> {{ ?s ?p ?o }} }}",
                                               "ntriples")
    assert (media, form) == ("application/n-triples", "graph") and body.count(b"\n") == 2
    with pytest.raises(ValueError):
        store.query_serialized(LABELS, "turtle")
    with pytest.raises(ValueError):
        store.query_serialized("CONSTRUCT WHERE { ?s ?p ?o }", "csv")


def test_xml_results_give_the_same_rows(fresh: OxigraphServer) -> None:
    store_json, store_xml = remote(fresh), remote(fresh, results_format="xml")
    fill(store_json)
    assert store_json.query(LABELS) == store_xml.query(LABELS)
    q = "SELECT ?b WHERE { ?s <https://w3id.org/normgraph/ont#note> ?b }"
    assert isinstance(store_xml.query(q).rows[0]["b"], BNode)  # type: ignore[union-attr]


def test_export_gsp_and_construct_agree(fresh: OxigraphServer) -> None:
    with_gsp, without = remote(fresh), remote(fresh, gsp=False)
    fill(with_gsp)
    from rdflib import Graph

    a = Graph().parse(data=with_gsp.export("turtle", G1), format="turtle")
    b = Graph().parse(data=without.export("turtle", G1), format="turtle")
    c = Graph().parse(data=FIXTURE, format="turtle")
    assert isomorphic(a, b) and isomorphic(a, c)
    quads = with_gsp.export("nquads").decode().splitlines()
    assert len(quads) == 8 and all(line.endswith(f"<{G1}> .") or line.endswith(f"<{G2}> .") for line in quads)
    with pytest.raises(ValueError):
        with_gsp.export("turtle")


# -- the union default graph -------------------------------------------------------------------------------
def test_union_default_graph_detected_and_emulated(plain: OxigraphServer, union: OxigraphServer) -> None:
    for server in (plain, union):
        store = remote(server)
        for g in store.graphs():
            store.drop(g)
        fill(store)

    # A plain `oxigraph serve`: its default graph is the empty unnamed graph. Sent as is, our query sees nothing.
    raw = remote(plain, union_default_graph="native")
    assert len(raw.query(LABELS)) == 0  # type: ignore[arg-type]
    # "dataset" sends default-graph-uri + named-graph-uri for every graph; "auto" probes and does the same.
    emulated, auto = remote(plain, union_default_graph="dataset"), remote(plain)
    assert len(emulated.query(LABELS)) == 2  # type: ignore[arg-type]
    assert auto.query(LABELS) == emulated.query(LABELS)
    assert auto._union_mode() == "dataset"
    # GRAPH ?g still sees the named graphs under the emulated dataset
    per_graph = auto.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    assert [int(r["n"]) for r in per_graph] == [6, 2]  # type: ignore[arg-type,union-attr]

    # --union-default-graph: the service description says sd:UnionDefaultGraph; "auto" sends queries as they are.
    auto_u = remote(union)
    assert auto_u.detect_union_default_graph() == "native"
    assert auto_u.query(LABELS) == emulated.query(LABELS)
    # and "dataset" on a union server gives the same answer too (it is correct everywhere)
    assert remote(union, union_default_graph="dataset").query(LABELS) == emulated.query(LABELS)


def test_union_detection_by_probe_without_service_description(union: OxigraphServer, plain: OxigraphServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for server in (plain, union):
        store = remote(server)
        if not store.graphs():
            fill(store)
    monkeypatch.setattr(RemoteStore, "_http", _no_service_description(RemoteStore._http))
    assert remote(union).detect_union_default_graph() == "native"
    assert remote(plain).detect_union_default_graph() == "dataset"


def _no_service_description(http):  # type: ignore[no-untyped-def]
    def patched(self, method, url, *, what, **kw):  # type: ignore[no-untyped-def]
        if what == "service description":
            raise RemoteStoreError(url, 404, "no service description here", what)
        return http(self, method, url, what=what, **kw)

    return patched


def test_explicit_dataset_passes_through(plain: OxigraphServer) -> None:
    store = remote(plain)
    if not store.graphs():
        fill(store)
    only_two = store.query(LABELS, dataset=Dataset(default_graphs=(G2,)))
    assert [str(r["s"]) for r in only_two] == ["https://w3id.org/normgraph/id/iso42001-2023/A-10-3"]  # type: ignore[union-attr]
    named = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=Dataset(named_graphs=(G1,)))
    assert named.column("g") == [URIRef(G1)]  # type: ignore[union-attr]
    # the same datasets on the embedded store give the same answers
    embedded = EmbeddedStore()
    fill(embedded)
    for ds in (Dataset(default_graphs=(G2,)), Dataset(named_graphs=(G1,)), Dataset((G1,), (G2,))):
        for q in (LABELS, "SELECT ?g ?s WHERE { GRAPH ?g { ?s <http://www.w3.org/2004/02/skos/core#notation> ?n } } "
                          "ORDER BY ?g ?s"):
            assert store.query(q, dataset=ds) == embedded.query(q, dataset=ds), (ds, q)


# -- the real knowledge: same query, same rows ----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("union_server", [False, True], ids=["plain-server", "union-server"])
def test_real_knowledge_same_rows_embedded_and_remote(tmp_path: Path, union_server: bool) -> None:
    files = knowledge_files(ROOT, examples=True)
    embedded = EmbeddedStore()
    load_files(embedded, files, ROOT)
    with oxigraph_server(tmp_path / "ox", union_default_graph=union_server) as server:
        store = remote(server, gsp=not union_server)  # GSP PUT on one server, SPARQL Update on the other
        load_files(store, files, ROOT)
        assert store.graphs() == embedded.graphs()
        for g in embedded.graphs():
            assert store.graph_size(g) == embedded.graph_size(g), g
        for q in SAME_ROWS:
            assert store.query(q) == embedded.query(q), q
        from normgraph.queries import get_query

        for name in ("catalog-stats", "graph-provenance"):
            q = get_query(name).bind()
            assert store.query(q) == embedded.query(q), name


# -- failures --------------------------------------------------------------------------------------------------
def test_unreachable_endpoint_fails_after_its_retries_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    store = RemoteStore(url, retries=2, backoff=0.05, timeout=2, union_default_graph="native")
    with pytest.raises(StoreError) as e:
        store.query("SELECT * WHERE { ?s ?p ?o }")
    assert url in str(e.value) and "after 3 attempts" in str(e.value)  # the retries given, then no more
    with pytest.raises(StoreError, match=r"127\.0\.0\.1"):
        store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")


class _Handler(BaseHTTPRequestHandler):
    status = 500
    body = b"boom: the storage layer is on fire"
    calls: list[str]  # set per server
    delay = 0.0

    def _answer(self) -> None:
        self.calls.append(self.command)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        time.sleep(self.delay)
        try:
            self.send_response(self.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {"calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [500, 400, 403])
def test_server_error_names_status_and_message(fake: tuple[str, type[_Handler]], status: int) -> None:
    url, handler = fake
    handler.status = status
    store = RemoteStore(url, union_default_graph="native", retries=2, backoff=0.01)
    with pytest.raises(StoreError) as e:
        store.query("SELECT * WHERE { ?s ?p ?o }")
    message = str(e.value)
    assert url in message and f"HTTP {status}" in message and "storage layer is on fire" in message
    assert isinstance(e.value, RemoteStoreError) and e.value.status == status
    if status == 400:
        assert isinstance(e.value, QuerySyntaxError)  # a bad query is also reported as a query error
    assert handler.calls == ["POST"]  # 4xx/500 are answers, not outages: no retry
    with pytest.raises(StoreError, match=f"HTTP {status}"):
        store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")


def test_reads_retried_with_backoff_updates_never(fake: tuple[str, type[_Handler]]) -> None:
    url, handler = fake
    handler.status = 503
    store = RemoteStore(url, union_default_graph="native", retries=3, backoff=0.05)
    started = time.monotonic()
    with pytest.raises(StoreError, match="HTTP 503"):
        store.query("ASK {}")
    assert handler.calls == ["POST"] * 4
    # not a speed assertion: a lower bound (the backoff's sleeps, 0.05 + 0.1 + 0.2 s), which load cannot break
    assert time.monotonic() - started >= 0.05 + 0.1 + 0.2
    handler.calls.clear()
    with pytest.raises(StoreError, match="HTTP 503"):
        store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert handler.calls == ["POST"]  # an update is sent once
    handler.calls.clear()
    gsp = RemoteStore(url, graph_store=url, union_default_graph="native", retries=2, backoff=0.01)
    with pytest.raises(StoreError, match="HTTP 503"):
        gsp.load("<urn:a> <urn:b> <urn:c> .", "ntriples", G1, replace=True)
    assert handler.calls == ["PUT"] * 3  # PUT is idempotent: retried
    handler.calls.clear()
    with pytest.raises(StoreError, match="HTTP 503"):
        gsp.load("<urn:a> <urn:b> <urn:c> .", "ntriples", G1, replace=False)
    assert handler.calls == ["POST"]  # GSP POST appends: never retried


def test_timeout_is_passed_to_the_http_client(fake: tuple[str, type[_Handler]]) -> None:
    url, handler = fake
    handler.status, handler.delay = 200, 10.0
    store = RemoteStore(url, union_default_graph="native", retries=0)  # its own timeout: 60 s
    started = time.monotonic()
    with pytest.raises(RemoteTimeout) as e:
        store.query("ASK {}", timeout=0.5)
    # not a speed assertion: without the 0.5 s limit the answer would come after 10 s (10x the limit shows it applied)
    assert time.monotonic() - started < 5 and url in str(e.value)


def test_bearer_and_basic_auth_from_env(fake: tuple[str, type[_Handler]], monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = fake
    seen: list[str | None] = []
    original = handler._answer

    def capture(self: _Handler) -> None:
        seen.append(self.headers.get("Authorization"))
        original(self)

    handler.do_POST = capture  # type: ignore[method-assign]
    handler.status = 500
    monkeypatch.setenv("NORMGRAPH_REMOTE_TOKEN", "s3cret")
    with pytest.raises(StoreError):
        RemoteStore(url, union_default_graph="native").query("ASK {}")
    monkeypatch.delenv("NORMGRAPH_REMOTE_TOKEN")
    monkeypatch.setenv("NORMGRAPH_REMOTE_USER", "ann")
    monkeypatch.setenv("NORMGRAPH_REMOTE_PASSWORD", "pw")
    with pytest.raises(StoreError):
        RemoteStore(url, union_default_graph="native").update("CLEAR ALL")
    assert seen == ["Bearer s3cret", "Basic YW5uOnB3"]


def test_open_store_gives_a_remote_store(plain: OxigraphServer) -> None:
    from normgraph.store import open_store

    store = open_store(endpoint=plain.query_url, update_endpoint=plain.update_url, graph_store=plain.store_url)
    assert isinstance(store, RemoteStore) and store.location == plain.query_url
    assert isinstance(store.query("ASK {}"), AskResult)


def test_oxigraph_gsp_put_is_atomic_on_a_broken_body(fresh: OxigraphServer) -> None:
    """What docs/remote-stores.md claims for Oxigraph: a failed PUT leaves the old graph whole."""
    import requests

    store = remote(fresh)
    fill(store)
    before = store.export("ntriples", G1)
    body = b'<urn:a> <urn:b> "fine" .\n<urn:c> <urn:d> BROKEN .\n'
    r = requests.put(fresh.store_url, params={"graph": G1}, data=body,
                     headers={"Content-Type": "application/n-triples"}, timeout=10)
    assert r.status_code == 400
    assert store.export("ntriples", G1) == before


def test_bad_union_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="auto, native or dataset"):
        RemoteStore("http://127.0.0.1:1/query", union_default_graph="sometimes")  # type: ignore[arg-type]

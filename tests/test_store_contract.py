"""One contract for every Store (normgraph/store/base.py): the same behaviours, run over each implementation.

embedded in memory, embedded on disk, guarded (in memory and on disk), remote against a real
`oxigraph serve` (plain: union default graph sent as a dataset; and --union-default-graph: native),
the server's served-remote wrapper, and a real Virtuoso 7 (profile "virtuoso": Digest auth, writes by
SPARQL Update, and by GSP in chunks of 2 triples). The remote ones are marked `remote`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from normgraph.store import (
    AskResult,
    Dataset,
    EmbeddedStore,
    GraphResult,
    QuerySyntaxError,
    QueryTimeout,
    RdfSyntaxError,
    SelectResult,
    Store,
)
from normgraph.store.guarded import GuardedStore
from normgraph.store.profiles import VIRTUOSO
from normgraph.store.remote import RemoteStore
from normgraph.store.served import ServedRemoteStore
from normgraph.store.sparql_text import OutboundRefused, ResultTooLarge

try:
    from oxigraph_server import OxigraphServer, oxigraph_server, requires_oxigraph
    from server_helpers import Listener
    from virtuoso_server import VirtuosoServer, virtuoso  # virtuoso: the session fixture
except ImportError:  # pragma: no cover - run from the repository root
    from tests.oxigraph_server import OxigraphServer, oxigraph_server, requires_oxigraph
    from tests.server_helpers import Listener
    from tests.virtuoso_server import VirtuosoServer, virtuoso  # noqa: F401

EX = "http://example.org/"
A = f"{EX}graph/a"
B = f"{EX}graph/b"
C = f"{EX}graph/c"
DATA_A = f"""<{EX}s1> <{EX}name> "one" .
<{EX}s1> <{EX}label> "un"@fr .
<{EX}s1> <{EX}count> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .
<{EX}s1> <{EX}next> <{EX}s2> .
"""
DATA_B = f"""<{EX}s2> <{EX}name> "two" .
<{EX}s3> <{EX}name> "three" .
"""
#: seconds a remote Oxigraph server lets one query run (it stops our slow query well after the client gave up)
SERVER_TIMEOUT_S = 5


#: the result cap given to the stores that have one (bytes of a serialised answer)
CAP = 8192


@dataclass
class Impl:
    store: Store
    timeouts: bool  # can a running query be stopped (QueryTimeout)?
    capped: bool = False  # is a serialised answer over CAP refused (ResultTooLarge)?


# -- the implementations ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plain_server() -> Iterator[OxigraphServer]:
    with oxigraph_server(timeout_s=SERVER_TIMEOUT_S) as server:
        yield server


@pytest.fixture(scope="module")
def union_server() -> Iterator[OxigraphServer]:
    with oxigraph_server(union_default_graph=True, timeout_s=SERVER_TIMEOUT_S) as server:
        yield server


def _remote(server: OxigraphServer, *, gsp: bool, cap: int | None = CAP) -> RemoteStore:
    store = RemoteStore(server.query_url, update_endpoint=server.update_url, graph_store=server.store_url if gsp else None,
                        cache_ttl=0, retries=0, timeout=30, max_result_bytes=cap)
    for g in store.graphs():  # the server is shared by the module: start every test empty
        store.drop(g)
    return store


def _virtuoso(server: VirtuosoServer, *, gsp: bool) -> RemoteStore:
    """"virtuoso": graphs loaded by SPARQL Update (the profile without its GSP endpoint: small graphs only);
    "virtuoso-gsp": the profile as it is, but 2 triples a request, so every load goes through its chunks,
    staging graph and MOVE."""
    profile = replace(VIRTUOSO, load_chunk_triples=2) if gsp else \
        replace(VIRTUOSO, graph_store_path=None, load_chunk_triples=None)
    store = server.store(cache_ttl=0, retries=0, timeout=30, max_result_bytes=CAP, profile=profile)
    for g in store.graphs():  # the server is shared by the session: start every test empty
        store.drop(g)
    return store


def _embedded(tmp: Path) -> Impl:
    return Impl(EmbeddedStore(), False)


def _embedded_disk(tmp: Path) -> Impl:
    return Impl(EmbeddedStore(tmp / "db"), False)


def _guarded(tmp: Path) -> Impl:
    return Impl(GuardedStore(EmbeddedStore(), workers=1, timeout=30, max_result_bytes=CAP), True, True)


def _guarded_disk(tmp: Path) -> Impl:
    return Impl(GuardedStore(EmbeddedStore(tmp / "db"), workers=1, timeout=30, max_result_bytes=CAP), True, True)


MAKERS: dict[str, Callable[[Path], Impl]] = {
    "embedded": _embedded, "embedded-disk": _embedded_disk, "guarded": _guarded, "guarded-disk": _guarded_disk,
}
REMOTE = ("remote", "remote-union", "served-remote", "virtuoso", "virtuoso-gsp")


@pytest.fixture(params=[*MAKERS, *(pytest.param(k, marks=[pytest.mark.remote, requires_oxigraph]) for k in REMOTE)])
def impl(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Impl]:
    kind = request.param
    if kind in MAKERS:
        made = MAKERS[kind](tmp_path)
    elif kind == "remote":
        made = Impl(_remote(request.getfixturevalue("plain_server"), gsp=True), True, True)
    elif kind in ("virtuoso", "virtuoso-gsp"):
        made = Impl(_virtuoso(request.getfixturevalue("virtuoso"), gsp=kind == "virtuoso-gsp"), True, True)
    elif kind == "remote-union":
        made = Impl(_remote(request.getfixturevalue("union_server"), gsp=False), True, True)
    else:  # the server's wrapper puts its cap on the remote store
        made = Impl(ServedRemoteStore(_remote(request.getfixturevalue("plain_server"), gsp=True, cap=None),
                                      timeout=30, max_results=CAP), True, True)
    try:
        yield made
    finally:
        made.store.close()


@pytest.fixture
def store(impl: Impl) -> Store:
    impl.store.load(DATA_A, "ntriples", A)
    impl.store.load(DATA_B, "ntriples", B)
    return impl.store


def names(result: object) -> list[str]:
    assert isinstance(result, SelectResult)
    return sorted(str(v) for v in result.column("name"))


# -- query forms and results -----------------------------------------------------------------------------------------
def test_is_a_store(impl: Impl) -> None:
    assert isinstance(impl.store, Store) and impl.store.location


def test_select_rows_variables_and_terms(store: Store) -> None:
    r = store.query(f"SELECT ?label ?count ?missing WHERE {{ <{EX}s1> <{EX}label> ?label ; <{EX}count> ?count "
                    f"OPTIONAL {{ <{EX}s1> <{EX}nothing> ?missing }} }}")
    assert isinstance(r, SelectResult) and r.variables == ["label", "count", "missing"] and len(r) == 1
    row = r.rows[0]
    assert row["label"] == Literal("un", lang="fr")
    assert row["count"] == Literal("1", datatype=XSD.integer)
    assert row["missing"] is None
    plain = store.query(f"SELECT ?n WHERE {{ <{EX}s1> <{EX}name> ?n }}")
    assert isinstance(plain, SelectResult)
    n = plain.rows[0]["n"]
    assert n == Literal("one") and isinstance(n, Literal) and n.datatype is None  # xsd:string comes back plain


def test_ask_and_construct(store: Store) -> None:
    yes = store.query(f"ASK {{ <{EX}s2> <{EX}name> \"two\" }}")
    no = store.query(f"ASK {{ <{EX}s2> <{EX}name> \"one\" }}")
    assert isinstance(yes, AskResult) and bool(yes) and isinstance(no, AskResult) and not bool(no)
    g = store.query(f"CONSTRUCT {{ ?s <{EX}called> ?n }} WHERE {{ ?s <{EX}name> ?n }}")
    assert isinstance(g, GraphResult) and len(g) == 3
    assert (URIRef(f"{EX}s3"), URIRef(f"{EX}called"), Literal("three")) in g.graph


def test_serialized_results_in_every_format(store: Store) -> None:
    q = f"SELECT ?name WHERE {{ ?s <{EX}name> ?name }} ORDER BY ?name"
    body, media, form = store.query_serialized(q, "json")
    assert form == "select" and media == "application/sparql-results+json"
    assert [b["name"]["value"] for b in json.loads(body)["results"]["bindings"]] == ["one", "three", "two"]
    for fmt, media_type in (("xml", "application/sparql-results+xml"), ("csv", "text/csv"),
                            ("tsv", "text/tab-separated-values")):
        body, media, form = store.query_serialized(q, fmt)
        assert media == media_type and form == "select" and b"three" in body
    body, media, form = store.query_serialized(f"ASK {{ <{EX}s1> ?p ?o }}", "json")
    assert form == "ask" and json.loads(body)["boolean"] is True
    body, media, form = store.query_serialized(f"CONSTRUCT WHERE {{ ?s <{EX}name> ?n }}", "ntriples")
    assert form == "graph" and media == "application/n-triples"
    assert len(list(ox.parse(body, ox.RdfFormat.N_TRIPLES))) == 3
    body, media, _ = store.query_serialized(f"CONSTRUCT WHERE {{ ?s <{EX}name> ?n }}", "turtle")
    assert media == "text/turtle" and len(list(ox.parse(body, ox.RdfFormat.TURTLE))) == 3


def test_a_format_that_does_not_suit_the_form_is_a_value_error(store: Store) -> None:
    with pytest.raises(ValueError):
        store.query_serialized("SELECT * WHERE { ?s ?p ?o }", "turtle")
    with pytest.raises(ValueError):
        store.query_serialized("CONSTRUCT WHERE { ?s ?p ?o }", "csv")


def test_syntax_errors(store: Store) -> None:
    with pytest.raises(QuerySyntaxError):
        store.query("SELECT ?x WHERE { ?x ")
    with pytest.raises(QuerySyntaxError):
        store.query_serialized("SELECT ?x WHERE { ?x ", "json")
    with pytest.raises(QuerySyntaxError):
        store.update("INSERT DATA { <a> ")


# -- the union default graph and datasets ------------------------------------------------------------------------------
def test_default_graph_is_the_union_of_the_named_graphs(store: Store) -> None:
    assert names(store.query(f"SELECT ?name WHERE {{ ?s <{EX}name> ?name }}")) == ["one", "three", "two"]
    joined = store.query(f"SELECT ?name WHERE {{ <{EX}s1> <{EX}next> ?o . ?o <{EX}name> ?name }}")
    assert names(joined) == ["two"]  # a join across graphs A and B
    r = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(r, SelectResult) and sorted(str(g) for g in r.column("g")) == [A, B]


def test_dataset_default_graphs(store: Store) -> None:
    only_b = store.query(f"SELECT ?name WHERE {{ ?s <{EX}name> ?name }}", dataset=Dataset(default_graphs=(B,)))
    assert names(only_b) == ["three", "two"]


def test_dataset_named_graphs(store: Store) -> None:
    r = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=Dataset(named_graphs=(A,)))
    assert isinstance(r, SelectResult) and [str(g) for g in r.column("g")] == [A]
    # the default graph, not given, stays the union
    assert names(store.query(f"SELECT ?name WHERE {{ ?s <{EX}name> ?name }}",
                             dataset=Dataset(named_graphs=(A,)))) == ["one", "three", "two"]
    both = Dataset(default_graphs=(A,), named_graphs=())
    r = store.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=both)
    assert isinstance(r, SelectResult) and len(r) == 0


def test_from_clauses_when_the_query_defines_its_dataset(store: Store) -> None:
    r = store.query(f"SELECT ?name FROM <{A}> WHERE {{ ?s <{EX}name> ?name }}", dataset=Dataset(from_query=True))
    assert names(r) == ["one"]


# -- writes: load, replace, update, drop -------------------------------------------------------------------------------
def test_load_returns_the_size_and_replaces_or_adds(impl: Impl) -> None:
    s = impl.store
    assert s.load(DATA_A, "ntriples", A) == 4
    assert s.load(DATA_B, "ntriples", A) == 2  # replaced
    assert s.load(DATA_A, "ntriples", A, replace=False) == 6  # added
    assert s.graph_size(A) == 6 and s.graphs() == [A]


def test_load_every_rdf_format_and_from_a_path(impl: Impl, tmp_path: Path) -> None:
    s = impl.store
    triples = list(ox.parse(DATA_A.encode(), ox.RdfFormat.N_TRIPLES))
    for fmt, ox_fmt in (("turtle", ox.RdfFormat.TURTLE), ("jsonld", ox.RdfFormat.JSON_LD),
                        ("rdfxml", ox.RdfFormat.RDF_XML)):
        out = io.BytesIO()
        ox.serialize(triples, out, ox_fmt)
        assert s.load(out.getvalue(), fmt, C) == 4, fmt
    path = tmp_path / "b.nt"
    path.write_text(DATA_B)
    assert s.load(path, "ntriples", C) == 2


def test_a_load_that_does_not_parse_changes_nothing(store: Store, tmp_path: Path) -> None:
    before = store.export("ntriples", A)
    with pytest.raises(RdfSyntaxError):
        store.load(f"<{EX}x> <{EX}y> .", "ntriples", A)
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix : <http://example.org/> . :x :y ")
    with pytest.raises(RdfSyntaxError, match=r"bad\.ttl"):
        store.load(bad, "turtle", A, replace=False)
    assert _triples(store.export("ntriples", A)) == _triples(before) and store.graph_size(A) == 4


def test_unknown_format_is_a_value_error(impl: Impl) -> None:
    with pytest.raises(ValueError):
        impl.store.load(DATA_A, "n3-ish", A)
    with pytest.raises(ValueError):
        impl.store.export("n3-ish", A)


def test_update_and_drop(store: Store) -> None:
    store.update(f"INSERT DATA {{ GRAPH <{C}> {{ <{EX}s4> <{EX}name> \"four\" }} }}")
    assert store.graphs() == [A, B, C] and store.graph_size(C) == 1
    assert names(store.query(f"SELECT ?name WHERE {{ ?s <{EX}name> ?name }}")) == ["four", "one", "three", "two"]
    store.drop(C)
    store.drop(f"{EX}graph/never-was")  # silent
    assert store.graphs() == [A, B] and store.graph_size(C) == 0


def test_a_failed_update_changes_nothing(store: Store) -> None:
    with pytest.raises(QuerySyntaxError):
        store.update(f"INSERT DATA {{ GRAPH <{C}> {{ <{EX}s4> <{EX}name> \"four\" }} }} ; DELETE WHERE {{ ?s ")
    assert store.graphs() == [A, B]


# -- export ------------------------------------------------------------------------------------------------------------
def _triples(data: bytes, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> set[str]:
    return {str(t) for t in ox.parse(data, fmt)}


def test_export_one_graph_and_the_whole_dataset(store: Store) -> None:
    assert _triples(store.export("ntriples", A)) == _triples(DATA_A.encode())
    assert _triples(store.export("turtle", B), ox.RdfFormat.TURTLE) == _triples(DATA_B.encode())
    quads = list(ox.parse(store.export("nquads"), ox.RdfFormat.N_QUADS))
    assert len(quads) == 6 and {q.graph_name.value for q in quads} == {A, B}  # type: ignore[union-attr]
    trig = list(ox.parse(store.export("trig"), ox.RdfFormat.TRIG))
    assert len(trig) == 6
    with pytest.raises(ValueError):
        store.export("turtle")  # one graph's format for the whole dataset


# -- generation ----------------------------------------------------------------------------------------------------------
def test_generation_changes_after_every_kind_of_write(impl: Impl) -> None:
    s = impl.store
    seen: list[Hashable] = [s.generation]
    hash(seen[0])

    def changed() -> None:
        now = s.generation
        assert now not in seen, f"generation {now!r} seen before: {seen}"
        seen.append(now)

    s.load(DATA_A, "ntriples", A)
    changed()
    s.load(DATA_B, "ntriples", A, replace=False)
    changed()
    s.load(DATA_B, "ntriples", B)  # replace
    changed()
    s.update(f"INSERT DATA {{ GRAPH <{C}> {{ <{EX}s> <{EX}p> <{EX}o> }} }}")
    changed()
    s.drop(C)
    changed()
    s.query("SELECT * WHERE { ?s ?p ?o }")
    s.query_serialized("SELECT * WHERE { ?s ?p ?o }", "json")
    s.graphs()
    s.export("nquads")
    assert s.generation == seen[-1]  # reading changes nothing


# -- limits and the no-outbound rule -------------------------------------------------------------------------------------
SLOW = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?t ?h FILTER(?b != <{EX}never>) }}"


def test_a_slow_query_times_out(impl: Impl) -> None:
    if not impl.timeouts:
        pytest.skip("pyoxigraph cannot stop a running query: the embedded store has no timeout (GuardedStore adds one)")
    s = impl.store
    s.load("".join(f"<{EX}n{i}> <{EX}p{i % 7}> <{EX}n{i + 1}> .\n" for i in range(300)), "ntriples", A)
    with pytest.raises(QueryTimeout):
        s.query_serialized(SLOW, "json", timeout=0.3)
    with pytest.raises(QueryTimeout):
        s.query(SLOW, timeout=0.3)
    assert bool(s.query("ASK { ?s ?p ?o }"))  # and the store still answers


def test_an_answer_over_the_cap_is_refused_never_cut(impl: Impl) -> None:
    if not impl.capped:
        pytest.skip("the embedded store has no result cap (GuardedStore adds one)")
    s = impl.store
    s.load("".join(f"<{EX}n{i}> <{EX}name> \"item number {i}\" .\n" for i in range(400)), "ntriples", A)
    with pytest.raises(ResultTooLarge):
        s.query_serialized("SELECT ?s ?n WHERE { ?s ?p ?n }", "json")
    body, _media, _form = s.query_serialized("SELECT ?s ?n WHERE { ?s ?p ?n } ORDER BY ?n LIMIT 5", "json")
    assert len(json.loads(body)["results"]["bindings"]) == 5


@pytest.mark.parametrize("text", [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o . service <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_and_never_fetched(impl: Impl, text: str) -> None:
    listener = Listener()
    try:
        with pytest.raises(OutboundRefused):
            impl.store.query(text.format(port=listener.port))
        with pytest.raises(OutboundRefused):
            impl.store.query_serialized(text.format(port=listener.port), "json")
    finally:
        listener.close()
    assert listener.hits == []


def test_load_in_an_update_is_refused_and_never_fetched(impl: Impl) -> None:
    listener = Listener()
    try:
        with pytest.raises(OutboundRefused):
            impl.store.update(f"LOAD <http://127.0.0.1:{listener.port}/data.ttl> INTO GRAPH <{C}>")
    finally:
        listener.close()
    assert listener.hits == [] and C not in impl.store.graphs()


def test_close_twice_is_harmless(tmp_path: Path) -> None:
    for make in MAKERS.values():
        (folder := tmp_path / make.__name__).mkdir()
        s = make(folder).store
        s.close()
        s.close()

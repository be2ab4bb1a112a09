"""The embedded store behind the Store interface: union default graph, datasets, atomic replace."""

from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from normgraph.store import (
    AskResult,
    Dataset,
    EmbeddedStore,
    GraphResult,
    QuerySyntaxError,
    RdfSyntaxError,
    SelectResult,
    Store,
)

G1, G2 = "https://w3id.org/normgraph/graph/t1", "https://w3id.org/normgraph/graph/t2"
DATA1 = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/normgraph/id/iso27001-2022/A-5-19> skos:prefLabel "Information security in supplier relationships"@en ;
    skos:notation "A.5.19" .
"""
DATA2 = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/normgraph/id/iso42001-2023/A-10-3> skos:prefLabel "Suppliers"@en ; skos:notation "A.10.3" .
"""
LABELS = "SELECT ?l WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } ORDER BY ?l"


@pytest.fixture
def store() -> EmbeddedStore:
    s = EmbeddedStore()
    s.load(DATA1, "turtle", G1)
    s.load(DATA2, "turtle", G2)
    return s


def test_it_implements_the_store_protocol(store: EmbeddedStore) -> None:
    assert isinstance(store, Store)
    assert store.graphs() == [G1, G2]
    assert store.graph_size(G1) == 2


def test_default_graph_is_the_union_of_named_graphs(store: EmbeddedStore) -> None:
    result = store.query(LABELS)
    assert isinstance(result, SelectResult)
    assert result.variables == ["l"]
    assert result.column("l") == [
        Literal("Information security in supplier relationships", lang="en"),
        Literal("Suppliers", lang="en"),
    ]


def test_dataset_restricts_the_default_graph(store: EmbeddedStore) -> None:
    result = store.query(LABELS, dataset=Dataset(default_graphs=(G2,)))
    assert result.column("l") == [Literal("Suppliers", lang="en")]  # type: ignore[union-attr]
    named = store.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=Dataset(named_graphs=(G1,)))
    assert set(named.column("g")) == {URIRef(G1)}  # type: ignore[union-attr]


def test_ask_and_construct_results(store: EmbeddedStore) -> None:
    assert isinstance(store.query("ASK { ?s ?p 'A.5.19' }"), AskResult)
    assert store.query("ASK { ?s ?p 'A.5.19' }")
    g = store.query("CONSTRUCT WHERE { ?s <http://www.w3.org/2004/02/skos/core#notation> ?n }")
    assert isinstance(g, GraphResult) and len(g) == 2


def test_serialized_results_match_the_form(store: EmbeddedStore) -> None:
    body, media, form = store.query_serialized(LABELS, "csv")
    assert (media, form) == ("text/csv", "select")
    assert body.decode().splitlines()[0] == "l"
    body, media, form = store.query_serialized("CONSTRUCT WHERE { ?s ?p ?o }", "ntriples")
    assert form == "graph" and media == "application/n-triples" and body.count(b"\n") == 4
    with pytest.raises(ValueError, match="cannot be written as turtle"):
        store.query_serialized(LABELS, "turtle")


def test_syntax_errors_carry_the_parser_message(store: EmbeddedStore) -> None:
    with pytest.raises(QuerySyntaxError, match="error at 1:"):
        store.query("SELEC ?x")


def test_a_broken_load_leaves_the_graph_as_it_was(store: EmbeddedStore, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(DATA2 + "\n<http://x> <http://y> .\n", encoding="utf-8")
    with pytest.raises(RdfSyntaxError, match=r"bad\.ttl.*line 4"):
        store.load(bad, "turtle", G1)
    assert store.graph_size(G1) == 2
    assert store.query(LABELS, dataset=Dataset(default_graphs=(G1,))).column("l")[0].startswith("Information")  # type: ignore[union-attr]


def test_load_replaces_a_graph_in_one_step(store: EmbeddedStore) -> None:
    assert store.load(DATA2, "turtle", G1) == 2
    assert store.query(LABELS, dataset=Dataset(default_graphs=(G1,))).column("l") == [Literal("Suppliers", lang="en")]  # type: ignore[union-attr]


def test_on_disk_store_persists_across_reopen(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path / "db")
    s.load(DATA1, "turtle", G1)
    s.close()
    del s
    reopened = EmbeddedStore(tmp_path / "db")
    assert reopened.graphs() == [G1]
    assert reopened.export("nquads").count(b"\n") == 2


def test_the_embedded_store_itself_never_fetches_service_or_load(store: EmbeddedStore) -> None:
    """pyoxigraph would send the HTTP request; the store refuses before it runs (CLI and library too)."""
    import socket

    from normgraph.store.sparql_text import OutboundRefused

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        with pytest.raises(OutboundRefused, match="SERVICE"):
            store.query(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
        with pytest.raises(OutboundRefused, match="LOAD"):
            store.update(f"LOAD <{url}> INTO GRAPH <{G1}>")
        with pytest.raises(TimeoutError):
            listener.accept()
    assert store.graph_size(G1) == 2

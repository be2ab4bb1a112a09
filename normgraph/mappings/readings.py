"""The readings of mapping records: each record read from both ends (ngg:derived/mapping-readings).

The rule is one named query, queries/derive-mapping-readings.rq, over the records and the relation
facts of ontology/mappings.ttl. `normgraph build` writes its result for the knowledge's own records
(data/derived/mapping-readings.ttl); `refresh` adds the readings of records written to a store later.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, URIRef

from normgraph.catalogs.common import LICENSES, describe_graph, new_graph
from normgraph.iri import NG, NGG
from normgraph.knowledge import path as knowledge_path
from normgraph.queries import get_query
from normgraph.store import EmbeddedStore, GraphResult, Store

GRAPH = URIRef(f"{NGG}derived/mapping-readings")
QUERY = "derive-mapping-readings"


def derive(store: Store) -> Graph:
    """The readings of every record in the store's union default graph (provenance not included)."""
    result = store.query(get_query(QUERY).bind())
    if not isinstance(result, GraphResult):
        raise TypeError(f"queries/{QUERY}.rq must be a CONSTRUCT")
    return result.graph


def readings_graph(record_graphs: Iterable[Graph], set_graphs: list[URIRef]) -> Graph:
    """data/derived/mapping-readings.ttl: the readings of the records in `record_graphs`, described."""
    work = EmbeddedStore()
    work.load(knowledge_path("ontology", "mappings.ttl"), "turtle", f"{NGG}ontology/mappings")
    for n, g in enumerate(record_graphs):
        work.load(g.serialize(format="nt", encoding="utf-8"), "ntriples", f"urn:normgraph:records:{n}")
    g = new_graph()
    for triple in derive(work):
        g.add(triple)
    work.close()
    describe_graph(
        g,
        GRAPH,
        title="Mapping records read from both ends",
        source=NG.MappingReading,
        license=LICENSES["normgraph"],
        version="derived",
        derived_from=[*set_graphs, URIRef(f"{NGG}derived/inferred-mappings"), URIRef(f"{NGG}ontology/mappings")],
        description=(
            "Every mapping record read from its subject (the stated relation) and from its object (the "
            "inverse relation), with the coverage each reading gives; derived by "
            "queries/derive-mapping-readings.rq from the records and the relation facts of the ontology."
        ),
    )
    return g


def refresh(store: Store) -> int:
    """Add the readings of every record in the store to its readings graph (existing ones stay); the
    number of triples derived."""
    g = derive(store)
    if len(g):
        store.load(g.serialize(format="nt", encoding="utf-8"), "ntriples", str(GRAPH), replace=False)
    return len(g)

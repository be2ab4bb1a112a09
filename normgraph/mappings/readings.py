"""The readings of mapping records: each record read from both ends (ngg:derived/mapping-readings).

The rule is one named query, queries/derive-mapping-readings.rq, over the records and the relation
facts of ontology/mappings.ttl. `normgraph build` writes its result for the knowledge's own records
(data/derived/mapping-readings.ttl); `refresh` re-derives them in a store whose records changed later.
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
    out = new_graph()
    for triple in derive(work):
        out.add(triple)
    work.close()
    describe(out, [*set_graphs, URIRef(f"{NGG}derived/inferred-mappings")])
    return out


def describe(g: Graph, record_graphs: Iterable[URIRef | str]) -> None:
    """The readings graph's own description (DESIGN.md §3): derived from the record graphs and the
    relation facts of the mappings ontology."""
    describe_graph(
        g,
        GRAPH,
        title="Mapping records read from both ends",
        source=NG.MappingReading,
        license=LICENSES["normgraph"],
        version="derived",
        derived_from=[*record_graphs, URIRef(f"{NGG}ontology/mappings")],
        description=(
            "Every mapping record read from its subject (the stated relation) and from its object (the "
            "inverse relation), with the coverage each reading gives; derived by "
            "queries/derive-mapping-readings.rq from the records and the relation facts of the ontology."
        ),
    )


def refresh(store: Store) -> int:
    """Derive the readings of every record the store holds now and replace its readings graph with
    them (so records written or dropped after the build count as they are); the number of readings
    triples derived. Call it after writing mapping records to a store."""
    g = derive(store)
    derived = len(g)
    holders = [name for name in store.graphs() if name.startswith(f"{NGG}mappings/") or name == f"{NGG}derived/inferred-mappings"]
    describe(g, holders)
    store.load(g.serialize(format="nt", encoding="utf-8"), "ntriples", str(GRAPH), replace=True)
    return derived

"""The readings of mapping records: each record read from both ends (ngg:derived/mapping-readings).

The rule is one named query, queries/derive-mapping-readings.rq, over the records and the relation
facts of ontology/mappings.ttl. `normgraph build` writes its result for the knowledge's own records
(data/derived/mapping-readings.ttl); `refresh` re-derives them in a store whose records changed later.

An embedded store that holds the readings graph keeps it current by itself (`KEEPER`, one of the store's
write hooks): after a write that may have changed the rule's inputs — the records' subject, predicate and
object, the relation facts — in the public graphs, it compares a fingerprint of those inputs with the
one its readings were derived from and re-derives only when they differ. A load or drop of a graph without
any input costs an index look-up; an update, a scan of the inputs (about 3 triples per record). Records in
an organisation's private graph are not read into this public graph.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from normgraph.catalogs.common import LICENSES, describe_graph, new_graph
from normgraph.iri import NG, NGG
from normgraph.knowledge import path as knowledge_path
from normgraph.queries import get_query
from normgraph.store import EmbeddedStore, GraphResult, Store
from normgraph.store.base import Dataset
from normgraph.store.embedded import WRITE_HOOKS
from normgraph.store.scoped import org_of_graph
from normgraph.store.served import REMOTE_WRITE_HOOKS

GRAPH = URIRef(f"{NGG}derived/mapping-readings")
QUERY = "derive-mapping-readings"
#: the (predicate, object) patterns of every triple queries/derive-mapping-readings.rq reads
INPUTS: tuple[tuple[URIRef, URIRef | None], ...] = (
    (NG.mappingSubject, None), (NG.mappingPredicate, None), (NG.mappingObject, None),
    (OWL.inverseOf, None), (NG.coverageStrength, None), (RDF.type, OWL.SymmetricProperty),
)


def derive(store: Store) -> Graph:
    """The readings of every record in the store's union default graph (provenance not included)."""
    result = store.query(get_query(QUERY).bind())
    if not isinstance(result, GraphResult):
        raise TypeError(f"queries/{QUERY}.rq must be a CONSTRUCT")
    return result.graph


def _public(store: Store) -> tuple[list[str], Dataset | None]:
    """The store's public graphs, and the dataset of them (None when the store holds no private graph)."""
    graphs = store.graphs()
    public = [g for g in graphs if org_of_graph(g) is None]
    return public, (None if len(public) == len(graphs) else Dataset(tuple(public), tuple(public)))


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
    """Derive the readings of every record in the store's public graphs now and replace its readings
    graph with them (so records written or dropped after the build count as they are); the number of
    readings triples derived. An embedded store holding the readings does this by itself (KEEPER)."""
    public, dataset = _public(store)
    body, _media, _form = store.query_serialized(get_query(QUERY).bind(), "ntriples", dataset=dataset)
    derived = body.count(b"\n")  # N-Triples: one line per triple (newlines in literals are escaped)
    meta = new_graph()
    describe(meta, [name for name in public if name.startswith(f"{NGG}mappings/") or name == f"{NGG}derived/inferred-mappings"])
    store.load(body + meta.serialize(format="nt", encoding="utf-8"), "ntriples", str(GRAPH), replace=True)
    return derived


def fingerprint(store: EmbeddedStore) -> int:
    """A digest of the rule's inputs in the store's public graphs (equal inputs, equal readings)."""
    found: set[tuple[object, ...]] = set()
    for predicate, obj in INPUTS:
        pattern = store.oxigraph.quads_for_pattern(None, ox.NamedNode(predicate), ox.NamedNode(obj) if obj else None, None)
        found.update((q.subject, q.predicate, q.object) for q in pattern
                     if isinstance(q.graph_name, ox.NamedNode) and org_of_graph(q.graph_name.value) is None)
    return hash(frozenset(found))


class _Keeper:
    """The embedded stores' write hook that keeps their readings graph the reading of their records."""

    def __init__(self) -> None:
        #: store -> the fingerprint of the inputs its readings graph was derived from (or loaded with)
        self.derived_from: weakref.WeakKeyDictionary[EmbeddedStore, int] = weakref.WeakKeyDictionary()

    def concerns(self, store: EmbeddedStore, graph: str) -> bool:
        if graph == str(GRAPH):
            return True
        if org_of_graph(graph) is not None:
            return False
        name = ox.NamedNode(graph)
        return any(any(True for _ in store.oxigraph.quads_for_pattern(None, ox.NamedNode(p), ox.NamedNode(o) if o else None, name))
                   for p, o in INPUTS)

    def written(self, store: EmbeddedStore, graph: str | None) -> None:
        holds = any(True for _ in store.oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(str(GRAPH))))
        if not holds:  # no readings graph (a scratch store, or dropped): nothing to keep
            self.derived_from.pop(store, None)
            return
        now = fingerprint(store)
        if graph == str(GRAPH):  # the readings were loaded (the build's, or refresh's own): they read these inputs
            self.derived_from[store] = now
        elif self.derived_from.get(store) != now:
            refresh(store)  # its load of GRAPH records the fingerprint


KEEPER = _Keeper()
WRITE_HOOKS.append(KEEPER)


def remote_written(store: Store, graph: str | None) -> None:
    """After a write through a served remote store (served.REMOTE_WRITE_HOOKS): derive the readings again when the
    store keeps them and a load or drop replaced a public mapping set (`ngg:mappings/…`, the inferred records),
    where the records live. A remote store cannot be asked cheaply what a SPARQL Update touched, and deriving costs
    a full read and reload of the readings over HTTP, so an update does not; after an update that changes records,
    or writes made to the remote store directly, run `normgraph push` again (docs/remote-stores.md)."""
    if graph is None or not (graph.startswith(f"{NGG}mappings/") or graph == f"{NGG}derived/inferred-mappings"):
        return
    if str(GRAPH) in store.graphs():
        refresh(store)


REMOTE_WRITE_HOOKS.append(remote_written)

"""SPARQL 1.1 Service Description of /sparql (W3C sd: vocabulary), in Turtle, RDF/XML, JSON-LD, N-Triples.

When the store is a remote one, the description also says how its union default graph is made.
"""

from __future__ import annotations

from flask import request
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from normgraph.store import QueryTimeout, Store, StoreError

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

SD_TYPES: dict[str, tuple[str, ...]] = {
    "turtle": ("text/turtle", "application/x-turtle"),
    "rdfxml": ("application/rdf+xml", "application/xml"),
    "jsonld": ("application/ld+json", "application/json"),
    "ntriples": ("application/n-triples",),
}
_RDFLIB = {"turtle": "turtle", "rdfxml": "xml", "jsonld": "json-ld", "ntriples": "nt"}


def description_graph(endpoint: str, store: Store, *, updates: bool) -> Graph:
    g = Graph()
    g.bind("sd", SD)
    g.bind("formats", FORMATS)
    g.bind("dct", DCTERMS)
    svc = URIRef(endpoint)
    g.add((svc, RDF.type, SD.Service))
    g.add((svc, SD.endpoint, svc))
    g.add((svc, DCTERMS.title, Literal("normgraph SPARQL endpoint")))
    g.add((svc, SD.supportedLanguage, SD.SPARQL11Query))
    if updates:
        g.add((svc, SD.supportedLanguage, SD.SPARQL11Update))
    # The default graph is the union of all named graphs (unless the request gives a dataset).
    g.add((svc, SD.feature, SD.UnionDefaultGraph))
    for fmt in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
        g.add((svc, SD.resultFormat, FORMATS[fmt]))
    if updates:
        for fmt in ("Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
            g.add((svc, SD.inputFormat, FORMATS[fmt]))
    ds = BNode()
    g.add((svc, SD.defaultDataset, ds))
    g.add((ds, RDF.type, SD.Dataset))
    dg = BNode()
    g.add((ds, SD.defaultGraph, dg))
    g.add((dg, RDF.type, SD.Graph))
    g.add((dg, DCTERMS.description, Literal("the union of all named graphs")))
    try:
        graphs = store.graphs()
    except Exception:  # the description must not fail because the store is busy
        graphs = []
    for name in graphs:
        ng = BNode()
        g.add((ds, SD.namedGraph, ng))
        g.add((ng, RDF.type, SD.NamedGraph))
        g.add((ng, SD.name, URIRef(name)))
    return g


def service_description(fmt: str, store: Store, *, updates: bool) -> tuple[bytes, str]:
    """The description of the endpoint of this request, serialised; (body, media type)."""
    g = description_graph(request.base_url, store, updates=updates)
    _describe_remote_default_graph(g, store)
    return g.serialize(format=_RDFLIB[fmt], encoding="utf-8"), SD_TYPES[fmt][0]


def _describe_remote_default_graph(g: Graph, store: Store) -> None:
    """Serving a remote store: say how its union default graph is provided."""
    mode_of = getattr(store, "default_graph_mode", None)
    if not callable(mode_of):
        return
    try:
        mode = mode_of()
    except (StoreError, QueryTimeout) as e:
        mode = f"unknown ({e})"
    where = store.location
    words = {
        "native": f"the remote store {where} provides it natively (its default graph is the union: "
                  "sd:UnionDefaultGraph); queries are sent unchanged",
        "dataset": f"the remote store {where} does not provide it, so normgraph sends every query with "
                   "default-graph-uri and named-graph-uri listing all named graphs",
        None: f"the remote store {where} is empty, so how it treats the default graph is not known yet; until "
              "it is, queries are sent with an explicit dataset",
    }.get(mode, f"how the remote store {where} treats the default graph is {mode}")
    svc = URIRef(request.base_url)
    g.add((svc, DCTERMS.source, URIRef(where)))
    for ds in g.objects(svc, SD.defaultDataset):
        for dg in g.objects(ds, SD.defaultGraph):
            g.add((dg, RDFS.comment, Literal(f"The union of all named graphs: {words}.")))

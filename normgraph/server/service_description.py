"""SPARQL 1.1 Service Description of /sparql (W3C sd: vocabulary), in Turtle, RDF/XML, JSON-LD, N-Triples."""

from __future__ import annotations

from flask import request
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

SD_TYPES: dict[str, tuple[str, ...]] = {
    "turtle": ("text/turtle", "application/x-turtle"),
    "rdfxml": ("application/rdf+xml", "application/xml"),
    "jsonld": ("application/ld+json", "application/json"),
    "ntriples": ("application/n-triples",),
}
_RDFLIB = {"turtle": "turtle", "rdfxml": "xml", "jsonld": "json-ld", "ntriples": "nt"}


def description_graph(endpoint: str, *, updates: bool) -> Graph:
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
    from normgraph.server.sparql import state

    try:
        graphs = state().store.graphs()
    except Exception:  # the description must not fail because the store is busy
        graphs = []
    for name in graphs:
        ng = BNode()
        g.add((ds, SD.namedGraph, ng))
        g.add((ng, RDF.type, SD.NamedGraph))
        g.add((ng, SD.name, URIRef(name)))
    return g


def service_description(fmt: str) -> tuple[bytes, str]:
    from normgraph.server.sparql import state

    endpoint = request.base_url
    g = description_graph(endpoint, updates=bool(state().config.update_token))
    return g.serialize(format=_RDFLIB[fmt], encoding="utf-8"), SD_TYPES[fmt][0]

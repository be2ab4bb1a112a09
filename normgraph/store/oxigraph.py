"""What every store needs of pyoxigraph: format tables, term conversion, the dataset, result writing.

The embedded store, its guarded query workers and the remote store (which parses and writes RDF
locally) all speak pyoxigraph; this module is their one shared reading of it.
"""

from __future__ import annotations

import re
from typing import IO, Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier, Node

from normgraph.store.base import RDF_FORMATS, RESULT_FORMATS, Dataset, RdfSyntaxError

#: RDF_FORMATS' short names -> pyoxigraph's formats.
OX_RDF: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
#: RESULT_FORMATS' short names -> pyoxigraph's formats.
OX_RESULTS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


_XML_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def refuse_xml_declarations(raw: bytes) -> None:
    """RdfSyntaxError for RDF/XML with a DOCTYPE or entity declaration: a few hundred bytes of nested
    entities expand to gigabytes in the parser (the "billion laughs"), and RDF needs neither."""
    text = raw
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: look at it as the parser will
        text = raw.decode("utf-16", "replace").encode("utf-8")
    if _XML_DECLARATION.search(text):
        raise RdfSyntaxError("RDF/XML with a DOCTYPE or entity declaration is refused (entity expansion)")


def triples_for(raw: bytes, fmt: str, graph: str, name: str = "data") -> list[ox.Triple]:
    """The triples of a document to be loaded into `graph`. A dataset format (JSON-LD, TriG, N-Quads)
    may name graphs of its own; loading "into a graph" must not write any other graph (one organisation's
    editor could otherwise write another's graph or the public catalogs), so a document naming a graph
    other than `graph` is refused (RdfSyntaxError), and one naming `graph` itself gives its triples."""
    ox_fmt = rdf_format(fmt)
    try:
        quads = ox.parse(raw, ox_fmt)
        triples = []
        for q in quads:
            if not isinstance(q.graph_name, ox.DefaultGraph) and not (
                    isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == graph):
                raise RdfSyntaxError(
                    f"{name}: the document names the graph {q.graph_name} but is loaded into <{graph}>; "
                    "send this graph's triples only (no named graphs of their own)")
            triples.append(ox.Triple(q.subject, q.predicate, q.object))
    except SyntaxError as e:
        raise RdfSyntaxError(f"{name}: {e}") from None
    return triples


def rdf_format(fmt: str) -> ox.RdfFormat:
    """pyoxigraph's format for a short name; ValueError naming the known ones."""
    if fmt not in OX_RDF:
        raise ValueError(f"unknown RDF format {fmt!r}; known: {', '.join(OX_RDF)}")
    return OX_RDF[fmt]


def to_rdflib(term: object) -> Identifier | None:
    """Convert a pyoxigraph term to the rdflib term normgraph code works with."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def dataset_kwargs(dataset: Dataset | None) -> dict[str, Any]:
    """pyoxigraph's `Store.query` arguments for a normgraph Dataset (base.py fixes the semantics)."""
    if dataset is not None and dataset.from_query and dataset.default_graphs is None and dataset.named_graphs is None:
        return {}  # Oxigraph then uses the query's FROM / FROM NAMED (local graphs only)
    if dataset is None or (dataset.default_graphs is None and dataset.named_graphs is None):
        return {"use_default_graph_as_union": True}
    kwargs: dict[str, Any] = {}
    if dataset.default_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
    if dataset.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
    return kwargs


def write_result(result: object, result_format: str, out: IO[bytes]) -> tuple[str, str]:
    """Serialise a pyoxigraph query result into `out`; (media type, form "select"|"ask"|"graph").

    ValueError when the format does not suit the query form (Store.query_serialized's contract)."""
    if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
        form = "select" if isinstance(result, ox.QuerySolutions) else "ask"
        if result_format not in OX_RESULTS:
            raise ValueError(f"{form.upper()} results cannot be written as {result_format}")
        result.serialize(out, OX_RESULTS[result_format])
        return RESULT_FORMATS[result_format], form
    if result_format not in OX_RDF or result_format in ("nquads", "trig"):
        raise ValueError(f"CONSTRUCT/DESCRIBE results cannot be written as {result_format}")
    result.serialize(out, OX_RDF[result_format])  # type: ignore[attr-defined]
    return RDF_FORMATS[result_format], "graph"

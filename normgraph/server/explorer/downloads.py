"""Downloads of every explorer view: CSV tables and JSON-LD graphs, and the one response writer
that picks HTML, CSV or JSON-LD by ?format= or Accept."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, render_template, request, url_for
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from normgraph.catalogs.registry import catalog as registry_catalog
from normgraph.explorer.cache import s
from normgraph.explorer.catalogs import CatalogSummary, Item, item_index
from normgraph.explorer.matrix import Matrix
from normgraph.explorer.neighbourhood import Neighbourhood
from normgraph.explorer.page import MappingRow, ResourcePage
from normgraph.explorer.records import NO_TERM, Record, records, relation_words
from normgraph.explorer.search import Results
from normgraph.exports.csvsafe import csv_text
from normgraph.exports.jsonld import to_jsonld
from normgraph.iri import NG
from normgraph.mappings.records import add_record
from normgraph.server.explorer.layout import Drawing
from normgraph.server.negotiation import NotAcceptable, negotiate
from normgraph.store import Store

VIEW_TYPES: dict[str, tuple[str, ...]] = {
    "html": ("text/html", "application/xhtml+xml"),
    "csv": ("text/csv",),
    "jsonld": ("application/ld+json", "application/json"),
}
TableFn = Callable[[], tuple[list[str], list[list[str]]]]
GraphFn = Callable[[], Graph]


def respond(template: str, context: dict[str, Any], table: TableFn, graph: GraphFn, name: str,
            html: Callable[[], str] | None = None) -> Response:
    """HTML, CSV or JSON-LD of one view, by ?format= or Accept. `html` (called only when HTML is
    asked for) gives the page instead of rendering `template`, e.g. from a cache."""
    try:
        fmt = negotiate(request, VIEW_TYPES)
    except NotAcceptable as e:
        return Response(str(e) + "\n", status=406, mimetype="text/plain")
    if fmt == "csv":
        head, rows = table()
        resp = Response(csv_text(head, rows), content_type="text/csv; charset=utf-8")
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    elif fmt == "jsonld":
        doc = to_jsonld(graph())
        resp = Response(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", content_type="application/ld+json")
        resp.headers["Content-Disposition"] = f'inline; filename="{name}.jsonld"'
        ctx = url_for("linked_data.context") if "linked_data.context" in current_app.view_functions else "/context.jsonld"
        resp.headers["Link"] = f'<{ctx}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    else:
        body = html() if html is not None else render_template(template, **context)
        resp = Response(body, content_type="text/html; charset=utf-8")
    resp.headers["Vary"] = "Accept"
    return resp


def record_triples(g: Graph, rec: Record) -> None:
    """The record's statements into g, written by the one record writer (mappings.records.add_record)."""
    node = add_record(g, rec.model)
    g.remove((node, NG.inMappingSet, None))  # the set as the store names it, not as rebuilt from its slug
    if rec.set:
        g.add((node, NG.inMappingSet, URIRef(rec.set)))


def item_triples(g: Graph, item: Item) -> None:
    node = URIRef(item.iri)
    if item.notation:
        g.add((node, SKOS.notation, Literal(item.notation)))
    if item.label:
        g.add((node, SKOS.prefLabel, Literal(item.label, lang="en")))
    g.add((node, SKOS.inScheme, URIRef(registry_catalog(item.key).scheme)))
    if item.broader:
        g.add((node, SKOS.broader, URIRef(item.broader)))


def resource_graph(store: Store, page: ResourcePage) -> Graph:
    g = Graph()
    node = URIRef(page.iri)
    for r in page.rows:
        p, o = r["p"], r["o"]
        if o is None:
            continue
        if s(p) == str(SKOS.narrower):
            g.add((o, SKOS.broader, node))
        else:
            g.add((node, p, o))  # type: ignore[arg-type]
    for group in page.groups:
        for row in group.rows:
            record_triples(g, row.record)
            for src, _a, _b in row.chain:
                record_triples(g, src)
    for row in page.no_counterpart:
        record_triples(g, row.record)
    return g


def resource_table(page: ResourcePage) -> tuple[list[str], list[list[str]]]:
    head = ["requirement", "catalog", "relation", "counterpart", "counterpart_notation", "counterpart_title",
            "confidence", "inferred", "justification", "mapping_set", "source", "rationale", "record", "derived_from"]
    out = []
    for group in page.groups:
        for row in group.rows:
            c = row.counterpart
            assert c is not None
            out.append(_record_row(page.iri, group.key, row, c.iri, c.text, c.title))
    for row in page.no_counterpart:
        out.append(_record_row(page.iri, "", row, NO_TERM, "no counterpart", ""))
    return head, out


def _record_row(iri: str, key: str, row: MappingRow, other: str, notation: str, title: str) -> list[str]:
    rec = row.record
    return [iri, key, row.relation_words, other, notation, title, rec.confidence, "true" if rec.inferred else "false",
            rec.justification_words, rec.set, rec.source, rec.rationale, rec.iri, " ".join(rec.derived_from)]


def matrix_table(m: Matrix) -> tuple[list[str], list[list[str]]]:
    head = ["subject", "subject_notation", "subject_title", "relation", "object", "object_notation", "object_title",
            "confidence", "inferred", "mapping_set", "source", "rationale", "record", "no_counterpart_reason"]
    out = []
    for row in m.rows:
        i = row.item
        if row.no_counterpart:
            out.append([i.iri, i.notation, i.label, "", NO_TERM if row.explicit else "", "", "", "", "", "", "", "", "",
                        row.reason or "no record"])
            continue
        for rel in m.relations:
            for cell in row.cells.get(rel, ()):
                rec = cell.record
                out.append([i.iri, i.notation, i.label, relation_words(rel), cell.target.iri, cell.target.text, cell.target.title,
                            rec.confidence, "true" if rec.inferred else "false", rec.set, rec.source, rec.rationale, rec.iri, ""])
    return head, out


def matrix_graph(store: Store, m: Matrix) -> Graph:
    g = Graph()
    index = item_index(store)
    recs = records(store)
    for row in m.rows:
        item_triples(g, row.item)
        for cells in row.cells.values():
            for cell in cells:
                record_triples(g, cell.record)
                target = index.get(cell.target.iri)
                if target is not None:
                    item_triples(g, target)
        if row.explicit:
            for rec in recs.values():
                if rec.subject == row.item.iri and rec.no_counterpart:
                    record_triples(g, rec)
    return g


def neighbourhood_table(h: Neighbourhood | Drawing) -> tuple[list[str], list[list[str]]]:
    head = ["from", "from_notation", "relation", "to", "to_notation", "to_title", "to_catalog", "hop", "record", "inferred"]
    out = [[e.source.iri, e.source.text, e.words, e.target.iri, e.target.text, e.target.title, e.target.key, str(e.target.hop),
            e.record.iri, "true" if e.record.inferred else "false"] for e in h.edges]
    out += [[h.center.iri, h.center.text, "no counterpart", NO_TERM, "", rec.rationale, "", "1", rec.iri, "false"]
            for rec in h.no_counterpart]
    return head, out


def neighbourhood_graph(store: Store, h: Neighbourhood | Drawing) -> Graph:
    g = Graph()
    index = item_index(store)
    for n in [h.center, *h.nodes]:
        item = index.get(n.iri)
        if item is not None:
            item_triples(g, item)
    for e in h.edges:
        record_triples(g, e.record)
    for rec in h.no_counterpart:
        record_triples(g, rec)
    return g


# -- catalog listing exports ------------------------------------------------------------------------
def catalogs_table(cats: list[CatalogSummary]) -> tuple[list[str], list[list[str]]]:
    return (["catalog", "key", "title", "items", "mapping_records"],
            [[c.iri, c.key, c.title, str(c.count), str(c.records)] for c in cats])


def catalogs_graph(cats: list[CatalogSummary]) -> Graph:
    from rdflib.namespace import VOID

    g = Graph()
    for c in cats:
        node = URIRef(c.iri)
        g.add((node, RDF.type, SKOS.ConceptScheme))
        g.add((node, DCTERMS.title, Literal(c.title)))
        g.add((node, VOID.entities, Literal(c.count)))
    return g


def items_table(items: list[Item]) -> tuple[list[str], list[list[str]]]:
    return (["item", "catalog", "notation", "title", "kind", "broader"],
            [[i.iri, i.key, i.notation, i.label, i.kind, i.broader] for i in items])


def hits_table(found: Results) -> tuple[list[str], list[list[str]]]:
    """Search results: the items, with the catalog's name, what each was found by and its snippet."""
    return (["item", "catalog", "catalog_name", "notation", "title", "kind", "broader", "found_by", "snippet"],
            [[h.iri, h.key, h.catalog, h.item.notation, h.item.label, h.item.kind, h.item.broader, h.where,
              "".join(text for text, _ in h.snippet)] for h in found.hits])


def items_graph(items: list[Item]) -> Graph:
    g = Graph()
    for i in items:
        item_triples(g, i)
    return g

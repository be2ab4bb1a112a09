"""REST API over the named queries (queries/*.rq) and the graphs, with an OpenAPI 3.1 document.

- GET /api/queries: every named query (name, title, description, params with type/default/required);
- GET /api/queries/NAME?param=…: run one. SELECT/ASK: plain JSON rows (default), SPARQL JSON, CSV, TSV;
  CONSTRUCT/DESCRIBE: JSON-LD (default), Turtle, N-Triples — by Accept or `?format=`;
  unknown query → 404, unknown parameter or bad value → 400 (JSON error naming it);
- GET /api/graphs: named graphs with triple counts and provenance (queries/graph-provenance.rq);
- GET /api/openapi.json: generated from the query files.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from normgraph import __version__
from normgraph.queries import NamedQuery, QueryError, get_query, list_queries
from normgraph.server.kernel import ProtocolError, current_store
from normgraph.server.negotiation import NotAcceptable, negotiate
from normgraph.server.results import run_query
from normgraph.store.sparql_text import check_sparql

bp = Blueprint("api", __name__, url_prefix="/api")

API_SELECT: dict[str, tuple[str, ...]] = {
    "json": ("application/json",),
    "sparql-json": ("application/sparql-results+json",),
    "csv": ("text/csv",),
    "tsv": ("text/tab-separated-values",),
    "xml": ("application/sparql-results+xml",),
}
API_GRAPH: dict[str, tuple[str, ...]] = {
    "jsonld": ("application/ld+json", "application/json"),
    "turtle": ("text/turtle",),
    "ntriples": ("application/n-triples",),
    "rdfxml": ("application/rdf+xml",),
}
_PARAM_SCHEMA = {
    "iri": {"type": "string", "format": "iri", "description": "an IRI or a normgraph prefixed name (iso27001:A-5-19)"},
    "iris": {"type": "string", "description": "IRIs or normgraph prefixed names, separated by spaces"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "date": {"type": "string", "format": "date"},
}


def api_error(code: int, message: str, **extra: Any) -> ProtocolError:
    resp = jsonify({"error": message, "status": code, **extra})
    resp.status_code = code
    err = ProtocolError(code, message)
    err.response = resp
    return err


def describe(q: NamedQuery) -> dict[str, Any]:
    return {
        "name": q.name,
        "title": q.title,
        "description": q.description,
        "form": check_sparql(q.text).form,
        "params": [{"name": p.name, "type": p.type, "description": p.doc, "default": p.default,
                    "required": p.required} for p in q.params],
        "url": f"/api/queries/{q.name}",
    }


@bp.get("/queries")
def queries() -> Response:
    return jsonify({"queries": [describe(q) for q in list_queries()]})


@bp.get("/queries/<name>")
def run_named(name: str) -> Response:
    try:
        q = get_query(name)
    except QueryError as e:
        raise api_error(404, str(e), query=name) from None
    values = {k: v for k, v in request.args.items() if k != "format"}
    for k in request.args:
        if k != "format" and len(request.args.getlist(k)) > 1:
            raise api_error(400, f"parameter {k!r} is given more than once", param=k)
    try:
        sparql = q.bind(values)
    except QueryError as e:
        bad = next((p.name for p in q.params if repr(p.name) in str(e)), None)
        unknown = sorted(set(values) - {p.name for p in q.params})
        raise api_error(400, str(e), query=name, param=bad or (unknown[0] if unknown else None)) from None
    form = check_sparql(sparql).form
    types = API_GRAPH if form == "graph" else API_SELECT
    try:
        fmt = negotiate(request, types)
    except NotAcceptable as e:
        raise api_error(406, str(e), available=e.available) from None
    store = current_store()
    if fmt == "json":
        resp = run_query(store, sparql, None, fmt="json")
        data = json.loads(resp.get_data())
        if "boolean" in data:
            return jsonify({"query": name, "boolean": data["boolean"]})
        variables = data["head"]["vars"]
        rows = [{v: b[v]["value"] for v in variables if v in b} for b in data["results"]["bindings"]]
        out = jsonify({"query": name, "variables": variables, "rows": rows})
        out.headers["Vary"] = "Accept"
        return out
    if fmt == "sparql-json":
        fmt = "json"
    resp = run_query(store, sparql, None, fmt=fmt)
    if form == "graph" and fmt == "jsonld" and "json" in (request.accept_mimetypes.best or ""):
        resp.content_type = "application/ld+json"
    return resp


@bp.get("/graphs")
def graphs() -> Response:
    sparql = get_query("graph-provenance").bind()
    resp = run_query(current_store(), sparql, None, fmt="json")
    data = json.loads(resp.get_data())
    out = []
    for b in data["results"]["bindings"]:
        row: dict[str, Any] = {v: b[v]["value"] for v in data["head"]["vars"] if v in b}
        row["triples"] = int(row.get("triples", 0))
        out.append(row)
    return jsonify({"graphs": out})


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


def openapi_document() -> dict[str, Any]:
    error = {"$ref": "#/components/schemas/Error"}
    paths: dict[str, Any] = {
        "/api/queries": {"get": {"summary": "List the named queries", "operationId": "listQueries",
                                 "responses": {"200": {"description": "the named queries",
                                                       "content": {"application/json": {}}}}}},
        "/api/graphs": {"get": {"summary": "Named graphs with triple counts and provenance", "operationId": "listGraphs",
                                "responses": {"200": {"description": "graphs", "content": {"application/json": {}}}}}},
        "/sparql": {"get": {"summary": "SPARQL 1.1 Protocol query endpoint", "operationId": "sparqlQuery",
                            "parameters": [{"name": "query", "in": "query", "required": True,
                                            "schema": {"type": "string"}}],
                            "responses": {"200": {"description": "results by Accept"},
                                          "400": {"description": "bad query"},
                                          "503": {"description": "query timeout"}}}},
    }
    for q in list_queries():
        graph = check_sparql(q.text).form == "graph"
        types = API_GRAPH if graph else API_SELECT
        params = [{"name": p.name, "in": "query", "required": p.required, "description": p.doc,
                   "schema": {**_PARAM_SCHEMA[p.type], **({"default": p.default} if p.default is not None else {})}}
                  for p in q.params]
        params.append({"name": "format", "in": "query", "required": False,
                       "schema": {"type": "string", "enum": list(types)}})
        paths[f"/api/queries/{q.name}"] = {"get": {
            "summary": q.title, "description": q.description, "operationId": f"query_{q.name.replace('-', '_')}",
            "parameters": params,
            "responses": {
                "200": {"description": "the results", "content": {m[0]: {} for m in types.values()}},
                "400": {"description": "bad parameter", "content": {"application/json": {"schema": error}}},
                "503": {"description": "query timeout"},
            }}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "normgraph API", "version": __version__,
                 "description": "Named compliance queries over ISO/IEC 27001 + 42001, the EU AI Act, NIST AI RMF, "
                                "SP 800-171/CMMC and GDPR."},
        "paths": paths,
        "components": {"schemas": {"Error": {"type": "object", "properties": {
            "error": {"type": "string"}, "status": {"type": "integer"}, "param": {"type": ["string", "null"]}},
            "required": ["error", "status"]}}},
    }

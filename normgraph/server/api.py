"""REST API over the named queries (queries/*.rq) and the graphs, with an OpenAPI 3.1 document.

- GET /api/queries: every named query (name, title, description, params with type/default/required);
- GET /api/queries/NAME?param=…: run one. SELECT/ASK: plain JSON rows (default), SPARQL JSON, CSV, TSV;
  CONSTRUCT/DESCRIBE: JSON-LD (default), Turtle, N-Triples — by Accept or `?format=`;
  unknown query → 404, unknown parameter or bad value → 400 (JSON error naming it; a date outside the
  judgeable range too). With parameters of the client's choosing a query is the client's own: when its answer
  is not cached it runs under the client's share of the query workers (normgraph/store/admission.py `heavy`),
  a fast 503 with Retry-After when that share is taken, as on /sparql — a free parameter (a date) would
  otherwise let anyone defeat the result cache and hold every worker;
- GET /api/graphs: named graphs with triple counts and provenance (queries/graph-provenance.rq);
- GET /api/orgs/SLUG/applicability?system=&on=&why=: the AI Act applicability engine's answers for one
  organisation (`Applicability.to_json()`, as `normgraph applicability --format json`); an organisation the
  reader may not see is a 404 like one that does not exist; a date of the client's (`on`) makes it the client's
  work, under its share of the workers like a named query with parameters;
- GET /api/openapi.json: generated from the query files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from normgraph import __version__
from normgraph.iri import org_graph
from normgraph.queries import NamedQuery, QueryError, get_query, list_queries
from normgraph.server.kernel import ProtocolError, client_key, current_store, org_store
from normgraph.server.negotiation import NotAcceptable, negotiate
from normgraph.server.reports import JUDGEABLE
from normgraph.server.results import run_query
from normgraph.store.admission import heavy
from normgraph.store.base import Store
from normgraph.store.cache import PerGeneration
from normgraph.store.sparql_text import check_sparql

if TYPE_CHECKING:
    from normgraph.applicability import Applicability

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
    check_dates(q, values)
    form = check_sparql(sparql).form
    types = API_GRAPH if form == "graph" else API_SELECT
    try:
        fmt = negotiate(request, types)
    except NotAcceptable as e:
        raise api_error(406, str(e), available=e.available) from None
    store = current_store()
    # the client's parameters make it the client's query: its share of the workers when not cached (a cached
    # answer never reaches admission control)
    with heavy(client_key()) if values else contextlib.nullcontext():
        resp = run_query(store, sparql, None, fmt="json" if fmt in ("json", "sparql-json") else fmt)
    if fmt == "json":
        data = json.loads(resp.get_data())
        if "boolean" in data:
            return jsonify({"query": name, "boolean": data["boolean"]})
        variables = data["head"]["vars"]
        rows = [{v: b[v]["value"] for v in variables if v in b} for b in data["results"]["bindings"]]
        out = jsonify({"query": name, "variables": variables, "rows": rows})
        out.headers["Vary"] = "Accept"
        return out
    if form == "graph" and fmt == "jsonld" and "json" in (request.accept_mimetypes.best or ""):
        resp.content_type = "application/ld+json"
    return resp


def judgeable(raw: str, param: str, **extra: Any) -> dt.date:
    """The date `raw` of parameter `param`; 400 when it is not a calendar date or lies outside the dates
    normgraph judges."""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise api_error(400, f"{param}={raw!r} is not a date (YYYY-MM-DD)", param=param, **extra) from None
    if not JUDGEABLE[0] <= day <= JUDGEABLE[1]:
        raise api_error(400, f"{param}={raw!r} is outside the dates normgraph judges ({JUDGEABLE[0]} to {JUDGEABLE[1]})",
                        param=param, **extra)
    return day


def check_dates(q: NamedQuery, values: dict[str, str]) -> None:
    """400 for a date parameter of `q` that `judgeable` refuses."""
    for p in q.params:
        if p.type == "date" and values.get(p.name):
            judgeable(values[p.name], p.name, query=q.name)


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


APPLICABILITY_PARAMS = ("system", "on", "why")
#: the applicability engine's answers per scoped store and data generation, keyed (slug, date)
_ASSESSED = PerGeneration(max_entries=128, max_bytes=64 * 1024 * 1024)


def assessed(store: Store, slug: str, on: dt.date) -> Applicability:
    """`normgraph.applicability.assess(store, slug, on)`, computed once per data generation and scope."""
    from normgraph.applicability import assess

    return _ASSESSED.get(store, (slug, on), lambda: assess(store, slug, on))


@bp.get("/orgs/<slug>/applicability")
def org_applicability(slug: str) -> Response:
    """The applicability engine's answers for organisation `slug` (all, one system's, or one obligation's)."""
    from normgraph.applicability import ApplicabilityError, UnknownOrganisation
    from normgraph.applicability.render import as_json

    for k in request.args:
        if k not in APPLICABILITY_PARAMS:
            raise api_error(400, f"unknown parameter {k!r} (known: {', '.join(APPLICABILITY_PARAMS)})", param=k)
        if len(request.args.getlist(k)) > 1:
            raise api_error(400, f"parameter {k!r} is given more than once", param=k)
    raw = request.args.get("on")
    on = judgeable(raw, "on") if raw else dt.date.today()
    system, why = request.args.get("system") or None, request.args.get("why") or None
    try:
        org_graph(slug)
    except ValueError:  # a slug no organisation can have: absent, like one that does not exist
        raise api_error(404, f"no organisation {slug!r}") from None
    store = org_store(slug)
    try:
        with heavy(client_key()) if raw else contextlib.nullcontext():  # a date of the client's: its share
            result = assessed(store, slug, on)
    except UnknownOrganisation:  # also an organisation the reader may not see: denied looks like absent
        raise api_error(404, f"no organisation {slug!r}") from None
    except ApplicabilityError as e:  # contradictory facts in the organisation's data
        raise api_error(422, str(e)) from None
    try:
        body = _ASSESSED.get(store, (slug, on, system, why), lambda: as_json(result, result.select(system, why)) + "\n")
    except ApplicabilityError as e:
        raise api_error(400, str(e), param="why" if why and "obligation" in str(e) else "system") from None
    return Response(body, mimetype="application/json")  # the CLI's JSON, byte for byte


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
    paths["/api/orgs/{slug}/applicability"] = applicability_path(error)
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
            "required": ["error", "status"]}, "Applicability": APPLICABILITY_SCHEMA}},
    }


_ANSWER_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "subject": {"type": "string", "format": "iri"}, "subject_label": {"type": "string"},
    "obligation": {"type": "string", "format": "iri"},
    "notation": {"type": "string", "description": "e.g. 'Art. 27(1) deployer'"}, "title": {"type": "string"},
    "status": {"type": "string", "enum": ["applies", "cannot tell yet", "does not apply"]},
    "applies_from": {"type": ["string", "null"], "format": "date",
                     "description": "the date it applies from (also when it cannot be told yet and only a fact is missing)"},
    "in_force": {"type": "boolean", "description": "applies and its date has come on the judged date"},
    "why": {"type": "array", "items": {"type": "string"}, "description": "the chain of facts and provisions, role first, date last"},
    "record": {"type": "array", "items": {"type": "string"}, "description": "cannot tell yet: the template columns to fill in"},
    "eased": {"type": "array", "items": {"type": "string"}, "description": "how other law meets it"}},
    "required": ["subject", "obligation", "notation", "status", "applies_from", "in_force", "why"]}
APPLICABILITY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "org": {"type": "string"}, "on": {"type": "string", "format": "date"},
    "subjects": {"type": "array", "items": {"type": "object", "properties": {
        "subject": {"type": "string", "format": "iri"}, "label": {"type": "string"},
        "kind": {"type": "string", "enum": ["AI system", "AI model"]},
        "roles": {"type": "array", "items": {"type": "string", "format": "iri"}},
        "obligations": {"type": "array", "items": _ANSWER_SCHEMA}}}}},
    "required": ["org", "on", "subjects"]}


def applicability_path(error: dict[str, str]) -> dict[str, Any]:
    """The OpenAPI description of GET /api/orgs/{slug}/applicability."""
    def param(name: str, doc: str, schema: dict[str, Any], where: str = "query") -> dict[str, Any]:
        return {"name": name, "in": where, "required": where == "path", "description": doc, "schema": schema}

    json_error = {"content": {"application/json": {"schema": error}}}
    return {"get": {
        "summary": "AI Act applicability of an organisation's AI systems and models",
        "description": "For each AI system or model and each AI Act obligation: applies / does not apply / cannot tell "
                       "yet, the date it applies from, and why (the chain of facts and provisions) — the answers of "
                       "`normgraph applicability --format json`. Organisation data is private: an organisation the "
                       "caller is not granted answers 404, exactly like one that does not exist.",
        "operationId": "orgApplicability",
        "parameters": [
            param("slug", "the organisation (its graph ngg:org/<slug>)", {"type": "string"}, "path"),
            param("system", "only this AI system or model (local name or IRI)", {"type": "string"}),
            param("on", "judge on this date (default: today)", {"type": "string", "format": "date"}),
            param("why", "one obligation (e.g. art-27-1-deployer) for every system, also where it does not apply",
                  {"type": "string"}),
        ],
        "responses": {
            "200": {"description": "the answers per subject",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Applicability"}}}},
            "400": {"description": "bad parameter, unknown system or obligation", **json_error},
            "404": {"description": "no such organisation (or not granted to the caller)", **json_error},
            "422": {"description": "the organisation's AI Act facts contradict each other (named by system and column)",
                    **json_error},
        }}}

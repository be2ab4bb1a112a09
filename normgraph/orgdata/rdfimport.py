"""Turtle and JSON-LD import of organisation data.

JSON-LD whose @context (or a nested @context / @import) is a reference to a remote document is refused —
it is never fetched. Inline contexts are fine. Subjects must be the organisation's own IRIs
(…/id/org/<slug>/…) or its graph IRI, so an import cannot describe catalog terms.
"""

from __future__ import annotations

import json
from pathlib import Path

from rdflib import BNode, Graph, URIRef

from normgraph.exports.jsonld import inline_own_context
from normgraph.iri import PREFIXES, is_iri, local_id, org_graph
from normgraph.orgdata.errors import OrgDataError
from normgraph.orgdata.facts import check_ai_act_facts
from normgraph.orgdata.limits import MAX_JSON_DEPTH, json_depth


def parse_jsonld(path: Path) -> Graph:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise OrgDataError(path, None, None, f"not UTF-8 text ({e.reason})") from None
    except json.JSONDecodeError as e:
        raise OrgDataError(path, e.lineno, None, f"invalid JSON: {e.msg} (column {e.colno})") from None
    except RecursionError:
        raise OrgDataError(path, None, None, f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    if json_depth(doc) > MAX_JSON_DEPTH:
        raise OrgDataError(path, None, None, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    doc, remote = inline_own_context(doc)
    if remote:
        raise OrgDataError(path, None, "@context",
                           f"remote JSON-LD context refused (never fetched): {remote[0]}; inline the context instead")
    g = Graph()
    try:
        g.parse(data=json.dumps(doc), format="json-ld")
    except Exception as e:  # rdflib's JSON-LD parser raises assorted errors
        raise OrgDataError(path, None, None, f"invalid JSON-LD: {e}") from None
    return g


def parse_turtle(path: Path) -> Graph:
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as e:  # rdflib's BadSyntax carries the line
        line = getattr(e, "lines", None)
        raise OrgDataError(path, line if isinstance(line, int) else None, None, f"Turtle syntax error: {e}") from None
    return g


def import_rdf(path: Path, org_slug: str) -> Graph:
    suffix = path.suffix.lower()
    g = parse_turtle(path) if suffix == ".ttl" else parse_jsonld(path)
    base = f"{PREFIXES['ngorg']}{local_id(org_slug)}/"
    allowed = {URIRef(str(org_graph(org_slug)))}
    for s in sorted({s for s in g.subjects() if not isinstance(s, BNode)}, key=str):
        if not (isinstance(s, URIRef) and (str(s).startswith(base) or s in allowed)):
            raise OrgDataError(path, None, None, f"subject <{s}> is outside organisation {org_slug!r} (want IRIs under {base})")
    bad = sorted({str(t) for triple in g for t in triple if isinstance(t, URIRef) and not is_iri(str(t))})
    if bad:  # rdflib accepts them; no store and no serialiser would
        raise OrgDataError(path, None, None, f"{bad[0][:200]!r} is not a valid IRI")
    check_ai_act_facts(path, g)
    return g

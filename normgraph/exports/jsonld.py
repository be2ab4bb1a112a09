"""Any normgraph graph → JSON-LD with the stable, documented context ``context.jsonld``.

The context (served later at ``CONTEXT_URL``) holds every prefix of DESIGN.md §1 and short terms
for the catalog, mapping and provenance properties. The serializer is ours, not a generic
compaction: a triple uses a short term only when the term's coercion (``@id``, a datatype, a
language map, plain string) fits the value exactly; anything else is written with the
property's prefixed name and an explicit value object. So expanding the export with any JSON-LD
1.1 processor gives exactly the triples of the graph — tests/test_exports.py checks this with
pyld, with a document loader that serves the context locally (nothing is ever fetched).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from normgraph.iri import curie

CONTEXT_URL = "https://w3id.org/normgraph/context.jsonld"
CONTEXT_PATH = Path(__file__).with_name("context.jsonld")


@cache
def context() -> dict[str, Any]:
    """The @context object (the value of "@context" in context.jsonld)."""
    return json.loads(CONTEXT_PATH.read_text(encoding="utf-8"))["@context"]


def _expand_curie(value: str) -> str:
    ctx = context()
    prefix, sep, rest = value.partition(":")
    if sep and isinstance(ctx.get(prefix), str):
        return ctx[prefix] + rest
    return value


@cache
def _terms() -> dict[str, tuple[str, str | None, str | None]]:
    """Property IRI → (term, @type coercion, @container) for the context's property terms."""
    out: dict[str, tuple[str, str | None, str | None]] = {}
    for term, definition in context().items():
        if not isinstance(definition, dict):
            continue
        iri = _expand_curie(definition["@id"])
        kind = definition.get("@type")
        out[iri] = (term, _expand_curie(kind) if kind and kind != "@id" else kind, definition.get("@container"))
    return out


def _ref(node: Node) -> str:
    if isinstance(node, BNode):
        return f"_:{node}"
    name = curie(str(node))
    return str(node) if name.startswith("<") else name


def _value_object(obj: Any) -> dict[str, str]:
    if isinstance(obj, Literal):
        out = {"@value": str(obj)}
        if obj.language:
            out["@language"] = obj.language
        elif obj.datatype is not None and obj.datatype != XSD.string:
            out["@type"] = _ref(obj.datatype)
        return out
    return {"@id": _ref(obj)}


def _add(node: dict[str, Any], key: str, value: Any) -> None:
    if key in node:
        if not isinstance(node[key], list):
            node[key] = [node[key]]
        node[key].append(value)
    else:
        node[key] = value


def _node(g: Graph, subject: Node) -> dict[str, Any]:
    terms = _terms()
    node: dict[str, Any] = {"id": _ref(subject)}
    types = sorted(g.objects(subject, RDF.type), key=str)
    if types:
        node["type"] = [_ref(t) for t in types] if len(types) > 1 else _ref(types[0])
    for p, o in sorted(g.predicate_objects(subject), key=lambda po: (str(po[0]), po[1].n3())):
        if p == RDF.type:
            continue
        term, kind, container = terms.get(str(p), (None, None, None))
        if term is not None:
            if kind == "@id" and isinstance(o, URIRef | BNode):
                _add(node, term, _ref(o))
                continue
            if isinstance(o, Literal):
                if container == "@language" and o.language:
                    langs = node.setdefault(term, {})
                    if o.language in langs:
                        prev = langs[o.language]
                        langs[o.language] = [*(prev if isinstance(prev, list) else [prev]), str(o)]
                    else:
                        langs[o.language] = str(o)
                    continue
                if kind is not None and kind != "@id" and not o.language and str(o.datatype) == kind:
                    _add(node, term, str(o))
                    continue
                if kind is None and container is None and not o.language and o.datatype in (None, XSD.string):
                    _add(node, term, str(o))
                    continue
        _add(node, _ref(p), _value_object(o))
    return node


def to_jsonld(g: Graph, inline_context: bool = False) -> dict[str, Any]:
    """The JSON-LD document of a graph's triples (a sorted @graph of node objects)."""
    subjects = sorted(set(g.subjects()), key=lambda s: (isinstance(s, BNode), str(s)))
    return {
        "@context": context() if inline_context else CONTEXT_URL,
        "@graph": [_node(g, s) for s in subjects],
    }


def dumps(g: Graph, inline_context: bool = False) -> str:
    return json.dumps(to_jsonld(g, inline_context), indent=2, ensure_ascii=False) + "\n"


def inline_own_context(node: Any, where: str = "") -> tuple[Any, list[str]]:
    """A JSON-LD document with our own context URL replaced by the context itself, and the JSON
    pointers of every other @context / @import that names an external document.

    Our exports refer to CONTEXT_URL; inlining it lets normgraph read its own downloads back without
    fetching anything, while any other remote context is still refused by the callers.
    """
    remote: list[str] = []

    def walk(value: Any, here: str) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                path = f"{here}/{key}"
                if key in ("@context", "@import"):
                    items = item if isinstance(item, list) else [item]
                    fixed: list[Any] = []
                    for i, ctx in enumerate(items):
                        at = f"{path}/{i}" if isinstance(item, list) else path
                        if isinstance(ctx, str) and key == "@context" and ctx.rstrip("/") == CONTEXT_URL:
                            fixed.append(context())
                        elif isinstance(ctx, str):
                            remote.append(f"{at} = {ctx!r}")
                            fixed.append(ctx)
                        else:
                            fixed.append(walk(ctx, at))
                    out[key] = fixed if isinstance(item, list) else fixed[0]
                else:
                    out[key] = walk(item, path)
            return out
        if isinstance(value, list):
            return [walk(v, f"{here}/{i}") for i, v in enumerate(value)]
        return value

    return walk(node, where), remote


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that serves our context from disk and refuses anything else."""
    if url.rstrip("/") != CONTEXT_URL:
        raise ValueError(f"normgraph never fetches {url}")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(CONTEXT_PATH.read_text(encoding="utf-8")),
    }

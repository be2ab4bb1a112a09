"""The human-readable API description at /api/: the OpenAPI document of normgraph/server/api.py
(`openapi_document()`, also served as /api/openapi.json) rendered on the server with Jinja, inside the
site layout — no script, no renderer fetched or bundled, readable without JavaScript and by screen readers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, render_template
from markupsafe import Markup, escape

from normgraph.server.api import openapi_document

bp = Blueprint("api_docs", __name__)

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of the document, in its order: method, path, an anchor, and its OpenAPI fields."""
    out = []
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            anchor = op.get("operationId") or f"{method}-{path}"
            params = [{**prm, "schema_text": schema_text(prm.get("schema", {}))}
                      for prm in op.get("parameters", [])]
            responses = [{"status": status, "description": r.get("description", ""),
                          "media": list(r.get("content", {})),
                          "schema": next((c["schema"] for c in r.get("content", {}).values() if "schema" in c), None)}
                         for status, r in op.get("responses", {}).items()]
            out.append({"method": method.upper(), "path": path, "anchor": anchor, "summary": op.get("summary", ""),
                        "description": op.get("description", ""), "params": params, "responses": responses,
                        "query": path.startswith("/api/queries/")})
    return out


def schema_text(schema: dict[str, Any]) -> str:
    """A parameter's schema in a few words: type (or allowed values), format, default."""
    words = []
    if "enum" in schema:
        words.append("one of " + ", ".join(str(v) for v in schema["enum"]))
    elif "type" in schema:
        kind = schema["type"]
        words.append(" or ".join(kind) if isinstance(kind, list) else str(kind))
    if "format" in schema:
        words.append(f"({schema['format']})")
    if "default" in schema:
        words.append(f"default {schema['default']}")
    return " ".join(words)


_CODE = re.compile(r"`([^`]+)`")


@bp.app_template_filter("code_spans")
def code_spans(text: str) -> Markup:
    """OpenAPI descriptions are CommonMark: show their `code spans` as code (the rest stays plain, escaped)."""
    return Markup(_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text))))


@bp.get("/api/")
def page() -> str:
    doc = openapi_document()
    ops = operations(doc)
    schemas = {name: json.dumps(s, indent=2, ensure_ascii=False)
               for name, s in doc.get("components", {}).get("schemas", {}).items()}
    return render_template("ui/api.html", doc=doc, service=[o for o in ops if not o["query"]],
                           named=[o for o in ops if o["query"]], schemas=schemas)


__all__ = ["bp", "code_spans", "operations", "schema_text"]

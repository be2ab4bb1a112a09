"""Only standard SPARQL 1.1 reaches a remote store.

A production store speaks more than SPARQL 1.1, and some of its extensions choose data: Virtuoso adds
the graphs of a query's own `DEFINE input:default-graph-uri <…>` / `input:named-graph-uri` pragmas to
the dataset normgraph sends, so a client could read any organisation's graph past the scoped dataset;
its `bif:` / `sql:` functions run server procedures. normgraph decides who sees what by the dataset it
sends (scoped.py), which holds only if the store reads nothing but SPARQL 1.1. So before a client's text
is sent, `require_sparql11` refuses (QuerySyntaxError, HTTP 400):

* any DEFINE (no SPARQL 1.1 keyword; a pragma in every dialect that has it);
* a text Oxigraph's SPARQL 1.1 parser does not accept (prefixes must be declared, so Virtuoso's built-in
  `bif:` / `sql:` need a PREFIX, which the next rule sees);
* IRIs and prefix labels the store profile names as its own (`StoreProfile.refused_iri_parts`,
  `refused_prefix_labels`): an extension reached through a declared prefix or a full IRI.

The profile's own prologue (`retry_with_prologue`) is added after this check, by the store itself.
"""

from __future__ import annotations

import pyoxigraph as ox

from normgraph.store.base import QuerySyntaxError
from normgraph.store.nesting import refuse_deep
from normgraph.store.sparql_text import _unescape, keywords, tokens


def _parse_error(sparql: str, update: bool) -> str | None:
    """Oxigraph's syntax error for the text, None when it parses. A query is only parsed and planned on
    an empty store (results are produced lazily, never asked for); an update runs on an empty store."""
    try:
        if update:
            ox.Store().update(sparql)
        else:
            ox.Store().query(sparql)
    except SyntaxError as e:
        return str(e)
    except (OSError, ValueError, RuntimeError):
        return None  # parsed; failed on the empty store, which says nothing about the text
    return None


def require_sparql11(sparql: str, *, update: bool = False, refused_iri_parts: tuple[str, ...] = (),
                     refused_prefix_labels: tuple[str, ...] = ()) -> None:
    """QuerySyntaxError unless the text is SPARQL 1.1 without the store's own extensions."""
    if "DEFINE" in keywords(sparql):
        raise QuerySyntaxError("DEFINE pragmas are not SPARQL 1.1 and are not accepted: send the dataset with "
                               "FROM / FROM NAMED or the protocol's default-graph-uri / named-graph-uri")
    for kind, text in tokens(sparql):
        if kind == "iri":
            iri = _unescape(text)
            part = next((p for p in refused_iri_parts if p in iri), None)
            if part is not None:
                raise QuerySyntaxError(f"IRIs under {part} name the store's own extensions and are not accepted")
        elif kind == "pname" and _unescape(text.split(":", 1)[0]).lower() in refused_prefix_labels:
            raise QuerySyntaxError(f"the prefix {text.split(':', 1)[0]}: names the store's own extensions and is "
                                   "not accepted")
    refuse_deep(sparql)
    error = _parse_error(sparql, update)
    if error is not None:
        raise QuerySyntaxError(f"not SPARQL 1.1: {error}")


__all__ = ["require_sparql11"]

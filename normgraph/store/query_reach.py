"""What a query reads, for the audit trail's wording (normgraph.access.audit): the graphs it names or chooses,
and those it could merely reach through the union. Never used to decide access — the dataset a scoped store
hands the engine does that (normgraph.store.scoped). Lives in the store layer so scoped.py can use it
without importing the access package (which imports the store)."""

from __future__ import annotations

from collections.abc import Iterable

from normgraph.store.sparql_text import tokens


def named_in(sparql: str, graphs: Iterable[str]) -> tuple[str, ...]:
    """The graphs of `graphs` the query text names, as an IRI or a prefixed name (GRAPH <g>, FROM <g>,
    VALUES ?g { <g> }, FILTER(?g = <g>)): reads asked for by name. Only for the audit trail's wording, never
    for access: what a query may reach is decided by the dataset it is given (normgraph.store.scoped)."""
    prefixes: dict[str, str] = {}
    named: set[str] = set()
    toks = tokens(sparql)
    for i, (kind, text) in enumerate(toks):
        if kind == "word" and text.upper() == "PREFIX" and i + 2 < len(toks) and toks[i + 1][0] == "pname" \
                and toks[i + 2][0] == "iri":
            prefixes[toks[i + 1][1].rstrip(":")] = toks[i + 2][1][1:-1]
        elif kind == "iri":
            named.add(text[1:-1])
        elif kind == "pname" and ":" in text:
            pfx, local = text.split(":", 1)
            if pfx in prefixes:
                named.add(prefixes[pfx] + local)
    return tuple(g for g in graphs if g in named)


def query_access(sparql: str, visible: tuple[str, ...],
                 chosen: Iterable[str] | None) -> list[tuple[str, tuple[str, ...]]]:
    """(mode, graphs) records of one query, from the graphs it could see (`visible`) and the dataset it asked
    for (`chosen`: FROM / FROM NAMED / the protocol's graph lists; None = the union default graph and
    GRAPH ?g over everything visible). A chosen dataset is a read of its graphs; the union is a
    "read-scope" of every visible graph, and a "read" of those the text names."""
    if chosen is None:
        return [("read", named_in(sparql, visible)), ("read-scope", visible)]
    wanted = set(chosen)
    return [("read", tuple(g for g in visible if g in wanted))]


__all__ = ["named_in", "query_access"]

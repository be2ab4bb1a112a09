"""A cheap check of how deep a SPARQL text nests brackets, before any parser sees it.

Oxigraph's parser recurses once per level and overflows its stack near 3,000 levels of `{` or `(`,
killing the process that parses (a query worker, guarded.py). Queries people write stay far below
MAX_NESTING, so deeper ones are refused with a clear message instead."""

from __future__ import annotations

from normgraph.store.base import QuerySyntaxError
from normgraph.store.sparql_text import _TOKEN

#: the deepest nesting of ( { [ a query or update may have
MAX_NESTING = 256
_OPEN, _CLOSE = "({[", ")}]"


def nesting(sparql: str) -> int:
    """The deepest nesting of brackets outside literals, IRIs and comments (0 for a text with at most
    MAX_NESTING brackets in all, which cannot nest too deep: it is not scanned)."""
    if sum(sparql.count(c) for c in _OPEN) <= MAX_NESTING:
        return 0
    depth = deepest = 0
    for m in _TOKEN.finditer(sparql):
        if m.lastgroup != "other":
            continue
        c = m.group()
        if c in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif c in _CLOSE:
            depth = max(0, depth - 1)
    return deepest


def refuse_deep(sparql: str) -> None:
    """QuerySyntaxError when the text nests brackets deeper than MAX_NESTING."""
    if nesting(sparql) > MAX_NESTING:
        raise QuerySyntaxError(f"the text cannot be parsed here: it is nested too deeply (brackets more than "
                               f"{MAX_NESTING} levels deep)")


__all__ = ["MAX_NESTING", "nesting", "refuse_deep"]

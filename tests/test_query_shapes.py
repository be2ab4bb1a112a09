"""Shapes of the named queries that the embedded engine (Oxigraph 0.5) evaluates far above their cost alone
(DESIGN.md §8): speed is measured in bench/, but a shape known to be slow is a rule the text can be held to.

- Every solution of a UNION passes through each UNION it is nested in, and `{A} UNION {B} UNION {C} …` nests
  each branch one deeper than the next, so a flat UNION of n branches costs about n². applicability-conditions'
  102 rules took 42 ms as one flat UNION (101 deep) and 15 ms in 8 groups in braces (at most 22 deep); each rule
  alone costs 8.4 ms in all. A UNION nested more than MAX_UNION_DEPTH deep is refused.
"""

from __future__ import annotations

import pytest
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from normgraph.queries import NamedQuery, QueryError, list_queries, with_prefixes

#: the deepest UNION nesting allowed (the grouped applicability rules: 22)
MAX_UNION_DEPTH = 25


def union_depth(node: object) -> int:
    """The most UNIONs on one path from the top of a query's algebra to a leaf."""
    if isinstance(node, CompValue):
        inner = max((union_depth(v) for v in node.values()), default=0)
        return inner + (node.name == "Union")
    if isinstance(node, (list, tuple)):
        return max((union_depth(v) for v in node), default=0)
    return 0


def test_a_flat_union_nests_each_branch_deeper_and_braces_flatten_it() -> None:
    branches = [f"{{ ?s ?p {i} }}" for i in range(8)]
    flat = " UNION ".join(branches)
    grouped = " UNION ".join("{ " + " UNION ".join(branches[i:i + 4]) + " }" for i in (0, 4))
    assert union_depth(prepareQuery(f"SELECT * WHERE {{ {flat} }}").algebra) == 7
    assert union_depth(prepareQuery(f"SELECT * WHERE {{ {grouped} }}").algebra) == 4


@pytest.mark.parametrize("query", list_queries(internal=True), ids=lambda q: q.name)
def test_no_named_query_nests_a_union_too_deep(query: NamedQuery) -> None:
    try:
        text = query.bind()  # with its defaults: an `iris` parameter stands in VALUES, which its name cannot
    except QueryError:
        text = query.text
    depth = union_depth(prepareQuery(with_prefixes(text)).algebra)
    assert depth <= MAX_UNION_DEPTH, (
        f"queries/{query.name}.rq nests a UNION {depth} deep: group its branches in braces (DESIGN.md §8)")

"""Reading booleans and GROUP_CONCAT columns from a query's text (normgraph/store/result_types.py): what a
store without booleans (Virtuoso: 1 / 0) is read back with. Real named queries, real Virtuoso answers are
in tests/test_serve_remote.py; here the reading itself, on the shapes the named queries use."""

from __future__ import annotations

import json

import pytest
from rdflib import Literal
from rdflib.namespace import XSD

from normgraph.queries import get_query
from normgraph.store.result_types import (
    as_boolean,
    boolean_columns,
    boolean_predicates,
    booleans_in_json,
    concat_columns,
)


@pytest.mark.parametrize(("expr", "boolean"), [
    ("true", True), ("false", True), ("?a = ?b", True), ("?a != 1", True), ("?a <= ?b", True),
    ("!BOUND(?x)", True), ("BOUND(?x) && ?y", True), ("?x IN (1, 2)", True), ("EXISTS { ?s ?p ?o }", True),
    ("NOT EXISTS { ?s ?p ?o }", True), ("REGEX(?l, \"a\")", True), ("STRSTARTS(STR(?c), \"x\")", True),
    ("IF(?c, true, false)", True), ("IF(BOUND(?t), true, IF(BOUND(?n), ?n < 1000, ?unbound))", True),
    ("COALESCE(?stored, false)", True), ("(?a < ?b)", True),
    ("1", False), ("?a + 1", False), ("IF(?c, 1, 0)", False), ("STR(?x)", False), ("COUNT(*)", False),
    ("COALESCE(?a, 0)", False), ("CONCAT(\"a = b\", ?x)", False), ("?stored", False),
])
def test_a_bound_expression_is_boolean_by_its_top_level(expr: str, boolean: bool) -> None:
    query = f"SELECT ?v WHERE {{ ?s ?p ?stored OPTIONAL {{ ?s ?q ?x }} BIND({expr} AS ?v) }}"
    assert (boolean_columns(query) == {"v"}) is boolean


def test_booleans_through_aggregates_and_other_variables() -> None:
    query = ("SELECT ?c (SAMPLE(?b) AS ?any) (MAX(?b) AS ?top) (COUNT(?b) AS ?n) (SAMPLE(?w) AS ?copy) "
             "WHERE { ?c ?p ?o BIND(?o > 3 AS ?b) BIND(?b AS ?w) } GROUP BY ?c")
    assert boolean_columns(query) == {"b", "w", "any", "top", "copy"}


def test_a_variable_bound_twice_is_boolean_only_if_both_are() -> None:
    union = "SELECT ?h WHERE {{ BIND(true AS ?h) }} UNION {{ BIND({} AS ?h) }}"
    assert boolean_columns(union.format("false")) == {"h"}
    assert boolean_columns(union.format("1")) == set()


def test_the_named_queries_that_bind_booleans_are_read() -> None:
    assert boolean_columns(get_query("report-org").bind()) >= {"highRisk"}
    assert "resExact" in boolean_columns(get_query("report-risk-register").bind())
    assert concat_columns(get_query("report-risk-register").bind()) == {"controls"}
    assert boolean_predicates(get_query("applicability-conditions").bind()) == {
        "https://w3id.org/normgraph/ont#conditionHolds"}


def test_construct_predicates_only_given_booleans() -> None:
    query = ("PREFIX ex: <urn:ex:> CONSTRUCT { ?s ex:holds ?h ; ex:count ?n , ?h . ?s <urn:ex:flag> true } "
             "WHERE { ?s ?p ?n BIND(?n > 1 AS ?h) }")
    assert boolean_predicates(query) == {"urn:ex:holds", "urn:ex:flag"}  # ex:count also gets an integer


def test_ones_and_zeros_read_back() -> None:
    assert as_boolean(Literal("1", datatype=XSD.boolean), False) == Literal(True)
    assert as_boolean(Literal("0", datatype=XSD.integer), True) == Literal(False)
    assert as_boolean(Literal("1", datatype=XSD.integer), False) == Literal("1", datatype=XSD.integer)
    assert as_boolean(Literal("2", datatype=XSD.integer), True) == Literal("2", datatype=XSD.integer)
    answer = {"head": {"vars": ["h", "n", "c"]}, "results": {"bindings": [
        {"h": {"type": "typed-literal", "datatype": str(XSD.integer), "value": "1"},
         "n": {"type": "typed-literal", "datatype": str(XSD.integer), "value": "1"},
         "c": {"type": "literal", "value": ""}}]}}
    query = "SELECT ?h ?n (GROUP_CONCAT(?x) AS ?c) WHERE { ?s ?p ?n BIND(?n = 1 AS ?h) } GROUP BY ?h ?n"
    out = json.loads(booleans_in_json(json.dumps(answer).encode(), query, "json", empty_concat_unbound=True))
    row = out["results"]["bindings"][0]
    assert row["h"] == {"type": "literal", "datatype": str(XSD.boolean), "value": "true"}
    assert row["n"]["value"] == "1" and "c" not in row
    csv = booleans_in_json(json.dumps(answer).encode(), query, "csv").decode()
    assert csv.splitlines()[1] == "true,1,"

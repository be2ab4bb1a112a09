"""Named queries: headers, safe parameter binding, and every queries/*.rq parses in Oxigraph."""

from pathlib import Path

import pyoxigraph as ox
import pytest

from normgraph.queries import QUERIES_DIR, QueryError, get_query, list_queries, parse_query_file, with_prefixes


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


QUERY = """# title: Label of a thing
# description: Looks up the label
# description: of one resource.
# param: thing (iri) — the resource [iso27001:A-5-19]
# param: lang (string) — language tag
# param: limit (integer) — how many [10]
SELECT ?label WHERE { ?_thing <http://www.w3.org/2004/02/skos/core#prefLabel> ?label FILTER(LANG(?label) = ?_lang) } LIMIT ?_limit
"""


def test_header_is_read_with_params_types_and_defaults(tmp_path: Path) -> None:
    q = parse_query_file(write(tmp_path, "label", QUERY))
    assert q.title == "Label of a thing"
    assert q.description == "Looks up the label of one resource."
    assert [(p.name, p.type, p.default) for p in q.params] == [
        ("thing", "iri", "iso27001:A-5-19"),
        ("lang", "string", None),
        ("limit", "integer", "10"),
    ]
    assert q.params[1].required


def test_binding_writes_values_as_terms_and_parses(tmp_path: Path) -> None:
    q = parse_query_file(write(tmp_path, "label", QUERY))
    bound = q.bind({"lang": "en", "limit": "3"})
    assert "<https://w3id.org/normgraph/id/iso27001-2022/A-5-19>" in bound
    assert '"en"' in bound and "LIMIT 3" in bound
    ox.Store().query(bound)  # parses


def test_binding_cannot_change_the_query_structure(tmp_path: Path) -> None:
    q = parse_query_file(write(tmp_path, "label", QUERY))
    bound = q.bind({"lang": 'en") } DROP ALL #'})
    # the hostile value stays one string literal
    assert '"en\\") } DROP ALL #"' in bound
    ox.Store().query(bound)
    with pytest.raises(QueryError, match="not a valid IRI"):
        q.bind({"lang": "en", "thing": "<http://x> } <y"})
    with pytest.raises(QueryError, match="not an integer"):
        q.bind({"lang": "en", "limit": "3; DROP"})


def test_missing_and_unknown_parameters_are_named(tmp_path: Path) -> None:
    q = parse_query_file(write(tmp_path, "label", QUERY))
    with pytest.raises(QueryError, match="needs parameter 'lang'"):
        q.bind({})
    with pytest.raises(QueryError, match="no parameter nope"):
        q.bind({"lang": "en", "nope": "1"})


def test_a_query_file_without_title_is_refused(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="missing '# title:'"):
        parse_query_file(write(tmp_path, "x", "SELECT * WHERE { ?s ?p ?o }"))


def test_unknown_query_name_lists_the_known_ones() -> None:
    with pytest.raises(QueryError, match="catalog-stats"):
        get_query("no-such-query")
    with pytest.raises(QueryError):
        get_query("../pyproject")


def test_with_prefixes_adds_only_missing_known_prefixes() -> None:
    text = with_prefixes("SELECT * WHERE { iso27001:A-5-19 skos:prefLabel ?l }")
    assert "PREFIX iso27001:" in text and "PREFIX skos:" in text and "PREFIX gdpr:" not in text
    declared = "PREFIX skos: <http://example.org/>\nSELECT * WHERE { ?s skos:x ?o }"
    assert with_prefixes(declared) == declared


def test_every_committed_query_has_a_header_and_parses_with_defaults_bound() -> None:
    queries = list_queries(QUERIES_DIR, internal=True)
    assert queries, "queries/ is empty"
    for q in queries:
        assert q.title and q.description, f"{q.path}: header needs title and description"
        values = {p.name: "x" if p.type == "string" else "1" if p.type == "integer" else "2026-01-01"
                  if p.type == "date" else "ng:Control" for p in q.params if p.required}
        ox.Store().query(with_prefixes(q.bind(values)))


def test_an_iris_parameter_binds_a_list_of_iris_for_values(tmp_path: Path) -> None:
    q = parse_query_file(write(tmp_path, "notations", """# title: Notations
# description: of some items
# param: items (iris) — the items [iso27001:A-5-19]
SELECT ?item ?n WHERE { VALUES ?item { ?_items } ?item <http://www.w3.org/2004/02/skos/core#notation> ?n }
"""))
    assert q.params[0].type == "iris"
    bound = q.bind({"items": "iso27001:A-5-19  https://w3id.org/normgraph/id/eu-ai-act/art-9"})
    assert "VALUES ?item { <https://w3id.org/normgraph/id/iso27001-2022/A-5-19> " \
           "<https://w3id.org/normgraph/id/eu-ai-act/art-9> }" in bound
    ox.Store().query(bound)
    ox.Store().query(q.bind({"items": ""}))  # no items: an empty VALUES block, still a query
    with pytest.raises(QueryError, match="items"):
        q.bind({"items": "iso27001:A-5-19 } ?s ?p ?o {"})


def test_internal_queries_are_found_by_name_but_not_offered(tmp_path: Path) -> None:
    """The stores' own queries (probes, sizes, derivations) stay out of the listing users see (the API,
    the query UI, the load mixes) and are still run by name."""
    offered = {q.name for q in list_queries()}
    every = list_queries(internal=True)
    marked = {q.name for q in every if q.internal}
    assert {"union-probe", "graph-size", "graph-names", "graph-triples", "default-graph", "derive-mapping-readings",
            "resource-exists", "full-scan"} <= marked
    assert offered == {q.name for q in every} - marked and not marked & offered
    assert {"coverage-matrix", "mapping-records", "crosswalk-of-requirement"} <= offered
    assert get_query("union-probe").internal and not get_query("coverage-matrix").internal
    write(tmp_path, "probe", "# title: Probe\n# internal: true\n# description: d\nASK {}\n")
    write(tmp_path, "open", "# title: Open\n# internal: false\n# description: d\nASK {}\n")
    assert [q.name for q in list_queries(tmp_path)] == ["open"]
    with pytest.raises(QueryError, match="internal"):
        parse_query_file(write(tmp_path, "bad", "# title: Bad\n# internal: yes\nASK {}\n"))

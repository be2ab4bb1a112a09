"""The scoped store on its own (normgraph/store/scoped.py), and the guarded store's views of graph sets:
a scope sees only its graphs whatever the operation, views give exactly the answers of the explicit
dataset they stand for, and a write is seen at once by every scope that may see it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from normgraph.store import Dataset, EmbeddedStore, SelectResult
from normgraph.store.guarded import GuardedStore
from normgraph.store.scoped import EVERYTHING, PUBLIC, AccessDenied, Scope, ScopeDataset, ScopedStore

ORG = "https://w3id.org/normgraph/graph/org/acme"
OTHER = "https://w3id.org/normgraph/graph/org/other"
PUB = "https://w3id.org/normgraph/graph/public-thing"
ALL_ROWS = "SELECT ?g ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g ?s ?o"
UNION_ROWS = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s ?o"


@pytest.fixture
def guarded() -> Iterator[GuardedStore]:
    inner = EmbeddedStore()
    inner.load("<http://x/pub> <http://x/p> 'public' .", "turtle", PUB)
    inner.load("<http://x/acme> <http://x/p> 'acme secret' .", "turtle", ORG)
    inner.load("<http://x/other> <http://x/p> 'other secret' .", "turtle", OTHER)
    store = GuardedStore(inner, workers=1, cache_entries=0)
    yield store
    store.close()


def rows(store: object, text: str, dataset: Dataset | None = None) -> list[tuple[str, ...]]:
    result = store.query(text, dataset=dataset)  # type: ignore[attr-defined]
    assert isinstance(result, SelectResult)
    return [tuple(str(v) for v in r.values()) for r in result]


def test_every_operation_sees_only_the_scope(guarded: GuardedStore) -> None:
    viewer = ScopedStore(guarded, Scope(frozenset({"acme"})))
    anonymous = ScopedStore(guarded, PUBLIC)
    assert viewer.graphs() == sorted([PUB, ORG]) and anonymous.graphs() == [PUB]
    assert {r[0] for r in rows(viewer, ALL_ROWS)} == {PUB, ORG}
    assert "other secret" not in str(rows(viewer, UNION_ROWS)) and "acme secret" in str(rows(viewer, UNION_ROWS))
    assert "secret" not in str(rows(anonymous, UNION_ROWS))
    for text in (f"SELECT ?o FROM <{OTHER}> WHERE {{ ?s ?p ?o }}",
                 f"SELECT ?o FROM NAMED <{OTHER}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
                 "DESCRIBE <http://x/other>"):
        body, _media, _form = viewer.query_serialized(text, "ntriples" if text.startswith("DESCRIBE") else "json")
        assert b"other secret" not in body, text
    assert rows(viewer, UNION_ROWS, Dataset((OTHER,), (OTHER,))) == []
    # nothing visible asked for: still an explicit dataset (an empty one is "no dataset" to a remote store)
    assert viewer.dataset_for(f"SELECT * FROM <{OTHER}> WHERE {{ ?s ?p ?o }}", None) == Dataset(
        ("urn:x-normgraph:no-graph",), ())
    assert viewer.graph_size(OTHER) == 0 and viewer.export("turtle", OTHER) == b""
    dump = viewer.export("nquads")
    assert b"acme secret" in dump and b"other secret" not in dump
    with pytest.raises(AccessDenied):
        viewer.load("<http://x/a> <http://x/p> 1 .", "turtle", ORG)  # a viewer does not write
    with pytest.raises(AccessDenied):
        viewer.update("INSERT DATA { GRAPH <http://x/g> { <http://x/a> <http://x/b> 1 } }")
    editor = ScopedStore(guarded, Scope(frozenset({"acme"}), frozenset({"acme"})))
    with pytest.raises(AccessDenied):
        editor.drop(OTHER)
    with pytest.raises(AccessDenied):
        editor.load("<http://x/a> <http://x/p> 1 .", "turtle", PUB)


def test_views_answer_as_the_explicit_dataset_and_follow_writes(guarded: GuardedStore) -> None:
    for scope in (PUBLIC, Scope(frozenset({"acme"})), Scope(frozenset({"acme", "other"}))):
        scoped = ScopedStore(guarded, scope)
        graphs = tuple(scoped.graphs())
        explicit = Dataset(graphs, graphs)
        assert guarded._view(ScopeDataset(graphs, graphs))[1] != 0  # the scope's whole set is served by a view
        want = rows(guarded.inner, ALL_ROWS, explicit)
        assert rows(scoped, ALL_ROWS) == want
        assert rows(scoped, UNION_ROWS) == rows(guarded.inner, UNION_ROWS, explicit)
    editor = ScopedStore(guarded, Scope(frozenset({"acme"}), frozenset({"acme"})))
    editor.load("<http://x/acme2> <http://x/p> 'acme new' .", "turtle", ORG, replace=False)
    assert "acme new" in str(rows(editor, UNION_ROWS))
    admin = ScopedStore(guarded, EVERYTHING)
    admin.load("<http://x/pub2> <http://x/p> 'public new' .", "turtle", PUB, replace=False)
    assert "public new" in str(rows(ScopedStore(guarded, PUBLIC), UNION_ROWS))
    assert "public new" in str(rows(editor, UNION_ROWS))

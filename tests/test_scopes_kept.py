"""One scoped store per organisation whose pages are read (and per set of grants): each carries that
organisation's caches — reports, background validation, explorer read models — so reading many
organisations must not throw away the others' (kernel.AppState.scoped_store)."""

from __future__ import annotations

from normgraph.server import create_app
from normgraph.server.kernel import MAX_SCOPES, close_app, state
from normgraph.store import EmbeddedStore
from normgraph.store.scoped import Scope


def test_walking_through_a_hundred_organisations_keeps_the_first_ones_caches() -> None:
    app = create_app(EmbeddedStore(), config={"workers": 1})
    try:
        with app.app_context():
            st = state()
            hospital = st.scoped_store(Scope(read=frozenset({"hospital"})))
            for i in range(100):  # an admin opening a hundred organisations' dashboards, hospital among them
                st.scoped_store(Scope(read=frozenset({f"org-{i}"})))
                if i % 10 == 0:
                    assert st.scoped_store(Scope(read=frozenset({"hospital"}))) is hospital
            assert st.scoped_store(Scope(read=frozenset({"hospital"}))) is hospital
            # bounded all the same: the least recently used scopes go, one at a time
            for i in range(100, 100 + MAX_SCOPES):
                st.scoped_store(Scope(read=frozenset({f"org-{i}"})))
            assert len(st.scoped) == MAX_SCOPES
            assert st.scoped_store(Scope(read=frozenset({"hospital"}))) is not hospital
    finally:
        close_app(app)

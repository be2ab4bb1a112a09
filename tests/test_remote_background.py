"""On a remote store the data generation moves every `cache_ttl` seconds (others may write to it directly).
A large organisation's validation takes longer than that: it is kept by the store's lasting generation, so
its findings are shown once it is done and it is not started again while nothing is written through us."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import normgraph.reports.audit_pack as audit_pack
from normgraph.access import Registry
from normgraph.loading import load_knowledge
from normgraph.push import push
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore
from normgraph.store.remote import RemoteStore

try:
    from oxigraph_server import OxigraphServer, oxigraph_server, requires_oxigraph
except ImportError:  # tests/ imported as a package
    from tests.oxigraph_server import OxigraphServer, oxigraph_server, requires_oxigraph

pytestmark = [pytest.mark.remote, requires_oxigraph]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OxigraphServer]:
    with oxigraph_server(tmp_path / "ox") as s:
        local = EmbeddedStore()
        load_knowledge(local, examples=True)
        push(local, RemoteStore(s.query_url, update_endpoint=s.update_url, graph_store=s.store_url))
        yield s


def test_a_validation_longer_than_the_cache_ttl_is_shown_and_run_once(server: OxigraphServer,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_pack, "SYNC_EVIDENCE", 0)  # hospital counts as large: validated in the background
    runs: list[float] = []
    real = audit_pack.validation_rows

    def slow(*args: object, **kwargs: object) -> object:
        runs.append(time.monotonic())
        time.sleep(2.5)  # longer than the TTL below, as a large organisation's validation is longer than 30 s
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit_pack, "validation_rows", slow)
    registry = Registry()
    registry.add("viewer")
    registry.grant("viewer", "hospital", "viewer")
    token = registry.new_token("viewer")
    store = RemoteStore(server.query_url, update_endpoint=server.update_url, graph_store=server.store_url,
                        cache_ttl=1.0)
    app = create_app(store, config={"query_timeout": 60}, registry=registry)
    try:
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        deadline = time.monotonic() + 120  # not a timing assertion: a bound on a validation that never shows
        while True:
            html = client.get("/org/hospital/audit-pack",
                              query_string={"today": "2026-12-01", "section": "findings"}).get_data(as_text=True)
            if audit_pack.PENDING not in html:
                break
            assert time.monotonic() < deadline, f"findings never shown; validations started: {len(runs)}"
            time.sleep(0.3)
        assert 'id="finding-1"' in html
        assert len(runs) == 1
    finally:
        close_app(app)

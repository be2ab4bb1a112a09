"""On a remote store a mapping record written through normgraph reaches the mapping readings, as on the embedded
store (tests/test_readings_current.py): the crosswalk, the coverage matrix and the reports read it at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from normgraph.access import Registry
from normgraph.loading import load_knowledge
from normgraph.push import push
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore
from normgraph.store.remote import RemoteStore

try:
    from oxigraph_server import oxigraph_server, requires_oxigraph
except ImportError:  # tests/ imported as a package
    from tests.oxigraph_server import oxigraph_server, requires_oxigraph

pytestmark = [pytest.mark.remote, requires_oxigraph]

NG = "https://w3id.org/normgraph/ont#"
SET_GRAPH = "https://w3id.org/normgraph/graph/mappings/local-review"
SUBJECT = "https://w3id.org/normgraph/id/gdpr/art-30"
OBJECT = "https://w3id.org/normgraph/id/cmmc-2.0/AU-L2-3-3-1"
RECORD = "https://w3id.org/normgraph/id/mapping/local-review/art-30-au"
RECORD_NT = (f"<{RECORD}> a <{NG}MappingRecord> ; <{NG}mappingSubject> <{SUBJECT}> ; "
             f"<{NG}mappingPredicate> <{NG}relatedTo> ; <{NG}mappingObject> <{OBJECT}> ; "
             f"<{NG}inMappingSet> <https://w3id.org/normgraph/id/mapping-set/local-review> .\n")


@pytest.fixture
def app() -> Iterator[object]:
    local = EmbeddedStore()
    load_knowledge(local, examples=False)
    with oxigraph_server() as server:
        args = {"update_endpoint": server.update_url, "graph_store": server.store_url, "cache_ttl": 0}
        push(local, RemoteStore(server.query_url, **args))  # type: ignore[arg-type]
        registry = Registry()
        registry.add("admin", admin=True)
        token = registry.new_token("admin")
        a = create_app(RemoteStore(server.query_url, **args), config={"query_timeout": 60},  # type: ignore[arg-type]
                       registry=registry)
        a.config["TEST_TOKEN"] = token
        yield a
        close_app(a)


def _crosswalk(client: object) -> list[str]:
    rows = client.get("/api/queries/crosswalk-of-requirement",  # type: ignore[attr-defined]
                      query_string={"requirement": SUBJECT}).json["rows"]
    return [str(row) for row in rows]


def test_a_record_written_through_normgraph_is_read_by_the_crosswalk(app: object) -> None:
    client = app.test_client()  # type: ignore[attr-defined]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {app.config['TEST_TOKEN']}"  # type: ignore[attr-defined]
    assert not any(RECORD in row for row in _crosswalk(client))
    r = client.post("/store", query_string={"graph": SET_GRAPH}, data=RECORD_NT.encode(), content_type="text/turtle")
    assert r.status_code in (200, 201, 204), r.data[:300]
    assert any(RECORD in row for row in _crosswalk(client))
    r = client.delete("/store", query_string={"graph": SET_GRAPH})
    assert r.status_code in (200, 204), r.data[:300]
    assert not any(RECORD in row for row in _crosswalk(client))

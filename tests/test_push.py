"""`normgraph push`: idempotent, graph by graph, and honest when it is interrupted."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from repo import ROOT

from normgraph.loading import load_knowledge
from normgraph.push import PushError, push
from normgraph.store import EmbeddedStore
from normgraph.store.profiles import VIRTUOSO
from normgraph.store.remote import STAGING_MARK, RemoteStore, RemoteStoreError

try:
    from oxigraph_server import OxigraphServer, oxigraph_server, requires_oxigraph
    from virtuoso_server import PASSWORD, USER, VirtuosoServer, virtuoso  # virtuoso: the session fixture
except ImportError:  # tests/ imported as a package
    from tests.oxigraph_server import OxigraphServer, oxigraph_server, requires_oxigraph
    from tests.virtuoso_server import PASSWORD, USER, VirtuosoServer, virtuoso  # noqa: F401

pytestmark = [pytest.mark.remote, requires_oxigraph]

NGG = "https://w3id.org/normgraph/graph/"
GRAPHS = {
    f"{NGG}iso27001-2022": '<https://w3id.org/normgraph/id/iso27001-2022/A-5-19> <http://www.w3.org/2004/02/skos/core#notation> "A.5.19" .',
    f"{NGG}mappings/set": '<https://w3id.org/normgraph/id/mapping/set/1> <https://w3id.org/normgraph/ont#confidence> '
    '"0.9"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
    f"{NGG}derived/mapping-triples": "_:a <https://w3id.org/normgraph/ont#p> _:b .\n_:b <https://w3id.org/normgraph/ont#p> \"x\"@en .",
    f"{NGG}org/acme": '<https://w3id.org/normgraph/id/org/acme/risk/r1> <https://w3id.org/normgraph/ont#likelihood> 3 .',
    f"{NGG}org/globex": '<https://w3id.org/normgraph/id/org/globex/risk/r1> <https://w3id.org/normgraph/ont#impact> 4 .',
}


def source() -> EmbeddedStore:
    store = EmbeddedStore()
    for g, data in GRAPHS.items():
        store.load(data, "turtle", g)
    return store


def target(server: OxigraphServer, *, gsp: bool = False, **kw: object) -> RemoteStore:
    return RemoteStore(server.query_url, update_endpoint=server.update_url,
                       graph_store=server.store_url if gsp else None, **kw)  # type: ignore[arg-type]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OxigraphServer]:
    with oxigraph_server(tmp_path / "ox") as s:
        yield s


@pytest.mark.parametrize("gsp", [False, True], ids=["sparql-update", "gsp-put"])
def test_push_twice_second_changes_nothing(server: OxigraphServer, gsp: bool) -> None:
    src, dst = source(), target(server, gsp=gsp)
    first = push(src, dst)
    assert [g.graph for g in first.pushed] == sorted(GRAPHS) and first.unchanged == []
    assert dst.graphs() == sorted(GRAPHS)
    second = push(src, target(server, gsp=gsp))
    assert second.pushed == [] and [g.graph for g in second.unchanged] == sorted(GRAPHS)
    assert "nothing to push" in second.summary()
    # blank nodes: the same content, relabelled by the server, still counts as identical (canonical hash)
    assert f"{NGG}derived/mapping-triples" in [g.graph for g in second.unchanged]


def test_only_changed_graphs_are_pushed_and_remote_only_graphs_are_left(server: OxigraphServer) -> None:
    src, dst = source(), target(server)
    push(src, dst)
    dst.load("<urn:x> <urn:y> <urn:z> .", "ntriples", f"{NGG}org/someone-else")
    src.load('<https://w3id.org/normgraph/id/org/acme/risk/r1> <https://w3id.org/normgraph/ont#likelihood> 5 .',
             "turtle", f"{NGG}org/acme")
    dry = push(src, dst, dry_run=True)
    assert [g.graph for g in dry.pushed] == [f"{NGG}org/acme"] and "would push" in dry.summary()
    assert push(src, dst, dry_run=True).pushed == dry.pushed  # a dry run wrote nothing
    report = push(src, dst)
    assert [g.graph for g in report.pushed] == [f"{NGG}org/acme"]
    assert len(report.unchanged) == len(GRAPHS) - 1
    assert report.remote_only == [f"{NGG}org/someone-else"]
    assert dst.graph_size(f"{NGG}org/someone-else") == 1
    assert '"5"' in dst.export("ntriples", f"{NGG}org/acme").decode()


def test_server_killed_midway_stops_and_reports(tmp_path: Path) -> None:
    location = tmp_path / "ox"
    src = source()
    with oxigraph_server(location) as server:
        dst = target(server, retries=1, backoff=0.05, timeout=5)
        pushed_so_far: list[str] = []

        def kill_after_two(graph: str, what: str) -> None:
            pushed_so_far.append(graph)
            if len(pushed_so_far) == 2:
                server.kill()

        with pytest.raises(PushError) as e:
            push(src, dst, progress=kill_after_two)
    report = e.value.report
    order = sorted(GRAPHS)
    assert [g.graph for g in report.pushed] == order[:2]
    assert report.failed == order[2] and report.not_pushed == order[2:]
    assert server.query_url in str(e.value) and "not pushed (3)" in str(e.value)

    with oxigraph_server(location) as server:  # restart on the same data: the two graphs are there, whole
        dst = target(server)
        assert dst.graphs() == order[:2]
        again = push(src, dst)
        assert [g.graph for g in again.unchanged] == order[:2]
        assert [g.graph for g in again.pushed] == order[2:]


class _Flaky(BaseHTTPRequestHandler):
    """An update endpoint that forwards the first `allow` updates to the real server, then fails."""

    forward_to = ""
    allow = 2
    seen = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen += 1
        if type(self).seen <= self.allow:
            r = requests.post(self.forward_to, data=body, headers={"Content-Type": self.headers["Content-Type"]},
                              timeout=30)
            status, answer = r.status_code, r.content
        else:
            status, answer = 503, b"maintenance: read-only until 06:00"
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky(server: OxigraphServer) -> Iterator[str]:
    handler = type("Flaky", (_Flaky,), {"forward_to": server.update_url, "seen": 0, "allow": 3})
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{http.server_address[1]}/update"
    finally:
        http.shutdown()
        http.server_close()


@pytest.mark.slow
def test_cli_push_real_knowledge_twice_and_interrupted(server: OxigraphServer, flaky: str) -> None:
    run = [sys.executable, "-m", "normgraph", "push", "--endpoint", server.query_url]
    # a failing update endpoint after 3 graphs: exit 1, the pushed and the not-pushed graphs listed
    out = subprocess.run([*run, "--update-endpoint", flaky], capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "pushed (3)" in out.stderr and "NOT pushed (" in out.stderr and "HTTP 503" in out.stderr
    assert "maintenance" in out.stderr and flaky in out.stderr
    remote = target(server)
    assert len(remote.graphs()) == 3

    # finish the job; then a second push changes nothing and says so
    out = subprocess.run([*run, "--update-endpoint", server.update_url], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert ", 3 unchanged" in out.stdout
    pushed = len(remote.graphs())
    assert pushed > 3
    out = subprocess.run([*run, "--update-endpoint", server.update_url, "--graph-store", server.store_url],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"nothing to push: all {pushed} graphs" in out.stdout
    out = subprocess.run([*run, "--dry-run"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "nothing to push" in out.stdout


# -- Virtuoso 7: Digest auth, GSP in bounded chunks (the profile's way) ----------------------------------------
@pytest.mark.slow
def test_push_real_knowledge_to_virtuoso_equals_the_embedded_store(virtuoso: VirtuosoServer) -> None:
    """The whole knowledge and the examples (34 graphs, one of 32k triples) to a real Virtuoso, given only its
    SPARQL and update endpoints and the profile: the profile finds the GSP endpoint and writes at most
    `load_chunk_triples` a request (one INSERT DATA of the knowledge runs Virtuoso's SPARQL compiler out of
    memory). Then every graph holds exactly the embedded store's triples, and a second push does nothing."""
    src = EmbeddedStore()
    load_knowledge(src, examples=True)
    sizes = {g: src.graph_size(g) for g in src.graphs()}
    assert max(sizes.values()) > 3 * (VIRTUOSO.load_chunk_triples or 0)  # chunked for real
    dst = RemoteStore(virtuoso.query_url, update_endpoint=virtuoso.auth_url, profile="virtuoso", user=USER,
                      password=PASSWORD)
    assert dst.graph_store == virtuoso.store_url
    try:
        report = push(src, dst)
        assert report.ok and len(report.pushed) == len(sizes), report.summary()
        assert dst.graphs() == sorted(sizes)  # no system graph, no staging graph left
        assert {g: dst.graph_size(g) for g in sizes} == sizes
        again = push(src, dst)
        assert again.pushed == [] and len(again.unchanged) == len(sizes)
        # a chunked append (replace=False) adds the same triples: a set, so nothing changes
        big = max(sizes, key=sizes.__getitem__)
        assert dst.load(src.export("ntriples", big), "ntriples", big, replace=False) == sizes[big]
        assert not any(STAGING_MARK in g for g in dst.graphs())
        # without credentials the write is refused, naming the endpoint, and nothing changes
        anonymous = RemoteStore(virtuoso.query_url, update_endpoint=virtuoso.auth_url, profile="virtuoso")
        with pytest.raises(RemoteStoreError) as e:
            anonymous.load("<urn:x:a> <urn:x:b> <urn:x:c> .", "ntriples", big)
        assert e.value.status == 401 and virtuoso.store_url in str(e.value)
        assert dst.graph_size(big) == sizes[big]
    finally:
        for g in sizes:
            dst.drop(g)


@pytest.mark.slow
def test_cli_push_to_virtuoso_as_the_docs_say(virtuoso: VirtuosoServer) -> None:
    """docs/remote-stores.md's Virtuoso push command, run as written (credentials from the environment)."""
    docs = (ROOT / "docs" / "remote-stores.md").read_text()
    assert "normgraph push --endpoint http://127.0.0.1:8890/sparql --update-endpoint http://127.0.0.1:8890/sparql-auth" \
        in docs and "--store-profile virtuoso" in docs
    env = {**os.environ, "NORMGRAPH_REMOTE_USER": USER, "NORMGRAPH_REMOTE_PASSWORD": PASSWORD}
    run = [sys.executable, "-m", "normgraph", "push", "--endpoint", virtuoso.query_url, "--update-endpoint",
           virtuoso.auth_url, "--store-profile", "virtuoso"]
    dst = virtuoso.store()
    try:
        out = subprocess.run(run, capture_output=True, text=True, timeout=600, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "pushed " in out.stdout or "nothing to push" in out.stdout
        again = subprocess.run(run, capture_output=True, text=True, timeout=600, env=env)
        assert again.returncode == 0 and "nothing to push" in again.stdout, again.stdout + again.stderr
        small = min(dst.graphs(), key=dst.graph_size)
        dst.drop(small)
        without = subprocess.run(run, capture_output=True, text=True, timeout=600,
                                 env={k: v for k, v in env.items() if not k.startswith("NORMGRAPH_REMOTE_")})
        assert without.returncode == 1 and "HTTP 401" in without.stderr, without.stdout + without.stderr
        assert small not in dst.graphs()
        back = subprocess.run(run, capture_output=True, text=True, timeout=600, env=env)
        assert back.returncode == 0 and "pushed 1 graph(s)" in back.stdout, back.stdout + back.stderr
    finally:
        for g in dst.graphs():
            dst.drop(g)

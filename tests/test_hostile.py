"""Hostile clients against a real server on loopback: query blow-ups, writes without the right token, huge bodies.

- property-path closures and cross products are stopped by the timeout (503 with Retry-After, the worker is
  killed) while another client keeps being answered, and the server is healthy afterwards;
- every write path (SPARQL Update by form and by body, GSP PUT/POST/DELETE, org file import) refuses a
  missing or wrong token (401/403), and a read-only server refuses writes even with a token, with the
  store's N-Quads dump unchanged;
- bodies over the upload limit (query, update, GSP, import) get 413 without the body being read: the
  app never touches wsgi.input, waitress answers after the headers alone, and a chunked body is cut off
  at the cap;
- an uploaded file is read in a child process that cannot open a socket or outgrow its memory and time.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from repo import ROOT
from waitress.server import create_server

from normgraph.orgdata.errors import OrgDataError
from normgraph.orgdata.sandbox import Caps, WorkerLimit, run_capped
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.server.stopping import stop_server
from normgraph.server.upload_admission import upload_slot
from tests.server_helpers import GRAPH_A, TOKEN, Listener, fixture_store

LIMIT = 64 * 1024
TIMEOUT = 2.0
PATHS = " . ".join(f"?a{i} (<http://x/p>|!<http://x/p>)* ?b{i}" for i in range(6))
BLOWUPS = {
    "property-path closures": f"SELECT (COUNT(*) AS ?n) WHERE {{ {PATHS} }}",
    "cross product": "SELECT (COUNT(*) AS ?n) WHERE { " + " . ".join(f"?s{i} ?p{i} ?o{i}" for i in range(9)) + " }",
}
SOA = (ROOT / "data" / "templates" / "soa.csv").read_bytes()


@contextmanager
def serve(**config: Any) -> Iterator[tuple[str, Any]]:
    """The app on waitress as `normgraph serve` runs it (max_request_body_size = the upload limit)."""
    config = {"query_timeout": TIMEOUT, "max_upload": LIMIT, "workers": 2, **config}
    app = create_app(fixture_store(), config=config)
    server = start(app)
    try:
        yield f"http://127.0.0.1:{server.effective_port}", app
    finally:
        stop_server(server)
        close_app(app)


def start(app: Any) -> Any:
    """A waitress server of `app` on a free loopback port, running in a thread of its own."""
    server = create_server(app, host="127.0.0.1", port=0, threads=8, max_request_body_size=LIMIT)

    def run() -> None:
        with contextlib.suppress(OSError):
            server.run()

    threading.Thread(target=run, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def rw() -> Iterator[tuple[str, Any]]:
    with serve(update_token=TOKEN) as s:
        yield s


def dump(base: str) -> set[str]:
    r = requests.get(f"{base}/store", headers={"Accept": "application/n-quads"}, timeout=30)
    assert r.status_code == 200
    return set(r.text.splitlines())


# -- blow-ups --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(BLOWUPS))
def test_blowup_is_stopped_by_the_timeout_while_others_are_answered(rw: tuple[str, Any], name: str) -> None:
    base, _app = rw
    outcome: dict[str, Any] = {}

    def attacker() -> None:
        started = time.monotonic()
        r = requests.get(f"{base}/sparql", params={"query": BLOWUPS[name]}, timeout=30)
        outcome["status"], outcome["seconds"], outcome["headers"] = r.status_code, time.monotonic() - started, r.headers

    t = threading.Thread(target=attacker)
    t.start()
    time.sleep(0.2)
    answered = 0
    slowest = 0.0
    n = 0
    while t.is_alive():  # another client, with queries the cache cannot have seen yet
        n += 1
        started = time.monotonic()
        # (as a principal of its own: per-client fairness counts every anonymous client of one address as one)
        r = requests.get(f"{base}/sparql", params={"query": f'ASK {{ ?s ?p ?o FILTER(STR(?o) != "{name}{n}") }}'},
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        slowest = max(slowest, time.monotonic() - started)
        assert r.status_code == 200, r.text
        assert r.json()["boolean"] is True
        answered += 1
    t.join()
    assert outcome["status"] == 503
    assert outcome["headers"].get("Retry-After")
    # not a speed assertion: unstopped, a blow-up runs for minutes; under 10x the timeout shows the stop
    assert TIMEOUT - 0.5 <= outcome["seconds"] < 10 * TIMEOUT
    assert answered >= 5, "the other client was starved"
    # not a speed assertion: a client queued behind the blow-up would wait out its time limit
    assert slowest < TIMEOUT, f"another client waited {slowest:.2f} s"
    # healthy afterwards
    assert requests.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10).json()["boolean"] is True


def test_many_blowups_at_once_all_get_503_and_the_server_recovers(rw: tuple[str, Any]) -> None:
    base, _app = rw
    statuses: list[int] = []

    def attacker(i: int) -> None:
        q = BLOWUPS["cross product"].replace("?o0 }", f"?o0 FILTER(?o0 != {i}) }}")
        statuses.append(requests.get(f"{base}/sparql", params={"query": q}, timeout=30).status_code)

    ts = [threading.Thread(target=attacker, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert statuses == [503] * 4
    # recovered: a worker answers (with none, the query would get a 503, not a boolean)
    assert requests.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10).json()["boolean"] is True



# -- stopping a server -----------------------------------------------------------------------------
def _open_descriptors() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def test_a_stopped_server_lets_its_request_finish_and_writes_into_no_descriptor_it_gave_up() -> None:
    """A server stopped while a request runs lets that request finish (its own answer, 503 at the timeout),
    and nothing of it writes into a descriptor it gave up. waitress wakes its loop by writing "x" to a pipe at
    the end of every request; a request thread that got there after `server.close()` wrote its "x" into
    whatever had taken the pipe's number since: in CI, a later server's new connection, whose client read
    'xHTTP/1.1 200 OK' (normgraph/server/stopping.py). Here the test's own sockets take those numbers."""
    app = create_app(fixture_store(), config={"query_timeout": TIMEOUT, "workers": 2})
    server = start(app)
    base = f"http://127.0.0.1:{server.effective_port}"
    answer: dict[str, requests.Response] = {}

    def client() -> None:
        answer["blow-up"] = requests.get(f"{base}/sparql", params={"query": BLOWUPS["cross product"]}, timeout=30)

    t = threading.Thread(target=client)
    t.start()
    admission = app.extensions["normgraph"].store.admission
    while t.is_alive() and not admission.running:  # until the blow-up holds its query slot
        time.sleep(0.01)
    held: list[socket.socket] = []
    try:
        before = _open_descriptors()
        stop_server(server, wait=30)
        freed = before - _open_descriptors()
        # what opens a descriptor next gets the lowest free number, so the test's socket pairs take every
        # number the server gave up
        while not freed <= {s.fileno() for s in held}:
            held.extend(socket.socketpair())
            assert len(held) < 4096
        close_app(app)
        t.join()
        server.task_dispatcher.shutdown()  # every request thread of the stopped server has ended
        stray = b""
        for s in held:
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                stray += s.recv(64)
        assert stray == b""
        assert answer["blow-up"].status_code == 503, answer["blow-up"].text
        assert answer["blow-up"].headers.get("Retry-After")
    finally:
        for s in held:
            s.close()
        close_app(app)

# -- writes without the right token ---------------------------------------------------------------
INSERT = "INSERT DATA { GRAPH <http://example.org/graph/evil> { <http://example.org/e> <http://example.org/p> 1 } }"
TTL = b"<http://example.org/e> <http://example.org/p> 1 ."


def write_requests(base: str) -> list[tuple[str, str, dict[str, Any]]]:
    ttl = {"Content-Type": "text/turtle"}
    return [
        ("update by form", "POST", {"url": f"{base}/sparql", "data": {"update": INSERT}}),
        ("update by body", "POST", {"url": f"{base}/sparql", "data": INSERT.encode(),
                                    "headers": {"Content-Type": "application/sparql-update"}}),
        ("GSP PUT", "PUT", {"url": f"{base}/store", "params": {"graph": GRAPH_A}, "data": TTL, "headers": ttl}),
        ("GSP POST", "POST", {"url": f"{base}/store", "params": {"graph": GRAPH_A}, "data": TTL, "headers": ttl}),
        ("GSP DELETE", "DELETE", {"url": f"{base}/store", "params": {"graph": GRAPH_A}}),
        ("import raw", "POST", {"url": f"{base}/org/acme/import", "params": {"format": "csv"}, "data": SOA}),
        ("import multipart", "POST", {"url": f"{base}/org/acme/import", "files": {"file": ("soa.csv", SOA)}}),
    ]


@pytest.mark.parametrize(("auth", "status"), [(None, 401), ("Bearer wrong", 403), ("Basic " + TOKEN, 403),
                                              (f"Bearer {TOKEN}x", 403), ("Bearer", 403)])
def test_every_write_path_refuses_a_missing_or_wrong_token(rw: tuple[str, Any], auth: str | None, status: int) -> None:
    base, _app = rw
    before = dump(base)
    for what, method, kwargs in write_requests(base):
        headers = dict(kwargs.pop("headers", {}))
        if auth is not None:
            headers["Authorization"] = auth
        r = requests.request(method, headers=headers, timeout=30, **kwargs)
        assert r.status_code == status, (what, r.status_code, r.text)
        if status == 401:
            assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), what
    assert dump(base) == before


def test_a_read_only_server_refuses_writes_even_with_a_token() -> None:
    with serve() as (base, _app):
        before = dump(base)
        for what, method, kwargs in write_requests(base):
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {TOKEN}"}
            r = requests.request(method, headers=headers, timeout=30, **kwargs)
            assert r.status_code == 403, (what, r.status_code, r.text)
        assert dump(base) == before


def test_the_right_token_does_write_on_every_path(rw: tuple[str, Any]) -> None:
    """The refusals above are about the token, not broken routes: the same requests with it succeed."""
    base, _app = rw
    before = dump(base)
    codes = {}
    for what, method, kwargs in write_requests(base):
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {TOKEN}"}
        codes[what] = requests.request(method, headers=headers, timeout=30, **kwargs).status_code
    assert codes == {"update by form": 204, "update by body": 204, "GSP PUT": 204, "GSP POST": 204,
                     "GSP DELETE": 204, "import raw": 200, "import multipart": 200}
    assert dump(base) != before
    # restore the fixture graphs for the other tests of this module
    store = _app.extensions["normgraph"].store
    for g in store.graphs():
        store.drop(g)
    for g, data in _fixture_graphs().items():
        store.load(data, "ntriples", g)
    assert dump(base) == before


def _fixture_graphs() -> dict[str, bytes]:
    src = fixture_store()
    return {g: src.export("ntriples", g) for g in src.graphs()}


# -- oversized bodies ------------------------------------------------------------------------------
class _Untouchable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        type(self).reads += 1
        raise AssertionError("the body was read")


BIG = [
    ("query", "/sparql", {"Content-Type": "application/sparql-query"}),
    ("query form", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("update", "/sparql", {"Content-Type": "application/sparql-update"}),
    ("GSP PUT", "/store?graph=http://example.org/g", {"Content-Type": "text/turtle"}),
    ("import", "/org/acme/import?format=csv", {"Content-Type": "text/csv"}),
]


@pytest.mark.parametrize(("what", "path", "headers"), BIG)
def test_oversized_bodies_get_413_without_the_app_reading_them(what: str, path: str, headers: dict[str, str]) -> None:
    app = create_app(fixture_store(), config={"update_token": TOKEN, "max_upload": LIMIT, "guard": False})
    method = "PUT" if what.startswith("GSP") else "POST"
    _Untouchable.reads = 0
    r = app.test_client().open(path, method=method, headers={**headers, "Authorization": f"Bearer {TOKEN}"},
                               environ_overrides={"wsgi.input": _Untouchable(), "CONTENT_LENGTH": str(10 * LIMIT)})
    assert r.status_code == 413, r.data
    assert _Untouchable.reads == 0


@pytest.mark.parametrize(("what", "path", "headers"), BIG)
def test_chunked_bodies_are_cut_off_at_the_cap(what: str, path: str, headers: dict[str, str]) -> None:
    """No Content-Length: the body is read through a cap and refused once it passes the limit."""
    app = create_app(fixture_store(), config={"update_token": TOKEN, "max_upload": LIMIT, "guard": False})

    class Endless(io.RawIOBase):
        given = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            n = min(len(b), 4096)
            b[:n] = b"a" * n
            Endless.given += n
            if Endless.given > 100 * LIMIT:
                raise AssertionError("read far past the cap")
            return n

    method = "PUT" if what.startswith("GSP") else "POST"
    r = app.test_client().open(path, method=method, headers={**headers, "Authorization": f"Bearer {TOKEN}"},
                               environ_overrides={"wsgi.input": io.BufferedReader(Endless()),
                                                  "wsgi.input_terminated": True,
                                                  "HTTP_TRANSFER_ENCODING": "chunked"})
    assert r.status_code == 413, (r.status_code, r.data[:200])
    assert Endless.given <= 2 * LIMIT + 64 * 1024


@pytest.mark.parametrize(("what", "path", "headers"), BIG)
def test_waitress_answers_413_after_the_headers_alone(rw: tuple[str, Any], what: str, path: str,
                                                      headers: dict[str, str]) -> None:
    base, _app = rw
    host, port = base.removeprefix("http://").split(":")
    method = "PUT" if what.startswith("GSP") else "POST"
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {100 * LIMIT}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Authorization": f"Bearer {TOKEN}"}.items()) + "\r\n"
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head.encode())  # and not one byte of the body
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]


def test_chunked_oversized_upload_over_http_gets_413(rw: tuple[str, Any]) -> None:
    base, _app = rw
    before = dump(base)

    def chunks() -> Iterator[bytes]:
        yield SOA
        for _ in range(2 * LIMIT // 1024):
            yield b"," * 1024

    r = requests.post(f"{base}/org/acme/import", params={"format": "csv"}, data=chunks(),
                      headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/csv"}, timeout=30)
    assert r.status_code == 413
    assert dump(base) == before


# -- the child process an upload is read in (normgraph/orgdata/sandbox.py) -----------------------------------

def _connect(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")


def test_the_reader_of_an_upload_cannot_reach_the_network_or_outgrow_its_caps() -> None:
    """What parses an upload runs in a child that may open no socket (a loopback listener receives nothing),
    allocate no more than its memory cap and run no longer than its time limit; each failure comes back to
    the server as an answer (the error, or WorkerLimit), and a bad cell keeps its file, sheet, row and column."""
    listener = Listener()
    try:
        with pytest.raises(PermissionError, match="socket"):
            run_capped(lambda: _connect(listener.port), Caps())
        _connect(listener.port)  # the listener itself answers this process
        deadline = time.monotonic() + 5
        while len(listener.hits) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(listener.hits) == 1  # only the server's own connection reached it
    finally:
        listener.close()
    with pytest.raises(WorkerLimit) as memory:
        run_capped(lambda: len(bytearray(512 * 1024**2)), Caps(memory=64 * 1024**2))
    assert memory.value.kind == "memory"
    with pytest.raises(WorkerLimit) as slow:
        run_capped(lambda: sum(range(10**12)), Caps(cpu=1, wall=30))
    assert slow.value.kind == "time"
    with pytest.raises(OrgDataError) as bad:
        run_capped(lambda: (_ for _ in ()).throw(OrgDataError("soa.xlsx", 4, "applicable", "perhaps?", sheet="soa")),
                   Caps())
    assert (bad.value.file, bad.value.sheet, bad.value.row, bad.value.column) == ("soa.xlsx", "soa", 4, "applicable")
    assert run_capped(lambda: "answer", Caps()) == "answer"


def test_a_jsonld_upload_is_read_in_an_upload_slot() -> None:
    """A JSON-LD body sent to /store is parsed (its contexts checked) in an upload's child process, holding
    an upload slot: when none is free the answer is a fast 503 with Retry-After, and nothing is written."""
    app = create_app(fixture_store(), config={"update_token": TOKEN, "upload_workers": 1, "guard": False})
    try:
        c = app.test_client()
        auth = {"Authorization": f"Bearer {TOKEN}"}
        doc = b'{"@id": "http://example.org/s", "http://example.org/p": "o"}'
        graph = "http://example.org/jsonld-upload"
        with app.test_request_context(headers=auth), upload_slot():  # another upload of this client is being read
            busy = c.put("/store", query_string={"graph": graph}, data=doc, headers=auth,
                         content_type="application/ld+json")
            assert busy.status_code == 503 and busy.headers["Retry-After"]
            assert graph not in app.extensions["normgraph"].store.graphs()
        done = c.put("/store", query_string={"graph": graph}, data=doc, headers=auth, content_type="application/ld+json")
        assert done.status_code == 201 and app.extensions["normgraph"].store.graph_size(graph) == 1
        deep = c.put("/store", query_string={"graph": graph}, data=b"[" * 100 + b"]" * 100, headers=auth,
                     content_type="application/ld+json")
        assert deep.status_code == 400 and "nested deeper" in deep.get_data(as_text=True)
    finally:
        close_app(app)

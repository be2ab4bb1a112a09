"""A real Oxigraph server for tests: `oxigraph serve` on a free loopback port with a temp location.

Use it from any test module (pytest puts tests/ on sys.path in its default import mode)::

    from oxigraph_server import oxigraph_server, requires_oxigraph

    @requires_oxigraph
    def test_something(tmp_path):
        with oxigraph_server(tmp_path / "ox") as server:
            store = RemoteStore(server.query_url, update_endpoint=server.update_url,
                                graph_store=server.store_url)
            ...

or the ready-made fixtures `oxigraph` (module scope, default graph NOT the union, like a plain
`oxigraph serve`) and `oxigraph_union` (started with `--union-default-graph`)::

    from oxigraph_server import oxigraph  # noqa: F401  (makes the fixture visible)

`server.kill()` SIGKILLs it (to test what happens when the store dies mid-operation).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

OXIGRAPH = shutil.which("oxigraph")
requires_oxigraph = pytest.mark.remote  # the test extra installs the server (package `oxigraph`): never skipped


@dataclass
class OxigraphServer:
    process: subprocess.Popen[bytes]
    base_url: str
    location: Path
    union_default_graph: bool

    @property
    def query_url(self) -> str:
        return f"{self.base_url}/query"

    @property
    def update_url(self) -> str:
        return f"{self.base_url}/update"

    @property
    def store_url(self) -> str:
        """The Graph Store Protocol endpoint (`?graph=IRI`, `?default`)."""
        return f"{self.base_url}/store"

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(server: OxigraphServer, deadline: float) -> None:
    last = ""
    while time.monotonic() < deadline:
        if not server.alive():
            err = server.process.stderr.read().decode(errors="replace") if server.process.stderr else ""
            raise RuntimeError(f"oxigraph serve exited with {server.process.returncode}: {err}")
        try:
            with urllib.request.urlopen(f"{server.query_url}?query=ASK%7B%7D", timeout=1) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            last = str(e)
        time.sleep(0.05)
    raise RuntimeError(f"oxigraph serve did not answer at {server.base_url} in time ({last})")


@contextmanager
def oxigraph_server(location: Path | None = None, *, union_default_graph: bool = False,
                    timeout_s: int | None = None, startup: float = 20.0) -> Iterator[OxigraphServer]:
    """Start `oxigraph serve`, wait until it answers, yield it, and always stop it (and its temp dir)."""
    if OXIGRAPH is None:
        pytest.fail("the `oxigraph` server binary is not installed (pip install -e '.[test]' installs it)")
    tmp = None if location else tempfile.mkdtemp(prefix="oxigraph-")
    where = Path(location) if location else Path(tmp)  # type: ignore[arg-type]
    where.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):  # the port could be taken between free_port() and bind
        port = free_port()
        cmd = [OXIGRAPH, "serve", "--location", str(where), "--bind", f"127.0.0.1:{port}"]
        if union_default_graph:
            cmd.append("--union-default-graph")
        if timeout_s is not None:
            cmd += ["--timeout-s", str(timeout_s)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        server = OxigraphServer(proc, f"http://127.0.0.1:{port}", where, union_default_graph)
        try:
            _wait_until_up(server, time.monotonic() + startup)
            break
        except RuntimeError:
            server.kill()
            if attempt == 2:
                raise
    try:
        yield server
    finally:
        server.stop()
        if server.process.stderr:
            server.process.stderr.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[OxigraphServer]:
    """A plain Oxigraph server (default graph = the unnamed graph only), shared by one test module."""
    with oxigraph_server() as server:
        yield server


@pytest.fixture(scope="module")
def oxigraph_union() -> Iterator[OxigraphServer]:
    """An Oxigraph server started with --union-default-graph."""
    with oxigraph_server(union_default_graph=True) as server:
        yield server

"""The server kernel (normgraph/server/kernel.py): the app owns its store and closes it when it goes away,
also under gunicorn, which never runs `normgraph serve`'s own shutdown."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from flask import Flask

from normgraph.server import create_app
from normgraph.server.config import ServerConfig
from normgraph.server.kernel import close_app, current_store, init_app, state
from normgraph.store import EmbeddedStore
from normgraph.store.scoped import PUBLIC, ScopedStore

try:
    from oxigraph_server import free_port
except ImportError:  # pragma: no cover - run from the repository root
    from tests.oxigraph_server import free_port


class CountingStore(EmbeddedStore):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1
        super().close()


def test_init_app_gives_state_and_current_store() -> None:
    store = CountingStore()
    app = Flask(__name__)
    cfg = ServerConfig.from_env({"examples": False})
    init_app(app, store, cfg)
    with app.test_request_context("/"):
        # the request's store: the one store, restricted to the anonymous request's scope
        scoped = current_store()
        assert isinstance(scoped, ScopedStore) and scoped.inner is store and scoped.scope == PUBLIC
        assert current_store() is scoped and state().config is cfg
    close_app(app)
    close_app(app)  # the second close does nothing
    assert store.closed == 1


def test_the_store_is_closed_when_the_app_is_collected() -> None:
    store = CountingStore()
    app = create_app(store, config={"guard": False, "examples": False})
    assert app.test_client().get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    assert store.closed == 0
    del app
    gc.collect()
    assert store.closed == 1


def test_a_guarded_store_closes_its_inner_store_with_the_app() -> None:
    store = CountingStore()
    app = create_app(store, config={"examples": False, "workers": 1})
    assert app.test_client().get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    close_app(app)
    assert store.closed == 1


def test_a_forked_child_never_closes_its_parents_store() -> None:
    store = CountingStore()
    app = create_app(store, config={"guard": False, "examples": False})
    pid = os.fork()
    if pid == 0:  # the child: run the finalizer as its exit would, report whether it closed the store
        closer = app.extensions["normgraph"].closer
        closer()
        os._exit(10 + store.closed)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 10  # the child's copy was not closed
    close_app(app)
    assert store.closed == 1  # the owner still closes it


FACTORY = """
import os

from normgraph.server import create_app
from normgraph.store import EmbeddedStore


class MarkingStore(EmbeddedStore):
    def close(self):
        super().close()
        with open(os.environ["NORMGRAPH_TEST_MARK"], "a") as f:
            f.write(f"closed {os.getpid()}\\n")


def make():
    store = MarkingStore()
    store.load(b'<http://example.org/s> <http://example.org/p> "o" .', "ntriples", "http://example.org/g")
    return create_app(store, config={"examples": False, "workers": 1})
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("gunicorn") is None and not os.path.exists(
    os.path.join(os.path.dirname(sys.executable), "gunicorn")), reason="gunicorn is not installed")
def test_gunicorn_worker_closes_the_store_on_shutdown(tmp_path: Path) -> None:
    """A real gunicorn (2 workers, guarded store with forked query workers): after SIGTERM every worker
    has closed its store, though nothing but the kernel's finalizer calls close()."""
    (tmp_path / "ng_factory.py").write_text(textwrap.dedent(FACTORY))
    mark = tmp_path / "closed.txt"
    port = free_port()
    env = {**os.environ, "NORMGRAPH_TEST_MARK": str(mark), "PYTHONPATH": os.pathsep.join(
        [str(Path.cwd()), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--chdir", str(tmp_path),
         "--no-control-socket", "--graceful-timeout", "10", "ng_factory:make()"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D"
        deadline = time.monotonic() + 60
        answered = 0
        while time.monotonic() < deadline and answered < 4:
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    assert b"true" in r.read()
                    answered += 1
            except OSError:
                time.sleep(0.2)
        assert answered == 4, "gunicorn did not answer"
        assert not mark.exists()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, out.decode(errors="replace")
    lines = mark.read_text().split()
    assert lines.count("closed") == 2, out.decode(errors="replace")  # one store per worker, each closed once


@pytest.mark.slow
def test_serve_stops_in_order_on_sigterm(tmp_path: Path) -> None:
    """`normgraph serve` under a service manager: SIGTERM closes the store and exits 0."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from normgraph.cli import main; main()", "serve", "--port", "0", "--no-examples",
         "--workers", "1"], cwd=Path.cwd(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        line = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "serving on" not in line:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
        port = line.split("http://127.0.0.1:", 1)[1].split("/", 1)[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", timeout=30) as r:
            assert r.status == 200
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, rest
    assert "stopped; the store (embedded in memory" in rest and "is closed" in rest



def test_the_default_query_workers_follow_the_cores_the_process_may_use() -> None:
    """One worker more than the usable cores (a container's or taskset's share, not the host's), at least 2:
    a process pinned to one core gets 2, and NORMGRAPH_WORKERS still decides when set."""
    probe = ("import os, sys; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
             "from normgraph.server.config import ServerConfig; print(ServerConfig.from_env(env={}).workers, "
             "ServerConfig.from_env(env={'NORMGRAPH_WORKERS': '5'}).workers)")
    pinned = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert pinned.stdout.split() == ["2", "5"]
    usable = len(os.sched_getaffinity(0))
    assert ServerConfig.from_env(env={}).workers == min(max(usable + 1, 2), 16)

"""Helpers for the server tests: fixture stores and a real HTTP server (waitress) on a loopback port."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from waitress.server import create_server

from normgraph.access.audit import LOGGER as AUDIT_LOGGER
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.server.stopping import stop_server
from normgraph.store import EmbeddedStore

FIXTURES = Path(__file__).parent / "fixtures"
GRAPH_A = "http://example.org/graph/a"
GRAPH_B = "http://example.org/graph/b"
TOKEN = "s3cret-token"


def fixture_store() -> EmbeddedStore:
    store = EmbeddedStore()
    store.load(FIXTURES / "server-a.ttl", "turtle", GRAPH_A)
    store.load(FIXTURES / "server-b.ttl", "turtle", GRAPH_B)
    return store


@contextmanager
def running(store: Any = None, **config: Any) -> Iterator[tuple[str, Any]]:
    """(base URL, app) of a waitress server on 127.0.0.1:<free port> serving create_app(store, config)."""
    config.setdefault("cors_origins", "*")
    app = create_app(store if store is not None else fixture_store(), config=config)
    server = create_server(app, host="127.0.0.1", port=0, threads=8)

    def serve() -> None:
        with contextlib.suppress(OSError):  # the socket map is closed under the loop at shutdown
            server.run()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", app  # type: ignore[union-attr]
    finally:
        stop_server(server)
        close_app(app)


class Listener:
    """A TCP listener on a loopback port that records every connection it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.hits.append(conn.recv(4096))
            except OSError:
                self.hits.append(b"")
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join(2)
        self.sock.close()


def access_db_with_link(folder: Path, name: str, *, admin: bool = False,
                        grants: dict[str, str] | None = None) -> tuple[Path, str]:
    """(an access database in `folder` holding principal `name` with its grants, that principal's one-time
    sign-in secret): how a browser test signs someone in."""
    from normgraph.access import Registry

    db = folder / "access.sqlite"
    registry = Registry(db)
    registry.add(name, admin=admin)
    for org, role in (grants or {}).items():
        registry.grant(name, org, role)
    secret = registry.signin_link(name)
    registry.close()
    return db, secret


@contextmanager
def audit_records() -> Iterator[list[dict[str, Any]]]:
    """The audit records (normgraph.access.audit, one JSON object a line) logged inside the block, as dicts."""
    records: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(json.loads(record.getMessage()))

    handler, level = Collect(), AUDIT_LOGGER.level
    AUDIT_LOGGER.addHandler(handler)
    AUDIT_LOGGER.setLevel(logging.INFO)
    try:
        yield records
    finally:
        AUDIT_LOGGER.removeHandler(handler)
        AUDIT_LOGGER.setLevel(level)

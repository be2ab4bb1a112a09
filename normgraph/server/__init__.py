"""The normgraph web server: `create_app()` builds the Flask application (see normgraph/server/README.md).

`create_app()` with no arguments reads its configuration from the environment (NORMGRAPH_*), so
`gunicorn 'normgraph.server:create_app()'` works as is.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from normgraph.server.config import ServerConfig
from normgraph.store import Dataset, EmbeddedStore, QueryResult, QuerySyntaxError, QueryTimeout, Store, StoreError

CORS_PREFIXES = ("/sparql", "/api", "/id/", "/context.jsonld", "/store")


def build_store(cfg: ServerConfig) -> Store:
    """The embedded store at cfg.store_path (or in memory), loaded with the knowledge if empty."""
    inner = EmbeddedStore(cfg.store_path)
    if not inner.graphs():
        from normgraph.loading import load_knowledge

        load_knowledge(inner, examples=cfg.examples)
    return inner


#: Seconds the explorer's cached view models of a remote store are kept when nobody writes through
#: this app: others may change the remote store behind our back (NORMGRAPH_REMOTE_CACHE_TTL).
REMOTE_CACHE_TTL = 30.0


class ServedRemoteStore:
    """A remote store (normgraph.store.remote.RemoteStore) as the server uses it.

    The GuardedStore gives the embedded store its timeouts, result cap and data generation; over
    HTTP those come from here instead:

    * every query gets the server's time limit (`query_timeout`) as the HTTP client's timeout, so a
      slow remote query ends in RemoteTimeout (a QueryTimeout) -> 503;
    * `query_serialized` answers are capped at `max_results` bytes as they are read (ResultTooLarge -> 422);
    * `generation` = (writes made through this app, TTL bucket): bumped by our own writes at once, and
      every `cache_ttl` seconds for changes other clients make to the remote store directly. The
      explorer's caches (normgraph/server/views_data.py) are keyed by it.
    """

    def __init__(self, store: Any, *, timeout: float | None, max_results: int | None,
                 cache_ttl: float | None = None) -> None:
        self.inner = store
        self.location: str = store.location
        self.timeout = timeout
        if max_results is not None and getattr(store, "max_result_bytes", None) is None:
            store.max_result_bytes = max_results
        self.cache_ttl = cache_ttl if cache_ttl is not None else _env_float("NORMGRAPH_REMOTE_CACHE_TTL", REMOTE_CACHE_TTL)
        self._writes = 0
        self._lock = threading.Lock()

    @property
    def generation(self) -> tuple[int, int]:
        return self._writes, int(time.monotonic() // self.cache_ttl) if self.cache_ttl > 0 else 0

    def default_graph_mode(self) -> str | None:
        """"native" / "dataset" (how the remote gives the union default graph), None when not yet known."""
        mode = getattr(self.inner, "default_graph_mode", None)
        return mode() if callable(mode) else None

    def _wrote(self) -> None:
        with self._lock:
            self._writes += 1

    def query(self, sparql: str, *, dataset: Dataset | None = None, timeout: float | None = None) -> QueryResult:
        return self.inner.query(sparql, dataset=dataset, timeout=timeout if timeout is not None else self.timeout)  # type: ignore[no-any-return]

    def query_serialized(
        self, sparql: str, result_format: str, *, dataset: Dataset | None = None, timeout: float | None = None
    ) -> tuple[bytes, str, str]:
        return self.inner.query_serialized(  # type: ignore[no-any-return]
            sparql, result_format, dataset=dataset, timeout=timeout if timeout is not None else self.timeout)

    def update(self, sparql: str) -> None:
        try:
            self.inner.update(sparql)
        finally:  # even a failed update may have been applied (the answer can be lost)
            self._wrote()

    def load(self, data: bytes | str | Path, fmt: str, graph: str, *, replace: bool = True) -> int:
        try:
            return self.inner.load(data, fmt, graph, replace=replace)  # type: ignore[no-any-return]
        finally:
            self._wrote()

    def drop(self, graph: str) -> None:
        try:
            self.inner.drop(graph)
        finally:
            self._wrote()

    def graphs(self) -> list[str]:
        return self.inner.graphs()  # type: ignore[no-any-return]

    def graph_size(self, graph: str) -> int:
        return self.inner.graph_size(graph)  # type: ignore[no-any-return]

    def export(self, fmt: str, graph: str | None = None) -> bytes:
        return self.inner.export(fmt, graph)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.inner.close()


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number of seconds") from None


def guard(store: Store, cfg: ServerConfig) -> Store:
    """The store as served: the embedded one behind a GuardedStore, a remote one behind a ServedRemoteStore."""
    from normgraph.store.guarded import GuardedStore
    from normgraph.store.remote import RemoteStore

    if cfg.guard and isinstance(store, EmbeddedStore):
        return GuardedStore(store, workers=cfg.workers, timeout=cfg.query_timeout,
                            max_result_bytes=cfg.max_results, cache_entries=cfg.cache_entries)
    if isinstance(store, RemoteStore):
        return ServedRemoteStore(store, timeout=cfg.query_timeout, max_results=cfg.max_results)
    return store


def _optional_blueprint(app: Flask, module: str) -> None:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        return
    app.register_blueprint(mod.bp)


def create_app(store: Store | None = None, *, config: Mapping[str, Any] | None = None) -> Flask:
    cfg = ServerConfig.from_env(config)
    the_store = guard(store if store is not None else build_store(cfg), cfg)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = cfg.max_upload
    app.config["MAX_FORM_MEMORY_SIZE"] = cfg.max_upload
    app.config["JSON_SORT_KEYS"] = False
    app.config["NORMGRAPH"] = cfg

    from normgraph.server.sparql import AppState

    app.extensions["normgraph"] = AppState(the_store, cfg)

    from normgraph.server import api, gsp, linked_data, sparql

    for module in (sparql, gsp, api, linked_data):
        app.register_blueprint(module.bp)
    _optional_blueprint(app, "normgraph.server.explorer")
    _optional_blueprint(app, "normgraph.server.ui")
    _optional_blueprint(app, "normgraph.server.org_import")
    _optional_blueprint(app, "normgraph.server.reports")

    @app.before_request
    def _limit_body() -> Response | None:
        length = request.content_length
        if length is not None and length > cfg.max_upload:
            return _error_response(413, f"request body of {length} bytes is over the limit of {cfg.max_upload}")
        if request.method == "OPTIONS" and request.path.startswith(CORS_PREFIXES):
            return Response(status=204)
        return None

    @app.after_request
    def _cors(resp: Response) -> Response:
        if request.path.startswith(CORS_PREFIXES):
            origin = request.headers.get("Origin")
            if "*" in cfg.cors_origins:
                resp.headers["Access-Control-Allow-Origin"] = "*"
            elif origin and origin in cfg.cors_origins:
                resp.headers["Access-Control-Allow-Origin"] = origin
                resp.vary.add("Origin")
            resp.headers["Access-Control-Expose-Headers"] = "Content-Type, Content-Length, Vary, Location"
            if request.method == "OPTIONS":
                resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
                resp.headers["Access-Control-Allow-Headers"] = (
                    request.headers.get("Access-Control-Request-Headers") or "Accept, Content-Type, Authorization"
                )
                resp.headers["Access-Control-Max-Age"] = "86400"
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException) -> Response:
        if e.response is not None:
            return e.response  # type: ignore[return-value]
        resp = _error_response(e.code or 500, e.description or e.name)
        for key, value in e.get_headers():
            if key.lower() not in ("content-type", "content-length"):
                resp.headers[key] = value
        return resp

    # A store failure outside /sparql and /store (explorer, /api, /id, reports): an answer naming the
    # store, never a traceback. The remote store's errors carry its URL.
    @app.errorhandler(QueryTimeout)
    @app.errorhandler(StoreError)
    def _store_error(e: Exception) -> Response:
        code, message = store_error_status(e, the_store.location)
        resp = _error_response(code, message)
        if code == 503:
            resp.headers["Retry-After"] = "1" if isinstance(e, QueryTimeout) else "5"
        return resp

    # A query built from a request value that the SPARQL parser still refuses is the client's input.
    @app.errorhandler(QuerySyntaxError)
    def _syntax_error(e: QuerySyntaxError) -> Response:
        return _error_response(400, f"query syntax: {e}")

    return app


def store_error_status(e: Exception, location: str) -> tuple[int, str]:
    """(HTTP status, message) for a store failure: 503 for a timeout or a remote store that does not
    answer, 502 when the remote store answers with an error, 500 for the embedded store."""
    from normgraph.store.remote import RemoteStoreError

    if isinstance(e, QueryTimeout):
        return 503, f"query timeout: {e}" if isinstance(e, RemoteStoreError) else f"query timeout ({location}): {e}"
    if isinstance(e, RemoteStoreError):
        if e.status is None:
            return 503, f"the remote store is unavailable: {e}"
        return 502, f"the remote store failed: {e}"
    return 500, f"store error: {e}"


def _error_response(code: int, message: str) -> Response:
    if request.path.startswith("/api"):
        from flask import jsonify

        resp = jsonify({"error": message, "status": code})
        resp.status_code = code
        return resp
    return Response(message.rstrip() + "\n", status=code, mimetype="text/plain")


__all__ = ["create_app"]

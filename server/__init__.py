"""The normgraph web server: `create_app()` builds the Flask application (see server/README.md).

`create_app()` with no arguments reads its configuration from the environment (NORMGRAPH_*), so
`gunicorn 'server:create_app()'` works as is.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from normgraph.store import EmbeddedStore, Store
from server.config import ServerConfig

CORS_PREFIXES = ("/sparql", "/api", "/id/", "/context.jsonld", "/store")


def build_store(cfg: ServerConfig) -> Store:
    """The embedded store at cfg.store_path (or in memory), loaded with the knowledge if empty."""
    inner = EmbeddedStore(cfg.store_path)
    if not inner.graphs():
        from normgraph.loading import load_knowledge

        load_knowledge(inner, examples=cfg.examples)
    return inner


def guard(store: Store, cfg: ServerConfig) -> Store:
    from normgraph.store.guarded import GuardedStore

    if cfg.guard and isinstance(store, EmbeddedStore):
        return GuardedStore(store, workers=cfg.workers, timeout=cfg.query_timeout,
                            max_result_bytes=cfg.max_results, cache_entries=cfg.cache_entries)
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

    from server.sparql import AppState

    app.extensions["normgraph"] = AppState(the_store, cfg)

    from server import api, gsp, linked_data, sparql

    for module in (sparql, gsp, api, linked_data):
        app.register_blueprint(module.bp)
    _optional_blueprint(app, "server.explorer")
    _optional_blueprint(app, "server.ui")
    _optional_blueprint(app, "server.org_import")
    _optional_blueprint(app, "server.reports")

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


    return app


def _error_response(code: int, message: str) -> Response:
    if request.path.startswith("/api"):
        from flask import jsonify

        resp = jsonify({"error": message, "status": code})
        resp.status_code = code
        return resp
    return Response(message.rstrip() + "\n", status=code, mimetype="text/plain")


__all__ = ["create_app"]

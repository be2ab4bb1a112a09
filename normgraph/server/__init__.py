"""The normgraph web server: `create_app()` builds the Flask application (see normgraph/server/README.md).

`create_app()` with no arguments reads its configuration from the environment (NORMGRAPH_*), so
`gunicorn 'normgraph.server:create_app()'` works as is.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from normgraph.access import audit
from normgraph.access.registry import Registry
from normgraph.loading import load_knowledge
from normgraph.server import api, auth, gsp, linked_data, sparql
from normgraph.server.config import ServerConfig
from normgraph.server.hosts import relative_location
from normgraph.server.kernel import current_principal, error_response, init_app
from normgraph.store import EmbeddedStore, Store
from normgraph.store.served import served

CORS_PREFIXES = ("/sparql", "/api", "/id/", "/context.jsonld", "/store")

#: on every answer: no MIME sniffing, never framed by another site (clickjacking)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def build_store(cfg: ServerConfig) -> Store:
    """The embedded store at cfg.store_path (or in memory), loaded with the knowledge if empty."""
    inner = EmbeddedStore(cfg.store_path)
    if not inner.graphs():
        load_knowledge(inner, examples=cfg.examples)
    return inner


def guard(store: Store, cfg: ServerConfig) -> Store:
    """The store as served (normgraph.store.served), with this server's limits."""
    return served(store, guard=cfg.guard, workers=cfg.workers, timeout=cfg.query_timeout,
                  max_results=cfg.max_results, cache_entries=cfg.cache_entries,
                  heavy_per_client=cfg.heavy_per_client)


def _optional_blueprint(app: Flask, module: str) -> None:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        return
    app.register_blueprint(mod.bp)


def create_app(store: Store | None = None, *, config: Mapping[str, Any] | None = None,
               registry: Registry | None = None) -> Flask:
    """The application on `store` (default: the embedded store, loaded), which it owns from now on:
    the store is closed when the application goes away (normgraph/server/kernel.py). Principals come
    from `registry`, else from the database at NORMGRAPH_ACCESS, else none (only the update token)."""
    cfg = ServerConfig.from_env(config)
    the_store = guard(store if store is not None else build_store(cfg), cfg)
    if registry is None:
        registry = Registry(cfg.access_db) if cfg.access_db else Registry()
    if cfg.audit_log:
        audit.log_to(Path(cfg.audit_log))

    app = Flask(__name__)
    if cfg.trusted_proxies:  # X-Forwarded-* believed only from that many proxies (ServerConfig)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=cfg.trusted_proxies, x_proto=cfg.trusted_proxies,  # type: ignore[method-assign]
                                x_host=cfg.trusted_proxies)
    app.config["JSON_SORT_KEYS"] = False
    if cfg.trusted_hosts:  # any other Host header: 400 (normgraph/server/hosts.py)
        app.config["TRUSTED_HOSTS"] = cfg.trusted_hosts
    app.after_request(relative_location)
    init_app(app, the_store, cfg, registry)

    for module in (sparql, gsp, api, linked_data, auth):
        app.register_blueprint(module.bp)
    _optional_blueprint(app, "normgraph.server.explorer")
    _optional_blueprint(app, "normgraph.server.ui")
    _optional_blueprint(app, "normgraph.server.api_docs")
    _optional_blueprint(app, "normgraph.server.org_import")
    _optional_blueprint(app, "normgraph.server.reports")
    _optional_blueprint(app, "normgraph.server.org")
    _optional_blueprint(app, "normgraph.server.access_admin")

    @app.before_request
    def _limit_body() -> Response | None:
        length = request.content_length
        if length is not None and length > cfg.max_upload:
            return error_response(413, f"request body of {length} bytes is over the limit of {cfg.max_upload}")
        if request.method == "OPTIONS" and request.path.startswith(CORS_PREFIXES):
            return Response(status=204)
        return None

    @app.after_request
    def _cors(resp: Response) -> Response:
        for key, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(key, value)
        if not current_principal().anonymous:  # may hold organisation data: no browser or shared cache keeps it
            resp.headers.setdefault("Cache-Control", "private, no-store")
        resp.vary.update(("Authorization", "Cookie"))  # an anonymous answer never serves a signed-in request
        # CORS is for anonymous reads and tools with their own bearer token; never with credentials
        # (no Access-Control-Allow-Credentials), and never for a request a session cookie signed in
        if request.path.startswith(CORS_PREFIXES) and current_principal().via != "session":
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

    return app


__all__ = ["build_store", "create_app", "guard"]

"""The server kernel: application state, the store of a request, error answers, the store's lifecycle.

On the pattern of Flask's `init_app` (an extension object set up once per application):
`init_app(app, store, config)` puts the store and the configuration into `app.extensions`, installs
the error handlers and takes ownership of the store, which is closed when the application goes away.

Every route reads the store through `current_store()`, never through `state().store`: that is the
one place a request gets its store, and what it hands out is the store restricted to what the
request's principal may see and change (normgraph.store.scoped.ScopedStore; the principal comes from
normgraph/server/auth.py). One scoped store per scope is kept, so caches keyed by the store object
serve everyone of that scope. The organisation graphs a request read or wrote go to the audit
trail when it ends (normgraph/access/audit.py).

Closing. Flask has no application-shutdown signal, and a WSGI server such as gunicorn never calls
`normgraph serve`'s own `close()`. So `init_app` registers a `weakref.finalize` on the application:
the store is closed when the application is garbage-collected or, at the latest, when the
interpreter exits normally (finalizers run at exit; a gunicorn worker leaves through `sys.exit`).
`close_app(app)` closes it now (`normgraph serve` does on shutdown). Closing twice is harmless.
Only the process that set the app up closes its store: a forked child (`gunicorn --preload`'s
workers, a test's fork) that exits would otherwise stop the query workers its parent still uses.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, g, has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException

from normgraph.access import audit
from normgraph.access.model import Principal, scope_of
from normgraph.access.registry import Registry
from normgraph.iri import org_graph
from normgraph.server.config import ServerConfig
from normgraph.server.principal import authenticate
from normgraph.store import QuerySyntaxError, QueryTimeout, Store, StoreError
from normgraph.store.remote import RemoteStoreError
from normgraph.store.scoped import AccessDenied, Scope, ScopedStore

EXTENSION = "normgraph"
#: scoped stores kept at once (one per organisation whose pages are read — kernel.org_store — and one per
#: distinct set of grants in use), least recently used first out. Caches keyed by the store object (report
#: caches, background validation, the explorer's read models, org pages) are per scope, so this bounds how
#: many of them exist; it is above the hundred organisations a hosted store is measured with, so walking
#: through them does not drop the one whose validation took minutes.
MAX_SCOPES = 128


@dataclass
class AppState:
    """What one application holds: its store (as served) and its configuration."""

    store: Store
    config: ServerConfig
    registry: Registry = field(default_factory=Registry)
    closer: weakref.finalize | None = field(default=None, repr=False)
    closing: list[Callable[[], object]] = field(default_factory=list, repr=False)  # run by close_app (on_close)
    scoped: OrderedDict[Scope, ScopedStore] = field(default_factory=OrderedDict, repr=False)
    _scoped_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def scoped_store(self, scope: Scope) -> ScopedStore:
        with self._scoped_lock:
            found = self.scoped.get(scope)
            if found is None:
                found = self.scoped[scope] = ScopedStore(self.store, scope, _note_access)
                while len(self.scoped) > MAX_SCOPES:  # the least recently used scope goes, with its caches
                    self.scoped.popitem(last=False)
            else:
                self.scoped.move_to_end(scope)
            return found


def init_app(app: Flask, store: Store, config: ServerConfig, registry: Registry | None = None) -> AppState:
    """Set `app` up on `store`: state, error handlers, and closing the store with the application."""
    app.config["MAX_CONTENT_LENGTH"] = config.max_upload
    app.config["MAX_FORM_MEMORY_SIZE"] = config.max_upload
    app.config["NORMGRAPH"] = config
    app_state = AppState(store, config, registry if registry is not None else Registry())
    app.secret_key = app_state.registry.session_key()
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="normgraph_session", SESSION_COOKIE_SECURE=config.secure_cookies)
    app.after_request(_audit_request)
    # The callback holds the store, never the app, so the app can still be collected.
    app_state.closer = weakref.finalize(app, _close_store, store, os.getpid())
    app.extensions[EXTENSION] = app_state
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(QueryTimeout, _store_error)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(QuerySyntaxError, _syntax_error)
    app.register_error_handler(AccessDenied, _denied)
    return app_state


def _close_store(store: Store, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked copy of the process that owns the store
        store.close()


def close_app(app: Flask) -> None:
    """Close the application's store now (once; later calls and the finalizer do nothing)."""
    app_state: AppState = app.extensions[EXTENSION]
    for close in app_state.closing:
        close()
    if app_state.closer is not None:
        app_state.closer()
    else:
        app_state.store.close()


def on_close(app: Flask, close: Callable[[], object]) -> None:
    """Run `close` when the application is closed (close_app), before its store: what a blueprint keeps beside it
    (prepared downloads on disk). `close` must be harmless to call twice (say, a weakref.finalize)."""
    app.extensions[EXTENSION].closing.append(close)


def state() -> AppState:
    """The state of the current application."""
    return current_app.extensions[EXTENSION]


def current_principal() -> Principal:
    """Who sent the current request (normgraph/server/principal.py)."""
    return authenticate()


def current_store() -> Store:
    """The store the current request reads and writes: restricted to its principal's scope."""
    return state().scoped_store(scope_of(current_principal()))


def org_store(slug: str) -> Store:
    """The store for what is shown about one organisation (its reports, dashboard, applicability, exports):
    the public knowledge and that organisation's graph only, when the reader may read it; otherwise the
    reader's own store, where the organisation is absent (404 like one that does not exist).

    So nothing another organisation's graph says (say, its own label for a public control) can reach this
    organisation's answers, even for a reader of both; and every reader of the organisation shares one
    scoped store, hence one set of cached answers. Writes keep going through `current_store()`."""
    try:
        graph = str(org_graph(slug))
    except ValueError:  # no organisation can have that slug: absent, for anyone
        return current_store()
    if not scope_of(current_principal()).may_read(graph):
        return current_store()
    # a page about the organisation reads its data, whether its answers are computed now or come from a
    # cache another reader filled: the audit trail records the read either way
    _note_access("read", (graph,))
    return state().scoped_store(Scope(read=frozenset({slug})))


def client_key() -> str:
    """Who a request counts as for per-client fairness: its principal's share (Principal.fairness_key: the
    organisation of a principal granted one alone), or its address when anonymous."""
    principal = current_principal()
    return principal.fairness_key if not principal.anonymous else f"addr:{request.remote_addr}"


def _note_access(mode: str, graphs: tuple[str, ...]) -> None:
    """A scoped store's access hook: collect the organisation graphs of this request for the audit trail."""
    if has_request_context():
        audit.note(g.setdefault("ng_access", {}), mode, graphs)
    else:
        audit.record("(no request)", mode, sorted(graphs))


def _audit_request(resp: Response) -> Response:
    seen = g.get("ng_access")
    if seen:
        principal = current_principal()
        for mode, graphs in audit.records(seen):
            audit.record(principal.name, mode, graphs, method=request.method, path=request.path,
                         status=resp.status_code, via=principal.acted_via)
    return resp


def current_config() -> ServerConfig:
    return state().config


# -- errors -----------------------------------------------------------------------------------------
def plain(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """A text/plain answer with the reason."""
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


class ProtocolError(HTTPException):
    """An HTTP error with a text/plain reason, raised by a route and answered as it is."""

    def __init__(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description=message, response=plain(message, code, headers))
        self.code = code


def fail(code: int, message: str, headers: dict[str, str] | None = None) -> ProtocolError:
    return ProtocolError(code, message, headers)


def error_response(code: int, message: str) -> Response:
    """The answer for an error: JSON under /api, text/plain elsewhere."""
    if request.path.startswith("/api"):
        resp = jsonify({"error": message, "status": code})
        resp.status_code = code
        return resp
    return plain(message, code)


#: an absolute file system path in a message (not the path part of a URL: that follows a host name)
_SERVER_PATH = re.compile(r"(?<![\w:/.~-])/(?:[\w.~+-]+/)*[\w.~+-]+")


def without_paths(message: str) -> str:
    """The message with the server's file system paths taken out (they tell an attacker where things are)."""
    return _SERVER_PATH.sub("…", message)


def store_error_status(e: Exception, location: str) -> tuple[int, str]:
    """(HTTP status, message) for a store failure: 503 for a timeout or a remote store that does not
    answer, 502 when the remote store answers with an error, 500 for the embedded store. No server
    path is ever part of the message."""
    code, message = _store_error_status(e, location)
    return code, without_paths(message)


def _store_error_status(e: Exception, location: str) -> tuple[int, str]:
    if isinstance(e, QueryTimeout):
        return 503, f"query timeout: {e}" if isinstance(e, RemoteStoreError) else f"query timeout ({location}): {e}"
    if isinstance(e, RemoteStoreError):
        if e.status is None:
            return 503, f"the remote store is unavailable: {e}"
        # its message may name its internals (users, rewritten queries): logged, not shown
        logging.getLogger("normgraph.server").warning("remote store error: %s", e)
        return 502, f"the remote store answered with an error (HTTP {e.status}); the server's log has its message"
    return 500, f"store error: {e}"


def retry_after(e: Exception) -> dict[str, str]:
    """The Retry-After header of a 503 for this failure."""
    return {"Retry-After": "1" if isinstance(e, QueryTimeout) else "5"}


def store_failure(e: StoreError | QueryTimeout) -> ProtocolError:
    """500 (embedded store), 502 (the remote store answered with an error) or 503 (it did not answer)."""
    code, message = store_error_status(e, current_store().location)
    return fail(code, message, retry_after(e) if code == 503 else None)


def _http_error(e: HTTPException) -> Response:
    if e.response is not None:
        return e.response  # type: ignore[return-value]
    resp = error_response(e.code or 500, e.description or e.name)
    for key, value in e.get_headers():
        if key.lower() not in ("content-type", "content-length"):
            resp.headers[key] = value
    return resp


def _store_error(e: Exception) -> Response:
    """A store failure outside /sparql and /store (explorer, /api, /id, reports): an answer naming the
    store, never a traceback. The remote store's errors carry its URL."""
    code, message = store_error_status(e, current_store().location)
    resp = error_response(code, message)
    if code == 503:
        resp.headers.update(retry_after(e))
    return resp


def _syntax_error(e: QuerySyntaxError) -> Response:
    """A query built from a request value that the SPARQL parser still refuses is the client's input."""
    return error_response(400, f"query syntax: {e}")


# -- authorisation ----------------------------------------------------------------------------------
def require_writer() -> Principal:
    """The signed-in principal of a write. 403 when nobody can write (no update token, no principals)
    or the credentials are wrong; 401 with WWW-Authenticate when there are none. What the principal
    may write is the scoped store's to decide (AccessDenied → 403)."""
    principal = current_principal()
    if not principal.anonymous:
        return principal
    if not current_config().update_token and not len(state().registry):
        raise fail(403, "this endpoint is read-only (no update token is configured)")
    if g.get("ng_bad_credentials"):
        raise fail(403, "wrong update token")
    raise fail(401, "writes need 'Authorization: Bearer <token>' (or a signed-in session)",
               {"WWW-Authenticate": 'Bearer realm="normgraph"'})


#: the old name (writes needed the one update token)
require_write_token = require_writer


def _denied(e: AccessDenied) -> Response:
    return error_response(403, str(e))


__all__ = [
    "AppState",
    "ProtocolError",
    "client_key",
    "close_app",
    "current_config",
    "current_principal",
    "current_store",
    "error_response",
    "fail",
    "init_app",
    "on_close",
    "org_store",
    "plain",
    "require_write_token",
    "require_writer",
    "retry_after",
    "state",
    "store_error_status",
    "store_failure",
    "without_paths",
]

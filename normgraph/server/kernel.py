"""The server kernel: application state, the store of a request, error answers, the store's lifecycle.

On the pattern of Flask's `init_app` (an extension object set up once per application):
`init_app(app, store, config)` puts the store and the configuration into `app.extensions`, installs
the error handlers and takes ownership of the store, which is closed when the application goes away.

Every route reads the store through `current_store()`, never through `state().store`: that is the
one place a request gets its store, so a per-request view of it (e.g. restricted to what the
request's principal may see) can later be handed out there without touching any route.

Closing. Flask has no application-shutdown signal, and a WSGI server such as gunicorn never calls
`normgraph serve`'s own `close()`. So `init_app` registers a `weakref.finalize` on the application:
the store is closed when the application is garbage-collected or, at the latest, when the
interpreter exits normally (finalizers run at exit; a gunicorn worker leaves through `sys.exit`).
`close_app(app)` closes it now (`normgraph serve` does on shutdown). Closing twice is harmless.
Only the process that set the app up closes its store: a forked child (`gunicorn --preload`'s
workers, a test's fork) that exits would otherwise stop the query workers its parent still uses.
"""

from __future__ import annotations

import hmac
import os
import weakref
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from normgraph.server.config import ServerConfig
from normgraph.store import QuerySyntaxError, QueryTimeout, Store, StoreError
from normgraph.store.remote import RemoteStoreError

EXTENSION = "normgraph"


@dataclass
class AppState:
    """What one application holds: its store (as served) and its configuration."""

    store: Store
    config: ServerConfig
    closer: weakref.finalize | None = field(default=None, repr=False)


def init_app(app: Flask, store: Store, config: ServerConfig) -> AppState:
    """Set `app` up on `store`: state, error handlers, and closing the store with the application."""
    app.config["MAX_CONTENT_LENGTH"] = config.max_upload
    app.config["MAX_FORM_MEMORY_SIZE"] = config.max_upload
    app.config["NORMGRAPH"] = config
    app_state = AppState(store, config)
    # The callback holds the store, never the app, so the app can still be collected.
    app_state.closer = weakref.finalize(app, _close_store, store, os.getpid())
    app.extensions[EXTENSION] = app_state
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(QueryTimeout, _store_error)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(QuerySyntaxError, _syntax_error)
    return app_state


def _close_store(store: Store, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked copy of the process that owns the store
        store.close()


def close_app(app: Flask) -> None:
    """Close the application's store now (once; later calls and the finalizer do nothing)."""
    app_state: AppState = app.extensions[EXTENSION]
    if app_state.closer is not None:
        app_state.closer()
    else:
        app_state.store.close()


def state() -> AppState:
    """The state of the current application."""
    return current_app.extensions[EXTENSION]


def current_store() -> Store:
    """The store the current request reads and writes."""
    return state().store


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


def store_error_status(e: Exception, location: str) -> tuple[int, str]:
    """(HTTP status, message) for a store failure: 503 for a timeout or a remote store that does not
    answer, 502 when the remote store answers with an error, 500 for the embedded store."""
    if isinstance(e, QueryTimeout):
        return 503, f"query timeout: {e}" if isinstance(e, RemoteStoreError) else f"query timeout ({location}): {e}"
    if isinstance(e, RemoteStoreError):
        if e.status is None:
            return 503, f"the remote store is unavailable: {e}"
        return 502, f"the remote store failed: {e}"
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
def require_write_token() -> None:
    """403 when writes are disabled or the token is wrong; 401 with WWW-Authenticate when it is missing."""
    token = current_config().update_token
    if not token:
        raise fail(403, "this endpoint is read-only (no update token is configured)")
    header = request.headers.get("Authorization", "")
    scheme, _sp, given = header.partition(" ")
    if not header:
        raise fail(401, "updates need 'Authorization: Bearer <token>'",
                   {"WWW-Authenticate": 'Bearer realm="normgraph"'})
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise fail(403, "wrong update token")


__all__ = [
    "AppState",
    "ProtocolError",
    "close_app",
    "current_config",
    "current_store",
    "error_response",
    "fail",
    "init_app",
    "plain",
    "require_write_token",
    "retry_after",
    "state",
    "store_error_status",
    "store_failure",
]

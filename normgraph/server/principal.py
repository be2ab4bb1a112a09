"""Who sent this request: a bearer token (tools), a signed session cookie (people on the web pages),
a reverse proxy's single sign-on header (only when configured), or nobody (anonymous).

* `Authorization: Bearer <token>`: a token from `normgraph access token add`, or the configured
  update token (NORMGRAPH_UPDATE_TOKEN), which acts as the global admin (constant-time comparison).
  A wrong token makes the request anonymous, and a write with it is refused with 403. Wrong tokens are
  counted per client address: past BEARER_LIMIT within 15 minutes, every bearer request from that address
  gets 429 until the window passes, the right token too (else the answer would still tell a right guess).
* the session cookie (Flask's session: signed with a key kept in the access database; HttpOnly,
  SameSite=Lax). A state-changing request (anything but GET / HEAD / OPTIONS, and POST /sparql
  queries) made with the cookie must carry the session's CSRF token (`X-CSRF-Token` header or
  `csrf_token` form field), else the cookie is ignored and the request is anonymous. A cookie holds
  the principal's session epoch at sign-in; signing out, a new password or removing the principal
  changes the epoch in the access database, and every earlier cookie of that principal stops working.
* NORMGRAPH_TRUSTED_USER_HEADER (e.g. X-Forwarded-User): the proxy in front of normgraph signs people
  in and names them in this header. Trusted only when configured, and only names principals that exist
  in the access database. Configure it only behind a proxy that removes the header from clients.
  Its state-changing requests need the CSRF token as cookie requests do (the proxy's sign-on rides
  along with cross-site forms just as a cookie does).

The kernel asks `authenticate()`; the sign-in pages are in auth.py.
"""


from __future__ import annotations

import hmac
import io
import secrets
from typing import Any

from flask import current_app, g, request, session

from normgraph.access.model import ANONYMOUS, Principal
from normgraph.server.throttle import Failures, client_address

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: wrong bearer tokens one address may send within throttle.WINDOW before its bearer requests get 429
BEARER_LIMIT = 20
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def _state() -> Any:
    """The application's state (normgraph.server.kernel.AppState; read here without importing the kernel)."""
    return current_app.extensions["normgraph"]


def _bearer_failures() -> Failures:
    """This application's wrong bearer tokens, per client address."""
    return current_app.extensions.setdefault("normgraph_bearer_failures", Failures({"addr": BEARER_LIMIT}))


def bearer() -> str | None:
    """The bearer credential of the request, None without an Authorization header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sp, given = header.partition(" ")
    return given.strip() if scheme.lower() == "bearer" else ""


def authenticate() -> Principal:
    """The principal of the current request (computed once per request)."""
    if "ng_principal" in g:
        return g.ng_principal
    g.ng_principal = principal = _authenticate()
    return principal


def _authenticate() -> Principal:
    st = _state()
    token = bearer()
    if token is not None:
        address = {"addr": client_address(request.remote_addr)}
        if token and _bearer_failures().over(address):  # auth.py answers 429
            g.ng_bearer_throttled = g.ng_bad_credentials = True
            return ANONYMOUS
        legacy = st.config.update_token
        if legacy and token and hmac.compare_digest(token.encode(), legacy.encode()):
            return Principal("update-token", admin=True, via="token")
        found = st.registry.by_token(token) if token else None
        if found is None:
            g.ng_bad_credentials = True
            if token:  # another scheme (Basic for a proxy in front) is not a guess
                _bearer_failures().count(address)
            return ANONYMOUS
        return found
    header = st.config.trusted_user_header
    if header:
        name = request.headers.get(header)
        if name:
            # the browser sends the proxy's sign-on with any cross-site form too: writes need the CSRF token
            if not csrf_ok():
                return ANONYMOUS
            found = st.registry.principal(name.strip(), "sso")
            return found if found is not None else ANONYMOUS
    name = session.get("principal")
    if name:
        if not csrf_ok():
            return ANONYMOUS
        found = st.registry.session_principal(name, str(session.get("epoch", "")))
        return found if found is not None else ANONYMOUS
    return ANONYMOUS


def _is_query_post() -> bool:
    """A POST /sparql with a query (reading, not changing anything)."""
    if request.path != "/sparql":
        return False
    ctype = (request.mimetype or "").lower()
    return ctype == "application/sparql-query" or (
        ctype == "application/x-www-form-urlencoded" and "update" not in request.form)


def csrf_ok() -> bool:
    """Does a cookie-authenticated request carry the session's CSRF token where it must?"""
    if request.method in SAFE_METHODS or _is_query_post():
        return True
    expected = session.get("csrf")
    given = request.headers.get(CSRF_HEADER) or _form_field(CSRF_FIELD)
    return bool(expected and given and hmac.compare_digest(str(expected), str(given)))


def _form_field(name: str) -> str | None:
    """A field of a form body, read so that the route can still read the body after this check: parsing a
    multipart form consumes `request.stream`, which the import route (org_import.py) reads itself. So the
    body is read once and kept (`get_data(cache=True)`; its size was checked against the upload limit
    before any route runs), the form is parsed from that copy, and the route gets a fresh stream over it."""
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get(name)
    if request.mimetype != "multipart/form-data":
        return None
    body = request.get_data(cache=True)
    value = request.form.get(name)  # parsed from the cached body
    request.stream = io.BytesIO(body)  # werkzeug caches it per request: replaced, not re-read
    return value


def csrf_token() -> str:
    """The CSRF token of this session (made on first use); forms put it in a hidden field."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


__all__ = ["BEARER_LIMIT", "CSRF_FIELD", "CSRF_HEADER", "SAFE_METHODS", "authenticate", "bearer", "csrf_ok", "csrf_token"]

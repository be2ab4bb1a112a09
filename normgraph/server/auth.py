"""Who sent this request: a bearer token (tools), a signed session cookie (people on the web pages),
a reverse proxy's single sign-on header (only when configured), or nobody (anonymous).

* `Authorization: Bearer <token>`: a token from `normgraph access token add`, or the configured
  update token (NORMGRAPH_UPDATE_TOKEN), which acts as the global admin (constant-time comparison).
  A wrong token makes the request anonymous, and a write with it is refused with 403.
* the session cookie (Flask's session: signed with a key kept in the access database; HttpOnly,
  SameSite=Lax). A state-changing request (anything but GET / HEAD / OPTIONS, and POST /sparql
  queries) made with the cookie must carry the session's CSRF token (`X-CSRF-Token` header or
  `csrf_token` form field), else the cookie is ignored and the request is anonymous.
* NORMGRAPH_TRUSTED_USER_HEADER (e.g. X-Forwarded-User): the proxy in front of normgraph signs people
  in and names them in this header. Trusted only when configured, and only names principals that exist
  in the access database. Configure it only behind a proxy that removes the header from clients.

The sign-in pages (blueprint "access"): /access/signin (one-time link from `normgraph serve`, or name
and password), /access/signout, /access/me.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, Response, g, jsonify, redirect, render_template_string, request, session

from normgraph.access.model import ANONYMOUS, Principal

bp = Blueprint("access", __name__, url_prefix="/access")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def _state():  # type: ignore[no-untyped-def]
    from normgraph.server.kernel import state

    return state()


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
        legacy = st.config.update_token
        if legacy and token and hmac.compare_digest(token.encode(), legacy.encode()):
            return Principal("update-token", admin=True, via="token")
        found = st.registry.by_token(token) if token else None
        if found is None:
            g.ng_bad_credentials = True
            return ANONYMOUS
        return found
    header = st.config.trusted_user_header
    if header:
        name = request.headers.get(header)
        if name:
            found = st.registry.principal(name.strip(), "sso")
            return found if found is not None else ANONYMOUS
    name = session.get("principal")
    if name:
        if not csrf_ok():
            return ANONYMOUS
        found = st.registry.principal(name, "session")
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
    given = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD) if request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data") else None)
    return bool(expected and given and hmac.compare_digest(str(expected), str(given)))


def csrf_token() -> str:
    """The CSRF token of this session (made on first use); forms put it in a hidden field."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in — normgraph</title></head>
<body><main><h1>Sign in</h1>
{% if message %}<p role="alert">{{ message }}</p>{% endif %}
{% if who %}
<p>You are signed in as <strong>{{ who }}</strong>.</p>
<form method="post" action="{{ url_for('access.signout') }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<button type="submit">Sign out</button></form>
<h2>Sign in as someone else</h2>
{% endif %}
{% if token %}
<form method="post" action="{{ url_for('access.signin') }}">
<input type="hidden" name="token" value="{{ token }}">
<button type="submit">Sign in with this one-time link</button></form>
{% else %}
<form method="post" action="{{ url_for('access.signin') }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<p><label>Name <input name="name" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<button type="submit">Sign in</button></form>
{% endif %}
</main></body></html>"""


def _page(message: str = "", status: int = 200, token: str = "") -> Response:
    principal = authenticate()
    who = principal.name if principal.via == "session" else ""
    body = render_template_string(_PAGE, message=message, token=token, csrf=csrf_token(), who=who)
    return Response(body, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.get("/signin")
def signin_page() -> Response:
    resp = _page(token=request.args.get("token", ""))
    resp.headers["Referrer-Policy"] = "no-referrer"  # the one-time link must not leak to other sites
    return resp


@bp.post("/signin")
def signin() -> Response:
    registry = _state().registry
    token = request.form.get("token")
    if token:
        principal = registry.redeem_signin(token)
    else:
        expected = session.get("csrf")
        given = request.form.get(CSRF_FIELD, "")
        if not expected or not hmac.compare_digest(str(expected), given):
            return _page("The form expired; try again.", 400)
        principal = registry.check_password(request.form.get("name", ""), request.form.get("password", ""))
    if principal is None:
        return _page("Unknown name or password, or the link was used or has expired.", 403)
    session.clear()
    session["principal"] = principal.name
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True
    return redirect("/", code=303)  # type: ignore[return-value]


@bp.post("/signout")
def signout() -> Response:
    if session.get("principal") and not csrf_ok():
        return Response("missing or wrong CSRF token\n", status=400, mimetype="text/plain")
    session.clear()
    return redirect("/", code=303)  # type: ignore[return-value]


@bp.get("/me")
def me() -> Response:
    p = authenticate()
    body = {"principal": None if p.anonymous else p.name, "admin": p.admin, "organisations": p.roles, "via": p.via}
    if p.via == "session":
        body["csrf_token"] = csrf_token()
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


__all__ = ["CSRF_FIELD", "CSRF_HEADER", "authenticate", "bearer", "bp", "csrf_ok", "csrf_token"]

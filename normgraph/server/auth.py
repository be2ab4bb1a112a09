"""The sign-in pages (blueprint "access"): /access/signin (the one-time link `normgraph serve` prints,
or name and password), /access/signout, /access/me. Who sent a request is principal.py's to say."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template_string, request, session

from normgraph.server.kernel import state
from normgraph.server.principal import CSRF_FIELD, authenticate, csrf_ok, csrf_token

bp = Blueprint("access", __name__, url_prefix="/access")


class _Failures:
    """Failed password sign-ins per name and per address in the last WINDOW seconds: past LIMIT, that name
    or address is refused (429) until the window passes — guessing passwords online stays slow."""

    LIMIT = 5
    WINDOW = 15 * 60.0

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and times[0] < now - self.WINDOW:
            times.popleft()
        return times

    def blocked(self, name: str, addr: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.LIMIT for k in (f"name:{name}", f"addr:{addr}"))

    def failed(self, name: str, addr: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # bounded: forget everyone rather than grow
                self._seen.clear()
            for k in (f"name:{name}", f"addr:{addr}"):
                self._recent(k, now).append(now)


def _failures() -> _Failures:
    """This application's failed sign-ins."""
    return current_app.extensions.setdefault("normgraph_signin_failures", _Failures())


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
    registry = state().registry
    token = request.form.get("token")
    if token:
        principal = registry.redeem_signin(token)
    else:
        expected = session.get("csrf")
        given = request.form.get(CSRF_FIELD, "")
        if not expected or not hmac.compare_digest(str(expected), given):
            return _page("The form expired; try again.", 400)
        name = request.form.get("name", "")
        if _failures().blocked(name, request.remote_addr or ""):
            return _page("Too many failed attempts; wait a few minutes.", 429)
        principal = registry.check_password(name, request.form.get("password", ""))
        if principal is None:
            _failures().failed(name, request.remote_addr or "")
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


__all__ = ["bp"]

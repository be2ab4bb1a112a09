"""The sign-in pages (blueprint "access"): /access/signin (the one-time link `normgraph serve` prints,
or name and password), /access/signout, /access/me. Who sent a request is principal.py's to say."""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request, session

from normgraph.server.kernel import error_response, state
from normgraph.server.principal import CSRF_FIELD, authenticate, bearer, csrf_ok, csrf_token
from normgraph.server.throttle import WINDOW, Failures, client_address

bp = Blueprint("access", __name__, url_prefix="/access")


class _Failures(Failures):
    """Failed password sign-ins. Past LIMIT failures from one address (whatever the names), that address is
    refused (429) until the window passes; past NAME_LIMIT failures for one name from all addresses together,
    that name is. So one client cannot lock anyone else out (it is stopped after LIMIT tries, all of them its
    own), while guessing one name from many addresses is still bounded; locking a name out takes failures from
    NAME_LIMIT / LIMIT addresses within the window (docs/security.md, "Sign-in throttling")."""

    LIMIT = 5
    NAME_LIMIT = 50

    def __init__(self, max_keys: int = 10_000) -> None:
        super().__init__({"name": self.NAME_LIMIT, "addr": self.LIMIT}, max_keys)

    def blocked(self, name: str, addr: str) -> bool:
        return self.over({"name": name, "addr": client_address(addr)})

    def failed(self, name: str, addr: str) -> None:
        self.count({"name": name, "addr": client_address(addr)})


def _failures() -> _Failures:
    """This application's failed sign-ins."""
    return current_app.extensions.setdefault("normgraph_signin_failures", _Failures())


@bp.before_app_request
def _refuse_bearer_guessing() -> Response | None:
    """A request with a bearer token from an address that sent too many wrong ones lately: 429, before
    anything else (principal.py counts them), whether this token is right or not — else the answer would
    still tell a right guess from a wrong one."""
    if not bearer():
        return None
    authenticate()
    if not g.get("ng_bearer_throttled"):
        return None
    resp = error_response(429, "too many wrong bearer tokens from this address; try again later")
    resp.headers["Retry-After"] = str(int(WINDOW))
    return resp


def _page(message: str = "", status: int = 200, token: str = "") -> Response:
    principal = authenticate()
    who = principal.name if principal.via == "session" else ""
    body = render_template("access/signin.html", message=message, token=token, csrf=csrf_token(), who=who)
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
    # both forms carry the CSRF field the GET page rendered: a hostile page cannot sign you in as
    # someone else (login CSRF), and a link is not used up by a request that is refused
    expected = session.get("csrf")
    given = request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(str(expected), given):
        return _page("The form expired; try again.", 400)
    if token:
        principal = registry.redeem_signin(token)
    else:
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
    session["epoch"] = registry.session_epoch(principal.name)
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True
    return _forget(redirect("/", code=303))  # type: ignore[arg-type]  # nothing of whoever signed in before


@bp.post("/signout")
def signout() -> Response:
    if session.get("principal") and not csrf_ok():
        return Response("missing or wrong CSRF token\n", status=400, mimetype="text/plain")
    principal = authenticate()
    if principal.via == "session":  # every cookie of this principal stops working, a saved copy too
        state().registry.end_sessions(principal.name)
    session.clear()
    return _forget(redirect("/", code=303))  # type: ignore[arg-type]


def _forget(resp: Response) -> Response:
    """The browser drops what this site kept (localStorage such as the query page's tabs, the HTTP cache): on a
    shared browser the next person sees nothing of the last one's organisation data. Browsers honour it over
    HTTPS and on localhost; the query page keeps no results in the first place (static/query.js)."""
    resp.headers["Clear-Site-Data"] = '"cache", "storage"'
    return resp


@bp.get("/me")
def me() -> Response:
    p = authenticate()
    body = {"principal": None if p.anonymous else p.name, "admin": p.admin, "organisations": p.roles, "via": p.via}
    if p.via in ("session", "sso"):  # both ride along with cross-site forms, so both writes need it
        body["csrf_token"] = csrf_token()
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


__all__ = ["bp"]

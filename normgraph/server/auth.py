"""The sign-in pages (blueprint "access"): /access/signin (the one-time link `normgraph serve` prints,
or name and password), /access/signout, /access/me. Who sent a request is principal.py's to say."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, session

from normgraph.server.kernel import state
from normgraph.server.principal import CSRF_FIELD, authenticate, csrf_ok, csrf_token

bp = Blueprint("access", __name__, url_prefix="/access")


class _Failures:
    """Failed password sign-ins per name and per address in the last WINDOW seconds: past LIMIT, that name
    or address is refused (429) until the window passes — guessing passwords online stays slow.

    Bounded in bytes whatever is submitted: a name or address is kept as a 16-byte digest, each with at
    most LIMIT times, and at most `max_keys` of them (the least recently failed go first). Only a failure
    is recorded; asking whether one is blocked stores nothing."""

    LIMIT = 5
    WINDOW = 15 * 60.0

    def __init__(self, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self._seen: OrderedDict[bytes, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, addr: str) -> tuple[bytes, bytes]:
        return _digest16("name:" + name), _digest16("addr:" + addr)

    def blocked(self, name: str, addr: str) -> bool:
        since = time.monotonic() - self.WINDOW
        with self._lock:
            return any(sum(t >= since for t in self._seen.get(k, ())) >= self.LIMIT for k in self._keys(name, addr))

    def failed(self, name: str, addr: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in self._keys(name, addr):
                times = self._seen.pop(k, None) or deque(maxlen=self.LIMIT)
                times.append(now)
                self._seen[k] = times  # the most recent failure last
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)

    def __len__(self) -> int:
        """How many names and addresses are remembered (each costs a fixed number of bytes)."""
        with self._lock:
            return len(self._seen)


def _digest16(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _failures() -> _Failures:
    """This application's failed sign-ins."""
    return current_app.extensions.setdefault("normgraph_signin_failures", _Failures())


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

"""Blueprint "access_admin": the access-management pages, for people who would rather not use `normgraph access`.

    /access/                      the global admin: every principal and organisation, and the invite form;
                                  an organisation's admin: links to the organisations they administer
    /access/people/<name>         the global admin: one principal (grants, tokens, sign-in, disable)
    /org/<slug>/people            an organisation's admin (or the global admin): the people granted it
    /org/<slug>/people/<name>     one of them, as far as this organisation goes

What an actor may see and change is normgraph/access/manage.py's to decide; this module turns forms into its
calls and its answers into pages. To anyone without the authority a page is absent: the same 404 as a page
that does not exist. Every change is a POST carrying the session's CSRF token (a cookie-signed form without
it is refused with 400, nothing changed); a GET never changes anything. A secret a change makes (a one-time
sign-in link, a token) is on the page that answers the POST and nowhere else: not in a redirect, not in the
audit trail, never cached (`no-store`).
"""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, Response, abort, flash, get_flashed_messages, redirect, render_template, request, session, url_for
from werkzeug.exceptions import NotFound

from normgraph.access.manage import CREDENTIALS, Absent, Conflict, Manager, Refused, Shown
from normgraph.access.model import ROLES, Principal
from normgraph.server.kernel import current_principal, current_store, state
from normgraph.server.org_dashboard import organisations
from normgraph.server.principal import csrf_ok, csrf_token

bp = Blueprint("access_admin", __name__)


def _absent() -> NoReturn:
    abort(404)


def _manager(org: str | None) -> Manager:
    """The actor's manager for `org` (None: everyone), or a 404 when the actor has no such authority."""
    try:
        return Manager(state().registry, current_principal(), org, where=f"{request.method} {request.path}")
    except Absent:
        _absent()


def _page(template: str, status: int = 200, **context: object) -> Response:
    body = render_template(template, csrf=csrf_token(), roles=ROLES, credentials=CREDENTIALS,
                           messages=get_flashed_messages(), **context)
    # who may see what, and once a secret: never kept by a browser or a shared cache
    return Response(body, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _administered(actor: Principal) -> list[str]:
    return sorted(o for o, r in actor.roles.items() if r == "admin")


def _organisations(manager: Manager) -> list[str]:
    """Every organisation the global admin may grant: those in the store and those named in grants."""
    return sorted({o.slug for o in organisations(current_store())} | set(manager.granted_orgs()))


# -- pages ------------------------------------------------------------------------------------------------
@bp.get("/access/")
def overview() -> Response:
    return _overview()


def _overview(error: str = "", status: int = 200) -> Response:
    actor = current_principal()
    if not actor.admin:
        mine = _administered(actor)
        if not mine:
            _absent()
        return _page("access/overview.html", status, manager=None, administered=mine, error=error)
    manager = _manager(None)
    orgs = _organisations(manager)
    members = manager.members()
    counts = {o: sum(o in m.roles for m in members) for o in orgs}
    return _page("access/overview.html", status, manager=manager, members=members, orgs=orgs, counts=counts,
                 administered=_administered(actor), error=error, form=_kept(error))


@bp.get("/access/people/<name>")
def person(name: str) -> Response:
    return _person(_manager(None), name)


@bp.get("/org/<slug>/people")
def people(slug: str) -> Response:
    return _people(_manager(slug))


def _people(manager: Manager, error: str = "", status: int = 200) -> Response:
    return _page("access/people.html", status, manager=manager, slug=manager.org, members=manager.members(),
                 error=error, form=_kept(error))


@bp.get("/org/<slug>/people/<name>")
def member(slug: str, name: str) -> Response:
    return _person(_manager(slug), name)


def _person(manager: Manager, name: str, error: str = "", status: int = 200) -> Response:
    try:
        found = manager.member(name)
    except Absent:
        _absent()
    orgs = _organisations(manager) if manager.org is None else []
    return _page("access/person.html", status, manager=manager, slug=manager.org, member=found, orgs=orgs,
                 error=error, me=manager.actor.name)


def _kept(error: str) -> dict[str, str]:
    """The invite form's fields again after a refusal (never a password)."""
    if not error or request.method != "POST" or request.form.get("action") != "invite":
        return {}
    return {k: v for k, v in request.form.items() if k in ("name", "role", "org", "kind", "credential", "label", "days")}


# -- changes ----------------------------------------------------------------------------------------------
@bp.post("/access/")
def change() -> Response:
    return _change(None)


@bp.post("/org/<slug>/people")
def people_change(slug: str) -> Response:
    return _change(slug)


def _change(org: str | None) -> Response:
    # a form signed in by the session cookie must carry the session's CSRF token; without it the cookie is
    # ignored (principal.py) — say so rather than answer as to a stranger
    if (session.get("principal") or current_principal().via == "sso") and not csrf_ok():
        return Response("The form expired or did not come from this site: reload the page and try again. "
                        "Nothing was changed.\n", status=400, mimetype="text/plain")
    manager = _manager(org)
    form = request.form
    action, name = form.get("action", ""), form.get("name", "").strip()
    try:
        shown = _apply(manager, action, name)
    except Absent:
        _absent()
    except Refused as e:
        return _refused(manager, action, name, str(e), 409 if isinstance(e, Conflict) else 400)
    if shown is not None:
        return _page("access/secret.html", manager=manager, slug=manager.org, shown=shown,
                     signin_url=url_for("access.signin_page", _external=True))
    flash(_DONE[action].format(name=name, role=form.get("role", ""), org=manager.org or form.get("org", "")))
    return redirect(_back(manager, action, name), code=303)  # type: ignore[return-value]


def _apply(manager: Manager, action: str, name: str) -> Shown | None:
    form = request.form
    if action == "invite":
        return manager.invite(name, role=form.get("role", ""), org=form.get("org", ""), kind=form.get("kind", "person"),
                              credential=form.get("credential", "link"), password=form.get("password", ""),
                              label=form.get("label", ""), days=form.get("days", ""))
    if action == "grant":
        revoked = manager.grant(name, form.get("role", ""), form.get("org", ""))
        if revoked:
            flash(f"{len(revoked)} secret(s) of {name} made by an organisation's admin "
                  f"({', '.join(sorted({str(r['made_by']) or 'unknown' for r in revoked}))}) were revoked and their "
                  f"sessions ended: {name} now has access beyond that organisation. Give them a new sign-in link or token.")
    elif action == "revoke":
        manager.revoke(name, form.get("org", ""))
    elif action == "token":
        return manager.new_token(name, form.get("label", ""), form.get("days", ""))
    elif action == "revoke-token":
        manager.revoke_token(form.get("token", ""))
    elif action == "link":
        return manager.signin_link(name)
    elif action == "password":
        manager.set_password(name, form.get("password", ""))
    elif action in ("disable", "enable"):
        manager.set_disabled(name, action == "disable")
    else:
        raise Refused(f"unknown action {action!r}")
    return None


_DONE = {
    "invite": "{name} was added.",
    "grant": "{name} is now {role} of {org}.",
    "revoke": "{name} has no role on {org} any more.",
    "revoke-token": "The token was revoked.",
    "password": "The password of {name} was set; their earlier sessions have ended.",
    "disable": "{name} is disabled: no sign-in, session or token of theirs is accepted.",
    "enable": "{name} is enabled again.",
}


def _back(manager: Manager, action: str, name: str) -> str:
    """Where the page goes after a change: the principal's page while the actor can still see it, else the list."""
    try:
        manager.member(name)
    except Absent:
        name = ""
    if action == "invite" or not name:
        return url_for("access_admin.overview") if manager.org is None else \
            url_for("access_admin.people", slug=manager.org)
    return url_for("access_admin.person", name=name) if manager.org is None else \
        url_for("access_admin.member", slug=manager.org, name=name)


def _refused(manager: Manager, action: str, name: str, reason: str, status: int) -> Response:
    """The page the form was on, again, with the reason (400 or 409; nothing was changed)."""
    if action != "invite" and name:
        try:
            return _person(manager, name, reason, status)
        except NotFound:  # a name that is not there: the list page says why
            pass
    return _overview(reason, status) if manager.org is None else _people(manager, reason, status)


__all__ = ["bp"]

"""Managing principals on someone's behalf (the access pages, normgraph/server/access_admin.py): what the acting
principal may see and change, the rule that keeps an administrator from locking themselves out, and one audit
record (normgraph/access/audit.py) for every change and every refusal.

Two scopes:

* the global admin (`Manager(registry, actor)`) manages everyone: every principal, every organisation's grants,
  tokens, sign-in links, passwords, disabling;
* an organisation's admin (`Manager(registry, actor, org)`) manages that organisation only: the principals
  granted it — and of them only their role on it — and the principals it invites. Everything else is absent to
  them (`Absent`), exactly like a name that does not exist.

A secret (a token, a sign-in link, a password) opens everything its principal may see. So an organisation's admin
manages the secrets of a principal, and may disable it, only when every grant of that principal is on this
organisation (`Member.own`); someone who also has access elsewhere is the global admin's to manage.

Secrets are made by the registry and handed back once, to be shown once; they are never logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from normgraph.access import audit
from normgraph.access.model import ROLES, Principal, reserved
from normgraph.access.registry import AccessError, Registry
from normgraph.iri import org_graph

T = TypeVar("T")

#: a new principal's name: what a URL path segment, the CLI and a log line all carry unchanged
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
#: how a new principal first signs in
CREDENTIALS = ("link", "password", "token", "none")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # a passphrase fits; megabytes of "password" are not hashed
MAX_LABEL = 100
MAX_DAYS = 3660.0


class Absent(AccessError):
    """Not there for this actor — or not there at all: the two answer alike."""


class Refused(AccessError):
    """A change that makes no sense (a bad name, role, password, …); the message says why in words."""


class Conflict(Refused):
    """A change the rules refuse although it is well formed: a name that is taken, an admin's own last admin
    grant, disabling oneself, the secrets of someone who also works elsewhere."""


@dataclass(frozen=True)
class Member:
    """A principal as the actor may see it."""

    name: str
    kind: str  # person | tool
    admin: bool  # the global admin
    disabled: str  # since when, or ""
    roles: dict[str, str]  # every grant for the global admin; the one organisation's grant for its admin
    own: bool  # the actor manages its secrets and may disable it
    tokens: list[dict[str, object]] = field(default_factory=list)  # id, label, created, expires (own only)


@dataclass(frozen=True)
class Shown:
    """The outcome of a change that made a secret: shown once, never stored in clear, never logged."""

    name: str
    kind: str  # link | token
    secret: str


class Manager:
    """The management actions of `actor`, for organisation `org` (its admin) or for everyone (org None: the
    global admin). Constructing it for an actor without that authority raises Absent."""

    def __init__(self, registry: Registry, actor: Principal, org: str | None = None, where: str = "") -> None:
        if org is None and not actor.admin:
            raise Absent("not found")
        if org is not None:
            _slug(org, Absent)
            if not (actor.admin or actor.role(org) == "admin"):
                raise Absent("not found")
        self.registry, self.actor, self.org, self.where = registry, actor, org, where

    # -- what the actor sees -------------------------------------------------------------------------
    def members(self) -> list[Member]:
        """The principals the actor may see, by name."""
        return [self._member(p) for p in self.registry.principals() if self._visible(p)]

    def member(self, name: str) -> Member:
        found = next((p for p in self.registry.principals() if p["name"] == name and self._visible(p)), None)
        if found is None:
            raise Absent(f"no principal {name!r}")
        return self._member(found)

    def granted_orgs(self) -> list[str]:
        """The organisations named in any grant the actor may see."""
        return sorted({o for m in self.members() for o in m.roles})

    def _visible(self, p: dict[str, object]) -> bool:
        return self.org is None or self.org in p["roles"]  # type: ignore[operator]

    def _member(self, p: dict[str, object]) -> Member:
        roles: dict[str, str] = p["roles"]  # type: ignore[assignment]
        if self.org is None:
            shown, own = dict(roles), True
        else:
            shown, own = {self.org: roles[self.org]}, not p["admin"] and set(roles) == {self.org}
        name = str(p["name"])
        return Member(name, str(p["kind"]), bool(p["admin"]), str(p["disabled"]), shown, own,
                      self.registry.tokens(name) if own else [])

    # -- changes -------------------------------------------------------------------------------------
    def invite(self, name: str, *, role: str = "", org: str = "", kind: str = "person", credential: str = "link",
               password: str = "", label: str = "", days: str = "") -> Shown | None:
        """A new principal with `role` on the organisation (its admin's own; the global admin names one or
        none), and its first credential: a one-time sign-in link or a token (returned, to be shown once), the
        password given, or none. Nothing is kept when any part is refused."""
        org = self.org or org.strip()
        details = {"role": role, "kind": kind, "credential": credential}

        def do() -> Shown | None:
            if not NAME.fullmatch(name):
                raise Refused("A name is 1 to 100 letters, digits or . _ @ + - and starts with a letter or digit.")
            if kind not in ("person", "tool"):
                raise Refused(f"unknown kind {kind!r}: person or tool")
            if org:
                _slug(org, Refused)
                _role(role)
            elif self.org is None and role:
                raise Refused("Choose the organisation the role is on.")
            if credential not in CREDENTIALS:
                raise Refused(f"unknown credential {credential!r}: {', '.join(CREDENTIALS)}")
            if credential == "password":
                _password(password)
            lifetime = _days(days) if credential == "token" else None
            if credential == "token":
                _label(label)
            if reserved(name):
                raise Refused(f"The name {name!r} is reserved (update-token, anonymous, cli:…): choose another.")
            try:
                self.registry.add(name, kind=kind)
            except AccessError:
                raise Conflict(self._taken(name)) from None
            try:
                if org:
                    self.registry.grant(name, org, role)
                if credential == "password":
                    self.registry.set_password(name, password, **self._maker())
                elif credential == "link":
                    return Shown(name, "link", self.registry.signin_link(name, **self._maker()))
                elif credential == "token":
                    return Shown(name, "token", self.registry.new_token(name, label, lifetime, **self._maker()))
                return None
            except BaseException:
                self.registry.remove(name)  # all or nothing
                raise

        return self._act("invite", name, do, org=org or None, **details)

    def grant(self, name: str, role: str, org: str = "") -> list[dict[str, object]]:
        """Give `name` `role` on the organisation (replacing the role it had there). Returned: the secrets this
        revoked — those an organisation's admin made, once `name` has access beyond that organisation (the
        audit record names them too)."""
        org = self.org or org.strip()
        revoked: list[dict[str, object]] = []

        def do() -> list[dict[str, object]]:
            current = self.member(name).roles.get(org)
            _slug(org, Refused)
            _role(role)
            if current == "admin" and role != "admin":
                self._keep_own_admin(name, org)
            revoked.extend(self.registry.grant(name, org, role))
            return revoked

        return self._act("grant", name, do, org=org, role=role, revoked=revoked)

    def revoke(self, name: str, org: str = "") -> None:
        """Take `name`'s role on the organisation away."""
        org = self.org or org.strip()

        def do() -> None:
            found = self.member(name)
            if org not in found.roles:
                raise Absent(f"{name!r} has no grant on {org!r}")
            if found.roles[org] == "admin":
                self._keep_own_admin(name, org)
            self.registry.revoke(name, org)

        self._act("revoke", name, do, org=org)

    def new_token(self, name: str, label: str = "", days: str = "") -> Shown:
        """A bearer token for `name`, named `label`, valid `days` (blank: until revoked)."""

        def do() -> Shown:
            self._own(name)
            _label(label)
            return Shown(name, "token", self.registry.new_token(name, label, _days(days), **self._maker()))

        return self._act("token", name, do, label=label, days=days or None)

    def revoke_token(self, token_id: str) -> None:
        """Revoke a token of a principal the actor manages the secrets of."""
        tid = int(token_id) if token_id.isdigit() else -1
        owner = next((m for m in self.members() for t in m.tokens if t["id"] == tid), None)

        def do() -> None:
            if owner is None:
                raise Absent(f"no token {token_id}")
            self.registry.revoke_token(tid)

        self._act("revoke-token", owner.name if owner else "", do, token=token_id)

    def signin_link(self, name: str) -> Shown:
        """A new one-time sign-in link for `name` (earlier unused ones stop working)."""

        def do() -> Shown:
            self._own(name)
            return Shown(name, "link", self.registry.signin_link(name, **self._maker()))

        return self._act("link", name, do)

    def set_password(self, name: str, password: str) -> None:
        def do() -> None:
            self._own(name)
            _password(password)
            self.registry.set_password(name, password, **self._maker())

        self._act("password", name, do)

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable `name` (no sign-in, token or session of it is accepted) or enable it again."""

        def do() -> None:
            self._own(name)
            if disabled and name == self.actor.name:
                raise Conflict("You cannot disable yourself: ask another administrator.")
            self.registry.set_disabled(name, disabled)

        self._act("disable" if disabled else "enable", name, do)

    # -- rules ---------------------------------------------------------------------------------------
    def _maker(self) -> dict[str, str]:
        """Who makes a secret, as the registry keeps it: the organisation of an organisation's admin, whose
        secrets stop working when their principal gains access elsewhere; '' for the global admin."""
        return {"made_by": self.actor.name, "made_org": "" if self.actor.admin else self.org or ""}

    def _taken(self, name: str) -> str:
        """The answer to a name in use. The global admin sees every principal and is told so; an organisation's
        admin is not told that a principal of that name exists (it may be someone of another organisation), only
        that the name cannot be had — the same words as for a name refused for any other reason of the registry."""
        if self.org is None:
            return f"The name {name!r} cannot be used: it is taken. Choose another."
        return f"The name {name!r} is not available. Choose another."

    def _own(self, name: str) -> Member:
        found = self.member(name)
        if not found.own:
            raise Conflict(f"{name} also has access beyond {self.org}: their sign-in, tokens and account are "
                          "managed by the global admin. You can change or revoke their role here.")
        return found

    def _keep_own_admin(self, name: str, org: str) -> None:
        """An admin does not take away their own last admin grant by accident: they would lose these pages."""
        if name != self.actor.name:
            return
        me = self.registry.principal(name)
        if me is None or me.admin:
            return
        if not any(r == "admin" and o != org for o, r in me.roles.items()):
            raise Conflict(f"This is your last admin grant: without it you could no longer manage access. "
                          f"Ask another administrator of {org}, or the global admin, to change it.")

    def _act(self, action: str, subject: str, do: Callable[[], T], org: str | None = None, **details: object) -> T:
        """do(), with its audit record: done, or refused with the reason."""
        where = org if org is not None else self.org
        try:
            result = do()
        except AccessError as e:
            audit.change(self.actor.name, action, subject, organisation=where, outcome="refused", where=self.where,
                         via=self.actor.acted_via, details={**details, "reason": str(e)})
            raise
        audit.change(self.actor.name, action, subject, organisation=where, where=self.where,
                     via=self.actor.acted_via, details=details)
        return result


def _slug(org: str, error: type[AccessError]) -> None:
    try:
        org_graph(org)
    except ValueError:
        raise error(f"no organisation can be called {org!r}") from None


def _role(role: str) -> None:
    if role not in ROLES:
        raise Refused(f"Choose a role: {', '.join(ROLES)}.")


def _password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Refused(f"A password needs at least {MIN_PASSWORD} characters (and at most {MAX_PASSWORD}).")


def _label(label: str) -> None:
    if len(label) > MAX_LABEL or not label.isprintable():
        raise Refused(f"A token's name is at most {MAX_LABEL} printable characters.")


def _days(days: str) -> float | None:
    """Days of validity from a form field: blank for none (until revoked)."""
    if not days.strip():
        return None
    try:
        value = float(days)
    except ValueError:
        raise Refused(f"Valid for: {days!r} is not a number of days.") from None
    if not 0 < value <= MAX_DAYS:
        raise Refused(f"Valid for: give a number of days above 0 and at most {MAX_DAYS:g}, or leave it blank.")
    return value


__all__ = ["CREDENTIALS", "NAME", "Absent", "Conflict", "Manager", "Member", "Refused", "Shown"]

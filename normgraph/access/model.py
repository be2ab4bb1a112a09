"""Principals and roles. People and tools are the same principals: a person signs in on the web
pages, a tool sends a bearer token, and both then act with the same grants."""

from __future__ import annotations

from dataclasses import dataclass, field

from normgraph.store.scoped import EVERYTHING, PUBLIC, Scope

#: roles on one organisation, weakest first: a viewer reads its graph, an editor also writes it, an
#: admin also manages who else may (`normgraph access grant`)
ROLES = ("viewer", "editor", "admin")


@dataclass(frozen=True)
class Principal:
    name: str
    admin: bool = False  # the global admin: every graph, SPARQL Update, public graphs
    roles: dict[str, str] = field(default_factory=dict)  # organisation slug -> role
    via: str = "anonymous"  # how the request proved it: anonymous | token | session | sso

    @property
    def anonymous(self) -> bool:
        return self.via == "anonymous"

    def role(self, org: str) -> str | None:
        return self.roles.get(org)

    def __hash__(self) -> int:
        return hash((self.name, self.admin, tuple(sorted(self.roles.items())), self.via))


ANONYMOUS = Principal("anonymous")


def scope_of(principal: Principal) -> Scope:
    """The store scope of a principal (what normgraph.store.scoped.ScopedStore lets it see and change)."""
    if principal.admin:
        return EVERYTHING
    if not principal.roles:
        return PUBLIC
    read = frozenset(principal.roles)
    write = frozenset(o for o, r in principal.roles.items() if ROLES.index(r) >= ROLES.index("editor"))
    return Scope(read, write)


__all__ = ["ANONYMOUS", "ROLES", "Principal", "scope_of"]

"""Principals and roles. People and tools are the same principals: a person signs in on the web
pages, a tool sends a bearer token, and both then act with the same grants."""

from __future__ import annotations

from dataclasses import dataclass, field

from normgraph.store.scoped import EVERYTHING, PUBLIC, Scope

#: roles on one organisation, weakest first: a viewer reads its graph, an editor also writes it, an
#: admin also manages who else may (`normgraph access grant`)
ROLES = ("viewer", "editor", "admin")

#: names the code gives principals that are not in the registry (the update token, no principal, the audit's
#: requests without one, the CLI's "cli:<user>"): no registry principal may carry one, so an audit record or a
#: fairness key never confuses the two
RESERVED = ("update-token", "anonymous", "(no request)")
RESERVED_PREFIXES = ("cli:", "org:", "addr:", "principal:")


def reserved(name: str) -> bool:
    """Is `name` one the code uses for a principal outside the registry?"""
    return name.lower() in RESERVED or name.lower().startswith(RESERVED_PREFIXES)


@dataclass(frozen=True)
class Principal:
    name: str
    admin: bool = False  # the global admin: every graph, SPARQL Update, public graphs
    roles: dict[str, str] = field(default_factory=dict)  # organisation slug -> role
    via: str = "anonymous"  # how the request proved it: anonymous | token | session | sso
    token: int | None = None  # the registry token's number, when via == "token"

    @property
    def anonymous(self) -> bool:
        return self.via == "anonymous"

    def role(self, org: str) -> str | None:
        return self.roles.get(org)

    @property
    def acted_via(self) -> str:
        """How the request proved this principal, for the audit trail: "token 12" names the token."""
        return f"token {self.token}" if self.token is not None else self.via

    @property
    def fairness_key(self) -> str:
        """Whose share of the query workers this principal's requests count against: a principal whose every
        grant is on one organisation counts as that organisation (whose admin may invite principals at will),
        anyone else as itself. Anonymous requests are keyed by address by the server."""
        if not self.admin and len(self.roles) == 1:
            return f"org:{next(iter(self.roles))}"
        return f"principal:{self.name}"

    def __hash__(self) -> int:
        return hash((self.name, self.admin, tuple(sorted(self.roles.items())), self.via, self.token))


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


__all__ = ["ANONYMOUS", "RESERVED", "RESERVED_PREFIXES", "ROLES", "Principal", "reserved", "scope_of"]

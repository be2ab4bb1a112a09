"""Who may see what: principals, roles per organisation, secrets, and the audit trail (docs/security.md).

model.py     Principal, roles (viewer / editor / admin per organisation, and the global admin) and the
             store scope each principal gets (normgraph.store.scoped enforces it)
registry.py  the principal database: a small SQLite file beside the store (secrets stored hashed)
audit.py     access records of organisation data (principal, time, graph, read / write)
"""

from __future__ import annotations

from normgraph.access.model import ANONYMOUS, ROLES, Principal, scope_of
from normgraph.access.registry import Registry, default_path

__all__ = ["ANONYMOUS", "ROLES", "Principal", "Registry", "default_path", "scope_of"]

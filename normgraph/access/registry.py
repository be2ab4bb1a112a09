"""The principal database: a small SQLite file beside the store (`<store>.access.sqlite`, or
`$XDG_DATA_HOME/normgraph/access.sqlite` for the in-memory store), created readable and writable by
its owner only (0600).

Secrets are stored hashed, never in clear: bearer tokens and one-time sign-in links are 256-bit random
values, kept as their SHA-256 (a fast hash is right for high-entropy secrets, and a token is checked on
every request); passwords, which people choose, with werkzeug's scrypt (`generate_password_hash`). A
secret is shown once, when it is made. Nothing here logs a secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from normgraph.access.model import ROLES, Principal, reserved

_SCHEMA = """
CREATE TABLE IF NOT EXISTS principals (name TEXT PRIMARY KEY, admin INTEGER NOT NULL DEFAULT 0,
                                       kind TEXT NOT NULL DEFAULT 'person', created TEXT NOT NULL,
                                       session_epoch TEXT NOT NULL DEFAULT '', disabled TEXT NOT NULL DEFAULT '',
                                       org_made TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS grants (name TEXT NOT NULL REFERENCES principals(name) ON DELETE CASCADE,
                                   org TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (name, org));
CREATE TABLE IF NOT EXISTS secrets (id INTEGER PRIMARY KEY AUTOINCREMENT,
                                    name TEXT NOT NULL REFERENCES principals(name) ON DELETE CASCADE,
                                    kind TEXT NOT NULL, hash TEXT NOT NULL, label TEXT NOT NULL DEFAULT '',
                                    created TEXT NOT NULL, expires TEXT,
                                    made_by TEXT NOT NULL DEFAULT '', made_org TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS secrets_hash ON secrets (hash);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

TOKEN_PREFIX = "ngt_"
#: `made_org` of a secret kept from before makers were recorded
UNKNOWN_MAKER = "?"
SIGNIN_PREFIX = "ngs_"
#: how long a one-time sign-in link stays valid
SIGNIN_TTL = dt.timedelta(hours=24)


class AccessError(ValueError):
    """A management request that cannot be done (unknown principal, unknown role, …)."""


def default_path(store_path: str | Path | None) -> Path:
    """Where the principal database of a store lives: beside it, or in the user's data folder."""
    if store_path:
        p = Path(store_path).resolve()
        return p.with_name(p.name + ".access.sqlite")
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "normgraph" / "access.sqlite"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_epoch() -> str:
    """A session epoch: random rather than counted, so a removed and re-added name never repeats one."""
    return secrets.token_hex(16)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@cache
def _dummy_hash() -> str:
    """A password hash to check a name without a password against: made once, so an unknown name costs one
    scrypt like a known one (and takes as long)."""
    return generate_password_hash(secrets.token_hex(16))


class Registry:
    """Principals, grants and secrets in one SQLite database (":memory:" for one that lives in memory)."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            p = Path(self.path)
            p.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(p, os.O_RDWR | os.O_CREAT, 0o600))
            os.chmod(p, 0o600)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(principals)")}
            if "session_epoch" not in columns:  # a database from before session epochs
                self._db.execute("ALTER TABLE principals ADD COLUMN session_epoch TEXT NOT NULL DEFAULT ''")
                self._db.execute("UPDATE principals SET session_epoch = lower(hex(randomblob(16)))")
            if "disabled" not in columns:  # a database from before principals could be disabled
                self._db.execute("ALTER TABLE principals ADD COLUMN disabled TEXT NOT NULL DEFAULT ''")
            if "org_made" not in columns:  # a database from before secrets recorded their maker
                self._db.execute("ALTER TABLE principals ADD COLUMN org_made TEXT NOT NULL DEFAULT ''")
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(secrets)")}
            if "made_by" not in columns:  # who made them is not known: UNKNOWN_MAKER, revoked like an org admin's
                self._db.execute("ALTER TABLE secrets ADD COLUMN made_by TEXT NOT NULL DEFAULT ''")
                self._db.execute("ALTER TABLE secrets ADD COLUMN made_org TEXT NOT NULL DEFAULT ''")
                # an organisation's admin can only have made those of a principal granted one organisation alone
                own = ("SELECT p.name FROM principals p JOIN grants g ON g.name = p.name WHERE p.admin = 0 "
                       "GROUP BY p.name HAVING COUNT(*) = 1")
                self._db.execute(f"UPDATE secrets SET made_org = ? WHERE name IN ({own})", (UNKNOWN_MAKER,))
                self._db.execute(f"UPDATE principals SET org_made = ? WHERE name IN ({own})", (UNKNOWN_MAKER,))

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    # -- principals --------------------------------------------------------------------------------
    def add(self, name: str, *, admin: bool = False, kind: str = "person") -> None:
        if not name or any(c.isspace() for c in name):
            raise AccessError(f"bad principal name {name!r}: give a name without spaces")
        if reserved(name):
            raise AccessError(f"the name {name!r} is reserved (update-token, anonymous, and names starting "
                              "with cli:, org:, addr: or principal: name principals outside the registry)")
        with self._tx() as db:
            if db.execute("SELECT 1 FROM principals WHERE name = ?", (name,)).fetchone():
                raise AccessError(f"principal {name!r} exists")
            db.execute("INSERT INTO principals (name, admin, kind, created, session_epoch) VALUES (?, ?, ?, ?, ?)",
                       (name, int(admin), kind, _now().isoformat(), _new_epoch()))

    def remove(self, name: str) -> None:
        """Remove a principal: its grants, secrets and sessions go with it (a principal added again under
        the same name gets a new session epoch, so no earlier cookie of the name comes back to life)."""
        with self._tx() as db:
            if db.execute("DELETE FROM principals WHERE name = ?", (name,)).rowcount == 0:
                raise AccessError(f"no principal {name!r}")

    # -- sessions ----------------------------------------------------------------------------------
    def session_epoch(self, name: str) -> str:
        """The principal's current session epoch, which a session cookie records at sign-in ('' for none)."""
        with self._lock:
            row = self._db.execute("SELECT session_epoch FROM principals WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else ""

    def session_principal(self, name: str, epoch: str) -> Principal | None:
        """The principal of a session cookie, None when the principal is gone or its sessions were ended
        since the cookie was made (sign-out, a new password)."""
        with self._lock:
            row = self._db.execute("SELECT session_epoch FROM principals WHERE name = ?", (name,)).fetchone()
        if row is None or not row[0] or not secrets.compare_digest(str(row[0]), epoch):
            return None
        return self.principal(name, "session")

    def end_sessions(self, name: str) -> None:
        """End every session of a principal: a new epoch, so every earlier cookie is refused."""
        with self._tx() as db:
            db.execute("UPDATE principals SET session_epoch = ? WHERE name = ?", (_new_epoch(), name))

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable a principal (or enable it again): while disabled, no token, password, sign-in link, session
        or single sign-on header of it is accepted (`principal()` does not find it). Its grants and tokens are
        kept for when it is enabled again; its sessions end now either way."""
        with self._tx() as db:
            if db.execute("UPDATE principals SET disabled = ?, session_epoch = ? WHERE name = ?",
                          (_now().isoformat() if disabled else "", _new_epoch(), name)).rowcount == 0:
                raise AccessError(f"no principal {name!r}")

    def set_admin(self, name: str, admin: bool) -> list[dict[str, object]]:
        """Make `name` the global admin or not; returns the secrets this revoked (see `grant`)."""
        with self._tx() as db:
            if db.execute("UPDATE principals SET admin = ? WHERE name = ?", (int(admin), name)).rowcount == 0:
                raise AccessError(f"no principal {name!r}")
            return self._drop_org_secrets(db, name)

    def principals(self) -> list[dict[str, object]]:
        """Every principal, disabled ones too (`disabled`: when, or ''), with its roles."""
        with self._lock:
            rows = self._db.execute("SELECT name, admin, kind, created, disabled FROM principals ORDER BY name").fetchall()
            grants = self._db.execute("SELECT name, org, role FROM grants ORDER BY org").fetchall()
        roles: dict[str, dict[str, str]] = {}
        for n, org, role in grants:
            roles.setdefault(n, {})[org] = role
        return [{"name": n, "admin": bool(a), "kind": k, "created": c, "disabled": d, "roles": roles.get(n, {})}
                for n, a, k, c, d in rows]

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM principals").fetchone()[0])

    def principal(self, name: str, via: str = "anonymous") -> Principal | None:
        """The principal `name` as it acts now; None when there is none or it is disabled."""
        with self._lock:
            row = self._db.execute("SELECT admin FROM principals WHERE name = ? AND disabled = ''", (name,)).fetchone()
            if row is None:
                return None
            roles = dict(self._db.execute("SELECT org, role FROM grants WHERE name = ?", (name,)).fetchall())
        return Principal(name, bool(row[0]), roles, via)

    # -- grants ------------------------------------------------------------------------------------
    def grant(self, name: str, org: str, role: str) -> list[dict[str, object]]:
        """Give `name` `role` on `org`. When the principal so gains access beyond the one organisation whose
        admin made some of its secrets, those secrets are revoked and its sessions end (the organisation's
        admin, who may hold them, must not reach the rest); returned: id, kind, made_by of each one revoked."""
        if role not in ROLES:
            raise AccessError(f"unknown role {role!r}; known: {', '.join(ROLES)}")
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM principals WHERE name = ?", (name,)).fetchone():
                raise AccessError(f"no principal {name!r}")
            db.execute("INSERT OR REPLACE INTO grants (name, org, role) VALUES (?, ?, ?)", (name, org, role))
            return self._drop_org_secrets(db, name)

    def _drop_org_secrets(self, db: sqlite3.Connection, name: str) -> list[dict[str, object]]:
        """Revoke the secrets of `name` made by an organisation's admin unless `name` is still that
        organisation's alone (no other grant, not the global admin); end its sessions when its current ones may
        stem from such a secret (a sign-in link that an organisation's admin made is gone once used)."""
        admin, org_made = db.execute("SELECT admin, org_made FROM principals WHERE name = ?", (name,)).fetchone()
        orgs = {r[0] for r in db.execute("SELECT org FROM grants WHERE name = ?", (name,))}
        only = next(iter(orgs)) if len(orgs) == 1 and not admin else None
        rows = db.execute("SELECT id, kind, made_by, made_org FROM secrets WHERE name = ? AND made_org != ''",
                          (name,)).fetchall()
        gone = [r for r in rows if only is None or r[3] not in (only, UNKNOWN_MAKER)]
        for r in gone:
            db.execute("DELETE FROM secrets WHERE id = ?", (r[0],))
        if org_made and (only is None or org_made not in (only, UNKNOWN_MAKER)):
            db.execute("UPDATE principals SET session_epoch = ?, org_made = '' WHERE name = ?", (_new_epoch(), name))
        return [{"id": r[0], "kind": r[1], "made_by": r[2]} for r in gone]

    def revoke(self, name: str, org: str) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM grants WHERE name = ? AND org = ?", (name, org)).rowcount == 0:
                raise AccessError(f"{name!r} has no grant on {org!r}")

    # -- secrets -----------------------------------------------------------------------------------
    def _store_secret(self, db: sqlite3.Connection, name: str, kind: str, hashed: str, label: str,
                      expires: dt.datetime | None, made_by: str, made_org: str) -> None:
        """Keep a secret's hash with who made it: `made_org` is the organisation whose admin did ('' for the
        global admin or the CLI), whose principal may hold it (see `grant`)."""
        if not db.execute("SELECT 1 FROM principals WHERE name = ?", (name,)).fetchone():
            raise AccessError(f"no principal {name!r}")
        db.execute("INSERT INTO secrets (name, kind, hash, label, created, expires, made_by, made_org) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (name, kind, hashed, label, _now().isoformat(), expires.isoformat() if expires else None,
                    made_by, made_org))
        if made_org:
            db.execute("UPDATE principals SET org_made = ? WHERE name = ?", (made_org, name))

    def _new_secret(self, name: str, kind: str, prefix: str, label: str, expires: dt.datetime | None,
                    made_by: str, made_org: str) -> str:
        secret = prefix + secrets.token_urlsafe(32)
        with self._tx() as db:
            self._store_secret(db, name, kind, _digest(secret), label, expires, made_by, made_org)
        return secret

    def new_token(self, name: str, label: str = "", days: float | None = None, *, made_by: str = "",
                  made_org: str = "") -> str:
        """A new bearer token for `name` (shown once; stored as its SHA-256)."""
        expires = _now() + dt.timedelta(days=days) if days else None
        return self._new_secret(name, "token", TOKEN_PREFIX, label, expires, made_by, made_org)

    def tokens(self, name: str | None = None) -> list[dict[str, object]]:
        query = "SELECT id, name, label, created, expires, made_by FROM secrets WHERE kind = 'token'"
        args: tuple[str, ...] = ()
        if name is not None:
            query, args = query + " AND name = ?", (name,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [dict(zip(("id", "name", "label", "created", "expires", "made_by"), r, strict=True)) for r in rows]

    def revoke_token(self, token_id: int) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM secrets WHERE id = ? AND kind = 'token'", (token_id,)).rowcount == 0:
                raise AccessError(f"no token {token_id}")

    def by_token(self, token: str) -> Principal | None:
        """The principal a bearer token belongs to, None when it is unknown, revoked or expired."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self._lock:
            row = self._db.execute("SELECT name, expires, id FROM secrets WHERE kind = 'token' AND hash = ?",
                                   (_digest(token),)).fetchone()
        if row is None or (row[1] and dt.datetime.fromisoformat(row[1]) < _now()):
            return None
        found = self.principal(row[0], "token")
        return replace(found, token=int(row[2])) if found is not None else None

    def signin_link(self, name: str, *, made_by: str = "", made_org: str = "") -> str:
        """A one-time sign-in secret for `name`, valid SIGNIN_TTL; earlier unused ones are revoked."""
        with self._tx() as db:
            db.execute("DELETE FROM secrets WHERE name = ? AND kind = 'signin'", (name,))
        return self._new_secret(name, "signin", SIGNIN_PREFIX, "", _now() + SIGNIN_TTL, made_by, made_org)

    def redeem_signin(self, secret: str) -> Principal | None:
        """The principal of a one-time sign-in secret, which is used up; None when unknown or expired."""
        if not secret.startswith(SIGNIN_PREFIX):
            return None
        with self._tx() as db:
            row = db.execute("SELECT id, name, expires FROM secrets WHERE kind = 'signin' AND hash = ?",
                             (_digest(secret),)).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM secrets WHERE id = ?", (row[0],))
        if dt.datetime.fromisoformat(row[2]) < _now():
            return None
        return self.principal(row[1], "session")

    def set_password(self, name: str, password: str, *, made_by: str = "", made_org: str = "") -> None:
        if len(password) < 12:
            raise AccessError("a password needs at least 12 characters")
        hashed = generate_password_hash(password)
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM principals WHERE name = ?", (name,)).fetchone():
                raise AccessError(f"no principal {name!r}")
            db.execute("DELETE FROM secrets WHERE name = ? AND kind = 'password'", (name,))
            db.execute("UPDATE principals SET session_epoch = ? WHERE name = ?", (_new_epoch(), name))
            self._store_secret(db, name, "password", hashed, "", None, made_by, made_org)

    def check_password(self, name: str, password: str) -> Principal | None:
        with self._lock:
            row = self._db.execute("SELECT hash FROM secrets WHERE name = ? AND kind = 'password'", (name,)).fetchone()
        if row is None:
            check_password_hash(_dummy_hash(), password)  # one scrypt, as for a name with a password
            return None
        return self.principal(name, "session") if check_password_hash(row[0], password) else None

    def session_key(self) -> str:
        """The key that signs session cookies (made once, kept here so sessions survive a restart)."""
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'session_key'").fetchone()
            if row is not None:
                return str(row[0])
            key = secrets.token_hex(32)
            db.execute("INSERT INTO meta (key, value) VALUES ('session_key', ?)", (key,))
            return key


__all__ = ["SIGNIN_PREFIX", "TOKEN_PREFIX", "UNKNOWN_MAKER", "AccessError", "Registry", "default_path"]

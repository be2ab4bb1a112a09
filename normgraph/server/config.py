"""Server configuration: defaults < environment (NORMGRAPH_*) < explicit values (flags, create_app(config=…)).

| variable | meaning | default |
|---|---|---|
| NORMGRAPH_STORE | on-disk embedded store to serve (else in memory, loaded from ontology/ and data/) | — |
| NORMGRAPH_UPDATE_TOKEN | the update token: `Authorization: Bearer <token>` acts as the global admin; at least 32 characters | — |
| NORMGRAPH_UPDATE_TOKEN_FILE | a file whose first line is the update token (instead of the variable) | — |
| NORMGRAPH_QUERY_TIMEOUT | seconds a query may run before it is killed (503) | 10 |
| NORMGRAPH_MAX_RESULTS | largest serialised result in bytes; bigger answers get 422, never truncation | 67108864 |
| NORMGRAPH_MAX_UPLOAD | largest request body in bytes (413 above it) | 16777216 |
| NORMGRAPH_CORS_ORIGINS | `*` or a comma-separated list of origins | `*` |
| NORMGRAPH_WORKERS | query worker processes | the cores this process may use + 1 (2 to 16) |
| NORMGRAPH_EXAMPLES | also load data/examples (1/0) | 1 |
| NORMGRAPH_CACHE | result cache entries (0 = off) | 512 |
| NORMGRAPH_REPORT_CACHE | bytes all report caches hold together (least recently used go first); at least 1 MiB | 536870912 |
| NORMGRAPH_ACCESS | the principal database (SQLite; `normgraph access …` manages it) | — (in memory: only the update token) |
| NORMGRAPH_AUDIT_LOG | file the audit trail of organisation data is appended to | — (`serve`: beside the access database) |
| NORMGRAPH_TRUSTED_USER_HEADER | a reverse proxy's single sign-on header naming the principal (trusted only when set) | — |
| NORMGRAPH_SECURE_COOKIES | session cookie only over HTTPS (1/0) | 0 |
| NORMGRAPH_HEAVY_PER_CLIENT | query workers one client may hold at once (admission control) | half the workers |
| NORMGRAPH_UPLOAD_WORKERS | organisation uploads read at once, each in a capped child process (one client: half) | 2 |
| NORMGRAPH_UPLOAD_TIMEOUT | seconds reading one upload may take (wall; CPU likewise) before it is stopped | 180 |
| NORMGRAPH_UPLOAD_MEMORY | bytes of memory reading one upload may allocate | 2147483648 |
| NORMGRAPH_TRUSTED_HOSTS | comma-separated host names this server answers to (any other Host header: 400) | — (any) |
| NORMGRAPH_TRUSTED_PROXIES | reverse proxies in front whose X-Forwarded-For / -Proto / -Host are believed | 0 (ignored) |

The update token is the global admin, so one read from the environment, a file or `normgraph serve`'s flag
must have at least MIN_UPDATE_TOKEN characters (`check_update_token`; `python -c "import secrets;
print(secrets.token_urlsafe(32))"` makes one). A value a program passes to create_app(config=…) itself is
that program's own and is not checked (tests use short ones).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

#: the fewest characters an update token from the environment, a file or the command line may have
MIN_UPDATE_TOKEN = 32


@dataclass
class ServerConfig:
    store_path: str | None = None
    update_token: str | None = None
    query_timeout: float = 10.0
    max_results: int = 64 * 1024 * 1024
    max_upload: int = 16 * 1024 * 1024
    cors_origins: list[str] = field(default_factory=lambda: ["*"])
    workers: int = field(default_factory=lambda: default_workers())
    examples: bool = True
    cache_entries: int = 512
    report_cache_bytes: int = 512 * 1024 * 1024
    guard: bool = True  # wrap an EmbeddedStore in a GuardedStore (real timeouts)
    access_db: str | None = None
    audit_log: str | None = None
    trusted_user_header: str | None = None
    secure_cookies: bool = False
    heavy_per_client: int | None = None
    trusted_proxies: int = 0
    upload_workers: int = 2
    upload_timeout: float = 180.0
    upload_memory: int = 2 * 1024**3
    trusted_hosts: list[str] | None = None

    @classmethod
    def from_env(cls, overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> ServerConfig:
        env = os.environ if env is None else env
        cfg = cls()
        readers: dict[str, tuple[str, Any]] = {
            "store_path": ("NORMGRAPH_STORE", str),
            "update_token": ("NORMGRAPH_UPDATE_TOKEN", str),
            "query_timeout": ("NORMGRAPH_QUERY_TIMEOUT", float),
            "max_results": ("NORMGRAPH_MAX_RESULTS", int),
            "max_upload": ("NORMGRAPH_MAX_UPLOAD", int),
            "cors_origins": ("NORMGRAPH_CORS_ORIGINS", _origins),
            "workers": ("NORMGRAPH_WORKERS", int),
            "examples": ("NORMGRAPH_EXAMPLES", _bool),
            "cache_entries": ("NORMGRAPH_CACHE", int),
            "report_cache_bytes": ("NORMGRAPH_REPORT_CACHE", _mebibyte_or_more),
            "access_db": ("NORMGRAPH_ACCESS", str),
            "audit_log": ("NORMGRAPH_AUDIT_LOG", str),
            "trusted_user_header": ("NORMGRAPH_TRUSTED_USER_HEADER", str),
            "secure_cookies": ("NORMGRAPH_SECURE_COOKIES", _bool),
            "heavy_per_client": ("NORMGRAPH_HEAVY_PER_CLIENT", int),
            "trusted_proxies": ("NORMGRAPH_TRUSTED_PROXIES", _count),
            "upload_workers": ("NORMGRAPH_UPLOAD_WORKERS", _count),
            "upload_timeout": ("NORMGRAPH_UPLOAD_TIMEOUT", float),
            "upload_memory": ("NORMGRAPH_UPLOAD_MEMORY", int),
            "trusted_hosts": ("NORMGRAPH_TRUSTED_HOSTS", _hosts),
        }
        for name, (var, conv) in readers.items():
            raw = env.get(var)
            if raw not in (None, ""):
                try:
                    setattr(cfg, name, conv(raw))
                except ValueError as e:
                    raise ValueError(f"{var}={raw!r}: {e}") from None
        known = {f.name for f in fields(cls)}
        for key, value in (overrides or {}).items():
            key = key.lower()
            if key not in known:
                raise ValueError(f"unknown server setting {key!r}; known: {', '.join(sorted(known))}")
            if value is not None:
                setattr(cfg, key, _origins(value) if key == "cors_origins" and isinstance(value, str) else value)
        token_file = env.get("NORMGRAPH_UPDATE_TOKEN_FILE")
        if token_file and not (overrides or {}).get("update_token"):
            cfg.update_token = read_token_file(token_file, "NORMGRAPH_UPDATE_TOKEN_FILE")
        if cfg.update_token and not (overrides or {}).get("update_token"):
            check_update_token(cfg.update_token, "NORMGRAPH_UPDATE_TOKEN")
        if cfg.update_token == "":
            cfg.update_token = None
        return cfg


def default_workers() -> int:
    """One query worker more than the cores this process may run on, between 2 and 16.

    A worker waits on its pipe while the server process reads the next request or writes an answer, so one
    more worker than cores keeps the cores busy: on 2 cores, 3 workers gave 6-16 % more uncached answers than
    2 in six of seven same-run comparisons (bench/README.md, "SPARQL endpoint under load"). Workers are forked
    from the loaded store (copy-on-write), so each costs its queries' memory, not a copy of the data; the cap
    keeps a many-core host from holding dozens of them.
    """
    try:
        cores = len(os.sched_getaffinity(0))  # the cores a container or taskset leaves us, not the host's
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(max(cores + 1, 2), 16)


def check_update_token(token: str, source: str) -> None:
    """ValueError naming `source` when the update token is too short to be the global admin's secret."""
    if len(token) < MIN_UPDATE_TOKEN:
        raise ValueError(
            f"{source}: the update token acts as the global admin and must have at least {MIN_UPDATE_TOKEN} "
            "characters; make one with: python -c \"import secrets; print(secrets.token_urlsafe(32))\"")


def read_token_file(path: str, source: str) -> str:
    """The first line of a token file, stripped; ValueError naming `source` and the file when unreadable."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{source}: cannot read the token file {path}: {e.__class__.__name__}") from None
    return lines[0].strip() if lines else ""


def _origins(raw: str) -> list[str]:
    return [o.strip() for o in raw.split(",") if o.strip()] or ["*"]


def _hosts(raw: str) -> list[str]:
    return [h.strip() for h in raw.split(",") if h.strip()]


def _count(raw: str) -> int:
    n = int(raw)
    if n < 0:
        raise ValueError("want a count of 0 or more")
    return n


def _mebibyte_or_more(raw: str) -> int:
    n = int(raw)
    if n < 1 << 20:
        raise ValueError("want at least 1048576 bytes (1 MiB)")
    return n


def _bool(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("want 1/0, true/false, yes/no")

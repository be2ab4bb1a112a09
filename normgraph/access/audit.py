"""The audit trail of organisation data (ISO/IEC 27001:2022 A.8.15, logging): who read or wrote which
organisation graph, when, through which request — and who changed who may see what (`change`, with
"access": "manage"). One JSON object per line on the logger
"normgraph.audit"; `normgraph serve` writes it to a file beside the access database. Secrets never
appear in it (only principal names)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from normgraph.store.query_reach import named_in, query_access  # what a query could reach: the store layer's to say

LOGGER = logging.getLogger("normgraph.audit")


def record(principal: str, mode: str, graphs: list[str], *, method: str = "", path: str = "", status: int = 0,
           via: str = "") -> None:
    """One access record: principal, how it acted (`via`: "token 12", session, sso, cli — Principal.acted_via),
    UTC time, `mode` (one of MODES), the organisation graphs, the request."""
    LOGGER.info(json.dumps({
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "principal": principal, "via": via, "access": mode, "graphs": graphs,
        "method": method, "path": path, "status": status,
    }, ensure_ascii=False))


def change(principal: str, action: str, subject: str, *, organisation: str | None = None, outcome: str = "done",
           where: str = "", via: str = "", details: Mapping[str, object] | None = None) -> None:
    """One change of who may see what (normgraph/access/manage.py): who did `action` to principal `subject`
    (on `organisation`), when, and whether it was done or refused. `details` name a role, a token number,
    an expiry — never a secret."""
    LOGGER.info(json.dumps({
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "principal": principal, "via": via, "access": "manage", "action": action, "subject": subject,
        "organisation": organisation, **(details or {}), "outcome": outcome, "where": where,
    }, ensure_ascii=False, default=str))


#: the kinds of access a record names. "read": the request asked for these graphs by name (GRAPH <g>, FROM,
#: default-graph-uri / named-graph-uri, /store?graph=, an organisation's page or export); "read-scope": a query
#: over the union default graph or GRAPH ?g that could reach these graphs, whether or not it matched anything
#: in them (the engine does not say which graphs a solution came from).
MODES = ("write", "read", "read-scope")


def note(seen: dict[str, set[str]], mode: str, graphs: Iterable[str]) -> None:
    """Collect one access of a request (`seen`: mode -> graphs, kept by the request)."""
    seen.setdefault(mode, set()).update(graphs)


def records(seen: dict[str, set[str]]) -> list[tuple[str, list[str]]]:
    """The audit records of one request, in MODES order: a graph read by name (or written) is not listed
    again as one the request could merely reach."""
    named = seen.get("write", set()) | seen.get("read", set())
    out = []
    for mode in MODES:
        graphs = seen.get(mode, set()) - (named if mode == "read-scope" else set())
        if graphs:
            out.append((mode, sorted(graphs)))
    return out


def trail_path(access_db: Path) -> Path:
    """Where the audit trail of the principal database `access_db` is kept: beside it (`access.audit.log`)."""
    return access_db.with_name(access_db.name.removesuffix(".sqlite") + ".audit.log")


def log_to(path: Path) -> logging.Handler:
    """Append the audit trail to `path` (created readable by its owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.close(fd)
    for h in LOGGER.handlers:
        if isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path.resolve():
            return h
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = True
    return handler


__all__ = ["LOGGER", "MODES", "change", "log_to", "named_in", "note", "query_access", "record", "records", "trail_path"]

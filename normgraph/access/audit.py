"""The audit trail of organisation data (ISO/IEC 27001:2022 A.8.15, logging): who read or wrote which
organisation graph, when, through which request. One JSON object per line on the logger
"normgraph.audit"; `normgraph serve` writes it to a file beside the access database. Secrets never
appear in it (only principal names)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path

LOGGER = logging.getLogger("normgraph.audit")


def record(principal: str, mode: str, graphs: list[str], *, method: str = "", path: str = "", status: int = 0) -> None:
    """One access record: principal, UTC time, read/write, the organisation graphs, the request."""
    LOGGER.info(json.dumps({
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "principal": principal, "access": mode, "graphs": graphs,
        "method": method, "path": path, "status": status,
    }, ensure_ascii=False))


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


__all__ = ["LOGGER", "log_to", "record"]

"""Admission control for the query workers: slow queries from clients never hold every worker.

Queries are of two classes. A client's own SPARQL text (/sparql) is "heavy": all heavy queries together
use at most the pool's `workers`, one client at most `per_client` of them (default half the workers),
and a heavy query never waits — when no slot is free it is refused at once with `Busy` (the server
answers 503 with Retry-After). The application's own named queries (explorer, REST API, reports) may
also use one more worker that heavy queries never get (guarded.py forks it when needed), so they are
never stuck behind slow client queries. Cached answers never reach a worker, so they are never refused.

The server marks a request's queries with `heavy(client)`; the guarded store asks `admit()` / `done()`.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from normgraph.store.base import QueryTimeout

#: the client whose heavy query runs in this context (None: the application's own query)
_HEAVY: contextvars.ContextVar[str | None] = contextvars.ContextVar("normgraph_heavy_client", default=None)


class Busy(QueryTimeout):
    """Every query worker a heavy query may use is busy (or this client already holds its share)."""


@contextlib.contextmanager
def heavy(client: str) -> Iterator[None]:
    """Queries run inside are `client`'s own text: bounded by the heavy slots and the client's share."""
    token = _HEAVY.set(client)
    try:
        yield
    finally:
        _HEAVY.reset(token)


def heavy_client() -> str | None:
    return _HEAVY.get()


@dataclass
class Admission:
    """The heavy slots of one pool of `workers` query workers."""

    workers: int
    per_client: int | None = None
    running: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def heavy_slots(self) -> int:
        return self.workers

    @property
    def share(self) -> int:
        return self.per_client if self.per_client else max(1, self.heavy_slots // 2)

    def admit(self) -> str | None:
        """Take a heavy slot for the current client (None for the application's own queries); Busy if none."""
        client = heavy_client()
        if client is None:
            return None
        with self.lock:
            if sum(self.running.values()) >= self.heavy_slots:
                raise Busy("every query worker is busy; try again shortly")
            if self.running[client] >= self.share:
                raise Busy(f"you already run {self.running[client]} queries at once; wait for them")
            self.running[client] += 1
        return client

    def done(self, client: str | None) -> None:
        if client is None:
            return
        with self.lock:
            self.running[client] -= 1
            if self.running[client] <= 0:
                del self.running[client]


__all__ = ["Admission", "Busy", "heavy", "heavy_client"]

"""Admission control for the query workers: slow queries from clients never hold every worker.

Queries are of two classes. A client's own SPARQL text (/sparql) is "heavy": all heavy queries together use
at most the pool's `workers`, one client at most `per_client` of them (default half the workers). When no
slot is free a heavy query waits a moment (at most QUEUE_WAIT seconds, with at most QUEUE_DEPTH queries
waiting per slot in all, and per slot of a client's share for each client), then is refused with `Busy` (the
server answers 503 with Retry-After): a slot freed is taken at once by a waiting query, so workers do not
idle between the end of one query and a refused client's retry, and nothing queues for long. The queue is
a few deep because a refusal is not free: the request was read, checked and answered, and the client sends
it again (with 8 clients on 2 workers and one waiter per slot, refused requests outnumbered answers and cost
the server process about as much CPU again as the answers themselves; bench/README.md). The application's
own named queries (explorer, REST API, reports) may also use one more worker that heavy queries never get
(guarded.py forks it when needed), so they are never stuck behind slow client queries. Cached answers never reach a worker, so
they are never refused.

The server marks a request's queries with `heavy(client)`; the guarded store asks `admit()` / `done()`.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from normgraph.store.base import QueryTimeout

#: how long a heavy query may wait for a free slot before it is refused
QUEUE_WAIT = 0.25
#: how many heavy queries may wait per heavy slot (in all, and per slot of a client's share)
QUEUE_DEPTH = 3

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
    queue_wait: float = QUEUE_WAIT
    queue_depth: int = QUEUE_DEPTH
    running: Counter[str] = field(default_factory=Counter)
    waiting: Counter[str] = field(default_factory=Counter)
    lock: threading.Condition = field(default_factory=threading.Condition)

    @property
    def heavy_slots(self) -> int:
        return self.workers

    @property
    def share(self) -> int:
        return self.per_client if self.per_client else max(1, self.heavy_slots // 2)

    def admit(self) -> str | None:
        """Take a heavy slot for the current client (None for the application's own queries), waiting at
        most `queue_wait` for one; Busy if none comes free or too many already wait."""
        client = heavy_client()
        if client is None:
            return None
        deadline = time.monotonic() + self.queue_wait
        with self.lock:
            while True:
                if sum(self.running.values()) < self.heavy_slots and self.running[client] < self.share:
                    self.running[client] += 1
                    return client
                if self._free_for_another(client):
                    self.lock.notify()  # a slot this client may not take: pass the wake-up on to one who may
                remaining = deadline - time.monotonic()
                if (remaining <= 0 or sum(self.waiting.values()) >= self.queue_depth * self.heavy_slots
                        or self.waiting[client] >= self.queue_depth * self.share):
                    if self.running[client] >= self.share:
                        raise Busy(f"you already run {self.running[client]} queries at once; wait for them")
                    raise Busy("every query worker is busy; try again shortly")
                self.waiting[client] += 1
                try:
                    self.lock.wait(remaining)
                finally:
                    self.waiting[client] -= 1
                    if self.waiting[client] <= 0:
                        del self.waiting[client]

    def _free_for_another(self, client: str) -> bool:
        """Is a slot free that another waiting client could take? (caller holds the lock)"""
        return sum(self.running.values()) < self.heavy_slots and any(
            c != client and self.running[c] < self.share for c in self.waiting)

    def done(self, client: str | None) -> None:
        """Free the client's slot and wake one waiting query (not all: each woken thread takes the server's
        GIL to look, and with 8 clients on 2 slots most would only wait again). A woken query that may not
        take the slot (its client holds its share) passes the wake-up on (`admit`)."""
        if client is None:
            return
        with self.lock:
            self.running[client] -= 1
            if self.running[client] <= 0:
                del self.running[client]
            self.lock.notify()


__all__ = ["Admission", "Busy", "heavy", "heavy_client"]

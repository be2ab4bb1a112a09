"""The one queue for report inputs computed in the background (ReportCache.later: a large organisation's
validation, up to minutes and a GiB at 10× size).

Bounded, so no reader can make the server run many at once: one worker thread, at most `MAX_PER_OWNER` jobs
waiting per owner (a ReportCache: one organisation's scope) and `MAX_WAITING` in all, owners served in turn so
one organisation's dates never keep another's validation waiting for long. A job whose data generation has
been superseded by a write before its turn is dropped unrun. `submit` answers False when there is no room:
the page then says its results are being computed, and the next view asks again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

#: jobs run one at a time: each may hold a large organisation's data graph
WORKERS = 1
MAX_PER_OWNER = 4
MAX_WAITING = 16


@dataclass(frozen=True)
class Job:
    key: Hashable
    work: Callable[[], None]
    stale: Callable[[], bool]  # the data changed since it was asked for: nobody will read its answer
    dropped: Callable[[], None]  # called instead of work when the job is dropped as stale


class BackgroundQueue:
    def __init__(self, workers: int = WORKERS, max_per_owner: int = MAX_PER_OWNER,
                 max_waiting: int = MAX_WAITING) -> None:
        self.workers = workers
        self.max_per_owner = max_per_owner
        self.max_waiting = max_waiting
        self._waiting: OrderedDict[Hashable, deque[Job]] = OrderedDict()  # owners in turn
        self._keys: set[Hashable] = set()  # waiting or running
        self._threads: list[threading.Thread] = []
        self._cond = threading.Condition()

    def submit(self, owner: Hashable, key: Hashable, work: Callable[[], None], stale: Callable[[], bool],
               dropped: Callable[[], None] = lambda: None) -> bool:
        """Queue `work` (once per `key`); False when the owner's or the queue's room is full."""
        with self._cond:
            if key in self._keys:
                return True
            self._drop_stale()
            jobs = self._waiting.get(owner)
            if (jobs is not None and len(jobs) >= self.max_per_owner) or self.waiting() >= self.max_waiting:
                return False
            self._waiting.setdefault(owner, deque()).append(Job(key, work, stale, dropped))
            self._keys.add(key)
            self._threads = [t for t in self._threads if t.is_alive()]
            if len(self._threads) < self.workers:
                t = threading.Thread(target=self._run, name="normgraph-report-background", daemon=True)
                self._threads.append(t)
                t.start()
            self._cond.notify()
            return True

    def waiting(self) -> int:
        return sum(len(jobs) for jobs in self._waiting.values())

    def _drop_stale(self) -> None:
        for owner in list(self._waiting):
            jobs = self._waiting[owner]
            for job in [j for j in jobs if j.stale()]:
                jobs.remove(job)
                self._keys.discard(job.key)
                job.dropped()
            if not jobs:
                del self._waiting[owner]

    def _next(self) -> Job | None:
        """The next owner's oldest job (owners in turn); None after a few idle seconds (the thread ends)."""
        with self._cond:
            while True:
                self._drop_stale()
                if self._waiting:
                    owner, jobs = next(iter(self._waiting.items()))
                    job = jobs.popleft()
                    del self._waiting[owner]
                    if jobs:
                        self._waiting[owner] = jobs  # to the back of the turn
                    return job
                if not self._cond.wait(timeout=5.0) and not self._waiting:
                    self._threads = [t for t in self._threads if t is not threading.current_thread()]
                    return None

    def _run(self) -> None:
        while (job := self._next()) is not None:
            try:
                job.work()  # it reports its own failure (ReportCache.later)
            finally:
                with self._cond:
                    self._keys.discard(job.key)


#: the process's queue
QUEUE = BackgroundQueue()

__all__ = ["QUEUE", "BackgroundQueue", "Job"]

"""Admission and caps for reading uploaded organisation files (the heaviest thing a signed-in client can ask).

At most `upload_workers` uploads are read at once, one client at most half of them (at least one), each in a
capped child process (normgraph/orgdata/sandbox.py). Nothing waits: when no slot is free the request gets a
fast 503 with Retry-After at once, so uploads never queue inside the server and never hold its threads for
long; every other page keeps answering meanwhile. The slots follow the query workers' rule
(normgraph.store.admission.Admission), with no waiting.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from flask import Flask, current_app

from normgraph.orgdata.preview import copy_graphs, load_scratch
from normgraph.orgdata.sandbox import Caps, run_capped
from normgraph.server.kernel import client_key, current_config, org_store, state
from normgraph.store.admission import Admission, Busy, heavy
from normgraph.store.embedded import EmbeddedStore

T = TypeVar("T")

_STATE = "normgraph.upload_admission"
#: seconds a refused client is told to wait
RETRY_AFTER = 10


class UploadBusy(Busy):
    """No upload slot is free for this client now (503 with Retry-After)."""


def _slots() -> Admission:
    found = current_app.extensions.get(_STATE)
    if found is None:
        workers = max(1, current_config().upload_workers)
        found = current_app.extensions.setdefault(_STATE, Admission(workers, max(1, workers // 2), queue_wait=0.0))
    return found


def running(app: Flask) -> int:
    """Uploads `app` is reading now."""
    slots: Admission | None = app.extensions.get(_STATE)
    if slots is None:
        return 0
    with slots.lock:
        return sum(slots.running.values())


@contextlib.contextmanager
def upload_slot() -> Iterator[None]:
    """Hold one upload slot for the current client, or raise UploadBusy at once."""
    slots = _slots()
    client = client_key()
    with heavy(client):
        try:
            taken = slots.admit()
        except Busy:
            with slots.lock:
                mine = slots.running[client]
            raise UploadBusy(f"your other upload{'s are' if mine > 1 else ' is'} still being read" if mine
                             else "every upload worker is busy") from None
    try:
        yield
    finally:
        slots.done(taken)


def caps() -> Caps:
    cfg = current_config()
    return Caps(memory=cfg.upload_memory, cpu=max(1, int(cfg.upload_timeout)), wall=cfg.upload_timeout)


def quiet_store() -> AbstractContextManager[Any]:
    """Held while forking: the served store's lock (a GuardedStore takes it for every parent-side operation
    and forks its own workers under it), so no other thread is inside the store when the child is made."""
    lock = getattr(state().store, "_lock", None)
    return lock if lock is not None else contextlib.nullcontext()


def _in_memory_reader() -> EmbeddedStore | None:
    """The in-memory store the server reads from (a GuardedStore's reader — the snapshot of an on-disk store —
    or an in-memory EmbeddedStore): a forked child may read it. None for a remote or unguarded on-disk store."""
    store = state().store
    reader = getattr(store, "_reader", store)
    return reader if isinstance(reader, EmbeddedStore) and reader.path is None else None


def scratch_for(slug: str) -> Callable[[], EmbeddedStore]:
    """How the child gets the store to validate an upload of `slug` in: the public knowledge and that
    organisation's graph (what `org_store(slug)` shows), copied in the child from the in-memory store it
    inherited; for a remote store, exported here first (its size is the knowledge's, not the upload's)."""
    store = org_store(slug)
    reader = _in_memory_reader()
    if reader is not None:
        graphs = store.graphs()
        return lambda: copy_graphs(reader, graphs)
    nquads = store.export("nquads")
    return lambda: load_scratch(nquads)


def read_upload(job: Callable[[], T]) -> T:
    """`job()` (the reading of an upload) in a capped child, holding one of the client's upload slots."""
    with upload_slot():
        return run_capped(job, caps(), quiet_store())


__all__ = ["RETRY_AFTER", "UploadBusy", "caps", "quiet_store", "read_upload", "running", "scratch_for", "upload_slot"]

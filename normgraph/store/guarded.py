"""Query timeouts that really stop the work, result caching, and the no-outbound rule.

pyoxigraph cannot cancel a running query, so `GuardedStore` runs every read in a small pool of
worker processes forked from the process that holds the loaded in-memory store (copy-on-write: a
fork costs milliseconds and no copy of the data). Each query goes to an idle worker over a pipe; if
the answer is not back in time the worker is SIGKILLed (`QueryTimeout`) and a fresh one is forked
on demand. Writes go to the parent's store; each write bumps a generation counter and workers of an
older generation are retired, so readers always see the new state.

Forking while another thread of the parent is inside the store could copy a held lock into the
child, so every parent-side store operation and every fork take the same lock (queries never run in
the parent). Children close every inherited descriptor except their pipe and may open no other
(RLIMIT_NOFILE): the engine in a worker cannot fetch anything, whatever a query asks. Everything a
worker runs is imported in the parent first (sandbox.preload_child_code), since a worker cannot open files.

On-disk stores (`--store PATH`): RocksDB is not fork-safe, so the durable store stays in the parent
and only takes writes; reads are served from an in-memory snapshot copied from it at start (and by
`refresh()`, e.g. after a restore behind the guard's back). A write is applied to the durable store
first and, once it succeeded there, replayed on the snapshot (both are transactional), so a write costs
what it changes, not the size of the store; a write that fails on the durable store changes neither.
Unexpected failures fall back to a full copy.

Updates are never evaluated in the server process: a one-shot child forked like a worker (so it cannot
fetch either) runs the update on its copy of the data and sends back what changed, which is then
written as above (sandbox.py). So a SERVICE or LOAD is refused by construction, and an update whose
result is not reproducible (NOW, RAND, UUID, ...) is applied exactly as it ran once.

Views. A store restricted to some graphs (scoped.py) asks with an explicit dataset of those graphs,
which Oxigraph answers 4-10x slower than its union default graph. So the guard keeps in-memory
copies of the graph sets scopes ask for: always the public graphs, and up to MAX_VIEWS - 1 more
(the public graphs plus one or a few organisations' graphs), made when first asked for — only for a
scope's whole visible set (scoped.ScopeDataset), never for a subset a request picks. A query whose
dataset is exactly one view's graphs (as default and named graphs) runs there on the union default
graph — the same answer, at union speed. A write drops the views it may have changed (the public one
is copied again at once, the others when next asked for); adding or dropping a view retires the idle
workers, so every worker holds the views of its time.

Answers of `query_serialized` are kept in a BoundedCache (cache.py) keyed by the query text's
digest, format, dataset and the epoch of the graphs that dataset can read (epochs.py: a write to one
organisation's graph keeps every answer that cannot read it, e.g. the anonymous readers'); after a
write, the cheap ones it made stale are recomputed in the background. SERVICE / LOAD are refused before
anything runs (sparql_text.py), as a fast first refusal; a fetch the engine tries anyway, in a worker or
an update's child, fails there and is refused too (OutboundRefused).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import pickle
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from normgraph.store.admission import Admission, Busy, heavy_client
from normgraph.store.base import (
    Dataset,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    RdfSyntaxError,
    StoreError,
)
from normgraph.store.cache import BoundedCache
from normgraph.store.coding import Gzip, wanted_gzip
from normgraph.store.embedded import EmbeddedStore
from normgraph.store.epochs import Epochs, dataset_orgs, store_epoch
from normgraph.store.nesting import refuse_deep
from normgraph.store.oxigraph import dataset_kwargs, write_result
from normgraph.store.sandbox import (
    LockedReads,
    apply_delta,
    engine_error,
    no_new_descriptors,
    preload_child_code,
    query_answer,
    query_result,
    sandboxed_update,
)
from normgraph.store.scoped import ScopeDataset, org_of_graph
from normgraph.store.sparql_text import (
    MEMO_MAX_CHARS,
    OutboundRefused,
    ResultTooLarge,
    SparqlInfo,
    check_sparql,
    keywords,
    refuse_outbound,
    text_digest,
)

#: how long an admitted client query may wait for a worker that the application's own queries hold
HEAVY_GRACE = 2.0
#: after a write, re-run up to this many of the previously cached queries (most recently used first)
#: that each took at most REWARM_MAX_SECONDS, in the background, one at a time
REWARM_ENTRIES = 64
REWARM_MAX_SECONDS = 2.0
#: graph-set copies kept for scoped readers (the public graphs, and the public graphs with an
#: organisation's): each costs about the size of the public knowledge in memory
MAX_VIEWS = 4
#: a scope view makes way for another scope's only when it has answered no query for this many seconds
VIEW_IDLE = 60.0
#: the view id of the whole store (the reader itself)
FULL = 0



# --------------------------------------------------------------------------------------------------
# Worker processes


class _CappedWriter(io.RawIOBase):
    def __init__(self, cap: int | None) -> None:
        self.buf = io.BytesIO()
        self.cap = cap

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        n = self.buf.write(b)
        if self.cap is not None and self.buf.tell() > self.cap:
            raise ResultTooLarge(f"the result is larger than the server's cap of {self.cap} bytes; add a LIMIT")
        return n


def _serve_child(conn: Connection, views: dict[int, EmbeddedStore], cap: int | None) -> None:
    """The loop of a worker process: one request in, one answer out, until EOF or None.

    A serialised answer goes back as two messages: a pickled ("body", media, form, gzipped) and the body's
    bytes as they are (no pickling, no copy of a big body); `gz` asks for a big body's gzip encoding."""
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if msg is None:
            return
        op, sparql, fmt, dataset, view, gz = msg
        store = views[view]
        ostore = store.oxigraph
        body: bytes | None = None
        try:
            if op == "serialized":
                try:
                    result = ostore.query(sparql, **dataset_kwargs(dataset))
                except SyntaxError as e:
                    raise QuerySyntaxError(str(e)) from None
                out = _CappedWriter(cap)
                media, form = write_result(result, fmt, out)  # type: ignore[arg-type]
                body = out.buf.getvalue()
                encoded = Gzip(*gz).encode(body) if gz is not None else None
                body = encoded if encoded is not None else body
                answer: object = (media, form, encoded is not None)
            else:  # "query": a Python result object
                answer = query_answer(store, sparql, dataset)
            reply: tuple[str, object] = ("ok", answer)
        except ValueError as e:
            reply = ("err", e)
        except (OSError, StoreError) as e:
            reply = ("err", engine_error(e))
        except MemoryError:
            reply = ("err", ResultTooLarge("the result does not fit in memory; add a LIMIT"))
        except Exception as e:  # anything else: report it, and stay available
            reply = ("err", StoreError(f"query worker: {type(e).__name__}: {e}"))
        if body is not None and reply[0] == "ok":
            reply = ("body", reply[1])
        else:
            body = None
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # an answer that cannot be pickled: say so instead of dying
            data = pickle.dumps(("err", StoreError(f"query worker: the answer cannot be sent back ({e})")))
            body = None
        try:
            conn.send_bytes(data)
            if body is not None:
                conn.send_bytes(body)
        except OSError:
            return


@dataclass
class _Entry:
    value: tuple[bytes, str, str]
    rewarm: str | None  # the query text, kept only if small and cheap enough to recompute after a write


def _key_size(key: tuple[object, ...]) -> int:
    """Bytes a cache key holds beyond its fixed overhead (the digest, format, dataset's graph IRIs)."""
    size = 64
    for part in key:
        if isinstance(part, (bytes, str)):
            size += len(part)
        elif isinstance(part, Dataset):
            size += sum(len(g) for g in (part.default_graphs or ()) + (part.named_graphs or ()))
    return size


def _entry_size(key: tuple[object, ...], entry: _Entry) -> int:
    """What a result-cache entry costs: its answer, its key and the kept query text."""
    return len(entry.value[0]) + len(entry.value[1]) + _key_size(key) + (len(entry.rewarm) if entry.rewarm else 0)


_T = TypeVar("_T")


@dataclass
class _Worker:
    pid: int
    conn: Connection
    generation: tuple[int, int]  # GuardedStore._epoch at its fork
    views: frozenset[int] = frozenset()  # the view ids it holds


# --------------------------------------------------------------------------------------------------


class GuardedStore(LockedReads):
    """An EmbeddedStore whose queries run in killable worker processes, with an LRU result cache.

    Implements the whole Store protocol. `timeout` is the default per-query limit in seconds;
    `max_result_bytes` caps a serialised result (ResultTooLarge, never truncation).
    """

    def __init__(
        self,
        inner: EmbeddedStore,
        *,
        workers: int = 2,
        timeout: float | None = 10.0,
        max_result_bytes: int | None = 64 * 1024 * 1024,
        cache_entries: int = 512,
        cache_bytes: int = 64 * 1024 * 1024,
        heavy_per_client: int | None = None,
    ) -> None:
        self.inner = inner
        self.workers = max(1, workers)
        self.timeout = timeout
        self.max_result_bytes = max_result_bytes
        self.location = f"{inner.location} (guarded: {self.workers} query worker processes)"
        self.generation = 0
        self.epochs = Epochs()  # the public and per-organisation counts beside `generation` (epochs.py)
        self._lock = threading.RLock()  # every parent-side store operation and every fork
        self._cond = threading.Condition(threading.Lock())
        self._idle: list[_Worker] = []
        self._workers: dict[int, _Worker] = {}  # every worker not yet reaped, idle or busy (pid -> worker)
        self._live = 0  # workers forked or being forked, not yet reaped (at most self.workers)
        self._closed = False
        #: the result cache: (sha256 of the query, format, dataset, the dataset's epoch) -> the answer; the
        #: text itself is never a key. An entry costs its answer, its key and the kept query text.
        self.cache: BoundedCache[tuple[object, ...], _Entry] = BoundedCache(cache_entries, cache_bytes)
        self.rebuilds = 0  # full copies of the durable store into the read snapshot (on-disk stores)
        self._reader = self._snapshot() if inner.path else inner
        #: graph set -> (view id, its copy); the public graphs' view is always there
        self._views: OrderedDict[frozenset[str], tuple[int, EmbeddedStore]] = OrderedDict()
        self._view_ids = itertools.count(FULL + 1)
        self._views_version = 0
        self._view_used: dict[int, float] = {}  # scope view id -> when it last answered a query
        self._public_graphs: frozenset[str] = frozenset()
        with self._lock:
            self._refresh_views(public=True)
        self.admission = Admission(self.workers, heavy_per_client)
        preload_child_code()

    # -- views --------------------------------------------------------------------------------------
    def _copy(self, graphs: frozenset[str]) -> EmbeddedStore:
        """An in-memory copy of these graphs of the reader (call with self._lock held)."""
        view = EmbeddedStore()
        for g in graphs:
            view.oxigraph.bulk_extend(self._reader.oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(g)))
        return view

    def _refresh_views(self, *, public: bool, org: str | None = None) -> None:
        """After a write (self._lock held): drop the scope views (only those holding graphs of `org`, when
        only that organisation's graphs were written), and copy the public one again if `public`."""
        kept = [(k, v) for k, v in self._views.items()
                if not public and (k == self._public_graphs or (org is not None and all(org_of_graph(g) != org for g in k)))]
        self._views = OrderedDict(kept)
        if public or not kept:
            self._public_graphs = frozenset(g for g in self._reader.graphs() if org_of_graph(g) is None)
            self._views[self._public_graphs] = (next(self._view_ids), self._copy(self._public_graphs))
        self._views_version += 1

    def _view(self, dataset: Dataset | None) -> tuple[Dataset | None, int]:
        """(no dataset, view id) when the dataset is exactly one view's graphs, else (the dataset, FULL).

        A view is made only for a scope's whole visible set (a ScopeDataset: one per grant set in use), never
        for a subset a request picks, and only when a slot is free or the least recently used scope view
        has not been used for VIEW_IDLE seconds; otherwise the query runs on the explicit dataset. So
        requests cannot make the server copy graph sets over and over."""
        if (dataset is None or dataset.from_query or dataset.default_graphs is None
                or dataset.named_graphs is None or len(dataset.default_graphs) != len(dataset.named_graphs)):
            return dataset, FULL
        key = frozenset(dataset.default_graphs)
        if key != frozenset(dataset.named_graphs) or not key >= self._public_graphs:
            return dataset, FULL
        now = time.monotonic()
        with self._lock:
            hit = self._views.get(key)
            if hit is not None:
                self._views.move_to_end(key)
                self._view_used[hit[0]] = now
                return None, hit[0]
            if not isinstance(dataset, ScopeDataset) or not key <= set(self._reader.graphs()):
                return dataset, FULL
            if len(self._views) >= MAX_VIEWS:  # the least recently used scope view goes, if it is idle
                oldest = next(k for k in self._views if k != self._public_graphs)
                if now - self._view_used.get(self._views[oldest][0], 0.0) < VIEW_IDLE:
                    return dataset, FULL
                del self._views[oldest]
            view_id = next(self._view_ids)
            self._views[key] = (view_id, self._copy(key))
            live = self._live_view_ids()
            self._view_used = {v: t for v, t in self._view_used.items() if v in live}
            self._view_used[view_id] = now
            self._views_version += 1
        with self._cond:  # idle workers do not hold the new view: retire them
            idle, self._idle = self._idle, []
            for w in idle:
                self._retire(w)
        return None, view_id

    def _live_view_ids(self) -> set[int]:
        return {view_id for view_id, _copy in self._views.values()}

    def epoch(self, orgs: frozenset[str] | None) -> Hashable:
        return store_epoch(self.generation, self.epochs, orgs)

    def _dataset_epoch(self, dataset: Dataset | None) -> Hashable:
        """The epoch of the graphs a query with this dataset can read (the result cache's key)."""
        return self.epoch(dataset_orgs(dataset))

    @property
    def _epoch(self) -> tuple[int, int]:
        """What a worker must have been forked at to serve now: the data generation and the views."""
        return self.generation, self._views_version

    # -- snapshot (on-disk stores) -----------------------------------------------------------
    def _snapshot(self) -> EmbeddedStore:
        """A full in-memory copy of the durable store (start-up, refresh(), and the fallbacks of _write)."""
        snap = EmbeddedStore()
        with self._lock:
            data = self.inner.export("nquads")
            graphs = list(self.inner.oxigraph.named_graphs())
            self.rebuilds += 1
        # blank nodes keep their ids (Store.load would rename them): an update's change, computed on the
        # snapshot (sandbox.py), names them as the durable store does
        snap.oxigraph.bulk_extend(ox.parse(data, ox.RdfFormat.N_QUADS))
        for g in graphs:
            snap.oxigraph.add_graph(g)
        return snap

    def refresh(self) -> None:
        """Re-read everything: for when the durable store was changed other than through this object
        (e.g. a restore). New snapshot, new generation, empty cache."""
        with self._lock:
            if self.inner.path:
                self._reader = self._snapshot()
            self._changed()

    # -- the pool -------------------------------------------------------------------------------
    def _fork(self) -> _Worker:
        parent_end, child_end = Pipe(duplex=True)
        with self._lock:
            generation = self._epoch
            views = {FULL: self._reader, **dict(self._views.values())}
            pid = os.fork()
        if pid == 0:  # the child: never return into the caller's code
            code = 0
            try:
                _serve_child(no_new_descriptors(child_end), views, self.max_result_bytes)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        child_end.close()
        return _Worker(pid, parent_end, generation, frozenset(views))

    def _acquire(self, deadline: float | None) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise StoreError(f"{self.location}: the store is closed")
                while self._idle:
                    w = self._idle.pop()
                    if w.generation == self._epoch:
                        return w
                    self._retire(w)
                # the application's own queries may fork one worker more than heavy ones (admission.py)
                if self._live < self.workers + (1 if heavy_client() is None else 0):
                    self._live += 1
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise QueryTimeout("no query worker became free within the time limit")
                self._cond.wait(remaining)
        try:
            w = self._fork()
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify_all()
            raise
        with self._cond:
            self._workers[w.pid] = w
            if self._closed:  # closed while forking: close() could not see this one
                self._retire(w, kill=True)
                raise StoreError(f"{self.location}: the store is closed")
        return w

    def _release(self, w: _Worker) -> None:
        with self._cond:
            if self._closed or w.generation != self._epoch:
                self._retire(w)
            else:
                self._idle.append(w)
            self._cond.notify()

    def _retire(self, w: _Worker, *, kill: bool = False) -> None:
        """End and reap a worker, once (caller holds self._cond)."""
        if self._workers.pop(w.pid, None) is None:
            return  # already ended
        try:
            if kill:
                os.kill(w.pid, signal.SIGKILL)
            else:
                w.conn.send(None)
        except OSError:
            pass
        w.conn.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(w.pid, 0)
        self._live -= 1
        self._cond.notify_all()

    def _run(self, op: str, sparql: str, fmt: str | None, dataset: Dataset | None, timeout: float | None,
             gz: Gzip | None = None) -> object:
        limit = self.timeout if timeout is None else timeout
        deadline = None if limit is None else time.monotonic() + limit
        asked, (dataset, view) = dataset, self._view(dataset)
        client = self.admission.admit()  # a client's own query: a slot (after a short wait at most), or Busy
        try:
            # an admitted client query holds a slot, so a worker is its due; when the application's own
            # queries (start-up warming, explorer pages) hold them all it waits a moment, never longer
            w = self._acquire(deadline if client is None else _sooner(deadline, time.monotonic() + HEAVY_GRACE))
        except QueryTimeout:
            self.admission.done(client)
            if client is not None:
                raise Busy("every query worker is busy; try again shortly") from None
            raise
        except BaseException:
            self.admission.done(client)
            raise
        if view not in w.views:  # a write dropped the view after _view chose it: the worker, forked since, lacks it
            dataset, view = asked, FULL
        answered = False  # the worker sent a whole reply, so it is waiting for the next request
        try:
            w.conn.send((op, sparql, fmt, dataset, view, None if gz is None else (gz.min_bytes, gz.level)))
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not w.conn.poll(remaining):
                raise QueryTimeout(f"the query ran past its time limit of {limit:g} s and was stopped")
            data = w.conn.recv_bytes()
            status, payload = pickle.loads(data)
            if status == "body":  # the body follows as raw bytes (the worker has finished: it is writing it)
                media, form, gzipped = payload
                payload, status = (w.conn.recv_bytes(), media, form), "ok"
                if gzipped and gz is not None:
                    gz.applied = True
            answered = True
        except QueryTimeout:  # (a TimeoutError, so an OSError: not a dead worker)
            raise
        except (EOFError, OSError):  # the worker died (e.g. out of memory, or close())
            if self._closed:
                raise StoreError(f"{self.location}: the store is closed") from None
            # it died on this query: the client's text, not the server, is at fault
            raise QuerySyntaxError("the query cannot be parsed or run: the engine failed on it (nested too "
                                   "deeply, or too large?)") from None
        finally:
            # whatever happened (timeout, a reply that does not decode, an interrupt), the worker goes
            # back to the pool or is killed and reaped: capacity is never lost
            if answered:
                self._release(w)
            else:
                with self._cond:
                    self._retire(w, kill=True)
            self.admission.done(client)
        if status == "err":
            raise payload
        return payload

    # -- reading --------------------------------------------------------------------------------
    def query(self, sparql: str, *, dataset: Dataset | None = None, timeout: float | None = None) -> QueryResult:
        refuse_outbound(sparql)
        refuse_deep(sparql)
        return query_result(self._run("query", sparql, None, dataset, timeout))

    def query_serialized(
        self, sparql: str, result_format: str, *, dataset: Dataset | None = None, timeout: float | None = None
    ) -> tuple[bytes, str, str]:
        refuse_outbound(sparql)
        refuse_deep(sparql)
        if not self.cache.enabled:
            # no key to compute, nothing kept; a caller that takes a compressed body gets it from the worker (coding.py)
            answer = self._run("serialized", sparql, result_format, dataset, timeout, wanted_gzip())
            assert isinstance(answer, tuple)
            return answer[0], answer[1], answer[2]
        key = (text_digest(sparql), result_format, dataset, self._dataset_epoch(dataset))
        hit = self.cache.get(key)
        if hit is not None:
            return hit.value
        started = time.monotonic()
        # with the cache on, the plain body is kept (the server keeps its compressed form beside it)
        answer = self._run("serialized", sparql, result_format, dataset, timeout)
        assert isinstance(answer, tuple)
        value: tuple[bytes, str, str] = (answer[0], answer[1], answer[2])
        self._remember(key, value, time.monotonic() - started, sparql)
        return value

    # -- warming ------------------------------------------------------------------------------------
    def warm(self, items: list[tuple[str, str, Dataset | None]], *, budget: float = 30.0) -> threading.Thread | None:
        """Compute (query, format, dataset) answers into the cache in a background thread, one at a time
        (so at most one worker is busy warming), until done, `budget` seconds pass, the data changes again
        or the store closes. Errors are ignored (the query will report them when asked for)."""
        if not self.cache.enabled or not items:
            return None
        generation = self.generation

        def run() -> None:
            stop = time.monotonic() + budget
            for sparql, fmt, dataset in items:
                if self._closed or self.generation != generation or time.monotonic() > stop:
                    return
                try:
                    self.query_serialized(sparql, fmt, dataset=dataset)
                except Exception:
                    continue

        t = threading.Thread(target=run, name="normgraph-cache-warm", daemon=True)
        t.start()
        return t

    def _remember(self, key: tuple[object, ...], value: tuple[bytes, str, str], seconds: float = 0.0,
                  sparql: str | None = None) -> None:
        if not self.cache.enabled:
            return
        if sparql is not None and check_sparql(sparql).volatile:
            return  # NOW(), RAND(), UUID(), ...: a second asking must get a fresh answer, not the first one's
        # the text is kept (and counted) only to recompute the answer after a write, if it is cheap to
        # recompute and not too big
        rewarm = sparql if sparql is not None and len(sparql) <= MEMO_MAX_CHARS and seconds <= REWARM_MAX_SECONDS else None
        entry = _Entry(value, rewarm)
        with self.cache.lock:
            if key[-1] == self._dataset_epoch(key[2]):  # type: ignore[arg-type]  # not from before a write meanwhile
                self.cache.put(key, entry, _entry_size(key, entry))

    # -- writing --------------------------------------------------------------------------------
    def _changed(self, graph: str | None = None) -> None:
        """Call with self._lock held, after a write of `graph` (None: any graph): new generation and epochs,
        the cached answers that could read it dropped, workers retired. A write of a public graph (or of
        any) copies the public view again; one of an organisation's graph keeps the public answers."""
        if self.inner.path:
            self.inner.flush()
        org = None if graph is None else org_of_graph(graph)
        self._refresh_views(public=org is None, org=org)
        with self.cache.lock:
            self.generation += 1
            self.epochs.wrote(graph)
            # what was in use before the write and may have changed, most recent first: recomputed in the background
            rewarm = [(e.rewarm, k[1], k[2]) for k, e in reversed(self._drop_stale()) if e.rewarm is not None]
        with self._cond:
            idle, self._idle = self._idle, []
            for w in idle:
                self._retire(w)
            self._cond.notify_all()
        self.warm(rewarm[:REWARM_ENTRIES])  # type: ignore[arg-type]

    def _drop_stale(self) -> list[tuple[tuple[object, ...], _Entry]]:
        """Drop the cached answers of an older epoch than their dataset's (caller holds the cache's lock);
        returns them, least recently used first. The others stay, in their order."""
        stale = []
        for key, entry in self.cache.clear():
            if key[-1] == self._dataset_epoch(key[2]):  # type: ignore[arg-type]
                self.cache.put(key, entry, _entry_size(key, entry))
            else:
                stale.append((key, entry))
        return stale

    def _write(self, apply: Callable[[EmbeddedStore], _T], graph: str | None = None) -> _T:
        """Apply a write to the durable store, then (on-disk stores) the same write to the read snapshot.

        Both stores are transactional, so a write that fails on the durable store changed neither (the
        error is raised, nothing else happens). A replay that fails makes a full copy instead. Errors other
        than the caller's (syntax, bad arguments) also end in a full copy, to be sure the snapshot matches
        whatever the durable store now holds."""
        with self._lock:
            try:
                result = apply(self.inner)
            except (QuerySyntaxError, RdfSyntaxError, OutboundRefused, ValueError):
                raise  # rejected before anything was written
            except BaseException:
                if self._reader is not self.inner:
                    self._reader = self._snapshot()
                self._changed()
                raise
            try:
                if self._reader is not self.inner:
                    try:
                        apply(self._reader)
                    except Exception:
                        self._reader = self._snapshot()
            finally:
                self._changed(graph)
            return result

    def update(self, sparql: str) -> None:
        """Run in a one-shot child on a copy of the data, which may open no descriptor (sandbox.py); the
        parent applies what it changed. The lock is held throughout, so the change meets the state it came from."""
        with self._lock:
            delta = sandboxed_update(self.inner, sparql, reader=self._reader)
            if delta:
                self._write(lambda st: apply_delta(st, delta))

    def load(self, data: bytes | str | Path, fmt: str, graph: str, *, replace: bool = True) -> int:
        if isinstance(data, Path):  # read once: both stores must get the same bytes
            name, data = data, data.read_bytes()
        else:
            name = None
        try:
            return self._write(lambda st: st.load(data, fmt, graph, replace=replace), graph=graph)
        except RdfSyntaxError as e:
            if name is None:
                raise
            raise RdfSyntaxError(str(e).replace("data: ", f"{name}: ", 1)) from None

    def drop(self, graph: str) -> None:
        self._write(lambda st: st.drop(graph), graph=graph)

    def close(self, *, wait: float = 5.0) -> None:
        """Stop every worker: idle ones now, busy ones are killed (their callers get StoreError) and
        reaped by the threads that used them; waits up to `wait` seconds for that."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            for w in idle:
                self._retire(w)
            for w in list(self._workers.values()):
                with contextlib.suppress(OSError):
                    os.kill(w.pid, signal.SIGKILL)
            deadline = time.monotonic() + wait
            while self._live > 0 and (remaining := deadline - time.monotonic()) > 0:
                self._cond.wait(remaining)
            self._cond.notify_all()
        with self._lock:
            self.inner.close()

    def __del__(self) -> None:  # best effort: do not leave workers behind
        for w in list(getattr(self, "_workers", {}).values()):
            with contextlib.suppress(Exception):
                os.kill(w.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                os.waitpid(w.pid, 0)


def _sooner(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)


__all__ = ["GuardedStore", "OutboundRefused", "ResultTooLarge", "SparqlInfo", "check_sparql", "keywords",
           "refuse_outbound"]

"""Query timeouts that really stop the work, result caching, and the no-outbound rule.

pyoxigraph cannot cancel a running query, so `GuardedStore` runs every read in a small pool of
worker processes forked from the process that holds the loaded in-memory store (copy-on-write: a
fork costs milliseconds and no copy of the data). Each query goes to an idle worker over a pipe; if
the answer is not back in time the worker is SIGKILLed (`QueryTimeout`) and a fresh one is forked
on demand. Writes go to the parent's store; each write bumps a generation counter and workers of an
older generation are retired, so readers always see the new state.

Forking while another thread of the parent is inside the store could copy a held lock into the
child, so every parent-side store operation and every fork take the same lock (queries never run in
the parent). Children close every inherited descriptor except their pipe.

On-disk stores (`--store PATH`): RocksDB is not fork-safe, so the durable store stays in the parent
and only takes writes; reads are served from an in-memory snapshot copied from it at start and after
every write (workers fork from the snapshot).

`check_sparql()` is the lexical guard the server and this store apply before anything runs: it
finds SERVICE / LOAD keywords (never fetched: Oxigraph would make the HTTP request) and FROM
clauses, skipping strings, IRIs, comments, variables and prefixed names.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import pickle
import re
import signal
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from normgraph.store.base import (
    RDF_FORMATS,
    RESULT_FORMATS,
    AskResult,
    Dataset,
    GraphResult,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    SelectResult,
    StoreError,
)
from normgraph.store.embedded import _RDF, _RESULTS, EmbeddedStore, _dataset_kwargs

#: after a write, re-run up to this many of the previously cached queries (most recently used first)
#: that each took at most REWARM_MAX_SECONDS, in the background, one at a time
REWARM_ENTRIES = 64
REWARM_MAX_SECONDS = 2.0


class OutboundRefused(ValueError):
    """The query or update would make the server fetch something (SERVICE, LOAD)."""


class ResultTooLarge(ValueError):
    """The serialised result is bigger than the configured cap (never truncated)."""


# --------------------------------------------------------------------------------------------------
# Lexical analysis of SPARQL text (enough to find keywords; the parser proper is Oxigraph's)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<lstring>'''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)|\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|$))
  | (?P<string>'(?:[^'\\\n\r]|\\.)*'?|"(?:[^"\\\n\r]|\\.)*"?)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7-\U0010ffff]*)
  | (?P<word>(?:[A-Za-z_\u00c0-\U0010ffff]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})
              (?:[\w\-.\u00b7-\U0010ffff]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*)
  | (?P<pname>:(?:[\w\-.:%\u00b7-\U0010ffff]|\\.)*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_LOCAL = re.compile(r"(?:[\w\-.:%\u00b7-\U0010ffff]|\\.)*")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape(word: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), word)


def keywords(sparql: str) -> list[str]:
    """The bare keywords of a query/update, upper-cased, in order (prefixed names, IRIs, literals,
    variables and comments are skipped). Unterminated strings swallow the rest of the text, as the
    parser would reject it anyway."""
    out: list[str] = []
    pos = 0
    n = len(sparql)
    while pos < n:
        m = _TOKEN.match(sparql, pos)
        if m is None:  # pragma: no cover - the 'other' branch matches any character
            break
        pos = m.end()
        if m.lastgroup == "word":
            word = m.group("word")
            if pos < n and sparql[pos] == ":":  # prefix of a prefixed name: skip its local part
                pos = _LOCAL.match(sparql, pos + 1).end()  # type: ignore[union-attr]
                continue
            out.append(_unescape(word).rstrip(".").upper())
    return out


@dataclass(frozen=True)
class SparqlInfo:
    form: str | None  # "select" | "ask" | "graph" (CONSTRUCT/DESCRIBE) | None (update or unknown)
    outbound: str | None  # the first SERVICE / LOAD keyword found
    has_from: bool  # FROM or FROM NAMED present


@functools.lru_cache(maxsize=2048)
def check_sparql(sparql: str) -> SparqlInfo:
    """Form, outbound keyword and FROM of a query/update text (memoised: the server checks every
    request, and the named queries are sent again and again; the lexer costs ~1.5 ms for 2 KB)."""
    words = keywords(sparql)
    form = None
    for w in words:
        if w in ("SELECT", "ASK"):
            form = w.lower()
            break
        if w in ("CONSTRUCT", "DESCRIBE"):
            form = "graph"
            break
    outbound = next((w for w in words if w in ("SERVICE", "LOAD")), None)
    return SparqlInfo(form, outbound, "FROM" in words)


def refuse_outbound(sparql: str) -> SparqlInfo:
    info = check_sparql(sparql)
    if info.outbound:
        raise OutboundRefused(f"{info.outbound} is not allowed here: this server never fetches remote data")
    return info


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


def _serve_child(conn: Connection, store: EmbeddedStore, cap: int | None) -> None:
    """The loop of a worker process: one request in, one answer out, until EOF or None."""
    ostore = store.oxigraph
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if msg is None:
            return
        op, sparql, fmt, dataset = msg
        try:
            if op == "serialized":
                try:
                    result = ostore.query(sparql, **_dataset_kwargs(dataset))
                except SyntaxError as e:
                    raise QuerySyntaxError(str(e)) from None
                out = _CappedWriter(cap)
                if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
                    form = "select" if isinstance(result, ox.QuerySolutions) else "ask"
                    if fmt not in _RESULTS:
                        raise ValueError(f"{form.upper()} results cannot be written as {fmt}")
                    result.serialize(out, _RESULTS[fmt])
                    answer: object = (out.buf.getvalue(), RESULT_FORMATS[fmt], form)
                else:
                    if fmt not in _RDF or fmt in ("nquads", "trig"):
                        raise ValueError(f"CONSTRUCT/DESCRIBE results cannot be written as {fmt}")
                    result.serialize(out, _RDF[fmt])  # type: ignore[union-attr]
                    answer = (out.buf.getvalue(), RDF_FORMATS[fmt], "graph")
            else:  # "query": a Python result object
                res = store.query(sparql, dataset=dataset)
                answer = ("graph", res.graph.serialize(format="nt", encoding="utf-8")) if isinstance(res, GraphResult) else res
            reply: tuple[str, object] = ("ok", answer)
        except (QuerySyntaxError, ResultTooLarge, ValueError, StoreError) as e:
            reply = ("err", e)
        except OSError as e:
            reply = ("err", StoreError(str(e)))
        except MemoryError:
            reply = ("err", ResultTooLarge("the result does not fit in memory; add a LIMIT"))
        try:
            conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, pickle.PicklingError):
            return


@dataclass
class _Worker:
    pid: int
    conn: Connection
    generation: int


# --------------------------------------------------------------------------------------------------


class GuardedStore:
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
    ) -> None:
        self.inner = inner
        self.workers = max(1, workers)
        self.timeout = timeout
        self.max_result_bytes = max_result_bytes
        self.location = f"{inner.location} (guarded: {self.workers} query worker processes)"
        self.generation = 0
        self._lock = threading.RLock()  # every parent-side store operation and every fork
        self._cond = threading.Condition(threading.Lock())
        self._idle: list[_Worker] = []
        self._live = 0
        self._closed = False
        self._cache: OrderedDict[tuple[object, ...], tuple[bytes, str, str]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_entries = cache_entries
        self._cache_bytes = cache_bytes
        self._cache_used = 0
        self._cost: dict[tuple[object, ...], float] = {}  # (query, format, dataset) -> seconds it took
        self._reader = self._snapshot() if inner.path else inner

    # -- snapshot (on-disk stores) -----------------------------------------------------------
    def _snapshot(self) -> EmbeddedStore:
        snap = EmbeddedStore()
        with self._lock:
            data = self.inner.export("nquads")
        if data:
            snap.oxigraph.load(data, ox.RdfFormat.N_QUADS)
        return snap

    # -- the pool -------------------------------------------------------------------------------
    def _fork(self) -> _Worker:
        parent_end, child_end = Pipe(duplex=True)
        with self._lock:
            generation = self.generation
            reader = self._reader
            pid = os.fork()
        if pid == 0:  # the child: never return into the caller's code
            code = 0
            try:
                keep = child_end.fileno()
                os.closerange(3, keep)
                os.closerange(keep + 1, _max_fd())
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _serve_child(child_end, reader, self.max_result_bytes)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        child_end.close()
        return _Worker(pid, parent_end, generation)

    def _acquire(self, deadline: float | None) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise StoreError(f"{self.location}: the store is closed")
                while self._idle:
                    w = self._idle.pop()
                    if w.generation == self.generation:
                        return w
                    self._retire(w)
                if self._live < self.workers:
                    self._live += 1
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise QueryTimeout("no query worker became free within the time limit")
                self._cond.wait(remaining)
        try:
            return self._fork()
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise

    def _release(self, w: _Worker) -> None:
        with self._cond:
            if self._closed or w.generation != self.generation:
                self._retire(w)
            else:
                self._idle.append(w)
            self._cond.notify()

    def _retire(self, w: _Worker, *, kill: bool = False) -> None:
        """End a worker (caller holds self._cond or owns the worker exclusively)."""
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

    def _run(self, op: str, sparql: str, fmt: str | None, dataset: Dataset | None, timeout: float | None) -> object:
        limit = self.timeout if timeout is None else timeout
        deadline = None if limit is None else time.monotonic() + limit
        w = self._acquire(deadline)
        try:
            w.conn.send((op, sparql, fmt, dataset))
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not w.conn.poll(remaining):
                raise QueryTimeout(f"the query ran past its time limit of {limit:g} s and was stopped")
            status, payload = pickle.loads(w.conn.recv_bytes())
        except QueryTimeout:
            with self._cond:
                self._retire(w, kill=True)
                self._cond.notify()
            raise
        except (EOFError, OSError) as e:  # the worker died (e.g. out of memory)
            with self._cond:
                self._retire(w, kill=True)
                self._cond.notify()
            raise StoreError(f"{self.location}: query worker failed: {e or 'it exited'}") from None
        self._release(w)
        if status == "err":
            raise payload  # type: ignore[misc]
        return payload

    # -- reading --------------------------------------------------------------------------------
    def query(self, sparql: str, *, dataset: Dataset | None = None, timeout: float | None = None) -> QueryResult:
        refuse_outbound(sparql)
        answer = self._run("query", sparql, None, dataset, timeout)
        if isinstance(answer, tuple) and answer and answer[0] == "graph":
            g = Graph()
            g.parse(data=answer[1], format="nt")
            return GraphResult(g)
        assert isinstance(answer, (SelectResult, AskResult))
        return answer

    def query_serialized(
        self, sparql: str, result_format: str, *, dataset: Dataset | None = None, timeout: float | None = None
    ) -> tuple[bytes, str, str]:
        refuse_outbound(sparql)
        key = (sparql, result_format, dataset, self.generation)
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        started = time.monotonic()
        answer = self._run("serialized", sparql, result_format, dataset, timeout)
        assert isinstance(answer, tuple)
        value: tuple[bytes, str, str] = (answer[0], answer[1], answer[2])
        self._remember(key, value, time.monotonic() - started)
        return value

    # -- warming ------------------------------------------------------------------------------------
    def warm(self, items: list[tuple[str, str, Dataset | None]], *, budget: float = 30.0) -> threading.Thread | None:
        """Compute (query, format, dataset) answers into the cache in a background thread, one at a time
        (so at most one worker is busy warming), until done, `budget` seconds pass, the data changes again
        or the store closes. Errors are ignored (the query will report them when asked for)."""
        if self._cache_entries <= 0 or not items:
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

    def _remember(self, key: tuple[object, ...], value: tuple[bytes, str, str], seconds: float = 0.0) -> None:
        size = len(value[0])
        if size > self._cache_bytes // 8 or self._cache_entries <= 0:
            return
        with self._cache_lock:
            self._cost[key[:-1]] = seconds
            if len(self._cost) > 4 * max(self._cache_entries, 1):
                self._cost.clear()
            if key[-1] != self.generation:
                return
            self._cache[key] = value
            self._cache_used += size
            while len(self._cache) > self._cache_entries or self._cache_used > self._cache_bytes:
                _k, old = self._cache.popitem(last=False)
                self._cache_used -= len(old[0])

    def graphs(self) -> list[str]:
        with self._lock:
            return self.inner.graphs()

    def graph_size(self, graph: str) -> int:
        with self._lock:
            return self.inner.graph_size(graph)

    def export(self, fmt: str, graph: str | None = None) -> bytes:
        with self._lock:
            return self.inner.export(fmt, graph)

    def __len__(self) -> int:
        with self._lock:
            return len(self.inner)

    # -- writing --------------------------------------------------------------------------------
    def _changed(self) -> None:
        """Call with self._lock held, after a write: new snapshot, new generation, empty cache."""
        if self.inner.path:
            self.inner.flush()
            self._reader = self._snapshot()
        self.generation += 1
        with self._cache_lock:
            # what was in use before the write, most recent first: recomputed in the background
            hot = [k[:-1] for k in reversed(self._cache)]
            rewarm = [(k[0], k[1], k[2]) for k in hot if self._cost.get(k, 99.0) <= REWARM_MAX_SECONDS]
            self._cache.clear()
            self._cache_used = 0
        with self._cond:
            idle, self._idle = self._idle, []
            for w in idle:
                self._retire(w)
            self._cond.notify_all()
        self.warm(rewarm[:REWARM_ENTRIES])  # type: ignore[arg-type]

    def update(self, sparql: str) -> None:
        refuse_outbound(sparql)
        with self._lock:
            try:
                self.inner.update(sparql)
            finally:
                self._changed()

    def load(self, data: bytes | str | Path, fmt: str, graph: str, *, replace: bool = True) -> int:
        with self._lock:
            try:
                return self.inner.load(data, fmt, graph, replace=replace)
            finally:
                self._changed()

    def drop(self, graph: str) -> None:
        with self._lock:
            try:
                self.inner.drop(graph)
            finally:
                self._changed()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            for w in idle:
                self._retire(w)
            self._cond.notify_all()
        with self._lock:
            self.inner.close()

    def __del__(self) -> None:  # best effort: do not leave workers behind
        try:
            for w in self._idle:
                os.kill(w.pid, signal.SIGKILL)
                os.waitpid(w.pid, 0)
        except Exception:
            pass


def _max_fd() -> int:
    try:
        return min(os.sysconf("SC_OPEN_MAX"), 65536)
    except (ValueError, OSError):
        return 4096


__all__ = ["GuardedStore", "OutboundRefused", "ResultTooLarge", "SparqlInfo", "check_sparql", "keywords",
           "refuse_outbound"]

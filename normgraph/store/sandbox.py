"""Running the engine where it cannot fetch anything: child processes that may open no descriptor.

pyoxigraph fetches the target of a SERVICE or LOAD that reaches it, and has no switch to turn that off.
So the engine never evaluates a client's query or update in the server process: it runs in a child
forked from it (copy-on-write, milliseconds) that keeps only its pipe and may open nothing else
(RLIMIT_NOFILE). A fetch the engine tries there fails with "Too many open files", which is reported as
OutboundRefused (HTTP 400); under SILENT the failure is swallowed and the service gives nothing — in
neither case does a packet leave. The lexical check (sparql_text.py) stays as a fast first refusal.

Updates run in such a child on its copy of the real data and send back what they changed (a `Delta`:
quads removed and added, named graphs created and dropped), which the parent applies to its store. The
SPARQL text is never evaluated in the server process, and an update whose result is not reproducible
(NOW, RAND, UUID, ...) needs no care: the child's result is the one applied. The caller must hold its
store's write lock from the fork until the delta is applied, so the delta meets the state it came from.

`SandboxedStore` is what `served(..., guard=False)` gives for an in-memory store: no worker pool, no
cache, no timeouts (a test and development mode), but every query and update in a one-shot child all
the same.
"""

from __future__ import annotations

import io
import os
import pickle
import resource
import signal
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox
from rdflib import Graph

from normgraph.queries import get_query
from normgraph.store.base import AskResult, Dataset, GraphResult, QueryResult, QuerySyntaxError, SelectResult, StoreError
from normgraph.store.embedded import EmbeddedStore
from normgraph.store.nesting import refuse_deep
from normgraph.store.oxigraph import write_result
from normgraph.store.sparql_text import OutboundRefused, refuse_outbound

#: the descriptor a child's pipe gets (after stdin, stdout, stderr)
PIPE_FD = 3
#: how pyoxigraph reports that it could not open a descriptor (errno EMFILE): in a child, only a fetch opens one
_NO_DESCRIPTOR = "os error 24"
FETCH_REFUSED = "the engine tried to fetch a remote resource (SERVICE or LOAD): this server never fetches anything"

_T = TypeVar("_T")


def no_new_descriptors(conn: Connection) -> Connection:
    """A child's setup: default signal handlers; keep only stdio and the pipe (as descriptor PIPE_FD), and
    forbid opening any other."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    fd = conn.fileno()
    if fd != PIPE_FD:
        os.dup2(fd, PIPE_FD)
    os.closerange(PIPE_FD + 1, _max_fd())  # the pipe's first descriptor too
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (PIPE_FD + 1, hard))
    return Connection(PIPE_FD)


def _max_fd() -> int:
    try:
        return min(os.sysconf("SC_OPEN_MAX"), 65536)
    except (ValueError, OSError):
        return 4096


def engine_error(e: OSError | StoreError) -> Exception:
    """An engine failure in a child, as the caller should see it: a fetch attempt is OutboundRefused."""
    if _NO_DESCRIPTOR in str(e):
        return OutboundRefused(FETCH_REFUSED)
    return e if isinstance(e, StoreError) else StoreError(str(e))


def query_answer(store: EmbeddedStore, sparql: str, dataset: Dataset | None) -> object:
    """In a child: a query's result as it can cross the pipe (a graph as N-Triples)."""
    res = store.query(sparql, dataset=dataset)
    return ("graph", res.graph.serialize(format="nt", encoding="utf-8")) if isinstance(res, GraphResult) else res


def query_result(answer: object) -> QueryResult:
    """In the parent: the result `query_answer` sent."""
    if isinstance(answer, tuple) and answer and answer[0] == "graph":
        g = Graph()
        g.parse(data=answer[1], format="nt")
        return GraphResult(g)
    assert isinstance(answer, (SelectResult, AskResult))
    return answer


def preload_child_code() -> None:
    """Import, in the parent, everything a child runs: a child may not open files, so a module it imported
    lazily (rdflib's plugins are) would fail there. One tiny run of each kind of answer does it."""
    store = EmbeddedStore()
    store.oxigraph.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c"), ox.NamedNode("urn:g")))
    kinds = {"union-probe": {}, "resource-exists": {"resource": "urn:a"}, "graph-triples": {"graph": "urn:g"}}
    for text in (get_query(name).bind(params) for name, params in kinds.items()):  # SELECT, ASK, CONSTRUCT
        query_result(query_answer(store, text, None))
        result = store.query(text)
        formats = ("turtle", "ntriples", "jsonld", "rdfxml") if isinstance(result, GraphResult) else ("json", "xml", "csv",
                                                                                                     "tsv")
        for fmt in formats:
            write_result(store.oxigraph.query(text, use_default_graph_as_union=True), fmt, io.BytesIO())
    apply_delta(store, update_delta(ox.Store(), ""))
    pickle.dumps(("err", StoreError("x")))
    pickle.dumps(("err", OutboundRefused("x")))


# --------------------------------------------------------------------------------------------------
# Updates as deltas


@dataclass(frozen=True)
class Delta:
    """What an update changed: N-Quads lines removed and added, named graphs (N-Triples terms) dropped and made."""

    removed: bytes
    added: bytes
    graphs_dropped: tuple[str, ...] = ()
    graphs_made: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.removed or self.added or self.graphs_dropped or self.graphs_made)


_Graph = ox.NamedNode | ox.BlankNode | ox.DefaultGraph


def _state(store: ox.Store) -> dict[_Graph, bytes]:
    """Each graph's triples as N-Triples (the default graph's too; an empty named graph gives b"")."""
    state: dict[_Graph, bytes] = {}
    for g in (ox.DefaultGraph(), *store.named_graphs()):
        out = io.BytesIO()
        store.dump(out, ox.RdfFormat.N_TRIPLES, from_graph=g)
        state[g] = out.getvalue()
    return state


def _lines(graph: _Graph, nt: set[bytes]) -> list[bytes]:
    """N-Triples lines of a graph as N-Quads lines, in a stable order."""
    if isinstance(graph, ox.DefaultGraph):
        return sorted(nt)
    name = str(graph).encode()
    return [line[:-1] + name + b" ." for line in sorted(nt)]  # "<s> <p> <o> ." -> "<s> <p> <o> <g> ."


def update_delta(store: ox.Store, sparql: str) -> Delta:
    """Run the update on `store` (a child's copy: it is changed) and return what it changed.

    Each graph is dumped before and after; only the graphs whose bytes differ are compared line by line
    (the same triple always gives the same line: blank nodes keep their ids)."""
    before = _state(store)
    try:
        store.update(sparql)
    except SyntaxError as e:
        raise QuerySyntaxError(str(e)) from None
    except OSError as e:
        raise engine_error(e) from None
    after = _state(store)
    removed: list[bytes] = []
    added: list[bytes] = []
    for g in before.keys() | after.keys():
        old, new = before.get(g, b""), after.get(g, b"")
        if old != new:
            old_lines, new_lines = set(old.splitlines()), set(new.splitlines())
            removed += _lines(g, old_lines - new_lines)
            added += _lines(g, new_lines - old_lines)
    named_before = {str(g) for g in before if not isinstance(g, ox.DefaultGraph)}
    named_after = {str(g) for g in after if not isinstance(g, ox.DefaultGraph)}
    return Delta(b"\n".join(removed), b"\n".join(added), tuple(sorted(named_before - named_after)),
                 tuple(sorted(named_after - named_before)))


def _term(text: str) -> ox.NamedNode | ox.BlankNode:
    return ox.BlankNode(text[2:]) if text.startswith("_:") else ox.NamedNode(text[1:-1])


def apply_delta(store: EmbeddedStore, delta: Delta) -> None:
    """Apply an update's delta to a store in the parent, telling its write hooks as an update would."""
    if not delta:
        return
    st = store.oxigraph
    removed = list(ox.parse(delta.removed, ox.RdfFormat.N_QUADS))
    if not all(q in st for q in removed):  # checked before anything is written
        raise StoreError(f"{store.location}: the update's change does not match the store (changed meanwhile?)")
    with store._writing(None):
        for q in removed:
            st.remove(q)
        for g in delta.graphs_dropped:
            st.remove_graph(_term(g))
        for g in delta.graphs_made:
            st.add_graph(_term(g))
        st.extend(ox.parse(delta.added, ox.RdfFormat.N_QUADS))
        store._wrote(None)  # an update may have written any graph: every epoch moves


# --------------------------------------------------------------------------------------------------
# One-shot children


def in_child(run: Callable[[], _T], what: str) -> _T:
    """Fork, run `run()` in the child under no_new_descriptors, and return its result (or raise its error).

    The caller holds whatever lock keeps other threads out of the store while forking. A child that dies
    (a parser stack overflow) is a QuerySyntaxError: the text, not the server, is at fault."""
    parent_end, child_end = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's code
        code = 0
        try:
            parent_end.close()
            conn = no_new_descriptors(child_end)
            try:
                reply: tuple[str, object] = ("ok", run())
            except ValueError as e:
                reply = ("err", e)
            except (OSError, StoreError) as e:
                reply = ("err", engine_error(e))
            except MemoryError:
                reply = ("err", StoreError(f"{what}: out of memory"))
            except Exception as e:
                reply = ("err", StoreError(f"{what}: {type(e).__name__}: {e}"))
            try:
                data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as e:
                data = pickle.dumps(("err", StoreError(f"{what}: the answer cannot be sent back ({e})")))
            conn.send_bytes(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    child_end.close()
    try:
        try:
            data = parent_end.recv_bytes()
        except (EOFError, OSError):
            raise QuerySyntaxError(f"the {what} cannot be parsed or run: the engine failed on it (nested too "
                                   "deeply, or too large?)") from None
    finally:
        parent_end.close()
        os.waitpid(pid, 0)
    status, payload = pickle.loads(data)
    if status == "err":
        raise payload
    return payload


def sandboxed_update(store: EmbeddedStore, sparql: str, reader: EmbeddedStore | None = None) -> Delta:
    """Run an update in a child on `reader` (default: `store`) and return its delta, applied to nothing yet."""
    refuse_outbound(sparql)
    refuse_deep(sparql)
    source = (reader or store).oxigraph
    return in_child(lambda: update_delta(source, sparql), "update")


class LockedReads:
    """Whole-graph reads of `inner` (no SPARQL of a client), each under `_lock`: no thread may be inside
    the store while another forks."""

    inner: EmbeddedStore
    _lock: threading.RLock

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


class SandboxedStore(LockedReads):
    """An in-memory EmbeddedStore whose queries and updates each run in a one-shot child (no pool, no
    cache, no timeout): what `served(..., guard=False)` gives. Loads, drops and reads of whole graphs,
    which evaluate no SPARQL, run in the process."""

    def __init__(self, inner: EmbeddedStore) -> None:
        self.inner = inner
        self.location = inner.location
        self._lock = threading.RLock()  # no thread inside the store while forking
        preload_child_code()

    @property
    def generation(self) -> Hashable:
        return self.inner.generation

    def epoch(self, orgs: frozenset[str] | None) -> Hashable:
        return self.inner.epoch(orgs)

    def query(self, sparql: str, *, dataset: Dataset | None = None, timeout: float | None = None) -> QueryResult:
        refuse_outbound(sparql)
        refuse_deep(sparql)
        with self._lock:
            return query_result(in_child(lambda: query_answer(self.inner, sparql, dataset), "query"))

    def query_serialized(self, sparql: str, result_format: str, *, dataset: Dataset | None = None,
                         timeout: float | None = None) -> tuple[bytes, str, str]:
        refuse_outbound(sparql)
        refuse_deep(sparql)
        with self._lock:
            return in_child(lambda: self.inner.query_serialized(sparql, result_format, dataset=dataset), "query")

    def update(self, sparql: str) -> None:
        with self._lock:
            apply_delta(self.inner, sandboxed_update(self.inner, sparql))

    def load(self, data: bytes | str | Path, fmt: str, graph: str, *, replace: bool = True) -> int:
        with self._lock:
            return self.inner.load(data, fmt, graph, replace=replace)

    def drop(self, graph: str) -> None:
        with self._lock:
            self.inner.drop(graph)

    def close(self) -> None:
        self.inner.close()


__all__ = ["FETCH_REFUSED", "Delta", "LockedReads", "SandboxedStore", "apply_delta", "engine_error", "in_child",
           "no_new_descriptors", "preload_child_code", "query_answer", "query_result", "sandboxed_update",
           "update_delta"]

"""An upload's preview: the validation result of the state it would make, and the previews waiting for a
confirmation (bounded in number, bytes and age, so abandoned previews never pile up).

Nothing here writes to the store: the new state is validated in a scratch in-memory store that holds the
knowledge the store serves and the organisation graph as the upload would make it. `make_preview` is the
whole reading of one upload (parse, check every cell, diff, validate); the server runs it in a capped child
process (normgraph/orgdata/sandbox.py) and keeps only its result, a `Previewed`.

Previews wait in the server process that made them: each token starts with that process's tag, so a
confirmation that reaches another process (several gunicorn workers without sticky sessions) is told so
instead of reading "expired".
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from normgraph.backup import graph_digest
from normgraph.iri import org_graph, org_slugs
from normgraph.orgdata.diff import TableDiff, plan
from normgraph.orgdata.errors import OrgDataError
from normgraph.store.base import Store
from normgraph.store.embedded import EmbeddedStore
from normgraph.validation import ResultRow, ValidationError, validate_org

#: previews waiting at once (all principals), and per principal
MAX_PENDING = 32
MAX_PENDING_PER_PRINCIPAL = 4
#: bytes the waiting previews may hold together
MAX_PENDING_BYTES = 64 * 1024 * 1024
#: seconds a preview waits for its confirmation
PENDING_TTL = 30 * 60


@dataclass(frozen=True)
class Finding:
    """One validation result, as the preview lists it."""

    severity: str
    focus: str
    focus_label: str
    message: str
    value: str

    @classmethod
    def of(cls, r: ResultRow) -> Finding:
        return cls(r.severity, r.focus, r.focus_label, r.message, r.value or "")


@dataclass
class ValidationChange:
    """Validation of the organisation as it is and as the upload would leave it, on one date."""

    on: date
    before: dict[str, int]
    after: dict[str, int]
    added: list[Finding] = field(default_factory=list)
    removed: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"date": self.on.isoformat(), "before": self.before, "after": self.after,
                "added": [f.__dict__ for f in self.added], "removed": [f.__dict__ for f in self.removed]}


def org_graphs(graphs: list[str]) -> list[str]:
    return [str(org_graph(slug)) for slug in org_slugs(graphs)]


def _scratch(store: Store, slug: str) -> EmbeddedStore:
    """An in-memory store with what `store` serves except the organisation graphs, and this organisation's."""
    scratch = EmbeddedStore()
    scratch.oxigraph.load(store.export("nquads"), ox.RdfFormat.N_QUADS)
    own = str(org_graph(slug))
    for graph in org_graphs(scratch.graphs()):
        if graph != own:
            scratch.drop(graph)
    return scratch


def copy_graphs(source: EmbeddedStore, graphs: Iterable[str]) -> EmbeddedStore:
    """A scratch in-memory store with these graphs of `source` (an in-memory store: cheap, no serialising)."""
    scratch = EmbeddedStore()
    for g in graphs:
        scratch.oxigraph.bulk_extend(source.oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(g)))
    return scratch


def load_scratch(nquads: bytes) -> EmbeddedStore:
    scratch = EmbeddedStore()
    scratch.oxigraph.load(nquads, ox.RdfFormat.N_QUADS)
    return scratch


def validation_change(store: Store | None, slug: str, new: Graph, on: date, engine: str = "turbo", *,
                      scratch: EmbeddedStore | None = None) -> ValidationChange:
    """Validate the organisation now and with `new` as its graph; the findings that appear and disappear.
    `scratch` (closed here): the knowledge and this organisation's graph, already copied; else from `store`."""
    if scratch is None:
        assert store is not None
        scratch = _scratch(store, slug)
    try:
        before = validate_org(scratch, slug, on, engine=engine)
        scratch.load(new.serialize(format="nt", encoding="utf-8"), "ntriples", str(org_graph(slug)), replace=True)
        after = validate_org(scratch, slug, on, engine=engine)
    finally:
        scratch.close()
    old = {Finding.of(r) for r in before.results}
    now = {Finding.of(r) for r in after.results}

    def order(f: Finding) -> tuple[int, str, str, str]:
        return (("Violation", "Warning", "Info").index(f.severity), f.focus_label, f.message, f.value)

    return ValidationChange(on, before.counts(), after.counts(), sorted(now - old, key=order),
                            sorted(old - now, key=order))


@dataclass
class Previewed:
    """What reading one upload makes: all the server keeps of it."""

    kind: str
    #: digest() of the organisation graph the preview was made against
    base: str
    #: the organisation graph the upload makes, as N-Triples compressed with zlib (about a tenth of its size)
    packed: bytes
    diff: TableDiff
    checks: ValidationChange | None


def make_preview(current: bytes, path: Path, name: str, slug: str, kind: str | None,
                 scratch: Callable[[], EmbeddedStore], on: date) -> Previewed:
    """Read the uploaded table at `path` (the client called it `name`) against the organisation graph
    `current` (N-Triples): the new graph, the change line by line, and what validation says of it on `on`.
    `scratch()` gives the knowledge and the organisation's graph to validate in. OrgDataError names `name`."""
    try:
        result = plan(Graph().parse(data=current, format="nt"), path, slug, kind)
    except OrgDataError as e:
        raise OrgDataError(name, e.row, e.column, e.reason, sheet=e.sheet) from None
    try:
        checks: ValidationChange | None = validation_change(None, slug, result.new, on, scratch=scratch())
    except ValidationError:
        checks = None
    return Previewed(result.kind, digest(current), zlib.compress(result.new.serialize(format="nt", encoding="utf-8"), 1),
                     result.diff, checks)


#: a secret of this start, so the tag of a process says nothing of its process id
_SALT = secrets.token_hex(8)


def process_tag() -> str:
    """The tag of this server process: the first part of each preview token it makes."""
    return hashlib.sha256(f"{_SALT}:{os.getpid()}".encode()).hexdigest()[:8]


def made_elsewhere(token: str) -> bool:
    """Is `token` a preview token another server process made?"""
    tag, dash, _rest = token.partition("-")
    return bool(dash) and len(tag) == 8 and tag != process_tag()


@dataclass
class Pending:
    """One upload read and previewed, waiting for its principal to confirm or discard it."""

    slug: str
    kind: str
    principal: str
    filename: str
    #: sha256 of the organisation graph the preview was made against (confirm refuses if it changed since)
    base: str
    #: the organisation graph the upload makes, as zlib-compressed N-Triples (Previewed.packed)
    packed: bytes
    diff: TableDiff
    checks: ValidationChange | None
    token: str = field(default_factory=lambda: f"{process_tag()}-{secrets.token_urlsafe(18)}")
    created: float = field(default_factory=time.monotonic)

    @property
    def data(self) -> bytes:
        """The organisation graph the upload makes, as N-Triples."""
        return zlib.decompress(self.packed)

    @property
    def size(self) -> int:
        """Bytes it holds: the packed graph and about 1 KiB per line of the change (measured)."""
        rows = len(self.diff.added) + len(self.diff.removed) + len(self.diff.changed)
        return len(self.packed) + 1024 * rows + 1024


def digest(data: bytes) -> str:
    """What confirm compares: the organisation graph's canonical digest (isomorphic graphs agree)."""
    return graph_digest(data)[1]


class PendingUploads:
    """Previews waiting for confirmation: at most MAX_PENDING (MAX_PENDING_PER_PRINCIPAL per principal) and
    MAX_PENDING_BYTES together, each for PENDING_TTL seconds; past a bound the oldest go first."""

    def __init__(self, max_entries: int = MAX_PENDING, max_bytes: int = MAX_PENDING_BYTES,
                 ttl: float = PENDING_TTL, per_principal: int = MAX_PENDING_PER_PRINCIPAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries, self.max_bytes, self.ttl, self.per_principal = max_entries, max_bytes, ttl, per_principal
        self.clock = clock
        self._items: OrderedDict[str, Pending] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._items)

    @property
    def bytes(self) -> int:
        with self._lock:
            return sum(p.size for p in self._items.values())

    def _expire(self) -> None:
        now = self.clock()
        for token in [t for t, p in self._items.items() if now - p.created > self.ttl]:
            del self._items[token]

    def add(self, pending: Pending) -> bool:
        """Keep `pending` (False when it alone is over the byte bound: it is not kept)."""
        if pending.size > self.max_bytes:
            return False
        pending.created = self.clock()
        with self._lock:
            self._expire()
            mine = [t for t, p in self._items.items() if p.principal == pending.principal]
            for token in mine[: max(0, len(mine) - self.per_principal + 1)]:
                del self._items[token]
            self._items[pending.token] = pending
            while len(self._items) > self.max_entries or sum(p.size for p in self._items.values()) > self.max_bytes:
                self._items.popitem(last=False)
        return True

    def get(self, token: str, slug: str, principal: str) -> Pending | None:
        """The waiting preview `token` of this organisation and principal (None: unknown, expired or another's)."""
        with self._lock:
            self._expire()
            p = self._items.get(token)
            return p if p is not None and p.slug == slug and p.principal == principal else None

    def pop(self, token: str, slug: str, principal: str) -> Pending | None:
        with self._lock:
            self._expire()
            p = self._items.get(token)
            if p is None or p.slug != slug or p.principal != principal:
                return None
            del self._items[token]
            return p


__all__ = ["MAX_PENDING", "MAX_PENDING_BYTES", "MAX_PENDING_PER_PRINCIPAL", "PENDING_TTL", "Finding", "Pending",
           "PendingUploads", "Previewed", "ValidationChange", "copy_graphs", "digest", "load_scratch", "made_elsewhere",
           "make_preview", "process_tag", "validation_change"]

"""Dump a store to one file and restore it, exactly (`normgraph dump` / `normgraph restore`); and keep the earlier
states of organisation graphs so a spreadsheet upload or an import can be undone (OrgHistory, end of this module).

A dump is canonical: blank nodes are relabelled by RDFC-1.0 (W3C RDF Dataset Canonicalization) and
the quads are sorted, so the same store content always gives the same bytes — dump → restore → dump
is byte-identical, and two dumps can be compared with `cmp` or a hash. Literals keep their language
tag and datatype as the store holds them. (Oxigraph itself stores some literals in canonical form:
``"01"^^xsd:integer`` comes back as ``"1"``, ``@en-GB`` as ``@en-gb``; a dump records what the store
holds, and restoring it gives that back unchanged.)

Restore is all or nothing: the file is parsed completely first (a syntax error changes nothing),
then the store is replaced in one transaction (``CLEAR ALL`` + ``INSERT DATA`` as one SPARQL Update,
which Oxigraph applies atomically; on disk it survives a crash as either the old or the new state —
tests/test_durability.py).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from normgraph.iri import local_id, org_graph
from normgraph.store.base import RdfSyntaxError, Store, StoreError
from normgraph.store.durable import atomic_write_bytes
from normgraph.store.embedded import EmbeddedStore

DUMP_FORMATS: dict[str, ox.RdfFormat] = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}


@dataclass(frozen=True)
class DumpReport:
    path: Path
    fmt: str
    quads: int
    graphs: int
    sha256: str


def _has_bnode(q: ox.Quad) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) or isinstance(
        q.graph_name, ox.BlankNode
    )


def canonical_quads(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The quads with RDFC-1.0 blank node labels, sorted by their N-Quads text.

    Only the quads that mention a blank node take part in RDFC-1.0 (the algorithm never looks at the
    others), so the ground quads skip the expensive step.
    """
    ground = [q for q in quads if not _has_bnode(q)]
    blank = [q for q in quads if _has_bnode(q)]
    if blank:
        ds = ox.Dataset(blank)
        ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        ground.extend(ds)
    return sorted(set(ground), key=_nquad_key)


def _nquad_key(q: ox.Quad) -> str:
    return str(q)


def canonical_nquads(quads: list[ox.Quad]) -> bytes:
    """Canonical N-Quads text (sorted lines, RDFC-1.0 blank nodes)."""
    out = io.BytesIO()
    ox.serialize(canonical_quads(quads), out, ox.RdfFormat.N_QUADS)
    lines = sorted(out.getvalue().splitlines(keepends=True))
    return b"".join(lines)


def graph_digest(data: bytes, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> tuple[int, str]:
    """(triple count, sha256 of the canonical N-Triples) of one graph: equal iff the graphs are isomorphic."""
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(data, fmt)]
    text = canonical_nquads(quads)
    return text.count(b"\n"), hashlib.sha256(text).hexdigest()


def dump_bytes(store: Store, fmt: str = "nquads") -> tuple[bytes, int, int]:
    """The whole dataset as canonical N-Quads or TriG; returns (bytes, quads, named graphs)."""
    if fmt not in DUMP_FORMATS:
        raise ValueError(f"dump format must be one of {', '.join(DUMP_FORMATS)}, not {fmt!r}")
    quads = list(ox.parse(store.export("nquads"), ox.RdfFormat.N_QUADS))
    graphs = len({q.graph_name for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)})
    if fmt == "nquads":
        return canonical_nquads(quads), len(quads), graphs
    ordered = sorted(canonical_quads(quads), key=lambda q: (str(q.graph_name), _nquad_key(q)))
    out = io.BytesIO()
    ox.serialize(ordered, out, ox.RdfFormat.TRIG)
    return out.getvalue(), len(quads), graphs


def dump(store: Store, path: Path, fmt: str | None = None) -> DumpReport:
    """Write the dump atomically (temp file, fsync, rename): the file is complete or not there at all."""
    fmt = fmt or ("trig" if path.suffix == ".trig" else "nquads")
    data, quads, graphs = dump_bytes(store, fmt)
    atomic_write_bytes(path, data)
    return DumpReport(path, fmt, quads, graphs, hashlib.sha256(data).hexdigest())


def read_dump(path: Path, fmt: str | None = None) -> list[ox.Quad]:
    fmt = fmt or ("trig" if path.suffix == ".trig" else "nquads")
    if fmt not in DUMP_FORMATS:
        raise ValueError(f"dump format must be one of {', '.join(DUMP_FORMATS)}, not {fmt!r}")
    try:
        return list(ox.parse(path.read_bytes(), DUMP_FORMATS[fmt]))
    except SyntaxError as e:
        raise RdfSyntaxError(f"{path}: {e}") from None
    except OSError as e:
        raise StoreError(f"cannot read {path}: {e}") from e


def restore_update(quads: list[ox.Quad]) -> str:
    """One SPARQL Update that makes the store hold exactly `quads` (blank nodes kept distinct/shared)."""
    by_graph: dict[str | None, list[str]] = {}
    for q in quads:
        triple = f"{q.subject} {q.predicate} {q.object} ."
        key = None if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        by_graph.setdefault(key, []).append(triple)
    parts = [f"GRAPH {g} {{\n" + "\n".join(ts) + "\n}" for g, ts in by_graph.items() if g is not None]
    if None in by_graph:
        parts.insert(0, "\n".join(by_graph[None]))
    body = "\n".join(parts)
    return f"CLEAR ALL ;\nINSERT DATA {{\n{body}\n}}" if body else "CLEAR ALL"


def restore(store: EmbeddedStore, path: Path, fmt: str | None = None) -> tuple[int, int]:
    """Replace everything in `store` by the dump at `path`, in one transaction. Returns (quads, graphs)."""
    quads = read_dump(path, fmt)
    store.update(restore_update(quads))
    store.flush()
    graphs = len({q.graph_name for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)})
    return len(quads), graphs


# -- earlier states of one organisation graph (undo of an upload) ------------------------------------

#: earlier states kept per organisation; the oldest goes first
HISTORY_KEEP = 5


@dataclass(frozen=True)
class Version:
    """One earlier state of an organisation graph: its N-Triples, when it was replaced and why."""

    slug: str
    saved: str  # UTC time, ISO 8601
    note: str
    data: bytes

    @property
    def triples(self) -> int:
        return sum(1 for line in self.data.splitlines() if line.strip() and not line.startswith(b"#"))


class OrgHistory:
    """The states organisation graphs had before each upload or restore, at most HISTORY_KEEP per organisation.

    Kept as files in `folder` (`<folder>/<slug>/<time>.nt`, written atomically, the note in a comment line),
    so the server and `normgraph org restore` share them; without a folder (an in-memory store) in memory.
    `history_folder(store_path)` says where a store on disk keeps them: beside it, `<store>.history/`.
    """

    def __init__(self, folder: Path | None = None, keep: int = HISTORY_KEEP) -> None:
        self.folder = folder
        self.keep = keep
        self._memory: dict[str, list[Version]] = {}

    def _dir(self, slug: str) -> Path:
        assert self.folder is not None
        return self.folder / local_id(slug)

    def versions(self, slug: str) -> list[Version]:
        """Earlier states, oldest first."""
        if self.folder is None:
            return list(self._memory.get(slug, []))
        folder = self._dir(slug)
        if not folder.is_dir():
            return []
        out = []
        for path in sorted(folder.glob("*.nt")):
            data = path.read_bytes()
            first, _nl, _rest = data.partition(b"\n")
            note = first[len(b"# note: "):].decode("utf-8", "replace") if first.startswith(b"# note: ") else ""
            out.append(Version(slug, path.stem, note, data))
        return out

    def latest(self, slug: str) -> Version | None:
        found = self.versions(slug)
        return found[-1] if found else None

    def push(self, slug: str, data: bytes, note: str) -> Version:
        """Keep `data` (N-Triples of the graph as it was) as the latest earlier state."""
        saved = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        note = " ".join(note.split())
        version = Version(slug, saved, note, b"# note: " + note.encode() + b"\n" + data)
        if self.folder is None:
            kept = self._memory.setdefault(slug, [])
            kept.append(version)
            del kept[: max(0, len(kept) - self.keep)]
            return version
        folder = self._dir(slug)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # organisation data: its files are 0600 too
        atomic_write_bytes(folder / f"{saved}.nt", version.data)
        for old in sorted(folder.glob("*.nt"))[: -self.keep]:
            old.unlink(missing_ok=True)
        return version

    def drop(self, slug: str, saved: str) -> None:
        """Forget the earlier state saved at `saved`."""
        if self.folder is None:
            self._memory[slug] = [v for v in self._memory.get(slug, []) if v.saved != saved]
            return
        (self._dir(slug) / f"{saved}.nt").unlink(missing_ok=True)


def history_folder(store_path: Path | str | None) -> Path | None:
    """Where the earlier states of a store on disk are kept (None for an in-memory store)."""
    if store_path is None:
        return None
    path = Path(store_path)
    return path.parent / f"{path.name}.history"


def replace_org_graph(store: Store, history: OrgHistory, slug: str, data: bytes, note: str, *, add: bool = False) -> int:
    """Make `data` (N-Triples) the organisation graph in one transaction (`add`: the graph and `data` together),
    keeping the state it had in `history`. Returns the graph's size afterwards."""
    graph = str(org_graph(slug))
    before = store.export("ntriples", graph) if graph in store.graphs() else b""
    size = store.load(before + b"\n" + data if add else data, "ntriples", graph, replace=True)
    history.push(slug, before, note)
    return size


def restore_previous(store: Store, history: OrgHistory, slug: str) -> Version:
    """Put the latest earlier state of the organisation graph back (in one transaction). The state it replaces
    becomes the latest earlier state, so restoring twice undoes the restore. LookupError when none is kept."""
    version = history.latest(slug)
    if version is None:
        raise LookupError(f"no earlier state of organisation {slug!r} is kept")
    replace_org_graph(store, history, slug, version.data, f"before restoring the state saved {version.saved}")
    history.drop(slug, version.saved)
    return version

"""Dump a store to one file and restore it, exactly (`normgraph dump` / `normgraph restore`).

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
from pathlib import Path

import pyoxigraph as ox

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

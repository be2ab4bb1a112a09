"""The inferred mapping records, kept the composition of the store's asserted records.

`normgraph build` composes the asserted records of the public mapping sets (compose.infer) into
`ngg:derived/inferred-mappings` and writes every record's plain triples into `ngg:derived/mapping-triples`.
A store holding the inferred records keeps both current by itself (`KEEPER`, one of the embedded store's write
hooks): after a load or drop of a public mapping set (`ngg:mappings/…`), or an update that changed one, it reads
the asserted records of every public set back (records.records_from_graph), composes them and, when the result
differs from what the store holds, replaces both graphs. Their load in turn re-derives the readings
(readings.KEEPER), so an inferred record never outlives a record it was composed from, and a new chain shows at once.

Composing from the store gives the build's graphs exactly (tests/test_inferred_keeper.py compares them with
data/derived/). It costs about a second (reading ~2,400 records through rdflib), paid only by writes to the public
mapping sets, which only the global admin makes. An organisation's own records are its data and are not composed
into the public crosswalk (DESIGN.md §10). A remote store is recomposed after a load or drop of a public set made
through the server (`remote_written`); updates and direct writes need `normgraph push`, as for the readings.
"""

from __future__ import annotations

import hashlib
import logging
import weakref

import pyoxigraph as ox
from rdflib import Graph, URIRef

from normgraph.iri import NGG
from normgraph.mappings import compose
from normgraph.mappings.records import MappingRecord, records_from_graph
from normgraph.store import EmbeddedStore, Store
from normgraph.store.embedded import WRITE_HOOKS
from normgraph.store.scoped import org_of_graph
from normgraph.store.served import REMOTE_WRITE_HOOKS

INFERRED = f"{NGG}derived/inferred-mappings"
TRIPLES = f"{NGG}derived/mapping-triples"
SETS = f"{NGG}mappings/"
log = logging.getLogger(__name__)


def is_public_set(graph: str) -> bool:
    """A public mapping set's graph: where asserted records live (the derived graphs are not sets)."""
    return graph.startswith(SETS) and org_of_graph(graph) is None


def public_sets(store: Store) -> list[str]:
    return sorted(g for g in store.graphs() if is_public_set(g))


def asserted_records(store: Store, sets: list[str]) -> list[MappingRecord]:
    """The records of these sets, as the build reads them from data/mappings/ (inferred ones left out)."""
    out: list[MappingRecord] = []
    for name in sets:
        g = Graph()
        g.parse(data=store.export("ntriples", name), format="nt")
        try:
            records = records_from_graph(g)
        except (ValueError, ArithmeticError) as e:
            # a record the build could not have read (a date "yesterday", a confidence "high"): the set composes nothing,
            # so no inferred record rests on a record nobody can read; the write itself stands (the hook never fails it)
            log.warning("inferred mappings: the set <%s> holds a record that cannot be read (%s); it is left out of "
                        "the composition until it is fixed", name, e)
            continue
        out.extend(r for r in records if not r.inferred)
    return out


def recompose(store: Store) -> bool:
    """Compose the store's public records again and replace the two derived graphs when they differ from the
    store's; whether they were replaced."""
    sets = public_sets(store)
    asserted = asserted_records(store, sets)
    inferred = compose.infer(asserted)
    set_graphs = [URIRef(s) for s in sets]
    changed = False
    for name, graph in ((TRIPLES, compose.triples_graph([*asserted, *inferred], set_graphs)),
                        (INFERRED, compose.inferred_graph(inferred, asserted, set_graphs))):
        body = graph.serialize(format="nt", encoding="utf-8")
        if _as_stored(body) != _as_stored(store.export("ntriples", name)):
            store.load(body, "ntriples", name, replace=True)  # the inferred graph last: the readings follow it
            changed = True
    return changed


def _as_stored(ntriples: bytes) -> set[ox.Quad]:
    """The triples as Oxigraph holds them: it keeps a decimal's value, not its lexical form ("0.5400" is "0.54")."""
    scratch = ox.Store()
    scratch.load(ntriples, ox.RdfFormat.N_TRIPLES)
    return set(scratch)


def fingerprint(store: Store) -> bytes:
    """A digest of every triple of the store's public mapping sets: the store writes a graph's triples in the order of
    its index, so equal sets give equal bytes (~20 ms for the ~33,000 triples of the knowledge's sets)."""
    digest = hashlib.sha256()
    for name in public_sets(store):
        digest.update(name.encode() + b"\n" + store.export("ntriples", name))
    return digest.digest()


class _Keeper:
    """The embedded stores' write hook that keeps their inferred records the composition of their records."""

    def __init__(self) -> None:
        #: store -> the fingerprint of the sets its inferred records were last composed from (or checked against)
        self.composed_from: weakref.WeakKeyDictionary[EmbeddedStore, bytes] = weakref.WeakKeyDictionary()

    def concerns(self, store: EmbeddedStore, graph: str) -> bool:
        return graph == INFERRED or is_public_set(graph)

    def written(self, store: EmbeddedStore, graph: str | None) -> None:
        if not any(True for _ in store.oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED))):
            self.composed_from.pop(store, None)  # a store without inferred records (a scratch store): nothing to keep
            return
        try:
            now = fingerprint(store)
            if graph == INFERRED:  # the inferred records were loaded (the build's, or recompose's own): of these sets
                self.composed_from[store] = now
            elif self.composed_from.get(store) != now:
                recompose(store)
                self.composed_from[store] = now  # only once composed: a failure is tried again at the next write
        except Exception:
            # the write that called the hook is done and stands: a hook that raised would make it look refused to
            # its writer (and the guarded store would not refresh its read copies)
            self.composed_from.pop(store, None)
            log.exception("inferred mappings: composing the public mapping sets again failed")


KEEPER = _Keeper()
WRITE_HOOKS.append(KEEPER)


def remote_written(store: Store, graph: str | None) -> None:
    """After a load or drop of a public mapping set through a served remote store (served.REMOTE_WRITE_HOOKS):
    compose again when the store holds inferred records. Updates are left to `normgraph push` (readings.py says why)."""
    if graph is not None and is_public_set(graph):
        try:
            if INFERRED in store.graphs():
                recompose(store)
        except Exception:  # the write stands; the next load or drop of a set, or `normgraph push`, composes again
            log.exception("inferred mappings: composing the remote store's public mapping sets again failed")


REMOTE_WRITE_HOOKS.append(remote_written)

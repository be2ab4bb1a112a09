"""The cost of access checks on named-query throughput: every named query (default parameters, those
that run under `--max-ms` on the embedded store) through the served store (GuardedStore, result cache
off, so every call runs the query) directly, and through the ScopedStore a request gets: anonymous
(public graphs; the guard's public view), a viewer of one organisation (an explicit dataset of the
visible graphs) and the global admin (nothing to restrict). Reported as queries per second and as
ratios to the unscoped store.

    python -m bench.bench_access [--rounds 5] [--max-ms 300]
"""

from __future__ import annotations

import argparse
import statistics
import time

from normgraph.loading import load_knowledge
from normgraph.queries import QueryError, list_queries
from normgraph.store import EmbeddedStore, Store
from normgraph.store.guarded import GuardedStore
from normgraph.store.scoped import EVERYTHING, PUBLIC, Scope, ScopedStore


def named_queries(store: Store, max_ms: float) -> list[tuple[str, str]]:
    """(name, text) of the named queries that bind with their defaults and run under max_ms."""
    out = []
    for q in list_queries():
        try:
            text = q.bind()
        except QueryError:
            continue
        started = time.perf_counter()
        try:
            store.query_serialized(text, "json")
        except Exception:
            continue
        if (time.perf_counter() - started) * 1000 <= max_ms:
            out.append((q.name, text))
    return out


def throughput(store: Store, queries: list[tuple[str, str]], rounds: int) -> float:
    """Queries per second over `rounds` passes of the whole mix (median pass)."""
    passes = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _name, text in queries:
            store.query_serialized(text, "json")
        passes.append(time.perf_counter() - started)
    return len(queries) / statistics.median(passes)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-ms", type=float, default=300.0)
    args = ap.parse_args(argv)
    inner = EmbeddedStore()
    load_knowledge(inner, examples=True)
    guarded = GuardedStore(inner, workers=1, cache_entries=0, timeout=60)
    try:
        queries = named_queries(guarded, args.max_ms)
        stores: dict[str, Store] = {
            "unscoped (no access checks)": guarded,
            "anonymous (public graphs)": ScopedStore(guarded, PUBLIC),
            "viewer of fintech": ScopedStore(guarded, Scope(frozenset({"fintech"}))),
            "global admin": ScopedStore(guarded, EVERYTHING),
        }
        for store in stores.values():  # warm the workers and the scopes' graph lists
            throughput(store, queries, 1)
        rates = {label: throughput(store, queries, args.rounds) for label, store in stores.items()}
    finally:
        guarded.close()
    base = rates["unscoped (no access checks)"]
    print(f"{len(queries)} named queries, median of {args.rounds} passes, 1 query worker, result cache off")
    print("| store | queries/s | ratio to unscoped |")
    print("|---|---|---|")
    for label, rate in rates.items():
        print(f"| {label} | {rate:.1f} | {rate / base:.2f} |")


if __name__ == "__main__":
    main()

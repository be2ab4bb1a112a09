"""The cost of access checks on named-query throughput: every named query (default parameters, those
that run under `--max-ms` on the embedded store) through the served store (GuardedStore, result cache
off, so every call runs the query) directly, and through the ScopedStore a request gets: anonymous
(public graphs; the guard's public view), a viewer of one organisation (an explicit dataset of the
visible graphs) and the global admin (nothing to restrict). Reported as queries per second and as
ratios to the unscoped store.

Then the same over HTTP (Flask's test client, `/api/queries/NAME`, result cache on, so this is the
per-request cost: who sent it, which scope, the cached answer): anonymous, with a bearer token (a
SQLite look-up per request), and without access checks (the kernel handing out the unscoped store).

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
    print(f"{len(queries)} named queries, median of {args.rounds} passes, 1 query worker, result cache off")
    print_ratios(rates, "store", "queries/s", "unscoped (no access checks)", "unscoped")
    http = http_rates(inner, [name for name, _text in queries], args.rounds)
    print(f"\nHTTP /api/queries/NAME, {len(queries)} named queries, result cache on, median of {args.rounds} passes")
    print_ratios(http, "requests", "requests/s", "without access checks", "no checks")


def http_rates(store: EmbeddedStore, names: list[str], rounds: int) -> dict[str, float]:
    """Requests per second of the named queries over the app, by how the request is checked."""
    from normgraph.access import Registry
    from normgraph.server import create_app
    from normgraph.server.kernel import AppState, close_app

    registry = Registry()
    registry.add("viewer")
    registry.grant("viewer", "fintech", "viewer")
    token = registry.new_token("viewer")
    registry.add("root", admin=True)
    admin = registry.new_token("root")
    app = create_app(store, config={"workers": 1, "query_timeout": 60}, registry=registry)
    client = app.test_client()

    def rate(headers: dict[str, str]) -> float:
        passes = []
        for _ in range(rounds + 1):  # the first pass fills the cache
            started = time.perf_counter()
            for name in names:
                assert client.get(f"/api/queries/{name}", headers=headers).status_code == 200
            passes.append(time.perf_counter() - started)
        return len(names) / statistics.median(passes[1:])

    try:
        out = {"anonymous": rate({}), "bearer token (viewer of fintech)": rate({"Authorization": f"Bearer {token}"}),
               "bearer token (global admin: same answers as no checks)": rate({"Authorization": f"Bearer {admin}"})}
        scoped_store = AppState.scoped_store
        AppState.scoped_store = lambda self, scope: self.store  # type: ignore[method-assign,assignment,return-value]
        try:
            out["without access checks"] = rate({})
        finally:
            AppState.scoped_store = scoped_store  # type: ignore[method-assign]
    finally:
        close_app(app)
    return out


def print_ratios(rates: dict[str, float], what: str, unit: str, base_label: str, base_name: str) -> None:
    """A Markdown table of rates and their ratio to the rate labelled `base_label`."""
    base = rates[base_label]
    print(f"| {what} | {unit} | ratio to {base_name} |")
    print("|---|---|---|")
    for label, rate in rates.items():
        print(f"| {label} | {rate:.1f} | {rate / base:.2f} |")


if __name__ == "__main__":
    main()


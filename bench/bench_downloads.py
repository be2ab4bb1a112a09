"""Time the audit pack's downloads of a large synthetic organisation through the server (normgraph/server/
report_downloads.py): the first request (202, the preparation started), how long the background preparation took until
the file was there (asked every 0.2 s), and the request that gets the file (200, its body read). The reference, in the same run: one
request that builds the complete pack (validation included) and renders it itself, as a download did before.

`python -m bench.bench_downloads [--scale 10] [--formats zip jsonld csv xlsx] [--no-reference]`
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.gen_report_org import generate
from normgraph.access import Registry
from normgraph.reports import audit_pack, prepare_store
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore

POLL = 0.2


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _fetch(client: Any, url: str, fmt: str) -> Any:
    """The download's response with its body read (a prepared file is streamed from disk: the time includes it)."""
    response = client.get(url, query_string={"format": fmt})
    response.get_data()
    return response


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--formats", nargs="*", default=["zip", "jsonld", "csv", "xlsx"])
    ap.add_argument("--no-reference", action="store_true", help="skip the one-request reference")
    args = ap.parse_args()
    store = EmbeddedStore()
    prepare_store(store)
    slug = f"synthetic-x{args.scale}"
    _, t = timed(partial(generate, store, slug, args.scale))
    print(f"generated {slug} in {t:.1f} s")
    registry = Registry()
    registry.add("auditor")
    registry.grant("auditor", slug, "viewer")
    app = create_app(store, config={"workers": 2, "query_timeout": 600}, registry=registry)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {registry.new_token('auditor')}"
    url = f"/org/{slug}/audit-pack"
    print("\n| format | first request: status, s | preparation until ready (s) | serving request: status, s | MB |\n"
          "|---|---|---|---|---|")
    for fmt in args.formats:
        first, t_first = timed(partial(client.get, url, query_string={"format": fmt}))
        start = time.perf_counter()
        while True:
            time.sleep(POLL)
            r, t_serve = timed(partial(_fetch, client, url, fmt))
            if r.status_code != 202:
                break
        ready = time.perf_counter() - start
        print(f"| {fmt} | {first.status_code}, {t_first:.2f} | {ready:.1f} | {r.status_code}, {t_serve:.2f} | "
              f"{len(r.data) / 1e6:.1f} |", flush=True)
    if not args.no_reference:
        audit_pack.SYNC_EVIDENCE = 10 ** 9  # counted as small: the request builds, validates and renders it itself
        for fmt in args.formats[:1]:
            r, t = timed(partial(client.get, url, query_string={"format": fmt, "today": "2026-12-02"}))
            print(f"\nreference, one request building the complete pack ({fmt}, another judged date so nothing is "
                  f"shared): {r.status_code}, {t:.1f} s")
    close_app(app)


if __name__ == "__main__":
    main()

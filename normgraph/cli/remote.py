"""Beyond one machine: `push` to a remote triple store, `dump` and `restore` the store."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from normgraph.cli import Context, console, err_console, fail, main, pass_context
from normgraph.iri import curie
from normgraph.store.base import RdfSyntaxError, StoreError


@main.command()
@click.option("--endpoint", "target_endpoint", required=True, help="The remote SPARQL query endpoint.")
@click.option("--update-endpoint", "target_update", help="Its SPARQL Update endpoint (default: --endpoint).")
@click.option("--graph-store", "target_gsp", help="Its Graph Store Protocol endpoint (graphs are then PUT).")
@click.option("--store-profile", "target_profile", envvar="NORMGRAPH_STORE_PROFILE",
              help="How it differs: standard (default) or virtuoso (HTTP Digest with NORMGRAPH_REMOTE_USER/_PASSWORD).")
@click.option("--graph", "graphs", multiple=True, help="Push only this graph IRI (repeatable).")
@click.option("--dry-run", is_flag=True, help="Compare only: list the graphs that would be pushed.")
@click.option("--timeout", type=float, default=300.0, show_default=True, help="HTTP timeout per request (s).")
@pass_context
def push(ctx: Context, target_endpoint: str, target_update: str | None, target_gsp: str | None,
         target_profile: str | None, graphs: tuple[str, ...], dry_run: bool, timeout: float) -> None:
    """Push every local graph to a remote store, skipping graphs that are already identical there.

    Each graph is replaced atomically. On a failure the push stops, lists the graphs pushed and not
    pushed, and exits 1; running it again finishes the job.
    """
    from normgraph.push import PushError
    from normgraph.push import push as run_push
    from normgraph.store.remote import RemoteStore

    source = ctx.store(examples=True, show_progress=sys.stderr.isatty())
    try:
        target = RemoteStore(target_endpoint, update_endpoint=target_update, graph_store=target_gsp, timeout=timeout,
                             profile=target_profile or ctx.store_profile)
    except ValueError as e:  # an unknown profile
        fail(str(e))
    started = time.perf_counter()

    def progress(graph: str, what: str) -> None:
        err_console.print(f"{what}: {curie(graph)}", highlight=False, style="dim" if what == "unchanged" else None)

    try:
        report = run_push(source, target, graphs=list(graphs) or None, dry_run=dry_run, progress=progress)
    except PushError as e:
        r = e.report
        err_console.print(f"[bold red]error:[/] push to {r.target} failed at <{r.failed}>: {r.error}",
                          highlight=False, soft_wrap=True)
        err_console.print(f"pushed ({len(r.pushed)}): " + (", ".join(g.graph for g in r.pushed) or "none"),
                          highlight=False, soft_wrap=True)
        err_console.print(f"unchanged ({len(r.unchanged)}): " + (", ".join(g.graph for g in r.unchanged) or "none"),
                          highlight=False, soft_wrap=True)
        err_console.print(f"NOT pushed ({len(r.not_pushed)}): " + ", ".join(r.not_pushed), highlight=False,
                          soft_wrap=True)
        err_console.print(f"<{r.failed}> holds either its old or its new content (each graph is replaced "
                          "atomically); run the push again to finish.", highlight=False, soft_wrap=True)
        sys.exit(1)
    finally:
        target.close()
    for g in report.pushed:
        console.print(f"{'would push' if dry_run else 'pushed'} {g.graph} ({g.triples} triples)", highlight=False)
    if report.remote_only:
        console.print(f"left untouched (only on the remote): {', '.join(report.remote_only)}", highlight=False)
    console.print(f"{report.summary()} in {time.perf_counter() - started:.1f} s", highlight=False)


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["nquads", "trig"]), default=None,
              help="Default: trig for *.trig, else nquads.")
@pass_context
def dump(ctx: Context, file: Path, fmt: str | None) -> None:
    """Write the whole store to FILE (canonical: sorted, RDFC-1.0 blank nodes; written atomically)."""
    from normgraph.backup import dump as run_dump

    store = ctx.store(examples=True, show_progress=sys.stderr.isatty())
    try:
        report = run_dump(store, file, fmt)
    except (StoreError, OSError) as e:
        fail(str(e), 1)
    console.print(f"dumped {report.quads} quads in {report.graphs} graphs from {store.location} to {file} "
                  f"({report.fmt}, sha256 {report.sha256})", highlight=False)


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["nquads", "trig"]), default=None,
              help="Default: trig for *.trig, else nquads.")
@pass_context
def restore(ctx: Context, file: Path, fmt: str | None) -> None:
    """Replace the whole on-disk store (--store PATH) by the dump FILE, all or nothing."""
    from normgraph.backup import restore as run_restore
    from normgraph.store.embedded import EmbeddedStore

    if ctx.endpoint:
        fail("restore writes an on-disk embedded store (--store PATH); to fill a remote store, restore "
             "locally and `normgraph push` from it")
    if ctx.store_path is None:
        fail("restore needs --store PATH (the on-disk store to replace)")
    try:
        store = EmbeddedStore(ctx.store_path)
        quads, graphs = run_restore(store, file, fmt)
        store.close()
    except RdfSyntaxError as e:
        fail(f"{e} (the store was not changed)")
    except (StoreError, ValueError) as e:
        fail(f"{e} (the store was not changed)", 1)
    console.print(f"restored {quads} quads in {graphs} graphs into {store.location}", highlight=False)

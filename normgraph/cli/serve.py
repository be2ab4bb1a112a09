"""`normgraph serve`: the SPARQL endpoint, REST API, linked data and UI, served by waitress.

Two back ends: the embedded store (default; `--store PATH` for an on-disk one) behind the forked
query workers of GuardedStore, or a remote SPARQL 1.1 store (`--endpoint URL [--update-endpoint URL]
[--graph-store URL]`, also accepted before the subcommand and from NORMGRAPH_ENDPOINT & co.). With a
remote store nothing is loaded locally: every page and query is answered from the remote store
(docs/remote-stores.md, "Serving from a remote store").

Exit codes: 2 when the store cannot be used (the remote endpoint is unreachable or answers with an
error at start — the message names the URL and the HTTP status — or the options contradict each
other), the same code every other command gives for an unusable --endpoint. Ctrl-C or SIGTERM stops
the server in order: the store is closed and the exit code is 0.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any

import click

from normgraph.cli import Context, console, err_console, fail, main, pass_context, remote_store_options
from normgraph.iri import NGG


def open_remote(ctx: Context) -> Any:
    """The remote store, checked: reachable, answering queries; warns when it holds no normgraph graph."""
    from normgraph.store import QueryTimeout, StoreError
    from normgraph.store.remote import RemoteStore

    assert ctx.endpoint is not None
    try:
        store = RemoteStore(ctx.endpoint, update_endpoint=ctx.update_endpoint, graph_store=ctx.graph_store,
                            profile=ctx.store_profile)
    except ValueError as e:  # e.g. a bad NORMGRAPH_UNION_DEFAULT_GRAPH or store profile
        fail(str(e))
    try:
        graphs = store.graphs()
        mode = store.default_graph_mode()
    except (StoreError, QueryTimeout) as e:
        store.close()
        fail(f"cannot serve from the remote store {ctx.endpoint}: {e}")
    ours = [g for g in graphs if g.startswith(str(NGG))]
    if not ours:
        push = f"normgraph push --endpoint {ctx.endpoint}"
        if ctx.update_endpoint:
            push += f" --update-endpoint {ctx.update_endpoint}"
        if ctx.graph_store:
            push += f" --graph-store {ctx.graph_store}"
        err_console.print(
            f"[bold yellow]warning:[/] the remote store {ctx.endpoint} holds none of the normgraph graphs "
            f"({len(graphs)} graph(s) there, none under {NGG}); the explorer, API and reports will be empty. "
            f"Fill it with: {push}", highlight=False, soft_wrap=True)
    if mode == "dataset" and store.profile.union_default_graph == "dataset":
        console.print(f"store profile {store.profile.name}: every query is sent with the union of the {len(graphs)} "
                      "graphs as its dataset (the server's own default graph holds its system graphs too)",
                      highlight=False)
    elif mode == "dataset":
        err_console.print(
            f"[bold yellow]warning:[/] the default graph of {ctx.endpoint} is not the union of its named graphs, so "
            f"every query is sent with default-graph-uri and named-graph-uri for all {len(graphs)} graphs: correct, "
            "but some stores (Oxigraph) run such queries 10-100x slower. If the store can make its default graph "
            "the union (oxigraph serve --union-default-graph, Fuseki tdb2:unionDefaultGraph), turn that on.",
            highlight=False, soft_wrap=True)
    how = {"native": "union default graph: native", "dataset": "union default graph: sent as a dataset",
           None: "union default graph: not known yet (empty store)"}[mode]
    console.print(f"remote store {ctx.endpoint}: {len(ours)} normgraph graph(s) of {len(graphs)}; {how}",
                  highlight=False)
    return store


#: Pages whose first rendering runs the slowest named queries (coverage matrix, no-counterpart,
#: records) or builds the search index: rendered once in the background at start-up so the first
#: visitor does not wait for them.
WARM_PAGES = ("/explore/", "/explore/matrix", "/api/queries/catalog-stats", "/api/queries/graph-provenance",
              "/explore/search?q=risk")


def warm_pages(app: Any) -> threading.Thread:
    """Render WARM_PAGES in a daemon thread (errors ignored: a page that fails reports it when asked for)."""

    def run() -> None:
        client = app.test_client()
        for path in WARM_PAGES:
            with contextlib.suppress(Exception):
                client.get(path, headers={"Accept": "text/html,application/json"})

    t = threading.Thread(target=run, name="normgraph-warm-pages", daemon=True)
    t.start()
    return t


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port (0: any free port).")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Query worker processes (default $NORMGRAPH_WORKERS, else one more than the usable cores, 2 to 16; "
                   "embedded store only).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="waitress threads.")
@click.option("--update-token", envvar="NORMGRAPH_UPDATE_TOKEN", default=None,
              help="A bearer token that acts as the global admin (at least 32 characters). Prefer "
                   "$NORMGRAPH_UPDATE_TOKEN or --update-token-file: on the command line every local user "
                   "reads it in ps.")
@click.option("--update-token-file", envvar="NORMGRAPH_UPDATE_TOKEN_FILE", default=None,
              type=click.Path(dir_okay=False), help="Read the update token from the first line of this file.")
@click.option("--timeout", "timeout", default=None, type=float, help="Query time limit in seconds (default 10).")
@click.option("--examples/--no-examples", default=True, help="Also load the example organisations (embedded store).")
@click.option("--access", "access_db", envvar="NORMGRAPH_ACCESS", default=None,
              help="The principal database (default: beside --store, or in the user's data folder).")
@remote_store_options
@pass_context
def serve(ctx: Context, host: str, port: int, workers: int | None, threads: int, update_token: str | None,
          update_token_file: str | None, timeout: float | None, examples: bool, access_db: str | None) -> None:
    """Serve the graph over HTTP: /sparql, /store, /api, /id/… (see normgraph/server/README.md).

    With --endpoint, serve a remote SPARQL 1.1 store instead of the embedded one (nothing is loaded
    locally; writes with the token go to --update-endpoint / --graph-store).

    Organisation data is private (docs/security.md): on start a one-time sign-in link for the local
    admin is printed, as Jupyter prints its token URL.
    """
    from waitress.server import create_server

    from normgraph.access import audit
    from normgraph.access.registry import Registry
    from normgraph.cli.access import access_path
    from normgraph.server import create_app
    from normgraph.server.kernel import close_app
    from normgraph.server.stopping import stop_server

    if ctx.endpoint and ctx.store_path:
        fail("give either --store PATH (embedded store) or --endpoint URL (remote store), not both")
    if not ctx.endpoint and (ctx.update_endpoint or ctx.graph_store):
        fail("--update-endpoint / --graph-store need --endpoint (the remote query endpoint)")
    update_token = _update_token(update_token, update_token_file)
    config = {
        "store_path": str(ctx.store_path) if ctx.store_path else None,
        "update_token": update_token,
        "query_timeout": timeout,
        "workers": workers,
        "examples": examples,
    }
    path = access_path(ctx, access_db)
    registry = Registry(path)
    config["access_db"] = str(path)
    if not os.environ.get("NORMGRAPH_AUDIT_LOG"):  # else ServerConfig.from_env takes the operator's file
        config["audit_log"] = str(audit.trail_path(path))
    if not any(p["admin"] for p in registry.principals()):
        registry.add(LOCAL_ADMIN, admin=True)
    store = open_remote(ctx) if ctx.endpoint else None
    try:
        app = create_app(store, config=config, registry=registry)
    except ValueError as e:
        fail(str(e))
    cfg = app.config["NORMGRAPH"]
    server = create_server(app, host=host, port=port, threads=threads, max_request_body_size=cfg.max_upload,
                           ident="normgraph")
    bound = server.effective_port
    if not ctx.endpoint:
        warm_pages(app)
    source = f", from the remote store {ctx.endpoint}" if ctx.endpoint else ""
    console.print(f"normgraph serving on http://{host}:{bound}/sparql "
                  f"({'writes: the update token, editors and admins' if cfg.update_token else 'writes: editors and admins'}, "
                  f"timeout {cfg.query_timeout:g} s{source})", highlight=False)
    admin = next((p["name"] for p in registry.principals() if p["admin"]), None)
    if admin is not None:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        link = f"http://{shown}:{bound}/access/signin?token={registry.signin_link(str(admin))}"
        console.print(f"organisation data is private; to sign in as {admin}, open (once, within 24 hours):\n    {link}",
                      highlight=False, soft_wrap=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)  # a service manager's stop: the same orderly end as Ctrl-C
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop_server(server)  # not server.close(): requests in progress must not outlive its wake-up pipe
        close_app(app)
        console.print(f"stopped; the store ({app.extensions['normgraph'].store.location}) is closed", highlight=False)


#: the global admin `normgraph serve` makes on first start (when the principal database has no admin)
LOCAL_ADMIN = "admin"


def _update_token(given: str | None, path: str | None) -> str | None:
    """The update token from --update-token / $NORMGRAPH_UPDATE_TOKEN or the file, checked (exit 2 when too
    short or unreadable); a warning when it was typed on the command line."""
    from normgraph.server.config import check_update_token, read_token_file

    source = click.get_current_context().get_parameter_source("update_token")
    try:
        if given and path:
            raise ValueError("give the update token once: --update-token (or $NORMGRAPH_UPDATE_TOKEN) or "
                             "--update-token-file (or $NORMGRAPH_UPDATE_TOKEN_FILE)")
        if path:
            given = read_token_file(path, "--update-token-file")
            check_update_token(given, f"--update-token-file {path}")
        elif given:
            on_argv = source == click.core.ParameterSource.COMMANDLINE
            check_update_token(given, "--update-token" if on_argv else "NORMGRAPH_UPDATE_TOKEN")
            if on_argv:
                err_console.print("[bold yellow]warning:[/] --update-token on the command line is readable by every "
                                  "local user (ps, /proc); use NORMGRAPH_UPDATE_TOKEN or --update-token-file",
                                  highlight=False, soft_wrap=True)
    except ValueError as e:
        fail(str(e))
    return given or None


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt

"""`normgraph serve`: the SPARQL endpoint, REST API, linked data and UI, served by waitress."""

from __future__ import annotations

import click

from normgraph.cli import Context, console, fail, main, pass_context


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port (0: any free port).")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Query worker processes (default $NORMGRAPH_WORKERS or 2).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="waitress threads.")
@click.option("--update-token", envvar="NORMGRAPH_UPDATE_TOKEN", default=None,
              help="Enable SPARQL Update / GSP writes for 'Authorization: Bearer TOKEN' (default: read-only).")
@click.option("--timeout", "timeout", default=None, type=float, help="Query time limit in seconds (default 10).")
@click.option("--examples/--no-examples", default=True, help="Also load the example organisations.")
@pass_context
def serve(ctx: Context, host: str, port: int, workers: int | None, threads: int, update_token: str | None,
          timeout: float | None, examples: bool) -> None:
    """Serve the graph over HTTP: /sparql, /store, /api, /id/… (see server/README.md)."""
    from waitress.server import create_server

    from server import create_app

    if ctx.endpoint:
        fail("normgraph serve serves the embedded store; --endpoint is not supported here")
    config = {
        "store_path": str(ctx.store_path) if ctx.store_path else None,
        "update_token": update_token,
        "query_timeout": timeout,
        "workers": workers,
        "examples": examples,
    }
    try:
        app = create_app(config=config)
    except ValueError as e:
        fail(str(e))
    cfg = app.config["NORMGRAPH"]
    server = create_server(app, host=host, port=port, threads=threads, max_request_body_size=cfg.max_upload,
                           ident="normgraph")
    bound = server.effective_port  # type: ignore[union-attr]
    console.print(f"normgraph serving on http://{host}:{bound}/sparql "
                  f"({'read-write with token' if cfg.update_token else 'read-only'}, "
                  f"timeout {cfg.query_timeout:g} s)", highlight=False)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["normgraph"].store.close()

"""Organisation data commands: import, template, validate.

`normgraph import FILE... --org SLUG` checks every file first and then loads them into ngg:org/<slug> in one
store load. By default the files REPLACE what the organisation graph held (they are its complete source;
re-running an import is idempotent); `--add` adds them to the existing graph instead. With the default
in-memory store nothing persists: pass `--store DIR` to keep the result.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from rich.table import Table

from normgraph.cli import Context, console, err_console, fail, main, pass_context
from normgraph.iri import curie


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--org", "org_slug", required=True, help="Organisation slug: data goes to graph ngg:org/<slug>.")
@click.option("--add", is_flag=True, help="Add to the organisation graph instead of replacing it.")
@pass_context
def import_(ctx: Context, files: tuple[Path, ...], org_slug: str, add: bool) -> None:
    """Import CSV/XLSX templates, Turtle or JSON-LD into one organisation's graph (all files or none)."""
    from rdflib import Graph

    from normgraph.orgdata import OrgDataError, import_file
    from normgraph.store import StoreError

    union = Graph()
    try:
        for f in files:
            g = import_file(f, org_slug)
            err_console.print(f"checked {f}: {len(g)} triples", style="dim")
            union += g
    except OrgDataError as e:
        fail(f"{e} — nothing was imported")
    from normgraph.iri import org_graph

    store = ctx.store(show_progress=sys.stderr.isatty())
    try:
        size = store.load(union.serialize(format="nt", encoding="utf-8"), "ntriples", str(org_graph(org_slug)), replace=not add)
    except StoreError as e:
        fail(str(e))
    console.print(f"{'added' if add else 'loaded'} {len(union)} triples from {len(files)} file(s) into "
                  f"{curie(str(org_graph(org_slug)))} ({size} triples now)")


@main.command()
@click.argument("kind", type=click.Choice(["soa", "risk-register", "evidence-register", "ai-systems"]))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write.")
def template(kind: str, fmt: str, output: Path) -> None:
    """Write an import template (header and one example row; see normgraph/orgdata/README.md)."""
    from normgraph.orgdata.templates import write_template

    try:
        write_template(kind, output, fmt)
    except OSError as e:
        fail(f"{output}: {e.strerror or e}")
    console.print(f"wrote {kind} template to {output}")


_SEV_STYLE = {"Violation": "bold red", "Warning": "yellow", "Info": "cyan"}


@main.command()
@click.option("--org", "org_slug", default=None, help="Organisation slug (default: every organisation graph).")
@click.option("--format", "fmt", type=click.Choice(["text", "turtle", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Write the report to a file.")
@click.option("--engine", type=click.Choice(["pyshacl", "turbo"]), default="pyshacl", show_default=True,
              help="pySHACL (reference) or pyshacl-turbo (fast; the tests check both agree).")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Validation date for evidence expiry (default: today).")
@pass_context
def validate(ctx: Context, org_slug: str | None, fmt: str, output: Path | None, engine: str, on: object) -> None:
    """Validate organisation data against shapes/; report grouped by standard and clause. Exit 1 on violations."""
    from normgraph.iri import org_slugs
    from normgraph.validation import ValidationError, ValidationResult, validate_org

    store = ctx.store(show_progress=sys.stderr.isatty())
    today = on.date() if on is not None else date.today()  # type: ignore[attr-defined]
    slugs = [org_slug] if org_slug else org_slugs(store.graphs())
    if not slugs:
        fail("no organisation graphs in the store (import one with `normgraph import … --org SLUG`)")
    results: list[ValidationResult] = []
    try:
        for slug in slugs:
            results.append(validate_org(store, slug, today, engine=engine))
    except ValidationError as e:
        fail(str(e))
    if fmt == "json":
        text = json.dumps([r.to_json() for r in results] if len(results) > 1 else results[0].to_json(), indent=2, ensure_ascii=False)
        _emit(text, output)
    elif fmt == "turtle":
        from rdflib import Graph

        g = Graph()
        for r in results:
            g += r.report
        _emit(g.serialize(format="turtle"), output)
    else:
        if output is not None:
            from rich.console import Console

            with output.open("w", encoding="utf-8") as fh:
                _print_text(results, Console(file=fh, width=200))
        else:
            _print_text(results, console)
    if not all(r.conforms for r in results):
        sys.exit(1)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8")


def _print_text(results: list, out) -> None:  # type: ignore[no-untyped-def]
    for res in results:
        counts = res.counts()
        out.print(f"[bold]{res.org}[/] on {res.today.isoformat()} ({res.engine}): "
                  f"{counts['Violation']} violation(s), {counts['Warning']} warning(s), {counts['Info']} info(s)"
                  + (" — conforms" if res.conforms else ""))
        for (std, clause), rows in res.grouped().items():
            table = Table(title=f"{std} {clause}", title_justify="left", header_style="bold", show_lines=False)
            for col in ("severity", "focus", "message", "value"):
                table.add_column(col, overflow="fold")
            for r in rows:
                value = "" if r.value is None or r.value == r.focus else (curie(r.value) if r.value.startswith("http") else r.value)
                table.add_row(f"[{_SEV_STYLE[r.severity]}]{r.severity}[/]", f"{r.focus_label}\n[dim]{curie(r.focus)}[/]",
                              r.message, value)
            out.print(table)

"""Organisation data commands: import, template, validate, and the spreadsheet round trip (`normgraph org …`).

`normgraph import FILE... --org SLUG` checks every file first and then loads them into ngg:org/<slug> in one
store load. By default the files REPLACE what the organisation graph held (they are its complete source;
re-running an import is idempotent); `--add` adds them to the existing graph instead. With the default
in-memory store nothing persists: pass `--store DIR` to keep the result. Every import keeps the state the graph
had before (beside the store, in `<store>.history/`), and `normgraph org restore --org SLUG` puts it back.

`normgraph org export --org SLUG --kind soa --format xlsx -o FILE` writes a table as its import template;
`normgraph org preview FILE --org SLUG` says what uploading it would change, `normgraph org apply` applies it.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

if TYPE_CHECKING:
    from rdflib import Graph

    from normgraph.backup import OrgHistory
    from normgraph.orgdata.diff import Plan, TableDiff

from normgraph.cli import Context, console, err_console, fail, main, pass_context
from normgraph.iri import curie


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--org", "org_slug", required=True, help="Organisation slug: data goes to graph ngg:org/<slug>.")
@click.option("--add", is_flag=True, help="Add to the organisation graph instead of replacing it.")
@pass_context
def import_(ctx: Context, files: tuple[Path, ...], org_slug: str, add: bool) -> None:
    """Import CSV/XLSX templates, Turtle or JSON-LD into one organisation's graph (all files or none)."""
    from normgraph.backup import replace_org_graph
    from normgraph.iri import org_graph
    from normgraph.orgdata import CheckedFiles, OrgDataError, distinct_lines
    from normgraph.store import StoreError

    checked = CheckedFiles(org_slug)
    try:
        for f in files:
            err_console.print(f"checked {f}: {checked.add(f)} triples", style="dim")
    except OrgDataError as e:
        fail(f"{e} — nothing was imported")
    store = ctx.store(show_progress=sys.stderr.isatty())
    data = checked.ntriples(store.export("ntriples", str(org_graph(org_slug))) if add else None)
    try:
        size = replace_org_graph(store, _history(ctx), org_slug, data,
                                 f"before importing {', '.join(f.name for f in files)}", add=add)
    except StoreError as e:
        fail(str(e))
    console.print(f"{'added' if add else 'loaded'} {distinct_lines(data)} triples from {len(files)} file(s) into "
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


# -- the spreadsheet round trip -----------------------------------------------------------------------

def _history(ctx: Context) -> OrgHistory:
    from normgraph.backup import OrgHistory, history_folder

    return OrgHistory(history_folder(ctx.store_path))


def _org_graph(ctx: Context, slug: str) -> Graph:
    from rdflib import Graph

    from normgraph.iri import org_graph

    store = ctx.store(show_progress=sys.stderr.isatty())
    graph = str(org_graph(slug))
    if graph not in store.graphs():
        from normgraph.iri import org_slugs

        fail(f"no organisation {slug!r} in the store (known: {', '.join(org_slugs(store.graphs())) or 'none'})")
    return Graph().parse(data=store.export("ntriples", graph), format="nt")


@main.group("org")
def org_group() -> None:
    """An organisation's tables as spreadsheets: export, preview and apply an edited one, restore."""


_KINDS = click.Choice(["soa", "risks", "evidence", "ai-systems"])


@org_group.command("export")
@click.option("--org", "org_slug", required=True, help="Organisation slug (graph ngg:org/<slug>).")
@click.option("--kind", type=_KINDS, required=True, help="Which table.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write.")
@pass_context
def org_export(ctx: Context, org_slug: str, kind: str, fmt: str, output: Path) -> None:
    """Write a table as its import template (edit it and give it to `org preview` / `org apply`)."""
    from normgraph.orgdata.export import export_file

    graph = _org_graph(ctx, org_slug)
    try:
        rows = export_file(graph, org_slug, kind, fmt, output)
    except OSError as e:
        fail(f"{output}: {e.strerror or e}")
    console.print(f"wrote {rows} {kind} rows of {org_slug} to {output}")


def _plan(ctx: Context, file: Path, org_slug: str, kind: str | None) -> tuple[Graph, Plan]:
    from normgraph.orgdata.diff import plan
    from normgraph.orgdata.errors import OrgDataError

    graph = _org_graph(ctx, org_slug)
    if not file.is_file():
        fail(f"{file}: no such file")
    try:
        return graph, plan(graph, file, org_slug, kind)
    except OrgDataError as e:
        fail(f"{e} — nothing was changed")


def _print_diff(diff: TableDiff) -> None:
    console.print(f"{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.removed)} removed, "
                  f"{diff.unchanged} unchanged lines ({diff.triples_added} statements added, "
                  f"{diff.triples_removed} removed)")
    for row in diff.added:
        console.print(f"[green]+ {diff.key(row)}[/]", highlight=False)
    for row in diff.removed:
        console.print(f"[red]- {diff.key(row)}[/]", highlight=False)
    for change in diff.changed:
        console.print(f"[yellow]~ {change.key}[/]", highlight=False)
        for c in change.cells:
            console.print(f"    {c.column}: {c.old!r} → {c.new!r}", highlight=False)


@org_group.command("preview")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@click.option("--kind", type=_KINDS, default=None, help="Which table the file must be (default: from its header).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_context
def org_preview(ctx: Context, file: Path, org_slug: str, kind: str | None, fmt: str) -> None:
    """Say what uploading an edited table would change; nothing is written."""
    _graph, result = _plan(ctx, file, org_slug, kind)
    if fmt == "json":
        click.echo(json.dumps(result.diff.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_diff(result.diff)


@org_group.command("apply")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@click.option("--kind", type=_KINDS, default=None, help="Which table the file must be (default: from its header).")
@pass_context
def org_apply(ctx: Context, file: Path, org_slug: str, kind: str | None) -> None:
    """Apply an edited table in one transaction; the state before is kept for `org restore`."""
    from normgraph.backup import replace_org_graph

    _graph, result = _plan(ctx, file, org_slug, kind)
    _print_diff(result.diff)
    if result.diff.empty:
        console.print("nothing to apply")
        return
    store = ctx.store(show_progress=sys.stderr.isatty())
    size = replace_org_graph(store, _history(ctx), org_slug, result.new.serialize(format="nt", encoding="utf-8"),
                             f"before applying {file.name} ({result.kind})")
    console.print(f"applied; {org_slug} now holds {size} statements")


@org_group.command("restore")
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@pass_context
def org_restore(ctx: Context, org_slug: str) -> None:
    """Put back the state the organisation graph had before the last import, apply or restore."""
    from normgraph.backup import restore_previous

    store = ctx.store(show_progress=sys.stderr.isatty())
    try:
        version = restore_previous(store, _history(ctx), org_slug)
    except LookupError as e:
        fail(f"{e} (earlier states are kept only for a store on disk: --store DIR)")
    console.print(f"restored {org_slug} to the state saved {version.saved}"
                  + (f" ({version.note})" if version.note else ""))

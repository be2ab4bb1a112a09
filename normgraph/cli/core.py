"""Core commands: stats, query, build, load."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.table import Table

from normgraph.cli import Context, console, err_console, fail, main, pass_context
from normgraph.iri import NGG, curie
from normgraph.queries import QueryError, get_query, parse_query_file, with_prefixes
from normgraph.store import AskResult, GraphResult, QuerySyntaxError, SelectResult, StoreError
from normgraph.store.base import RdfSyntaxError

TEXT_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml")


def _licence(term: object) -> str:
    from normgraph.catalogs.common import LICENSES

    names = {str(iri): name for name, iri in LICENSES.items() if name != "normgraph"}
    return names.get(str(term), _cell(term))


def _cell(term: object) -> str:
    if term is None:
        return ""
    text = str(term)
    return curie(text) if text.startswith("http") else text


def print_table(result: SelectResult, title: str | None = None) -> None:
    table = Table(title=title, show_lines=False, header_style="bold")
    for v in result.variables:
        table.add_column(v, overflow="fold")
    for row in result.rows:
        table.add_row(*(_cell(row.get(v)) for v in result.variables))
    console.print(table)
    err_console.print(f"{len(result.rows)} row(s)", style="dim")


@main.command()
@pass_context
def stats(ctx: Context) -> None:
    """Per catalog: how many clauses / controls / articles / subcategories …; per graph: size, source, licence."""
    store = ctx.store(show_progress=sys.stderr.isatty())
    counts = store.query(get_query("catalog-stats").bind())
    assert isinstance(counts, SelectResult)
    per_scheme: dict[str, dict[str, int]] = {}
    titles: dict[str, str] = {}
    for row in counts:
        scheme = str(row["scheme"])
        titles[scheme] = str(row.get("title") or curie(scheme))
        per_scheme.setdefault(scheme, {})[curie(str(row["class"])).removeprefix("ng:")] = int(row["count"])  # type: ignore[arg-type]
    table = Table(title="Catalogs", header_style="bold")
    table.add_column("catalog")
    table.add_column("scheme")
    table.add_column("items by class")
    for scheme in sorted(per_scheme):
        classes = per_scheme[scheme]
        table.add_row(titles[scheme], curie(scheme), ", ".join(f"{n} {c}" for c, n in sorted(classes.items())))
    console.print(table)

    graphs = store.query(get_query("graph-provenance").bind())
    assert isinstance(graphs, SelectResult)
    gt = Table(title="Graphs", header_style="bold")
    for col in ("graph", "triples", "source", "licence", "version"):
        gt.add_column(col, overflow="fold")
    total = 0
    for row in graphs:
        total += int(row["triples"])  # type: ignore[arg-type]
        gt.add_row(str(row["graph"]).removeprefix(str(NGG)), str(row["triples"]), _cell(row.get("source")),
                   _licence(row.get("license")), _cell(row.get("version")))
    console.print(gt)
    console.print(f"{len(graphs)} graphs, {total} triples ({ctx.store().location})")


def _resolve_query(text: str, params: tuple[str, ...]) -> str:
    values: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"--param {item!r}: write it as NAME=VALUE")
        values[key] = value
    try:
        if Path(text).suffix == ".rq" and Path(text).is_file():
            return parse_query_file(Path(text)).bind(values)
        if text.replace("-", "").replace("_", "").isalnum():
            return get_query(text).bind(values)
    except QueryError as e:
        fail(str(e))
    if params:
        fail("--param only applies to named queries (queries/*.rq)")
    return with_prefixes(text)


@main.command()
@click.argument("query")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="Parameter of a named query.")
@click.option("--format", "-f", "fmt", type=click.Choice(TEXT_FORMATS + GRAPH_FORMATS), default=None,
              help="Output format (default: table for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE).")
@pass_context
def query(ctx: Context, query: str, params: tuple[str, ...], fmt: str | None) -> None:
    """Run QUERY: SPARQL text, a queries/NAME, or a path to a .rq file."""
    sparql = _resolve_query(query, params)
    store = ctx.store()
    try:
        if fmt in (None, "table"):
            result = store.query(sparql)
            if isinstance(result, SelectResult):
                print_table(result)
            elif isinstance(result, AskResult):
                console.print("yes" if result.value else "no")
            elif isinstance(result, GraphResult):
                sys.stdout.write(result.graph.serialize(format="turtle"))
            return
        body, _media, _form = store.query_serialized(sparql, fmt)
    except QuerySyntaxError as e:
        fail(f"query syntax: {e}")
    except ValueError as e:
        fail(str(e))
    except StoreError as e:
        fail(str(e), 1)
    sys.stdout.buffer.write(body)


@main.command()
@click.option("--sources", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The reference data folder (default: $NORMGRAPH_SOURCES, else shared/reference beside the checkout).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any data file would change.")
def build(sources: Path | None, check: bool) -> None:
    """Regenerate data/*.ttl (catalogs, mapping sets, derived graphs) from the reference sources."""
    from normgraph.catalogs.build import default_sources, run_build
    from normgraph.catalogs.common import SourceError

    started = time.perf_counter()
    try:
        report = run_build(sources or default_sources(), check=check)
    except SourceError as e:
        fail(str(e))
    for issue in report.issues:
        err_console.print(f"[yellow]source issue:[/] {issue}", highlight=False)
    verb = "would change" if check else "written"
    for path in report.written:
        console.print(f"{verb}: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path} "
                      f"({report.triples[path]} triples)")
    console.print(f"{len(report.written)} {verb}, {len(report.unchanged)} unchanged, "
                  f"{len(report.issues)} source issues reported, {time.perf_counter() - started:.1f} s")
    if check and report.written:
        sys.exit(1)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--graph", help="Named graph IRI to load FILES into (default: the file's own graph rule).")
@click.option("--examples/--no-examples", default=True, help="Also load the example organisations.")
@pass_context
def load(ctx: Context, files: tuple[Path, ...], graph: str | None, examples: bool) -> None:
    """Load the knowledge graph (or FILES) into the store given by --store / --endpoint."""
    from normgraph.knowledge import ROOT
    from normgraph.loading import knowledge_files, load_files
    from normgraph.store import open_store
    from normgraph.store.base import SUFFIX_FORMATS

    store = open_store(ctx.store_path, endpoint=ctx.endpoint, update_endpoint=ctx.update_endpoint,
                       graph_store=ctx.graph_store)
    started = time.perf_counter()
    try:
        if graph:
            for f in files:
                if f.suffix not in SUFFIX_FORMATS:
                    fail(f"{f}: unknown RDF file type {f.suffix!r}")
                store.load(f, SUFFIX_FORMATS[f.suffix], graph, replace=False)
            loaded = len(files)
        else:
            paths = [f.resolve() for f in files] or knowledge_files(ROOT, examples=examples)
            loaded = len(load_files(store, paths, ROOT, show_progress=sys.stderr.isatty()))
    except RdfSyntaxError as e:
        fail(str(e))
    except (StoreError, ValueError) as e:
        fail(str(e))
    store.close()
    console.print(f"loaded {loaded} file(s) into {store.location} in {time.perf_counter() - started:.2f} s")

"""Crosswalk commands: ``normgraph explain A B`` and ``normgraph export sssom|jsonld``.

`explain` reads the records from the store (the embedded default loads the committed files; with
--store or --endpoint, imported and remote mapping sets count too); the exports work on the
committed files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rdflib import Graph, URIRef

from normgraph.cli import Context, console, fail, main, pass_context
from normgraph.iri import NGG, curie, graph_for_path
from normgraph.knowledge import ROOT
from normgraph.mappings.records import records_from_graph
from normgraph.queries import get_query
from normgraph.store import GraphResult


def _known(root: Path) -> set[str]:
    from normgraph.mappings.curated import known_iris

    return known_iris(root) or set()


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--max-length", default=3, show_default=True, type=click.IntRange(1, 5), help="Longest chain shown.")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None, hidden=True)
@pass_context
def explain(ctx: Context, a: str, b: str, max_length: int, root: Path | None) -> None:
    """Every chain of mapping records connecting requirement A and requirement B.

    A and B are prefixed names (iso27001:A-5-19), a catalog key with the official notation
    (iso27001-2022:A.5.19) or full IRIs. Asserted and inferred records count, in both
    directions; chains are at most --max-length records long and pass only through equalTo,
    subsetOf and supersetOf (intersectsWith and relatedTo show only as direct records).
    """
    from normgraph.mappings.explain import UnknownRequirement, find_chains, load_records, render

    if root is not None:  # a tree of files (tests, or a checkout that is not loaded anywhere)
        records = load_records(root)
        known = _known(root)

        def exists(iri: str) -> bool:
            return iri in known
    else:
        store = ctx.store()
        result = store.query(get_query("mapping-records").bind())
        if not isinstance(result, GraphResult):
            fail("queries/mapping-records.rq must be a CONSTRUCT")
        records = records_from_graph(result.graph)

        def exists(iri: str) -> bool:
            return bool(store.query(get_query("resource-exists").bind({"resource": iri})))
    mentioned = {str(r.subject) for r in records} | {str(r.object) for r in records}
    resolved: list[URIRef] = []
    for name, arg in (("A", a), ("B", b)):
        try:
            iri = _resolve(arg, UnknownRequirement)
        except UnknownRequirement as e:
            fail(f"argument {name}: {e}")
        if str(iri) not in mentioned and not exists(str(iri)):
            fail(f"argument {name}: {arg!r} ({curie(str(iri))}) is not an item of any loaded catalog or mapping")
        resolved.append(iri)
    chains = find_chains(records, resolved[0], resolved[1], max_length)
    render(chains, resolved[0], resolved[1], console, records)


def _resolve(arg: str, error: type[Exception]) -> URIRef:
    from normgraph.mappings.explain import resolve

    try:
        return resolve(arg)
    except ValueError as e:
        raise error(str(e)) from None


def _export_group() -> click.Group:
    """The `export` group: ours, or a colleague's if one is already registered."""
    existing = main.commands.get("export")
    if isinstance(existing, click.Group):
        return existing

    @main.group(name="export")
    def export() -> None:
        """Export graphs for other tools (SSSOM TSV, JSON-LD)."""

    return export


def _write(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"written: {output}")


def _set_file(root: Path, name: str) -> Path:
    slug = name.strip()
    for prefix in (str(NGG) + "mappings/", "ngg:mappings/", "https://w3id.org/normgraph/id/mapping-set/"):
        slug = slug.removeprefix(prefix)
    if slug == "inferred":
        return root / "data" / "derived" / "inferred-mappings.ttl"
    return root / "data" / "mappings" / f"{slug.removesuffix('.ttl')}.ttl"


def _graph_file(root: Path, name: str) -> Path:
    """A graph IRI (ngg:… or full) or a file path → the Turtle file holding that graph."""
    candidate = Path(name)
    if candidate.suffix == ".ttl" and candidate.exists():
        return candidate
    iri = name.strip("<>")
    if iri.startswith("ngg:"):
        iri = str(NGG) + iri[4:]
    elif "://" not in iri:
        iri = str(NGG) + iri
    for path in sorted([*root.glob("ontology/*.ttl"), *root.glob("data/**/*.ttl")]):
        if str(graph_for_path(path, root)) == iri:
            return path
    raise click.BadParameter(f"no file under ontology/ or data/ holds graph {iri}", param_hint="GRAPH")


export_group = _export_group()


@export_group.command(name="sssom")
@click.argument("mapping_set", metavar="SET")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="File to write (default: stdout).")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None, hidden=True)
def export_sssom(mapping_set: str, output: Path | None, root: Path | None) -> None:
    """A mapping set as an SSSOM TSV table. SET is a set slug (nist-ai-rmf-1.0_to_iso42001-2023),
    its set IRI or graph IRI, or 'inferred'."""
    from normgraph.exports.sssom_tsv import to_sssom_tsv

    path = _set_file(root or ROOT, mapping_set)
    if not path.exists():
        fail(f"argument SET: no mapping set {mapping_set!r} ({path} does not exist)")
    g = Graph().parse(path, format="turtle")
    _write(to_sssom_tsv(g), output)


@export_group.command(name="jsonld")
@click.argument("graph", metavar="GRAPH")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="File to write (default: stdout).")
@click.option("--inline-context", is_flag=True, help="Embed the @context instead of referring to its URL.")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None, hidden=True)
def export_jsonld(graph: str, output: Path | None, inline_context: bool, root: Path | None) -> None:
    """A named graph (a catalog, a mapping set, a derived graph) as JSON-LD with the normgraph
    context. GRAPH is a graph IRI (ngg:iso27001-2022, ngg:mappings/<slug>) or a .ttl file."""
    from normgraph.exports.jsonld import dumps

    path = _graph_file(root or ROOT, graph)
    g = Graph().parse(path, format="turtle")
    _write(dumps(g, inline_context), output)

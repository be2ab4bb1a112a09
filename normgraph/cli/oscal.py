"""``normgraph export oscal catalog KEY``, ``normgraph export oscal component-definition --org SLUG`` and
``normgraph export oscal mapping SET``.

Both read the store (the embedded one is loaded with the knowledge and the example organisations)
and write OSCAL JSON that compliance-trestle has parsed (normgraph.exports.oscal).
"""

from __future__ import annotations

from pathlib import Path

import click

from normgraph.cli import Context, fail, pass_context
from normgraph.cli.crosswalk import _write, export_group


@export_group.group(name="oscal")
def oscal() -> None:
    """NIST OSCAL JSON: catalogs, an organisation's SoA as a component definition, mapping sets as
    mapping collections."""


@oscal.command(name="catalog")
@click.argument("key", metavar="KEY")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File to write (default: stdout).")
@pass_context
def oscal_catalog(ctx: Context, key: str, output: Path | None) -> None:
    """An OSCAL catalog of one catalog KEY (iso27001-2022, nist-sp800-53r5, eu-ai-act, …).

    ISO catalogs hold identifiers and titles only (ISO text is copyrighted); NIST and EU catalogs
    carry the official text as statement parts."""
    from normgraph.exports.oscal import PROFILES, OscalError, catalog_json

    if key not in PROFILES:
        fail(f"argument KEY: unknown catalog key {key!r} (known: {', '.join(sorted(PROFILES))})")
    try:
        text = catalog_json(ctx.store(), key)
    except OscalError as e:
        fail(str(e))
    _write(text, output)


@oscal.command(name="component-definition")
@click.option("--org", "org", required=True, help="Organisation slug (its graph is ngg:org/<slug>).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File to write (default: stdout).")
@pass_context
def oscal_component_definition(ctx: Context, org: str, output: Path | None) -> None:
    """The organisation's Statement of Applicability over ISO/IEC 27001:2022 and 42001:2023 Annex A
    as an OSCAL component definition: applicable controls as implemented requirements (measures,
    status, owner, evidence with sha256), exclusions with their justification."""
    from normgraph.exports.oscal import OscalError, component_definition_json
    from normgraph.reports import ReportError

    try:
        text = component_definition_json(ctx.store(), org)
    except (ReportError, OscalError) as e:
        fail(f"option --org: {e}")
    _write(text, output)


@oscal.command(name="mapping")
@click.argument("mapping_set", metavar="SET")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File to write (default: stdout).")
@pass_context
def oscal_mapping(ctx: Context, mapping_set: str, output: Path | None) -> None:
    """A mapping set as an OSCAL mapping collection. SET is the set's slug
    (iso42001-2023_to_iso27001-2022-annex-a), set IRI or graph IRI (ngg:mappings/<slug>).

    Sources and targets are control (or statement) ids of the two OSCAL catalogs of `export oscal
    catalog`; one map per record, 'no counterpart' records in the source gap summary."""
    from normgraph.exports.oscal import OscalError
    from normgraph.exports.oscal_mapping import mapping_collection_json, mapping_sets, set_slug

    store = ctx.store()
    try:
        slug = set_slug(mapping_set)
    except OscalError as e:
        fail(f"argument SET: {e}")
    known = mapping_sets(store)
    if slug not in known:
        fail(f"argument SET: unknown mapping set {mapping_set!r} (known: {', '.join(sorted(known)) or 'none'})")
    try:
        text = mapping_collection_json(store, slug)
    except OscalError as e:
        fail(str(e))
    _write(text, output)

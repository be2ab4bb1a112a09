"""``normgraph export oscal catalog KEY`` and ``normgraph export oscal component-definition --org SLUG``.

Both read the store (the embedded one is loaded with the knowledge and the example organisations)
and write OSCAL JSON that compliance-trestle has parsed (normgraph.exports.oscal).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from normgraph.cli import Context, console, fail, pass_context
from normgraph.cli.crosswalk import export_group


def _write(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"written: {output}")


@export_group.group(name="oscal")
def oscal() -> None:
    """NIST OSCAL JSON: catalogs and an organisation's SoA as a component definition."""


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

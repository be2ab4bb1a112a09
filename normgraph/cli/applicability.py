"""`normgraph applicability`: which AI Act obligations apply to an organisation's AI systems, from when and why."""

from __future__ import annotations

from datetime import date

import click

from normgraph.cli import Context, fail, main, pass_context


@main.command()
@click.option("--org", "org_slug", required=True, help="Organisation slug (its graph ngg:org/<slug>).")
@click.option("--system", "system", default=None, help="Only this AI system or model (local name or IRI).")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Judge on this date (default: today); obligations not yet in force say 'applies from D'.")
@click.option("--why", "why", default=None, help="Explain one obligation (e.g. art-27-1-deployer), also where it does not apply.")
@click.option("--all", "show_all", is_flag=True, help="Text format: list the obligations that do not apply too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@pass_context
def applicability(ctx: Context, org_slug: str, system: str | None, on: object, why: str | None, show_all: bool,
                  fmt: str) -> None:
    """AI Act applicability per system: applies / does not apply / cannot tell yet, the date, and why."""
    from normgraph.applicability import ApplicabilityError, assess
    from normgraph.applicability.render import as_csv, as_json, text

    day = on.date() if on is not None else date.today()  # type: ignore[attr-defined]
    try:
        result = assess(ctx.store(), org_slug, day)
        answers = result.select(system, why)
        show_all = show_all or bool(why)
    except ApplicabilityError as e:
        fail(str(e))
    if fmt == "json":
        click.echo(as_json(result, answers))
    elif fmt == "csv":
        click.echo(as_csv(result, answers), nl=False)
    else:
        click.echo(text(result, answers, show_all=show_all), nl=False)

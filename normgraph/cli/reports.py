"""`normgraph report soa|risks|gap|audit-pack --org SLUG …`: the organisation reports.

Exit 2 (with a message) on an unknown organisation, target, format or requirement to explain.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.table import Table as RichTable

from normgraph.cli import Context, console, fail, main, pass_context
from normgraph.reports import TARGETS, ReportError
from normgraph.reports.audit_pack import write_bundle
from normgraph.reports.dispatch import KINDS, build_report, render_file, report_name
from normgraph.reports.gap import COVERAGE_LABEL, explain
from normgraph.reports.model import Report
from normgraph.reports.page import ALL, EXPLORER, Links, render_html

FORMATS = ("table", "csv", "xlsx", "jsonld", "html")


def print_table(report: Report, limit: int | None = None) -> None:
    main_table = report.tables[0]
    cols = [c for c in main_table.columns if c not in ("iri", "evidence_iri", "mapping_records", "links_via")]
    t = RichTable(title=f"{report.title} — {report.org_label}", show_lines=False)
    for c in cols:
        t.add_column(c, overflow="fold")
    for row in main_table.rows[:limit]:
        t.add_row(*["" if row.get(c) is None else str(row.get(c)) for c in cols])
    console.print(t)
    for s in report.extra.get("duties", []):  # SoA, audit pack: each system's AI Act duties in brief
        c = s.counts
        console.print(f"AI Act duties of {s.label} ({', '.join(s.roles)}): {c['in force']} in force, {c['applies later']} "
                      f"from a later date, {c['cannot tell yet']} cannot tell yet"
                      + (f" (record {', '.join(s.record)})" if s.record else ""), highlight=False)
    if report.extra.get("duties_problem"):
        console.print(report.extra["duties_problem"], highlight=False)
    if report.kind == "gap":
        for g in report.table("coverage").rows:
            console.print(f"{g['group']}: {g['full']} fully, {g['no_evidence']} implemented without current evidence, "
                          f"{g['partial']} in part, {g['none']} not at all of {g['requirements']} "
                          f"(weighted reuse {g['weighted_reuse_pct']}%)", highlight=False)
        b = report.table("baseline-27001").rows[0]
        console.print(f"ISO/IEC 27001 alone (ignoring the 42001 lines of the SoA): {b['full']} fully, {b['no_evidence']} "
                      f"without current evidence, {b['partial']} in part, {b['none']} not at all "
                      f"(weighted reuse {b['weighted_reuse_pct']}%)", highlight=False)


@main.command("report")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--org", "org", required=True, help="organisation slug (graph ngg:org/<slug>)")
@click.option("--target", default="iso42001-2023", help=f"gap target: {', '.join(TARGETS)}")
@click.option("--format", "fmt", default="table", type=click.Choice(FORMATS))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="file (or folder / .zip for audit-pack)")
@click.option("--today", help="date evidence validity is judged on (YYYY-MM-DD; default: today)")
@click.option("--explain", "explain_req", help="gap: explain one requirement (notation or IRI)")
@click.option("--explorer-url", default=EXPLORER, show_default=True,
              help="html: where requirement links go, the IRI appended (absolute, e.g. https://host/explore/resource?iri=, "
                   "or relative to where the file is opened)")
@click.option("--section", help="html: only this section of the SoA or audit pack (default: the whole report)")
@pass_context
def report_cmd(ctx: Context, kind: str, org: str, target: str, fmt: str, output: Path | None, today: str | None,
               explain_req: str | None, explorer_url: str, section: str | None) -> None:
    """Unified SoA, combined risk register, gap analysis or audit evidence pack of an organisation."""
    if target not in TARGETS:
        fail(f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        fail(f"--today {today!r} is not a date (YYYY-MM-DD)")
    store = ctx.store()
    try:
        report = build_report(store, kind, org, target, day)
    except ReportError as e:
        fail(str(e))
    if explain_req:
        if kind != "gap":
            fail("--explain works with `report gap`")
        explain_requirement(report, explain_req)
        return
    links = Links(explorer=explorer_url, section="?section=")
    if section is not None and fmt != "html":
        fail("--section works with --format html")
    if kind == "audit-pack" and output is not None and fmt in ("table", "html") and (output.suffix in ("", ".zip")):
        path = write_bundle(report, store, output, links=links)
        console.print(f"audit pack written to {path}")
        return
    if fmt == "table":
        print_table(report)
        return
    if fmt == "html":
        try:
            data = render_html(report, links=links, section=section or ALL).html.encode("utf-8")
        except ReportError as e:
            fail(str(e))
    else:
        data = render_file(report, store, fmt, report_name(kind, org, target)).data
    if output is None:
        if fmt == "xlsx":
            fail("--format xlsx needs -o FILE")
        click.echo(data.decode("utf-8"), nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
        console.print(f"{kind} report written to {output}")


def explain_requirement(report: Report, req: str) -> None:
    found = explain(report, req)
    if not found:
        fail(f"no requirement {req!r} in the {report.extra['target_title']} gap report")
    for r in found:
        console.print(f"[bold]{r.notation}[/] {r.title}: {COVERAGE_LABEL[r.coverage]}", highlight=False)
        t = RichTable(show_lines=True)
        for c in ("implemented item", "status", "relation (from item)", "record", "set / source", "confidence",
                  "rationale; evidence"):
            t.add_column(c, overflow="fold")
        for link in r.links:
            derived = f" [inferred from {', '.join(link.derived_from)}]" if link.derived_from else ""
            shown = f"current evidence: {', '.join(link.evidence)}" if link.evidence else "no current evidence"
            t.add_row(link.source_notation, link.status, link.relation,
                      link.record or "(the organisation implements it itself)",
                      f"{link.mapping_set}\n{link.creator} {link.record_source}", link.confidence,
                      f"{link.rationale}{derived}; {shown}".lstrip("; "))
        console.print(t)
        if r.coverage == "none":
            console.print(r.reason, highlight=False)
        if r.candidates:
            console.print("Would be reached by: " + "; ".join(r.candidates), highlight=False)

"""Reports as HTML pages: a whole standalone document, or one part of it for the server's site layout.

Every report is an overview and, for the long ones (SoA, audit pack), sections with a table of contents::

    page = render_html(report, links=Links(explorer="/explore/resource?iri=", section="?today=2026-12-01&section="),
                       embed=True, section=None)
    page.title, page.html, page.sections

`section=None` is the overview; a section key (from `page.sections`) is that section alone; ALL is every part
in one document (files the CLI writes, the offline bundle): its contents link to #anchors. `embed=True` gives
the body fragment for a surrounding layout (no <html>, <head>, <h1> or site navigation; its style scoped to
.ng-report); `embed=False` a complete document. Every requirement id links to the explorer (`Links.explorer`
+ the percent-encoded IRI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from normgraph.reports import ReportError
from normgraph.reports.model import Report

ALL = "all"
OVERVIEW = "overview"
#: the explorer page of an IRI, as the server routes it (normgraph/server/explorer: /explore/resource?iri=)
EXPLORER = "/explore/resource?iri="


@dataclass(frozen=True)
class Links:
    """Where links go: the explorer page of an IRI is `explorer` + the quoted IRI; section `key` of this report is
    `section` + key (the server passes the page's own URL with its other parameters). Hashable: a cache key part."""

    explorer: str = EXPLORER
    section: str = "?section="

    def resource(self, iri: str) -> str:
        return self.explorer + quote(iri, safe="")

    def to(self, key: str | None, anchor: str = "") -> str:
        """The URL of section `key`, or of the overview (None): the page's URL with its other parameters kept."""
        overview = self.section.removesuffix("section=").rstrip("&") or "?"
        base = overview if key is None else self.section + quote(key, safe="")
        return base + (f"#{anchor}" if anchor else "")


@dataclass(frozen=True)
class Part:
    """One section of a report: its key (the ?section= value), heading, row count and what its template reads."""

    key: str
    label: str
    kind: str  # which block of the report's template draws it
    rows: int | None = None
    data: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SectionLink:
    key: str
    label: str
    rows: int | None


@dataclass(frozen=True)
class Page:
    title: str
    html: str
    sections: tuple[SectionLink, ...]
    section: str | None


def parts(report: Report) -> list[Part]:
    """The report's sections after its overview (none for the one-page reports)."""
    return list(report.extra.get("parts", []))


def anchor(text: str) -> str:
    """An id for `text` (a notation, a section key): letters, digits and '-' only."""
    return "".join(c if c.isalnum() else "-" for c in text)


class Linker:
    """What the templates call to link a requirement: `x.req(iri, text)` writes an explorer link; `x.sec(key,
    anchor)` the URL of a section of this report (an #anchor in the whole document)."""

    def __init__(self, links: Links, whole: bool) -> None:
        self.links = links
        self.whole = whole

    def url(self, iri: str) -> str:
        return self.links.resource(iri)

    def req(self, iri: str | None, text: object, title: str = "") -> Markup:
        label = escape(text)
        if not iri or not str(iri).startswith(("http://", "https://")):
            return Markup(label)
        tip = f' title="{escape(title)}"' if title else ""
        return Markup(f'<a href="{escape(self.url(str(iri)))}"{tip}>{label}</a>')

    def sec(self, key: str | None, at: str = "") -> str:
        if self.whole:
            return "#" + anchor(at or key or OVERVIEW)
        return self.links.to(key, anchor(at) if at else "")


_ENV: Environment | None = None


def env() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = Environment(loader=PackageLoader("normgraph.reports", "templates"),
                           autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
        _ENV.filters["anchor"] = anchor
    return _ENV


def html_context(report: Report) -> dict[str, Any]:
    """What a report's template reads besides the report: its tables by name and its charts."""
    from normgraph.reports import charts

    ctx: dict[str, Any] = {"tables": {t.name: t for t in report.tables}}
    if report.kind == "risks":
        grid = report.extra["heatmap"]
        ctx["svg_inherent"] = Markup(charts.heatmap_svg(grid["inherent"], "Inherent risk (before treatment)", "hm-inherent"))
        ctx["svg_residual"] = Markup(charts.heatmap_svg(grid["residual"], "Residual risk (after treatment)", "hm-residual"))
    if report.kind == "gap":
        def share(g: dict[str, Any], status: str) -> float:
            return float(str(g[f"{status}_pct"]))

        rows = [(str(g["group"]), share(g, "full"), share(g, "no_evidence"), share(g, "partial"), share(g, "none"))
                for g in report.table("coverage").rows]
        ctx["svg_coverage"] = Markup(charts.bars_svg(rows, f"Coverage of {report.extra['target_title']}", "cov"))
    return ctx


def render_html(report: Report, *, links: Links | None = None, embed: bool = False,
                section: str | None = None) -> Page:
    """The report as a page: the overview (section None), one section, or ALL of it (ReportError: unknown key)."""
    links = links or Links()
    sections = parts(report)
    toc = tuple(SectionLink(p.key, p.label, p.rows) for p in sections)
    whole = section == ALL
    if section in (None, OVERVIEW):
        shown: list[Part] = []
    elif whole:
        shown = sections
    else:
        shown = [p for p in sections if p.key == section]
        if not shown:
            known = ", ".join(p.key for p in sections) or "none: this report is one page"
            raise ReportError(f"no section {section!r} in the {report.kind} report (known: {known})")
    linker = Linker(links, whole)
    ctx = html_context(report)
    body = env().get_template("page.html.j2").render(
        r=report, x=linker, parts=shown, toc=toc, overview=section in (None, OVERVIEW) or whole, whole=whole,
        embed=embed, current=None if section in (None, OVERVIEW, ALL) else section, kind_template=f"{report.kind}.html.j2",
        **ctx)
    title = f"{report.title} — {report.org_label}"
    return Page(title, body, toc, None if section in (None, OVERVIEW) else section)


__all__ = ["ALL", "EXPLORER", "OVERVIEW", "Links", "Page", "Part", "SectionLink", "anchor", "parts", "render_html"]

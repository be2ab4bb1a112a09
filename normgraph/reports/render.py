"""Writers for every report: CSV, XLSX (openpyxl), JSON-LD (context inline) and HTML (jinja2, inline
CSS, inline SVG charts, no external assets)."""

from __future__ import annotations

import io
from typing import Any

from normgraph.exports.csvsafe import csv_text
from normgraph.iri import PREFIXES
from normgraph.reports.model import Report, Table
from normgraph.reports.page import ALL, render_html
from normgraph.store.base import Store

FORMATS = ("table", "csv", "xlsx", "jsonld", "html")
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "jsonld": "application/ld+json", "html": "text/html; charset=utf-8"}
#: Vocabulary for report rows in JSON-LD (column name = property local name).
REPORT_NS = "https://w3id.org/normgraph/ont/report#"


def to_csv(table: Table) -> str:
    return csv_text(table.columns, ([row.get(c) for c in table.columns] for row in table.rows))


def to_xlsx(report: Report) -> bytes:
    """One sheet per table: bold header row, frozen below the header, autofilter over the data. Written in
    openpyxl's write-only (streaming) mode: a large audit pack's sheets cost a pass over the rows, not a cell
    table held and scanned in memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in report.tables:
        ws = wb.create_sheet(table.name[:31])
        ws.freeze_panes = "A2"
        last = get_column_letter(max(1, len(table.columns)))
        ws.auto_filter.ref = f"A1:{last}{max(1, len(table.rows) + 1)}"
        for i, col in enumerate(table.columns, start=1):
            width = max([len(col)] + [len(str(r.get(col) or "")) for r in table.rows[:200]])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))
        header = []
        for col in table.columns:
            cell = WriteOnlyCell(ws, value=col)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in table.rows:
            ws.append([_text_cell(ws, WriteOnlyCell, _cell(row.get(c))) for c in table.columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text_cell(ws: Any, cell_type: Any, v: Any) -> Any:
    """A value that looks like a formula as a text cell (written as text, never run); anything else as it is."""
    if isinstance(v, str) and v.startswith("="):
        cell = cell_type(ws, value=v)
        cell.data_type = "s"
        return cell
    return v


def _cell(v: Any) -> Any:
    if isinstance(v, str) and len(v) > 32000:
        return v[:32000] + "…"
    return v


def context() -> dict[str, Any]:
    """The JSON-LD @context written inline into every export (never a remote context)."""
    ctx: dict[str, Any] = {p: ns for p, ns in PREFIXES.items()}
    ctx["ngr"] = REPORT_NS
    return ctx


def to_jsonld(report: Report, store: Store | None = None, *, include_graph: bool = False) -> dict[str, Any]:
    """The report as JSON-LD (one node per row, properties ngr:<column>), plus, with include_graph,
    the organisation's named graph (expanded JSON-LD from the store, compacted with the same context
    by prefix only — no remote look-ups)."""
    report_id = f"{report.graph}/report/{report.kind}"
    nodes: list[dict[str, Any]] = []
    table_ids = []
    for table in report.tables:
        tid = f"{report_id}/{table.name}"
        table_ids.append({"@id": tid})
        rows = []
        for n, row in enumerate(table.rows):
            node: dict[str, Any] = {"@id": f"{tid}/row/{n + 1}", "@type": "ngr:Row", "ngr:position": n + 1}
            for col in table.columns:
                v = row.get(col)
                if v is None or v == "":
                    continue
                if isinstance(v, (bool, int, float)):
                    node[f"ngr:{col}"] = v
                elif col in ("iri", "evidence_iri") and isinstance(v, str) and v.startswith("http"):
                    node[f"ngr:{col}"] = {"@id": v}
                else:
                    node[f"ngr:{col}"] = str(v)
            rows.append(node)
        nodes.append({"@id": tid, "@type": "ngr:Table", "dct:title": table.name, "ngr:columns": " ".join(table.columns),
                      "ngr:row": rows})
    head = {"@id": report_id, "@type": "ngr:Report", "dct:title": report.title, "ngr:kind": report.kind,
            "ngr:organisation": report.org_label, "ngr:graph": {"@id": report.graph},
            "dct:created": {"@value": report.generated.isoformat(), "@type": "xsd:date"}, "ngr:table": table_ids}
    out: dict[str, Any] = {"@context": context(), "@graph": [head, *nodes]}
    if include_graph and store is not None:
        import json

        raw = json.loads(store.export("jsonld", report.graph).decode("utf-8") or "[]")
        org_nodes = raw.get("@graph", raw) if isinstance(raw, dict) else raw
        if isinstance(raw, dict) and "@context" in raw:
            org_nodes = _expand_local(raw)
        out["@graph"].append({"@id": report.graph, "@graph": org_nodes})
    return out


def _expand_local(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Expand a JSON-LD document whose @context is inline (no loader: remote contexts are refused)."""
    from pyld import jsonld

    def refuse(url: str, options: dict[str, Any] | None = None) -> Any:
        raise RuntimeError(f"remote JSON-LD context refused: {url}")

    return list(jsonld.expand(doc, {"documentLoader": refuse}))


def to_html(report: Report) -> str:
    """The whole report as one standalone document (every section; its contents link to #anchors)."""
    return render_html(report, section=ALL).html


def render(report: Report, fmt: str, store: Store | None = None) -> bytes:
    """The report in `fmt` (csv: the main table; xlsx; jsonld; html) as bytes."""
    import json

    if fmt == "csv":
        return to_csv(report.tables[0]).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "jsonld":
        return json.dumps(to_jsonld(report, store, include_graph=report.kind == "audit-pack"), indent=1,
                          ensure_ascii=False).encode("utf-8")
    if fmt == "html":
        return to_html(report).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")

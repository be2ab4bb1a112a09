"""Multi-valued facts in the risk register and the audit pack, on the example organisations.

Hospital's risk R-032 affects two AI systems (CareFund and ShiftMatch) and its evidence item AIMS-PRC-030 has two
kinds (procedure and contract). Every surface shows every value, sorted: the page, CSV, XLSX and JSON-LD are then
the same bytes whatever order the store hands the rows in — a dump restored, or the graph reloaded from its own
export in another order.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pyoxigraph as ox
import pytest
from openpyxl import load_workbook

from normgraph.iri import org_graph
from normgraph.reports import audit_pack
from normgraph.reports.dispatch import build_report, render_file
from normgraph.reports.page import render_html
from normgraph.reports.render import to_csv
from normgraph.store import EmbeddedStore

DAY = dt.date(2026, 12, 1)
ID = "https://w3id.org/normgraph/id/org/hospital/"
R032 = f"{ID}risk/R-032"
PRC030 = f"{ID}evidence/AIMS-PRC-030"
SYSTEMS = "CareFund fee-waiver eligibility assessor; ShiftMatch staff rostering and task allocation"


def _surfaces(store: EmbeddedStore, kind: str) -> dict[str, bytes]:
    report = build_report(store, kind, "hospital", "", DAY)
    out = {f"{t.name}.csv": to_csv(t).encode() for t in report.tables}
    out["page"] = render_html(report, section="all").html.encode()
    for fmt in ("jsonld", "xlsx"):
        out[fmt] = render_file(report, store, fmt, "x").data
    return out


@pytest.fixture(scope="module")
def restored(example_store: EmbeddedStore) -> EmbeddedStore:
    """The same quads, restored from an N-Quads dump with hospital's statements in reverse order."""
    lines = example_store.export("nquads").decode().splitlines()
    hospital = [line for line in lines if f"<{org_graph('hospital')}>" in line]
    rest = [line for line in lines if f"<{org_graph('hospital')}>" not in line]
    s = EmbeddedStore()
    s.oxigraph.load("\n".join(rest + hospital[::-1]).encode(), ox.RdfFormat.N_QUADS)
    return s


def test_risk_register_lists_every_system_a_risk_affects(example_store: EmbeddedStore) -> None:
    report = build_report(example_store, "risks", "hospital", "", DAY)
    row = next(r for r in report.table("risks").rows if r["iri"] == R032)
    assert row["system_or_asset"] == SYSTEMS
    surfaces = _surfaces(example_store, "risks")
    assert SYSTEMS.encode() in surfaces["risks.csv"]
    assert SYSTEMS.encode() in surfaces["page"]
    assert SYSTEMS in json.dumps(json.loads(surfaces["jsonld"]), ensure_ascii=False)
    sheet = load_workbook(io.BytesIO(surfaces["xlsx"])).worksheets[0]
    assert any(SYSTEMS in str(c.value) for line in sheet.iter_rows() for c in line)


def test_evidence_register_lists_every_kind_of_an_item(example_store: EmbeddedStore) -> None:
    whole = build_report(example_store, "audit-pack", "hospital", "", DAY)
    item = next(r for r in whole.table("evidence").rows if r["evidence_iri"] == PRC030)
    assert item["kind"] == "contract; procedure"
    # the register's page and the sections listing the item say the same
    page = audit_pack.build(example_store, "hospital", DAY, part="evidence-1", validate=False)
    assert next(r for r in page.table("evidence").rows if r["evidence_iri"] == PRC030)["kind"] == "contract; procedure"
    listed = [(s.part, e) for s in whole.extra["sections"] for e in s.evidence if e["evidence_iri"] == PRC030]
    assert listed
    for part, entry in listed:
        assert entry["kind"] == "contract; procedure"
        sections = audit_pack.build(example_store, "hospital", DAY, part=part, validate=False).extra["sections"]
        shown = [e for s in sections for e in s.evidence if e["evidence_iri"] == PRC030]
        assert shown and all(e["kind"] == "contract; procedure" for e in shown)


@pytest.mark.parametrize("kind", ["risks", "audit-pack"])
def test_a_restored_dump_gives_byte_identical_reports(example_store: EmbeddedStore, restored: EmbeddedStore,
                                                      kind: str) -> None:
    a, b = _surfaces(example_store, kind), _surfaces(restored, kind)
    for name in ("page", "jsonld", *(n for n in a if n.endswith(".csv"))):
        assert a[name] == b[name], name
    shown = (SYSTEMS.encode(), "risks.csv") if kind == "risks" else (b"contract; procedure", "evidence.csv")
    assert shown[0] in a[shown[1]]

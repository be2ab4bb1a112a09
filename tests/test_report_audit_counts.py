"""The audit pack's pages count the evidence items the download lists (hospital, with a renewed date recorded next to
the old one: the data validation reports as a Violation, i.e. exactly what an auditor looks at)."""

from __future__ import annotations

import datetime as dt

from normgraph.iri import org_graph
from normgraph.loading import load_knowledge
from normgraph.reports import audit_pack
from normgraph.store import EmbeddedStore

DAY = dt.date(2026, 12, 1)
ID = "https://w3id.org/normgraph/id/org/hospital/evidence/"
NG = "https://w3id.org/normgraph/ont#"
DATE = "^^<http://www.w3.org/2001/XMLSchema#date>"


def test_pages_count_each_item_once_as_the_download_does() -> None:
    s = EmbeddedStore()
    load_knowledge(s, examples=True)
    # an import added a renewed end date without removing the old one (both items), and a second issue date
    s.update(f'INSERT DATA {{ GRAPH <{org_graph("hospital")}> {{ <{ID}OPS-BK-2025> <{NG}validUntil> "2027-06-30"{DATE} . '
             f'<{ID}AIMS-POL-021> <{NG}validUntil> "2026-01-31"{DATE} . <{ID}AIMS-POL-021> <{NG}issued> "2025-01-31"{DATE} . }} }}')
    whole = audit_pack.build(s, "hospital", DAY, validate=False)
    items = whole.table("evidence").rows
    not_valid = {e["evidence_iri"] for e in items if not e["valid"]}
    assert f"{ID}AIMS-POL-021" in not_valid  # ended 2026-01-31 by one of its dates: not valid
    assert whole.extra["counts"]["evidence_items"] == len(items)
    assert whole.extra["counts"]["expired"] == len(not_valid)
    for part in ("overview", "evidence-1"):
        page = audit_pack.build(s, "hospital", DAY, part=part, validate=False)
        assert (page.extra["counts"]["evidence_items"], page.extra["counts"]["expired"]) == (len(items), len(not_valid))
        registers = [p for p in page.extra["parts"] if p.key.startswith("evidence-")]
        assert [(p.key, p.rows) for p in registers] == [("evidence-1", len(items))]
    page = audit_pack.build(s, "hospital", DAY, part="evidence-1", validate=False)
    assert page.table("evidence").rows == items

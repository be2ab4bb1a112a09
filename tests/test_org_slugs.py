"""An organisation's slug names one graph everywhere: import, validation and reports agree."""

import datetime as dt

import pytest
from repo import ROOT

from normgraph.iri import NGG, org_graph, org_slugs
from normgraph.loading import load_knowledge
from normgraph.orgdata import import_files
from normgraph.reports import ReportError, check_org, soa
from normgraph.store import EmbeddedStore


def test_org_graph_applies_the_iri_rule_and_org_slugs_lists_graphs() -> None:
    assert org_graph("acme.eu") == NGG["org/acme-eu"]
    assert org_slugs([str(NGG["org/b"]), str(NGG["iso27001-2022"]), str(NGG["org/a"])]) == ["a", "b"]


def test_a_dotted_slug_imported_is_found_by_the_reports() -> None:
    store = EmbeddedStore()
    load_knowledge(store)
    loaded = import_files(store, [ROOT / "data" / "templates" / "soa.csv"], "acme.eu")
    assert loaded > 0
    assert check_org(store, "acme.eu") == org_graph("acme.eu")
    assert check_org(store, "acme-eu") == org_graph("acme.eu")
    report = soa.build(store, "acme.eu", dt.date(2026, 12, 1))
    assert report.graph == str(org_graph("acme.eu"))
    assert len(report.tables[0].rows) == 131  # both Annex A sets, whatever the SoA file covers
    with pytest.raises(ReportError, match=r"unknown organisation 'nobody'.*acme-eu"):
        check_org(store, "nobody")

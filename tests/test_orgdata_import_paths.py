"""The import's two paths agree, and the benchmarks' synthetic organisation is importable.

`import_files` loads each table as the N-Triples it wrote while checking it (no rdflib Graph); `import_file` (the CLI,
the server and the spreadsheet round trip) hands the same rows back as a Graph. Both must give the same graph.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from repo import ROOT

from bench.bench_validation import write_org
from normgraph.iri import NG, org_graph
from normgraph.orgdata import OrgDataError, import_file, import_files, link_systems_to_organisation
from normgraph.orgdata.export import export_file
from normgraph.store.embedded import EmbeddedStore

EXAMPLES = ROOT / "data" / "examples"


def _exported_tables(slug: str, folder: Path, fmt: str) -> list[Path]:
    """The example organisation's four tables as its templates; the ones the import refuses (the examples keep
    deliberate gaps, such as a likelihood of 6) are left out."""
    g = Graph().parse(EXAMPLES / f"{slug}.ttl")
    out = []
    for kind in ("soa", "risks", "evidence", "ai-systems"):
        path = folder / f"{kind}.{fmt}"
        export_file(g, slug, kind, fmt, path)
        try:
            import_file(path, slug)
        except OrgDataError:
            continue
        out.append(path)
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("slug", ["hospital", "fintech"])
def test_import_files_loads_the_graph_import_file_reads(slug: str, fmt: str, tmp_path: Path) -> None:
    files = _exported_tables(slug, tmp_path, fmt)
    assert len(files) >= 3
    expected = Graph()
    for f in files:
        expected += import_file(f, slug)
    link_systems_to_organisation(expected, slug)
    store = EmbeddedStore()
    size = import_files(store, files, slug)
    loaded = Graph().parse(data=store.export("ntriples", str(org_graph(slug))), format="nt")
    assert size == len(expected) == len(loaded)
    assert isomorphic(loaded, expected)


def test_import_files_with_turtle_and_tables_links_systems_to_the_turtle_organisation(tmp_path: Path) -> None:
    files = [EXAMPLES / "hospital.ttl", *_exported_tables("hospital", tmp_path, "csv")]
    store = EmbeddedStore()
    import_files(store, files, "hospital")
    loaded = Graph().parse(data=store.export("ntriples", str(org_graph("hospital"))), format="nt")
    expected = Graph()
    for f in files:
        expected += import_file(f, "hospital")
    link_systems_to_organisation(expected, "hospital")
    assert isomorphic(loaded, expected)
    orgs = set(loaded.subjects(predicate=None, object=NG.Organisation))
    assert len(orgs) == 1  # the Turtle's organisation, no second one minted for the tables
    assert set(loaded.objects(None, NG.operatedBy)) == orgs


def test_the_benchmarks_synthetic_organisation_imports(tmp_path: Path) -> None:
    """bench_scale and bench_validation import this organisation; the import refuses contradictory AI Act facts,
    so the generator must not write any (it once wrote Annex III systems recorded as minimal-risk)."""
    store = EmbeddedStore()
    size = import_files(store, write_org(tmp_path, 1), "synthetic")
    g = Graph().parse(data=store.export("ntriples", str(org_graph("synthetic"))), format="nt")
    systems = set(g.subjects(None, NG.AISystem))
    assert size == len(g) > 70_000
    assert len(systems) == 50
    assert len(set(g.subjects(None, NG.Evidence))) == 5000
    assert all((s, NG.operatedBy, None) in g for s in systems)
    annex_iii = {s for s in systems if (s, NG.annexIIIArea, None) in g}
    assert annex_iii and all(str(g.value(s, NG.riskCategory)).endswith("/high-risk") for s in annex_iii)

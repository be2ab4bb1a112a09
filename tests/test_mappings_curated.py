"""Curated SSSOM tables: parsing, validation errors with file and line, catalog membership."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rdflib.namespace import RDF

from normgraph.catalogs.common import SourceError
from normgraph.iri import NG, expand
from normgraph.mappings import curated
from normgraph.mappings.records import NO_TERM_FOUND, SUBSET

HEADER = """#curie_map:
#  ng: https://w3id.org/normgraph/ont#
#  iso27001: https://w3id.org/normgraph/id/iso27001-2022/
#  iso42001: https://w3id.org/normgraph/id/iso42001-2023/
#  semapv: https://w3id.org/semapv/vocab/
#  sssom: https://w3id.org/sssom/
#mapping_set_id: https://w3id.org/normgraph/id/mapping-set/iso42001-2023_to_iso27001-2022-fx
#mapping_set_version: "2026-11-28"
#mapping_set_title: Fixture
#license: https://creativecommons.org/licenses/by/4.0/
#creator_label: [normgraph maintainers]
#subject_source: https://w3id.org/normgraph/id/iso42001-2023
#object_source: https://w3id.org/normgraph/id/iso27001-2022
#mapping_date: "2026-11-28"
"""
COLS = (
    "subject_id\tsubject_label\tpredicate_id\tobject_id\tobject_label\tmapping_justification\tconfidence\t"
    "comment\tauthor_label\tmapping_date\n"
)
ROW1 = (
    "iso42001:A-10-3\tSuppliers\tng:subsetOf\tiso27001:A-5-20\tAgreements\tsemapv:ManualMappingCuration\t0.7\t"
    "Agreements cover it.\tnormgraph maintainers\t2026-11-28\n"
)
ROW2 = (
    "iso42001:A-6-1-4\tImpact\tng:relatedTo\tsssom:NoTermFound\t\tsemapv:ManualMappingCuration\t0.9\t"
    "Nothing in 27001.\tnormgraph maintainers\t2026-11-28\n"
)


def table(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "iso42001-2023_to_iso27001-2022-fx.sssom.tsv"
    path.write_text(HEADER + COLS + "".join(rows), encoding="utf-8")
    return path


def test_reads_a_table(tmp_path: Path) -> None:
    info, records, issues = curated.read_table(table(tmp_path, ROW1, ROW2))
    assert info.slug == "iso42001-2023_to_iso27001-2022-fx" and info.version == "2026-11-28"
    assert [r.predicate for r in records] == [SUBSET, expand("ng:relatedTo")]
    assert records[0].confidence == Decimal("0.7") and records[1].object == NO_TERM_FOUND
    assert str(records[0].iri).endswith("/iso42001-2023_to_iso27001-2022-fx/A-10-3-to-A-5-20")
    assert issues == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (ROW1.replace("iso27001:A-5-20", "iso2700:A-5-20"), "unknown prefix"),
        (ROW1.replace("ng:subsetOf", "skos:closeMatch"), "unknown predicate"),
        (ROW1.replace("ng:subsetOf", "ng:partOf"), "unknown predicate"),
        (ROW1.replace("\t0.7\t", "\t1.2\t"), "outside 0–1"),
        (ROW1.replace("\t0.7\t", "\tsure\t"), "not a number"),
        (ROW1.replace("2026-11-28\n", "2026-13-01\n"), "bad date"),
        (ROW1.replace("ng:subsetOf", "ng:equalTo").replace("iso27001:A-5-20", "sssom:NoTermFound"), "NoTermFound"),
    ],
)
def test_row_errors_name_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    path = table(tmp_path, ROW2, row)
    with pytest.raises(SourceError) as err:
        curated.read_table(path)
    assert message in str(err.value)
    assert err.value.where == "line 17" and str(path) in str(err.value)


def test_duplicate_triple(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"duplicate mapping .*first on line 16"):
        curated.read_table(table(tmp_path, ROW1, ROW1))


def test_prefix_must_agree_with_design(tmp_path: Path) -> None:
    path = table(tmp_path, ROW1)
    path.write_text(path.read_text().replace("iso27001-2022/", "iso27001-2013/", 1))
    with pytest.raises(SourceError, match="prefix iso27001"):
        curated.read_table(path)


def test_unknown_items_are_warnings(tmp_path: Path) -> None:
    known = {str(expand("iso42001:A-10-3"))}
    _info, _records, issues = curated.read_table(table(tmp_path, ROW1), known)
    assert [(i.line, i.what) for i in issues] == [(16, "unknown object iso27001:A-5-20")]


def test_repository_tables_build_and_name_catalog_items(repo_root: Path) -> None:
    assert curated.tables(repo_root)
    graphs, issues, records = curated.ingest(repo_root)
    assert [i for i in issues if i.what.startswith("unknown")] == []
    for out, g in graphs.items():
        assert len(set(g.subjects(RDF.type, NG.MappingRecord))) == len(records[out]) > 0

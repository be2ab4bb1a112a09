"""`normgraph explain`: chains on a fixture, argument forms, exit 2 on unknown ids."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from normgraph.catalogs.common import LICENSES, write_turtle
from normgraph.iri import SEMAPV, expand, scheme_iri
from normgraph.mappings import compose
from normgraph.mappings.explain import find_chains, resolve
from normgraph.mappings.records import EQUAL, INTERSECTS, SUBSET, MappingRecord, MappingSetInfo, set_graph

FIXTURES = Path(__file__).parent / "fixtures"


def rec(s: str, p, o: str, conf: str, slug: str) -> MappingRecord:  # type: ignore[no-untyped-def]
    return MappingRecord(
        subject=expand(s),
        predicate=p,
        object=expand(o),
        set_slug=slug,
        justification=SEMAPV.ManualMappingCuration,
        creator="normgraph maintainers",
        confidence=Decimal(conf),
        rationale=f"{s} to {o}",
        date=dt.date(2026, 1, 1),
    )


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """A miniature repository: a catalog fixture and two mapping sets, with composed records."""
    (tmp_path / "data" / "mappings").mkdir(parents=True)
    shutil.copy(FIXTURES / "crosswalk-catalog.ttl", tmp_path / "data" / "fixture-catalog.ttl")
    a = "iso42001-2023_to_iso27001-2022-fx"
    b = "iso27001-2022_to_eu-ai-act-fx"
    ra = [rec("iso42001:A-10-3", SUBSET, "iso27001:A-5-20", "0.8", a), rec("iso42001:A-10-3", INTERSECTS, "iso27001:A-5-19", "0.7", a)]
    rb = [rec("iso27001:A-5-20", EQUAL, "aiact:art-9-1", "0.9", b), rec("iso27001:A-5-19", EQUAL, "aiact:art-11", "0.9", b)]
    for slug, recs in ((a, ra), (b, rb)):
        info = MappingSetInfo(
            slug=slug,
            title=slug,
            subject_scheme=scheme_iri("iso42001-2023"),
            object_scheme=scheme_iri("iso27001-2022"),
            source=expand("ngid:x"),
            license=LICENSES["normgraph"],
            version="fx",
        )
        write_turtle(set_graph(info, recs), tmp_path / "data" / "mappings" / f"{slug}.ttl")
    inferred = compose.infer([*ra, *rb])
    write_turtle(compose.inferred_graph(inferred, [*ra, *rb], []), tmp_path / "data" / "derived" / "inferred-mappings.ttl")
    return tmp_path


@pytest.fixture()
def cli() -> click.Group:
    from normgraph.cli import main

    return main


def test_resolve_forms() -> None:
    iri = expand("iso27001:A-5-19")
    assert resolve("iso27001:A-5-19") == iri
    assert resolve("iso27001-2022:A.5.19") == iri
    assert resolve("iso27001:A.5.19") == iri
    assert resolve(f"<{iri}>") == iri


def test_chains_on_fixture(root: Path) -> None:
    from normgraph.mappings.explain import load_records

    records = load_records(root)
    chains = find_chains(records, expand("iso42001:A-10-3"), expand("aiact:art-9-1"))
    kinds = [(len(c.steps), c.steps[0].record.inferred, str(c.relation).rsplit("#", 1)[-1]) for c in chains]
    assert kinds == [(1, True, "subsetOf"), (2, False, "subsetOf")]
    # intersects never inside a chain: A-10-3 ∩ A-5-19 = art-11 gives no chain
    assert find_chains(records, expand("iso42001:A-10-3"), expand("aiact:art-11")) == []
    # but a direct intersects record is shown, in either direction
    back = find_chains(records, expand("iso27001:A-5-19"), expand("iso42001:A-10-3"))
    assert [(len(c.steps), c.steps[0].forward) for c in back] == [(1, False)]


def test_explain_command(root: Path, cli: click.Group) -> None:
    result = CliRunner().invoke(cli, ["explain", "iso42001-2023:A.10.3", "aiact:art-9-1", "--root", str(root)], terminal_width=250)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 chain(s) connect iso42001:A-10-3 and aiact:art-9-1" in out
    assert "iso42001:A-10-3 subsetOf aiact:art-9-1 (direct record)" in out
    assert "(chain of 2 records)" in out and "Composed from 2 records" in out
    assert "0.8" in out and "0.9" in out and "0.648" in out  # the links and the composed confidence


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["nosuch:A-1", "aiact:art-9-1"], "argument A"),
        (["iso42001:A-10-3", "aiact:art-999"], "argument B"),
    ],
)
def test_explain_unknown_exits_2(root: Path, cli: click.Group, args: list[str], needle: str) -> None:
    result = CliRunner().invoke(cli, ["explain", *args, "--root", str(root)])
    assert result.exit_code == 2
    assert needle in (result.output + (result.stderr if result.stderr_bytes else ""))


def test_explain_reads_the_store_so_mappings_loaded_there_count(tmp_path: Path) -> None:
    """With --store, a mapping set loaded into the store (not a committed file) is explained too."""
    import subprocess
    import sys

    from repo import ROOT

    record = tmp_path / "extra.ttl"
    record.write_text(
        "@prefix ng: <https://w3id.org/normgraph/ont#> .\n"
        "<https://w3id.org/normgraph/id/mapping/extra/r1> a ng:MappingRecord ;\n"
        "  ng:mappingSubject <https://w3id.org/normgraph/id/iso27001-2022/A-8-9> ;\n"
        "  ng:mappingPredicate ng:equalTo ;\n"
        "  ng:mappingObject <https://w3id.org/normgraph/id/iso42001-2023/A-6-2-6> ;\n"
        "  ng:confidence 0.4 ; ng:rationale \"a test record only the store holds\" .\n",
        encoding="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "normgraph", "--store", str(tmp_path / "db"), *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)

    assert cli("load", "--no-examples").returncode == 0
    assert cli("load", "--graph", "https://w3id.org/normgraph/graph/mappings/extra", str(record)).returncode == 0
    out = cli("explain", "iso27001:A-8-9", "iso42001:A-6-2-6")
    assert out.returncode == 0, out.stderr
    assert "a test record only the store holds" in out.stdout


def test_explain_names_an_inferred_records_origins_in_chain_order(root: Path) -> None:
    """The same walk as the explorer and the reports (records.chain_of): from the subject's end."""
    from normgraph.mappings.explain import load_records, origins_text

    records = load_records(root)
    (inferred,) = [r for r in records if r.inferred and r.subject == expand("iso42001:A-10-3")]
    assert [str(d).rsplit("/", 1)[-1] for d in inferred.derived_from] == ["A-5-20-to-art-9-1", "A-10-3-to-A-5-20"]
    text = origins_text(inferred, {r.iri: r for r in records})
    assert text.index("A-10-3-to-A-5-20") < text.index("A-5-20-to-art-9-1")

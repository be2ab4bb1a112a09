"""A missing knowledge file is a clear error (exit code 2 naming the file and where it was looked
for), never an empty or partial graph: in-process, and against an installed copy with files removed
(there a single file gone from a folder counts too: the wheel's RECORD says what was installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from installed import Installed, install
from repo import ROOT

from normgraph import knowledge
from normgraph.knowledge import KnowledgeMissing
from normgraph.loading import knowledge_files
from normgraph.queries import QueryError, get_query, list_queries


def partial_copy(tmp_path: Path, *leave_out: str) -> Path:
    """A copy of the checkout's ontology/ and data/ without the folders or files named."""
    for folder in ("ontology", "data"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.md", "*.tsv", "*.csv"))
    for part in leave_out:
        target = tmp_path / part
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    return tmp_path


def test_path_names_the_file_and_where_it_looked() -> None:
    assert knowledge.path("queries", "report-soa.rq").is_file()
    with pytest.raises(KnowledgeMissing) as e:
        knowledge.path("queries", "no-such-query.rq")
    assert "queries/no-such-query.rq" in str(e.value) and str(knowledge.ROOT) in str(e.value)


@pytest.mark.parametrize("leave_out", ["data", "data/mappings", "data/derived", "ontology"])
def test_loading_refuses_a_missing_folder(tmp_path: Path, leave_out: str) -> None:
    root = partial_copy(tmp_path, leave_out)
    with pytest.raises(KnowledgeMissing, match=f"{leave_out} is missing"):
        knowledge_files(root)


def test_loading_refuses_an_empty_folder(tmp_path: Path) -> None:
    root = partial_copy(tmp_path)
    for ttl in (root / "ontology").glob("*.ttl"):
        ttl.unlink()
    with pytest.raises(KnowledgeMissing, match=r"ontology holds no \*\.ttl file"):
        knowledge_files(root)
    assert len(knowledge_files(partial_copy(tmp_path / "whole"))) == len(knowledge_files(ROOT))


def test_named_queries_refuse_a_missing_folder_or_file(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeMissing, match="queries is missing"):
        list_queries(tmp_path / "queries")
    (tmp_path / "queries").mkdir()
    with pytest.raises(KnowledgeMissing, match=r"holds no \*\.rq file"):
        get_query("report-soa", tmp_path / "queries")
    shutil.copy(ROOT / "queries" / "report-soa.rq", tmp_path / "queries")
    with pytest.raises(KnowledgeMissing, match="no named query 'catalog-stats'") as e:
        get_query("catalog-stats", tmp_path / "queries")
    assert isinstance(e.value, QueryError)  # what callers that check a user's query name catch


# -- an installed copy with files removed ------------------------------------------------------------


@pytest.fixture
def broken(wheel: Path, tmp_path: Path) -> Installed:
    return install(wheel, tmp_path)


def remove(installed: Installed, part: str) -> None:
    target = installed.knowledge / part
    assert target.exists()
    shutil.rmtree(target) if target.is_dir() else target.unlink()


def assert_clear_error(out: subprocess.CompletedProcess[str], where: Path, *names: str) -> None:
    """Exit code 2 with a message naming the file (`names`) and the folder it was looked for in."""
    assert out.returncode == 2, (out.returncode, out.stdout[-2000:], out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr
    for name in (str(where), *names):
        assert name in out.stderr, out.stderr


@pytest.mark.slow
@pytest.mark.parametrize("part", ["data", "data/derived", "ontology", "ontology/mappings.ttl", "data/gdpr.ttl",
                                  "data/mappings/gdpr_to_iso27001-2022.ttl", "data/examples/fintech.ttl"])
def test_stats_and_query_exit_2_when_a_knowledge_file_or_folder_is_missing(broken: Installed, part: str) -> None:
    remove(broken, part)
    assert_clear_error(broken.normgraph("stats"), broken.knowledge, part)
    assert_clear_error(broken.normgraph("query", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"),
                       broken.knowledge, part)


@pytest.mark.slow
def test_stats_and_query_exit_2_when_a_named_query_is_missing(broken: Installed) -> None:
    remove(broken, "queries/catalog-stats.rq")
    assert_clear_error(broken.normgraph("stats"), broken.knowledge, "catalog-stats")
    assert_clear_error(broken.normgraph("query", "catalog-stats"), broken.knowledge, "catalog-stats")
    remove(broken, "queries")
    assert_clear_error(broken.normgraph("query", "crosswalk-of-requirement"), broken.knowledge, "queries")


@pytest.mark.slow
@pytest.mark.parametrize("part", ["shapes", "shapes/evidence.ttl"])
def test_validate_exits_2_when_shapes_are_missing(broken: Installed, part: str) -> None:
    remove(broken, part)
    assert_clear_error(broken.normgraph("validate", "--org", "fintech"), broken.knowledge, part)


@pytest.mark.slow
def test_serve_refuses_to_start_on_a_partial_graph(broken: Installed) -> None:
    remove(broken, "data/mappings")
    assert_clear_error(broken.normgraph("serve", "--port", "0", timeout=120), broken.knowledge, "data/mappings")

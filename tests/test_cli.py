"""The command line as a user meets it: stats, query (named, text, file), formats and exit codes."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from rdflib import Graph
from repo import ROOT

from normgraph.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as a user would (a real process, real exit code)."""
    return subprocess.run([sys.executable, "-m", "normgraph", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_stats_prints_catalog_counts_and_graph_provenance() -> None:
    out = run("stats")
    assert out.returncode == 0, out.stderr
    iso_line = next(line for line in out.stdout.splitlines() if "ngid:iso27001-2022" in line)
    assert "93 Control" in iso_line and "4 ControlTheme" in iso_line
    graph_line = next(line for line in out.stdout.splitlines() if line.startswith("│ iso27001-2022 "))
    assert "iso-identifiers" in graph_line
    assert "graphs," in out.stdout and "triples" in out.stdout


def test_query_text_with_known_prefixes_as_csv() -> None:
    out = run("query", "--format", "csv",
              "SELECT ?label WHERE { iso27001:A-5-19 skos:prefLabel ?label }")
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["label"] and rows[1][0].startswith("Information security in supplier relationships")


def test_query_json_and_turtle_formats_parse_back() -> None:
    out = run("query", "-f", "json", "SELECT (COUNT(*) AS ?n) WHERE { ?c a ng:Control ; skos:inScheme ngid:iso27001-2022 }")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["results"]["bindings"][0]["n"]["value"] == "93"
    out = run("query", "-f", "turtle", "CONSTRUCT { iso27001:A-5-19 ?p ?o } WHERE { iso27001:A-5-19 ?p ?o }")
    assert out.returncode == 0, out.stderr
    assert len(Graph().parse(data=out.stdout, format="turtle")) >= 4


def test_named_query_runs_and_bad_parameter_exits_2() -> None:
    out = run("query", "graph-provenance", "-f", "csv")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("graph,triples")
    bad = run("query", "graph-provenance", "-p", "nope=1")
    assert bad.returncode == 2 and "no parameter nope" in bad.stderr


def test_syntax_error_prints_the_parser_message_and_exits_2() -> None:
    out = run("query", "SELECT ?x WHERE { ?x ?y }")
    assert out.returncode == 2
    assert "query syntax" in out.stderr and "error at 1:" in out.stderr


def test_unknown_named_query_exits_2_listing_known() -> None:
    result = CliRunner().invoke(main, ["query", "no-such-query"])
    assert result.exit_code == 2
    assert "catalog-stats" in result.output


def test_query_from_a_file(tmp_path: Path) -> None:
    f = tmp_path / "count.rq"
    f.write_text("# title: Count graphs\n# description: how many\nSELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }\n")
    out = run("query", str(f), "-f", "tsv")
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.splitlines()[1]) > 5


def test_load_reports_a_broken_file_with_its_name_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n")
    out = run("--store", str(tmp_path / "db"), "load", "--graph", "http://example.org/g", str(bad))
    assert out.returncode == 2
    assert "broken.ttl" in out.stderr and "line 3" in out.stderr

"""The wheel installs anywhere: built, installed into a fresh venv and run from a folder outside the
checkout, normgraph answers exactly as it does from the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests
from installed import Installed, clean_env, install, serving
from repo import ROOT

import normgraph
from normgraph.knowledge import FOLDERS as KNOWLEDGE_FOLDERS
from normgraph.loading import knowledge_files

pytestmark = pytest.mark.slow

COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
COUNT_GRAPHS = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
COMMANDS = [
    ("stats",),
    ("query", COUNT_TRIPLES, "-f", "csv"),
    ("query", "crosswalk-of-requirement", "-p", "requirement=iso27001:A-5-19", "-f", "csv"),
    ("validate", "--org", "fintech"),
    ("report", "soa", "--org", "hospital", "--format", "csv"),
]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install(wheel, tmp_path_factory.mktemp("installed"))


def from_checkout(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "normgraph", *args], capture_output=True, text=True, cwd=ROOT,
                          env=clean_env(), timeout=300)


def test_the_wheel_holds_one_package_with_all_its_files_and_knowledge(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {n.split("/")[0] for n in names} == {"normgraph", f"normgraph-{normgraph.__version__}.dist-info"}
    tracked = subprocess.run(["git", "ls-files", "normgraph", *KNOWLEDGE_FOLDERS], capture_output=True, text=True,
                             cwd=ROOT, check=True).stdout.split()
    links = {f"normgraph/knowledge/{folder}" for folder in KNOWLEDGE_FOLDERS}  # the checkout's links to the folders
    code = {f for f in tracked if f.startswith("normgraph/") and f not in links and not f.endswith("README.md")}
    knowledge = {f"normgraph/knowledge/{f}" for f in tracked if not f.startswith("normgraph/")}
    assert code and knowledge
    assert (code | knowledge) - names == set()  # code, templates, static files and every knowledge file
    metadata = zipfile.ZipFile(wheel).read(f"normgraph-{normgraph.__version__}.dist-info/METADATA").decode()
    assert f"Version: {normgraph.__version__}\n" in metadata
    assert "License-Expression: MIT\n" in metadata


def test_the_venv_imports_normgraph_from_the_wheel_not_the_checkout(installed: Installed) -> None:
    origin = installed.origin()
    assert Path(origin["module"]).is_relative_to(installed.site_packages), origin
    assert Path(origin["knowledge"]).is_relative_to(installed.site_packages), origin
    assert origin["checkout"] == "None", origin  # real files, not links into a checkout
    assert origin["version"] == normgraph.__version__
    assert not installed.cwd.is_relative_to(ROOT) and not installed.venv.is_relative_to(ROOT)


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_commands_answer_as_from_the_checkout(installed: Installed, args: tuple[str, ...]) -> None:
    here, there = from_checkout(*args), installed.normgraph(*args)
    assert (there.returncode, there.stdout) == (here.returncode, here.stdout), there.stderr[-3000:]
    assert there.stdout.strip()


def test_every_knowledge_file_is_a_graph_when_installed(installed: Installed) -> None:
    out = installed.normgraph("query", COUNT_GRAPHS, "-f", "csv")
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) == len(knowledge_files(ROOT, examples=True))


def test_serve_answers_the_home_page_the_explorer_and_sparql_as_from_the_checkout(installed: Installed) -> None:
    def answers(base: str) -> tuple[str, str]:
        for page in ("/", "/explore/", "/explore/catalog/iso27001-2022"):
            r = requests.get(base + page, timeout=60)
            assert r.status_code == 200, (page, r.text[:500])
            assert "normgraph" in r.text
        for asset in ("/explore/static/explorer.css", "/ui/static/vendor/yasgui/yasgui.min.js"):
            r = requests.get(base + asset, timeout=60)
            assert r.status_code == 200 and len(r.content) > 1000, asset
        counts = [requests.get(base + "/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=60)
                  for query in (COUNT_TRIPLES, COUNT_GRAPHS)]
        assert [r.status_code for r in counts] == [200, 200], [r.text[:500] for r in counts]
        return counts[0].text, counts[1].text

    with installed.serving() as base:
        there = answers(base)
    with serving([sys.executable, "-m", "normgraph", "serve", "--port", "0"], ROOT) as base:
        here = answers(base)
    assert there == here
    assert int(there[1].split()[-1]) >= len(knowledge_files(ROOT))

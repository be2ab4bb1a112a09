"""The knowledge as a whole: every file parses, every term of ours is declared, every graph says
where it comes from, and the committed data is what `normgraph build` makes of the sources."""

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from repo import ROOT

from normgraph.catalogs.build import default_sources
from normgraph.iri import NG, graph_for_path
from normgraph.loading import knowledge_files

DCT = "http://purl.org/dc/terms/"
OWL_VERSION = "http://www.w3.org/2002/07/owl#versionInfo"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DECLARATIONS = {
    "http://www.w3.org/2002/07/owl#" + kind
    for kind in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "NamedIndividual",
                 "SymmetricProperty", "TransitiveProperty", "FunctionalProperty")
}


def quads(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


@pytest.fixture(scope="module")
def declared() -> set[str]:
    terms: set[str] = set()
    for f in sorted((ROOT / "ontology").glob("*.ttl")):
        for q in quads(f):
            if q.predicate.value == RDF_TYPE and q.object.value in DECLARATIONS:
                terms.add(q.subject.value)
    return terms


ALL_TTL = sorted([*ROOT.glob("ontology/*.ttl"), *ROOT.glob("data/**/*.ttl"), *ROOT.glob("shapes/*.ttl")])


@pytest.mark.parametrize("path", ALL_TTL, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_turtle_file_parses_and_uses_only_declared_ng_terms(path: Path, declared: set[str]) -> None:
    used = {
        term.value
        for q in quads(path)
        for term in (q.subject, q.predicate, q.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(str(NG))
    }
    undeclared = sorted(used - declared)
    assert not undeclared, f"{path.name} uses ng: terms the ontology does not declare: {undeclared}"


def test_every_query_uses_only_declared_ng_terms(declared: set[str]) -> None:
    missing: list[str] = []
    for rq in sorted((ROOT / "queries").glob("*.rq")):
        body = "\n".join(line for line in rq.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#"))
        for name in set(re.findall(r"(?<![\w:/#])ng:([A-Za-z][A-Za-z0-9]*)", body)):
            if f"{NG}{name}" not in declared:
                missing.append(f"{rq.name}: ng:{name}")
    assert not missing, missing


@pytest.mark.parametrize("path", knowledge_files(ROOT, examples=True), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_graph_states_source_licence_and_version(path: Path) -> None:
    graph = str(graph_for_path(path, ROOT))
    about = {(q.predicate.value, q.object.value) for q in quads(path) if q.subject.value == graph}
    predicates = {p for p, _ in about}
    for needed in (DCT + "source", DCT + "license", OWL_VERSION, PROV_DERIVED):
        assert needed in predicates, f"{path.name}: graph <{graph}> does not state {needed}"


@pytest.mark.skipif(not default_sources().is_dir(), reason="reference sources (normgraph build --sources) not present")
def test_normgraph_build_check_finds_the_committed_data_up_to_date() -> None:
    """`normgraph build` is deterministic and data/ is what it makes of the sources (no hand edits)."""
    out = subprocess.run([sys.executable, "-m", "normgraph", "build", "--check"], capture_output=True, text=True,
                         cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 would change" in out.stdout

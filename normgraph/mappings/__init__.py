"""Mappings: official crosswalks and curated SSSOM sets as records, composition, explanation.

``build_all`` is the entry point of the build runner: it returns every mapping graph by output
path (official sets, curated sets, ``data/derived/inferred-mappings.ttl``,
``data/derived/mapping-triples.ttl`` and ``data/derived/mapping-readings.ttl``) and the ingest report. Composition reads the records just
built, never files on disk, so it can never see a stale set.
"""

from __future__ import annotations

import time
from pathlib import Path

from rdflib import Graph, URIRef

from normgraph.catalogs.common import write_turtle
from normgraph.iri import NGG
from normgraph.mappings import compose, curated, official, readings
from normgraph.mappings.records import Issue, MappingRecord

__all__ = ["Issue", "MappingRecord", "build_all", "timings"]

#: Seconds spent in each step of the last build_all call (for the build log and benchmarks).
timings: dict[str, float] = {}

INFERRED_PATH = "data/derived/inferred-mappings.ttl"
TRIPLES_PATH = "data/derived/mapping-triples.ttl"
READINGS_PATH = "data/derived/mapping-readings.ttl"


def build_all(repo_root: Path, sources: Path) -> tuple[dict[str, Graph], list[Issue]]:
    """Official + curated set graphs and the two derived graphs, with the ingest report."""
    t0 = time.perf_counter()
    graphs, issues, records = official.ingest(sources)
    t1 = time.perf_counter()
    c_graphs, c_issues, c_records = curated.ingest(repo_root)
    clash = set(graphs) & set(c_graphs)
    if clash:
        raise ValueError(f"a curated table has the slug of an official set: {sorted(clash)}")
    graphs.update(c_graphs)
    issues.extend(c_issues)
    records.update(c_records)
    t2 = time.perf_counter()
    asserted: list[MappingRecord] = [r for path in sorted(records) for r in records[path]]
    inferred = compose.infer(asserted)
    set_graphs = [URIRef(f"{NGG}mappings/{Path(p).stem}") for p in sorted(records)]
    graphs[INFERRED_PATH] = compose.inferred_graph(inferred, asserted, set_graphs)
    graphs[TRIPLES_PATH] = compose.triples_graph([*asserted, *inferred], set_graphs)
    t3 = time.perf_counter()
    record_graphs = [g for path, g in sorted(graphs.items()) if path != TRIPLES_PATH]
    graphs[READINGS_PATH] = readings.readings_graph(record_graphs, set_graphs)
    t4 = time.perf_counter()
    timings.clear()
    timings.update({"official": t1 - t0, "curated": t2 - t1, "compose": t3 - t2, "readings": t4 - t3})
    return graphs, issues


def write_all(repo_root: Path, sources: Path) -> tuple[list[str], list[Issue]]:
    """Build and write every mapping graph under repo_root; returns the changed paths and the report."""
    graphs, issues = build_all(repo_root, sources)
    changed = [path for path, g in sorted(graphs.items()) if write_turtle(g, repo_root / path)]
    return changed, issues


def main() -> None:  # python -m normgraph.mappings [SOURCES]
    import sys

    from normgraph.catalogs.build import default_sources
    from normgraph.knowledge import ROOT

    sources = Path(sys.argv[1]) if len(sys.argv) > 1 else default_sources()
    changed, issues = write_all(ROOT, sources)
    for issue in issues:
        print(f"ingest: {issue}", file=sys.stderr)
    print(f"{len(changed)} file(s) changed; {len(issues)} report line(s); timings {timings}")

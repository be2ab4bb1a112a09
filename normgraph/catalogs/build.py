"""`normgraph build`: regenerate data/*.ttl from the reference sources, deterministically.

Every converter returns graphs; this runner writes them with `write_turtle` (sorted output), so
running the build twice changes nothing. The mapping build runs last because its composition step
reads the mapping sets built in the same run.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from normgraph.catalogs.common import write_turtle
from normgraph.catalogs.registry import Catalog
from normgraph.knowledge import ROOT, checkout_root

#: Converter modules, in build order. Each has build(sources: Path) -> dict[str, Graph] and
#: CATALOGS, the catalogs it writes (stated on their schemes, read back by the registry).
CONVERTERS = (
    "normgraph.catalogs.iso",
    "normgraph.catalogs.nist_ai_rmf",
    "normgraph.catalogs.sp800_171",
    "normgraph.catalogs.cmmc",
    "normgraph.catalogs.csf",
    "normgraph.catalogs.sp800_53",
    "normgraph.catalogs.eu_ai_act",
    "normgraph.catalogs.gdpr",
    "normgraph.catalogs.obligations",
)


def declared_catalogs() -> tuple[Catalog, ...]:
    """The catalogs the converters write, as they declare them, in order."""
    found = (c for name in CONVERTERS for c in importlib.import_module(name).CATALOGS)
    return tuple(sorted(found, key=lambda c: c.order))


def default_sources() -> Path:
    """The reference folder: $NORMGRAPH_SOURCES, else shared/reference beside the source checkout."""
    env = os.environ.get("NORMGRAPH_SOURCES")
    return Path(env) if env else (checkout_root() or Path.cwd()).parent / "shared" / "reference"


@dataclass
class BuildReport:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    triples: dict[Path, int] = field(default_factory=dict)


def _converters() -> list[Callable[[Path], dict[str, Graph]]]:
    return [importlib.import_module(name).build for name in CONVERTERS]


def build_graphs(sources: Path, root: Path = ROOT) -> tuple[dict[str, Graph], list[str]]:
    """All output graphs (relative path -> graph) and the issues the ingest reported."""
    outputs: dict[str, Graph] = {}
    for build in _converters():
        outputs.update(build(sources))
    from normgraph.mappings import build_all

    mapping_graphs, issues = build_all(root, sources)
    outputs.update(mapping_graphs)
    return outputs, [str(i) for i in issues]


def run_build(sources: Path, root: Path = ROOT, *, check: bool = False) -> BuildReport:
    """Build everything; with `check`, write nothing and report which files would change."""
    if not sources.is_dir():
        from normgraph.catalogs.common import SourceError

        raise SourceError(sources, "folder", "not found: pass --sources DIR (the reference data folder)")
    outputs, issues = build_graphs(sources, root)
    report = BuildReport(issues=issues)
    for rel, graph in sorted(outputs.items()):
        path = root / rel
        report.triples[path] = len(graph)
        if check:
            same = path.exists() and path.read_text(encoding="utf-8") == graph.serialize(format="longturtle")
            (report.unchanged if same else report.written).append(path)
        elif write_turtle(graph, path):
            report.written.append(path)
        else:
            report.unchanged.append(path)
    return report

"""Load the knowledge (ontology/ and data/) into a store: one file, one named graph (DESIGN.md §3).

Every folder loaded must hold Turtle files: a missing or empty one raises `KnowledgeMissing`
(naming the folder and where it was looked for), so a broken install never answers from a partial graph.
The derived mapping readings and inferred records loaded here are kept current by the store from then on
(`readings.KEEPER`, `inferred_keeper.KEEPER`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from normgraph import knowledge
from normgraph.iri import graph_for_path
from normgraph.knowledge import ROOT
from normgraph.mappings import (
    inferred_keeper,  # noqa: F401  (its write hook keeps every store's inferred records current)
    readings,  # noqa: F401  (its write hook keeps every store's readings current)
)
from normgraph.store.base import SUFFIX_FORMATS, Store

#: The folders loaded by default, in load order. Examples (fictional organisations) are optional.
KNOWLEDGE_DIRS = ("ontology", "data", "data/mappings", "data/derived")
EXAMPLES_DIR = "data/examples"


@dataclass(frozen=True)
class LoadedGraph:
    graph: str
    path: Path
    triples: int


def knowledge_files(root: Path = ROOT, *, examples: bool = False) -> list[Path]:
    """The Turtle files that make up the knowledge graph, in a stable order."""
    dirs = [*KNOWLEDGE_DIRS, *([EXAMPLES_DIR] if examples else [])]
    return [path for d in dirs for path in knowledge.files(d, "*.ttl", root=root)]


def load_files(
    store: Store, files: Iterable[Path], root: Path = ROOT, *, show_progress: bool = False
) -> list[LoadedGraph]:
    """Load each file into its own named graph, replacing what that graph held."""
    files = list(files)
    loaded: list[LoadedGraph] = []
    with Progress(
        TextColumn("[bold]loading[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not show_progress,
        transient=True,
    ) as progress:
        task = progress.add_task("graphs", total=len(files))
        for path in files:
            graph = str(graph_for_path(path, root))
            progress.update(task, description=path.relative_to(root).as_posix())
            size = store.load(path, SUFFIX_FORMATS[path.suffix], graph)
            loaded.append(LoadedGraph(graph, path, size))
            progress.advance(task)
    return loaded


def load_knowledge(
    store: Store, root: Path = ROOT, *, examples: bool = False, show_progress: bool = False
) -> list[LoadedGraph]:
    """Load ontology, catalogs, mapping sets and derived graphs (and the example organisations)."""
    return load_files(store, knowledge_files(root, examples=examples), root, show_progress=show_progress)

"""A file loaded into a new graph of an on-disk embedded store goes through Oxigraph's bulk loader: the same
triples as the in-memory load, and all or nothing."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from normgraph.knowledge import path as knowledge_path
from normgraph.store import EmbeddedStore, RdfSyntaxError

GRAPH = "https://w3id.org/normgraph/graph/iso27001-2022"


def test_a_file_into_a_new_graph_on_disk_gives_the_same_triples(tmp_path: Path) -> None:
    source = knowledge_path("data", "iso27001-2022.ttl")
    disk = EmbeddedStore(tmp_path / "db")
    memory = EmbeddedStore()
    n = disk.load(source, "turtle", GRAPH)
    assert n == memory.load(source, "turtle", GRAPH) > 1000
    assert sorted(disk.export("ntriples", GRAPH).splitlines()) == sorted(memory.export("ntriples", GRAPH).splitlines())
    assert disk.load(source, "turtle", GRAPH) == n  # loading it again replaces the graph (not bulk: it exists)
    disk.close()


def test_a_bad_last_line_leaves_nothing_and_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "big.nt"
    lines = [f'<urn:normgraph:s{i}> <urn:normgraph:p> "{i}" .\n' for i in range(50_000)]
    bad.write_text("".join(lines) + '<urn:normgraph:bad> <urn:normgraph:p> "unterminated .\n', encoding="utf-8")
    disk = EmbeddedStore(tmp_path / "db")
    generation = disk.generation
    with pytest.raises(RdfSyntaxError, match=r"big\.nt"):
        disk.load(bad, "ntriples", "urn:normgraph:g")
    assert len(disk) == 0 and disk.graphs() == [] and disk.generation != generation
    disk.close()


def test_the_file_is_streamed_not_read_into_memory(tmp_path: Path) -> None:
    big = tmp_path / "big.nt"
    big.write_text("".join(f'<urn:normgraph:s{i}> <urn:normgraph:p> "{i}" .\n' for i in range(100_000)), encoding="utf-8")
    disk = EmbeddedStore(tmp_path / "db")
    warm = tmp_path / "warm.nt"
    warm.write_text('<urn:normgraph:a> <urn:normgraph:p> "1" .\n', encoding="utf-8")
    disk.load(warm, "ntriples", "urn:normgraph:warm")  # what a load imports on first use is not counted
    tracemalloc.start()
    try:
        assert disk.load(big, "ntriples", "urn:normgraph:g") == 100_000
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < big.stat().st_size / 10  # Python never held the file (its bytes would be the whole size)
    disk.close()

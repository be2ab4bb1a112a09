"""Shared fixtures: the repository root, the reference sources, and an Oxigraph store loader."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from repo import ROOT

from normgraph.iri import graph_for_path
from normgraph.loading import load_knowledge
from normgraph.store import EmbeddedStore

#: The reference pack ($NORMGRAPH_SOURCES, else shared/reference beside the checkout).
SOURCES = Path(os.environ.get("NORMGRAPH_SOURCES") or Path(__file__).parents[1].parent / "shared" / "reference")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def sources() -> Path:
    """The reference source folder; tests that need it are skipped when it is absent."""
    if not SOURCES.is_dir():
        pytest.skip(f"reference sources not found at {SOURCES} (set NORMGRAPH_SOURCES)")
    return SOURCES


def load_oxigraph(paths: Iterable[Path]) -> ox.Store:
    """An in-memory Oxigraph store with each Turtle file in its own named graph (DESIGN.md §3)."""
    store = ox.Store()
    for path in paths:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE,
                   to_graph=ox.NamedNode(str(graph_for_path(path, ROOT))))
    return store


@pytest.fixture(scope="session")
def oxigraph_loader() -> Callable[[Iterable[Path]], ox.Store]:
    return load_oxigraph


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """normgraph's wheel, built once per test session from a clean copy of the checkout."""
    from installed import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Any attempt to open a network connection is recorded and refused; the test fails if one was made."""
    attempts: list[object] = []

    def refuse(*args: object, **_kw: object) -> None:
        attempts.append(args)
        raise OSError("network access during a test that must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == [], f"something tried to reach the network: {attempts}"


@pytest.fixture(scope="module")
def example_store() -> EmbeddedStore:
    """The knowledge and both example organisations in an embedded store, once per test module."""
    s = EmbeddedStore()
    load_knowledge(s, examples=True)
    return s


@pytest.fixture(scope="module")
def store(example_store: EmbeddedStore) -> EmbeddedStore:
    """`store` for modules that do not define their own: the example store."""
    return example_store

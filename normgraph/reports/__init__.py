"""Reports over an organisation's graph: unified SoA, risk register, gap analysis, audit pack.

Every figure comes from a named query (queries/report-*.rq) run on the store; the modules here only
shape rows into report objects, and `render` / `charts` turn those into CSV, XLSX, JSON-LD, HTML
and SVG. Catalog data is read from the union default graph, the organisation's own data from its
named graph ngg:org/<slug> (DESIGN.md §3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from normgraph.catalogs.registry import catalog
from normgraph.iri import PREFIXES, curie, org_graph, org_slugs
from normgraph.knowledge import ROOT
from normgraph.loading import load_knowledge
from normgraph.queries import QUERIES_DIR, NamedQuery, get_query, with_prefixes
from normgraph.store.base import SelectResult, Store

#: Gap-analysis targets: CLI/URL key -> the catalog whose items are the targets (scheme and title
#: from the catalog registry). The AI Act's targets are its obligations, not its articles.
TARGETS: dict[str, str] = {
    "iso42001-2023": "iso42001-2023",
    "eu-ai-act": "eu-ai-act-obligation",
    "nist-ai-rmf-1.0": "nist-ai-rmf-1.0",
}

class ReportError(ValueError):
    """Bad input to a report: unknown organisation or target (the message names it)."""


def check_org(store: Store, slug: str) -> URIRef:
    """The organisation's graph IRI (the same rule the importers use), or ReportError naming the known ones."""
    known = org_slugs(store.graphs())
    try:
        graph = org_graph(slug)
    except ValueError:
        graph = None
    if graph is None or str(graph) not in {str(org_graph(k)) for k in known}:
        raise ReportError(f"unknown organisation {slug!r} (known: {', '.join(known) or 'none'})")
    return graph


def check_target(target: str) -> tuple[URIRef, str]:
    """The target's (scheme IRI, title), or ReportError naming the known targets."""
    if target not in TARGETS:
        raise ReportError(f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    cat = catalog(TARGETS[target])
    return URIRef(cat.scheme), cat.title


def run(store: Store, name: str, **params: str) -> SelectResult:
    """Run the named query `name` with its parameters bound; SELECT rows."""
    path = QUERIES_DIR / f"{name}.rq"
    try:
        version = path.stat().st_mtime_ns
    except OSError:
        version = -1  # get_query says what is wrong
    text = _prepared(name, version).bind(params)
    result = store.query(text)
    if not isinstance(result, SelectResult):
        raise TypeError(f"query {name} is not a SELECT")
    return result


@lru_cache(maxsize=256)
def _prepared(name: str, version: int) -> NamedQuery:
    """The named query with its PREFIX lines completed, read once per file version: a report page runs the same
    query for many items, and reading and scanning the file each time cost as much as the engine's answer.
    (Parameters are bound as full IRIs and literals, so binding never needs another prefix.)"""
    query = get_query(name)
    return replace(query, text=with_prefixes(query.text))


def text(term: Identifier | None) -> str:
    return "" if term is None else str(term)


def joined(term: Identifier | None, separator: str) -> str:
    """A GROUP_CONCAT column with its parts sorted: SPARQL leaves their order to the store, and a
    report must read the same on the embedded and on a remote store."""
    return separator.join(sorted(p for p in text(term).split(separator) if p))


def num(term: Identifier | None) -> int | None:
    if term is None:
        return None
    try:
        return int(str(term))
    except ValueError:
        return int(float(str(term)))


def boolean(term: Identifier | None) -> bool | None:
    if term is None:
        return None
    if isinstance(term, Literal):
        return str(term).lower() in ("true", "1")
    return None


def short(term: Identifier | str | None) -> str:
    """A compact name for an IRI (prefixed name when one fits), '' for None."""
    return "" if term is None else _short(str(term))


@lru_cache(maxsize=65536)
def _short(iri: str) -> str:
    """(Kept per IRI: a large organisation's report names the same systems and items thousands of times.)"""
    name = curie(iri)
    if name.startswith("<"):  # a local part with '/' (mapping records, vocab terms): still shorten
        best = max((p for p, ns in PREFIXES.items() if iri.startswith(ns)), key=lambda p: len(PREFIXES[p]), default=None)
        if best is not None:
            return f"{best}:{iri[len(PREFIXES[best]):]}"
    return name


def vocab_local(term: Identifier | None) -> str:
    """'implemented' for …/vocab/implementation-status/implemented."""
    return "" if term is None else str(term).rstrip("/").rsplit("/", 1)[-1]


def today() -> dt.date:
    return dt.date.today()


def prepare_store(store: Store, root: Path = ROOT, extra: list[Path] | None = None) -> None:
    """Load the knowledge and the example organisations, plus `extra` org files (each into the
    graph of its file stem). For tests, benchmarks and a fresh embedded store."""
    load_knowledge(store, root, examples=True)
    for path in extra or []:
        store.load(path, "turtle", str(org_graph(path.stem)))


__all__ = [
    "PREFIXES",
    "TARGETS",
    "ReportError",
    "check_org",
    "check_target",
    "joined",
    "org_graph",
    "org_slugs",
    "prepare_store",
    "run",
]

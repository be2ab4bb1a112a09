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
from normgraph.store.base import SelectResult, Store, StoreError
from normgraph.store.sparql_text import ResultTooLarge

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
    text = _prepared(name, _version(name)).bind(params)
    result = store.query(text)
    if not isinstance(result, SelectResult):
        raise TypeError(f"query {name} is not a SELECT")
    return result


def texts(store: Store, name: str, column: str, **params: str) -> list[str]:
    """One column of IRIs or blank nodes of the named query's rows, as `text()` gives each (a blank node: its label),
    unordered.

    For the long single-column answers (the 50,000 evidence items of a 10x organisation): read as the store's TSV,
    which it writes itself, instead of one rdflib term per row (a fifth of the time on the embedded store, less still
    through the query workers, which would pickle the terms). TSV, not CSV: Oxigraph 0.5 writes an IRI with a comma
    into CSV unquoted; in TSV a term is whole (`<iri>`, `_:label`) and an IRI holds no tab. An answer over the
    server's result cap, or one the store cannot write as TSV, is read as rows."""
    try:
        body, _media, _form = store.query_serialized(_prepared(name, _version(name)).bind(params), "tsv")
    except (ResultTooLarge, StoreError):
        # over the cap; or a store whose answer had to be written again and could not be (Virtuoso's `nodeID://`
        # blank nodes are no N-Triples labels): the rows say what the store said, or raise its error themselves
        return [text(row[column]) for row in run(store, name, **params).rows]
    lines = body.decode("utf-8").split("\n")
    at = lines[0].rstrip("\r").split("\t").index(f"?{column}")
    out = []
    for line in lines[1:]:
        if line:
            term = line.rstrip("\r").split("\t")[at]
            out.append(term[1:-1] if term.startswith("<") else term[2:] if term.startswith("_:") else term)
    return out


def _version(name: str) -> int:
    """The query file's version, so an edited file is read again (-1: missing; get_query says what is wrong)."""
    try:
        return (QUERIES_DIR / f"{name}.rq").stat().st_mtime_ns
    except OSError:
        return -1


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

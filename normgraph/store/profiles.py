"""Store profiles: what one kind of SPARQL server does differently, as data (docs/remote-stores.md).

RemoteStore speaks the standard protocols; a profile says how one server's dialect of them is met,
so callers never special-case a server. Chosen by name: `RemoteStore(profile="virtuoso")`,
`open_store(..., profile=…)`, `normgraph --store-profile virtuoso`, or NORMGRAPH_STORE_PROFILE.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

AuthScheme = Literal["basic", "digest"]
ProfileUnionMode = Literal["auto", "native", "dataset"]


@dataclass(frozen=True)
class StoreProfile:
    """The differences between SPARQL servers that normgraph adapts to.

    * `auth` – how a user + password are sent: HTTP "basic" (preemptive) or "digest" (answered to the
      server's 401 challenge; an endpoint that needs no credentials never asks).
    * `union_default_graph` – the default for RemoteStore's union mode (docs/remote-stores.md): "auto"
      probes; "dataset" sends the union of the listed graphs as the protocol's dataset.
    * `system_graphs` – graphs the server keeps for itself: never listed by `graphs()`, hence never in
      the dataset normgraph sends, never exported or pushed to.
    * `graph_accept` – the Accept header for CONSTRUCT / DESCRIBE answers normgraph parses itself.
    * `no_graph` – the protocol cannot say "no graphs" (an absent `named-graph-uri` lets the server
      choose); a server whose choice is "all graphs" is sent this IRI, a graph that never exists.
    * `graph_store_path` – where the server's Graph Store Protocol endpoint is, relative to the update
      endpoint: used for `load()` when no graph store URL is given (None: SPARQL Update then).
    * `load_chunk_triples` – at most this many triples per write request; a bigger graph is written in
      chunks into a staging graph, then moved into place by one update (None: one request).
    * `integer_booleans` – the server gives booleans as 1 / 0 (computed ones as xsd:integer): SELECT
      answers are read back as true / false where the query makes a column boolean (result_types.py).
    * `empty_concat_unbound` – a GROUP_CONCAT over no values is read back as unbound (the embedded
      store's answer), not "".
    * `retry_with_prologue` – (marker in the server's error message, query prologue): a query refused
      with that marker is sent once more with the prologue in front of it, and so from then on.
    * `refused_iri_parts`, `refused_prefix_labels` – the server's own extensions (functions, pseudo-graphs)
      reached by IRI or by a prefix label it knows without a declaration: a client's query naming one
      is refused before it is sent (sparql11.py; every store also refuses DEFINE and non-SPARQL 1.1).
    """

    name: str
    auth: AuthScheme = "basic"
    union_default_graph: ProfileUnionMode = "auto"
    system_graphs: tuple[str, ...] = ()
    graph_accept: str = "application/n-triples, text/turtle;q=0.9"
    no_graph: str | None = None
    graph_store_path: str | None = None
    load_chunk_triples: int | None = None
    integer_booleans: bool = False
    empty_concat_unbound: bool = False
    retry_with_prologue: tuple[str, str] | None = None
    refused_iri_parts: tuple[str, ...] = ()
    refused_prefix_labels: tuple[str, ...] = ()


#: Oxigraph server, Fuseki, GraphDB, …: the protocols as written (the default).
STANDARD = StoreProfile("standard")

#: OpenLink Virtuoso 7 (tested: the store contract, push and serve, docs/remote-stores.md).
#: * /sparql reads anonymously; /sparql-auth (queries + updates) and /sparql-graph-crud-auth (GSP)
#:   answer HTTP Digest only, for a user with the SPARQL_UPDATE role — hence `auth="digest"`.
#: * Graphs are written through its GSP endpoint, 10,000 triples a request: one SPARQL Update with
#:   INSERT DATA of a few thousand triples fails ("SP030: SPARQL compiler … memory exhausted").
#: * Its default graph is the union of *all* graphs, including its own system graphs (the quad-map
#:   schema virtrdf#, ldp#, the endpoint's service description, …): "native" would mix those into every
#:   query, so the union of normgraph's graphs is sent as the dataset (default-graph-uri and
#:   named-graph-uri, which Virtuoso honours) and the system graphs are hidden from `graphs()`. Measured
#:   on the real knowledge, that costs 1–2× native per named query (docs/remote-stores.md); its
#:   `input:default-graph-exclude` / `named-graph-exclude` pragmas, the server-side alternative, gave
#:   wrong answers (0 or 18 rows where 119 are right), and graph groups do not work in FROM NAMED.
#: * With dozens of named graphs, a query with many OPTIONALs over GRAPH ?g overflows the stack of
#:   Virtuoso's cost model ("SQ200: Stack Overflow", oscal-catalog-meta): such a query is sent again with
#:   the join order as written (`sql:select-option "order"`), which answers it in 10 ms. Not for every
#:   query: that order makes others slower (report-gap-implemented 0.15 → 7.8 s).
#: * No boolean type: `BIND(true AS ?x)` or `(?a = ?b AS ?same)` answer xsd:integer 1 / 0, stored booleans
#:   "1" / "0" — read back as true / false (`integer_booleans`). A GROUP_CONCAT over no values is ""
#:   (Oxigraph: unbound) — read back as unbound (`empty_concat_unbound`).
#: * A dataset with default graphs but no named graph: without `named-graph-uri` Virtuoso's GRAPH ?g
#:   sees every graph (Oxigraph sees none, as the protocol says) — `no_graph` is sent instead.
#: * A query's own `DEFINE input:default-graph-uri` / `input:named-graph-uri` pragmas are *added* to the
#:   dataset sent, and `bif:` / `sql:` call server procedures: only SPARQL 1.1 is sent (sparql11.py), and
#:   the IRIs and prefixes of Virtuoso's extensions are refused.
#: * Content negotiation works for every result format normgraph asks for (JSON, XML, CSV, TSV,
#:   N-Triples, Turtle); a syntax error is HTTP 400 with Virtuoso's SP030 message, as elsewhere.
#: Not adaptable here (server configuration, see docs): [SPARQL] ResultSetMaxRows silently truncates
#: answers (raise it), and MaxQueryExecutionTime may give partial "anytime" answers (normgraph's own
#: client timeout ends a slow query first).
VIRTUOSO = StoreProfile(
    "virtuoso",
    auth="digest",
    union_default_graph="dataset",
    system_graphs=(
        "http://www.openlinksw.com/schemas/virtrdf#",
        "http://www.w3.org/ns/ldp#",
        "http://localuriqaserver/sparql",
        "http://www.w3.org/2002/07/owl#",
    ),
    no_graph="urn:x-normgraph:no-graph",
    graph_store_path="/sparql-graph-crud-auth",
    load_chunk_triples=10_000,
    integer_booleans=True,
    empty_concat_unbound=True,
    retry_with_prologue=("SQ200", 'DEFINE sql:select-option "order"\n'),
    # bif: / sql: built-ins (server procedures, e.g. bif:sys_stat), its schema and pseudo-graphs
    refused_iri_parts=("openlinksw.com/",),
    refused_prefix_labels=("bif", "sql", "virtrdf"),
)

PROFILES: dict[str, StoreProfile] = {p.name: p for p in (STANDARD, VIRTUOSO)}


def store_profile(name: str | StoreProfile | None = None) -> StoreProfile:
    """The profile given, or named (NORMGRAPH_STORE_PROFILE when None; "standard" when unset)."""
    if isinstance(name, StoreProfile):
        return name
    key = (name or os.environ.get("NORMGRAPH_STORE_PROFILE") or STANDARD.name).strip().lower()
    try:
        return PROFILES[key]
    except KeyError:
        raise ValueError(f"unknown store profile {key!r} (known: {', '.join(sorted(PROFILES))})") from None


__all__ = ["PROFILES", "STANDARD", "VIRTUOSO", "AuthScheme", "StoreProfile", "store_profile"]

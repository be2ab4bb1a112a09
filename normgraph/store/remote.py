"""A remote SPARQL 1.1 store behind the normgraph Store interface (DESIGN.md §5).

Queries go through SPARQLWrapper (it builds the protocol request: POST form-encoded, dataset
parameters, content negotiation, credentials); the HTTP exchange itself is done here so that every
failure can name the URL, the HTTP status and the server's own message. Writes use SPARQL Update or,
when a Graph Store Protocol endpoint is given, GSP (PUT to replace a graph, POST to add to it).

The default graph. normgraph's queries assume that the default graph is the union of the named
graphs (base.py). Servers differ (docs/remote-stores.md): Oxigraph server and Fuseki only do that
when configured (`--union-default-graph`, `tdb2:unionDefaultGraph`), GraphDB, Virtuoso and Neptune
do it always. `union_default_graph` decides how a query without an explicit dataset is sent:

* ``"native"`` – the server's default graph already is the union; send the query as it is.
* ``"dataset"`` – send the SPARQL Protocol dataset explicitly: ``default-graph-uri`` *and*
  ``named-graph-uri`` for every named graph (listed with one extra query, cached for a few seconds
  and dropped after our own writes). Correct on any conformant server, union or not.
* ``"auto"`` (default) – ``"native"`` if the service description declares
  ``sd:feature sd:UnionDefaultGraph`` or if a probe shows it (one triple taken from a named graph is
  visible in the default graph); otherwise ``"dataset"``. An empty store cannot be probed, so it is
  treated as ``"dataset"`` (always correct) and probed again on the next query.

Retries: only reads (queries, GSP GET) and the idempotent GSP PUT are retried, with exponential
backoff, on connection failures and on 502/503/504. SPARQL Updates and GSP POST are never retried:
a lost response does not tell whether the server applied them.

Credentials come from the constructor or the environment: ``NORMGRAPH_REMOTE_TOKEN`` (bearer) or
``NORMGRAPH_REMOTE_USER`` + ``NORMGRAPH_REMOTE_PASSWORD`` (HTTP basic, or Digest when the store
profile says so).

Profile. What one kind of server does differently (its auth scheme, its default graph, its system
graphs, …) is a `StoreProfile` (profiles.py), chosen by name (``profile=``, NORMGRAPH_STORE_PROFILE);
the code below reads the profile and never names a server.

Generation. Other clients may write to the remote store at any time, so `generation` is
(writes made through this object, the current `cache_ttl`-second bucket): it changes at once after
our own writes and every `cache_ttl` seconds (NORMGRAPH_REMOTE_CACHE_TTL, default 30) for the others'.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal as TypingLiteral
from typing import TypeVar, cast

import pyoxigraph as ox
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.query import Result
from rdflib.term import Identifier
from requests.auth import HTTPDigestAuth
from SPARQLWrapper import ASK, CONSTRUCT, POST, SELECT, URLENCODED, SPARQLWrapper

from normgraph.iri import is_iri
from normgraph.queries import get_query
from normgraph.store.base import (
    RDF_FORMATS,
    RESULT_FORMATS,
    AskResult,
    Dataset,
    GraphResult,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    SelectResult,
    StoreError,
)
from normgraph.store.oxigraph import rdf_format, to_rdflib, triples_for
from normgraph.store.profiles import StoreProfile, store_profile
from normgraph.store.result_types import (
    as_boolean,
    boolean_columns,
    boolean_predicates,
    booleans_in_json,
    concat_columns,
)
from normgraph.store.sparql11 import require_sparql11
from normgraph.store.sparql_text import ResultTooLarge, check_sparql, from_clauses, refuse_outbound, text_digest

UnionMode = TypingLiteral["auto", "native", "dataset"]

#: Seconds a generation of a remote store lasts when nobody writes through this object: others may
#: change the remote store behind our back (NORMGRAPH_REMOTE_CACHE_TTL).
REMOTE_CACHE_TTL = 30.0
#: seconds the inputs computed in the background (ReportCache.later) are kept on a remote store when nothing
#: is written through normgraph: other clients' direct writes reach them within this time
LASTING_TTL = 900.0
_SD_UNION = "http://www.w3.org/ns/sparql-service-description#UnionDefaultGraph"
_SD_FEATURE = "http://www.w3.org/ns/sparql-service-description#feature"
_RETRY_STATUS = frozenset({502, 503, 504})
_EMPTY = Literal("")
_OX_BOOLEAN = ox.NamedNode(str(XSD.boolean))
_OX_INTEGER = ox.NamedNode(str(XSD.integer))
_GRAPH_CACHE_SECONDS = 5.0
#: how many query texts are remembered as needing the profile's prologue (then forgotten at once)
_PROLOGUE_MEMORY = 256
#: staging graphs of a chunked load are named under the graph loaded (so they belong to the same
#: organisation, for the access rules) with this marker; graphs() never lists them
STAGING_MARK = "/x-normgraph-staging-"

T = TypeVar("T")


class RemoteStoreError(StoreError):
    """An HTTP exchange failed; carries the URL, the HTTP status (None: no answer) and the server's message."""

    def __init__(self, url: str, status: int | None, message: str, what: str = "request") -> None:
        self.url = url
        self.status = status
        self.server_message = message
        where = f"HTTP {status}" if status is not None else "no HTTP answer"
        super().__init__(f"{url}: {what} failed ({where}): {message}".rstrip(": "))


class RemoteBadRequest(RemoteStoreError, QuerySyntaxError):
    """HTTP 400: the server refused the query or update (usually a syntax error); a StoreError too."""


class RemoteTimeout(RemoteStoreError, QueryTimeout):
    """The HTTP client's timeout ran out (or the server said it stopped the query)."""


class RemoteResultTooLarge(RemoteStoreError, ResultTooLarge):
    """The server's serialised answer is bigger than `max_result_bytes` (read no further, never truncated)."""


class _Retryable(Exception):
    def __init__(self, error: RemoteStoreError) -> None:
        self.error = error


def _short(body: bytes | str, limit: int = 2000) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " …"


def _plain(term: Identifier | None) -> Identifier | None:
    """Make literals look the way the embedded store gives them (xsd:string literals untyped)."""
    if isinstance(term, Literal) and term.datatype in (XSD.string, RDF.langString) and term.language is None:
        return Literal(str(term))
    return term


def _ox_to_rdflib(term: object) -> Identifier:
    out = to_rdflib(term)
    assert out is not None
    return out


def _iri(value: str) -> str:
    if not is_iri(value):
        raise ValueError(f"not an IRI: {value!r}")
    return f"<{value}>"


class RemoteStore:
    """A SPARQL 1.1 endpoint (plus optional update and Graph Store Protocol endpoints)."""

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        graph_store: str | None = None,
        union_default_graph: UnionMode | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        results_format: TypingLiteral["json", "xml"] = "json",
        max_result_bytes: int | None = None,
        cache_ttl: float | None = None,
        profile: str | StoreProfile | None = None,
    ) -> None:
        self.profile = store_profile(profile)
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        #: GSP endpoint for load(): the one given, else where the profile says the server has one
        self.graph_store = graph_store or (urllib.parse.urljoin(self.update_endpoint, self.profile.graph_store_path)
                                           if self.profile.graph_store_path else None)
        self.location = endpoint
        raw = union_default_graph or os.environ.get("NORMGRAPH_UNION_DEFAULT_GRAPH") or self.profile.union_default_graph
        if raw not in ("auto", "native", "dataset"):
            raise ValueError(f"union_default_graph must be auto, native or dataset, not {raw!r}")
        mode = cast(UnionMode, raw)
        self.union_mode: UnionMode = mode
        self._resolved: UnionMode | None = None if mode == "auto" else mode
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.results_format = results_format
        #: cap on the bytes of a `query_serialized` answer (None: no cap); reading stops at the cap
        self.max_result_bytes = max_result_bytes
        self._token = token or os.environ.get("NORMGRAPH_REMOTE_TOKEN")
        self._user = user or os.environ.get("NORMGRAPH_REMOTE_USER")
        self._password = password if password is not None else os.environ.get("NORMGRAPH_REMOTE_PASSWORD")
        self._graph_cache: tuple[float, list[str]] | None = None
        #: sha256 of the queries the server refused with the profile's `retry_with_prologue` marker (sent
        #: with the prologue since; digests, so the memory is bounded whatever the texts)
        self._with_prologue: set[bytes] = set()
        self._session = requests.Session()
        self._opener = urllib.request.build_opener()
        if self.profile.auth == "digest" and self._user and not self._token:
            self._session.auth = HTTPDigestAuth(self._user, self._password or "")
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            site = urllib.parse.urlsplit(endpoint)
            passwords.add_password(None, f"{site.scheme}://{site.netloc}/", self._user, self._password or "")
            self._opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
        #: seconds one generation lasts without writes of ours (0: only our writes change it)
        self.cache_ttl = cache_ttl if cache_ttl is not None else _env_seconds("NORMGRAPH_REMOTE_CACHE_TTL",
                                                                              REMOTE_CACHE_TTL)
        self._writes = 0

    @property
    def generation(self) -> tuple[int, int]:
        """(writes made through this object, TTL bucket): see the module docstring."""
        return self._writes, int(time.monotonic() // self.cache_ttl) if self.cache_ttl > 0 else 0

    def epoch(self, orgs: frozenset[str] | None) -> tuple[int, int]:
        """The generation, whatever `orgs`: others write to the remote store without saying which graphs."""
        return self.generation

    @property
    def lasting_generation(self) -> tuple[int, int]:
        """The generation of an input that takes longer than `cache_ttl` to compute (a large organisation's
        validation): our writes change it at once, other clients' within LASTING_TTL. Keyed by `generation`,
        such an input would be filed under a bucket that has passed when it is done, never be shown and start
        again every `cache_ttl` seconds."""
        return self._writes, int(time.monotonic() // LASTING_TTL)

    # -- HTTP plumbing ---------------------------------------------------------------------
    def _auth_header(self) -> dict[str, str]:
        if self._token:
            return {"Authorization": f"Bearer {self._token}"}
        if self._user and self.profile.auth == "basic":  # digest: answered to the challenge (session / opener)
            raw = f"{self._user}:{self._password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        return {}

    def _with_retries(self, attempt: Callable[[], T], *, retry: bool) -> T:
        tries = (self.retries + 1) if retry else 1
        delay = self.backoff
        for n in range(tries):
            try:
                return attempt()
            except _Retryable as r:
                if n == tries - 1:
                    if tries > 1:
                        raise type(r.error)(r.error.url, r.error.status,
                                            f"{r.error.server_message} (after {tries} attempts)") from None
                    raise r.error from None
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _sparql_request(self, sparql: str, accept: str, dataset: Dataset | None, timeout: float | None,
                        cap: int | None = None) -> tuple[bytes, str]:
        """One query; sent again with the profile's prologue when the server refuses it with its marker."""
        retry = self.profile.retry_with_prologue
        if retry is None:
            return self._post_query(sparql, accept, dataset, timeout, cap)
        marker, prologue = retry
        key = text_digest(sparql)
        if key in self._with_prologue:
            return self._post_query(prologue + sparql, accept, dataset, timeout, cap)
        try:
            return self._post_query(sparql, accept, dataset, timeout, cap)
        except RemoteStoreError as e:
            if marker not in e.server_message:
                raise
        answer = self._post_query(prologue + sparql, accept, dataset, timeout, cap)
        if len(self._with_prologue) >= _PROLOGUE_MEMORY:
            self._with_prologue.clear()
        self._with_prologue.add(key)
        return answer

    def _post_query(self, sparql: str, accept: str, dataset: Dataset | None, timeout: float | None,
                    cap: int | None = None) -> tuple[bytes, str]:
        """POST one query through SPARQLWrapper's request builder; retried (reads are idempotent)."""
        wrapper = SPARQLWrapper(self.endpoint)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        wrapper.setOnlyConneg(True)
        wrapper.setQuery(sparql)
        # Our reading of the form, not SPARQLWrapper's: its parser takes some queries for updates (a
        # comment mentioning "add" -> ADD) and would send them as `update=` (the server answers 400).
        wrapper.queryType = {"select": SELECT, "ask": ASK, "graph": CONSTRUCT}[_query_form(sparql)]
        wrapper.addCustomHttpHeader("Accept", accept)
        for name, value in self._auth_header().items():
            wrapper.addCustomHttpHeader(name, value)
        if dataset is not None:
            for g in dataset.default_graphs or ():
                wrapper.addDefaultGraph(g)
            for g in dataset.named_graphs or ():
                wrapper.addNamedGraph(g)
            if self.profile.no_graph:  # an empty half means none, not "the server's choice"
                if dataset.default_graphs == ():
                    wrapper.addDefaultGraph(self.profile.no_graph)
                if dataset.named_graphs == ():
                    wrapper.addNamedGraph(self.profile.no_graph)
        limit = timeout if timeout is not None else self.timeout

        def attempt() -> tuple[bytes, str]:
            request = wrapper._createRequest()  # SPARQLWrapper is pinned (2.0.0); see module docstring
            try:
                with self._opener.open(request, timeout=limit) as response:
                    if cap is None:
                        return response.read(), response.headers.get("Content-Type", "")
                    body = response.read(cap + 1)  # never hold more than the cap (+1 byte to know it is over)
                    if len(body) > cap:
                        raise RemoteResultTooLarge(self.endpoint, response.status,
                                                   f"the answer is over {cap} bytes; add a LIMIT", "query")
                    return body, response.headers.get("Content-Type", "")
            except urllib.error.HTTPError as e:
                body = _short(e.read())
                err = self._http_error(self.endpoint, e.code, body, "query")
                if e.code in _RETRY_STATUS:
                    raise _Retryable(err) from None
                raise err from None
            except TimeoutError as e:
                raise RemoteTimeout(self.endpoint, None, f"no answer within {limit:g} s ({e})", "query") from None
            except urllib.error.URLError as e:
                if isinstance(e.reason, TimeoutError):
                    raise RemoteTimeout(self.endpoint, None, f"no answer within {limit:g} s", "query") from None
                raise _Retryable(RemoteStoreError(self.endpoint, None, str(e.reason), "query")) from None
            except (ConnectionError, OSError) as e:
                raise _Retryable(RemoteStoreError(self.endpoint, None, str(e), "query")) from None

        return self._with_retries(attempt, retry=True)

    @staticmethod
    def _http_error(url: str, status: int, body: str, what: str) -> RemoteStoreError:
        if status == 400:
            return RemoteBadRequest(url, status, body, what)
        if "timeout" in body.lower() or "timed out" in body.lower():
            return RemoteTimeout(url, status, body, what)
        return RemoteStoreError(url, status, body, what)

    def _http(self, method: str, url: str, *, what: str, retry: bool, params: dict[str, str] | None = None,
              data: bytes | None = None, headers: dict[str, str] | None = None) -> requests.Response:
        """One HTTP call through requests (updates, GSP); retried only when `retry` (idempotent)."""
        all_headers = {**self._auth_header(), **(headers or {})}

        def attempt() -> requests.Response:
            try:
                response = self._session.request(method, url, params=params, data=data, headers=all_headers,
                                                 timeout=self.timeout)
            except requests.Timeout as e:
                raise RemoteTimeout(url, None, f"no answer within {self.timeout:g} s ({e})", what) from None
            except requests.RequestException as e:
                raise _Retryable(RemoteStoreError(url, None, str(e), what)) from None
            if response.status_code >= 400:
                err = self._http_error(url, response.status_code, _short(response.content), what)
                if response.status_code in _RETRY_STATUS:
                    raise _Retryable(err)
                raise err
            return response

        return self._with_retries(attempt, retry=retry)

    # -- the default graph -----------------------------------------------------------------
    def default_graph_mode(self) -> UnionMode | None:
        """How the union default graph is provided: "native", "dataset", or None (empty store, not yet known)."""
        return self._union_mode()

    def _union_mode(self) -> UnionMode | None:
        if self._resolved is None:
            self._resolved = self.detect_union_default_graph()
        return self._resolved

    def detect_union_default_graph(self) -> UnionMode | None:
        """"native" or "dataset" from the service description or a probe; None on an empty store."""
        try:
            body = self._http("GET", self.endpoint, what="service description", retry=True,
                              headers={"Accept": "application/n-triples, text/turtle;q=0.9"}).content
            g = Graph().parse(data=body, format="nt" if body.lstrip().startswith((b"<", b"_:")) else "turtle")
            if (None, URIRef(_SD_FEATURE), URIRef(_SD_UNION)) in g:
                return "native"
        except Exception:  # no (readable) service description: probe instead
            pass
        probe = self._select(get_query("union-probe").bind(), None)
        if not probe.rows:
            return None  # nothing to probe with: use "dataset" for now, look again next time
        row = probe.rows[0]
        triple = " ".join(t.n3() for t in (row["s"], row["p"], row["o"]))  # type: ignore[union-attr]
        ask = self._query(f"ASK {{ {triple} }}", None, None)
        return "native" if isinstance(ask, AskResult) and ask.value else "dataset"

    def _effective_dataset(self, dataset: Dataset | None, sparql: str) -> Dataset | None:
        """The dataset to send: the caller's, completed so that its default graph is the union when unset.

        When the query's own FROM / FROM NAMED define the dataset, they are sent as the protocol's
        dataset: a server whose default graph is the union may ignore FROM (Oxigraph's
        --union-default-graph does), and the explicit union sent in "dataset" mode would override it."""
        if dataset is not None and dataset.from_query and dataset.default_graphs is None \
                and dataset.named_graphs is None:
            clauses = from_clauses(sparql)
            if clauses is None:  # not resolvable here: the server reads the clauses itself
                return None
            return Dataset(tuple(clauses[0]), tuple(clauses[1]))
        if dataset is not None and (dataset.default_graphs is not None or dataset.named_graphs is not None):
            # The protocol empties whichever half is not given; the embedded store keeps "all graphs" for it.
            if dataset.default_graphs is None:
                return Dataset(tuple(self._graph_list()), dataset.named_graphs)
            if dataset.named_graphs is None:
                return Dataset(dataset.default_graphs, tuple(self._graph_list()))
            return dataset
        if self._union_mode() == "native":
            return None
        graphs = tuple(self._graph_list())
        return Dataset(graphs, graphs)  # none yet: an empty dataset (the profile's `no_graph` can say so)

    def _graph_list(self) -> list[str]:
        now = time.monotonic()
        if self._graph_cache and now - self._graph_cache[0] < _GRAPH_CACHE_SECONDS:
            return self._graph_cache[1]
        graphs = self.graphs()
        self._graph_cache = (now, graphs)
        return graphs

    def _wrote(self) -> None:
        self._graph_cache = None
        self._writes += 1

    # -- reading ---------------------------------------------------------------------------
    def _select(self, sparql: str, dataset: Dataset | None) -> SelectResult:
        result = self._query(sparql, dataset, None)
        if not isinstance(result, SelectResult):
            raise StoreError(f"{self.endpoint}: expected SELECT results")
        return result

    def _query(self, sparql: str, dataset: Dataset | None, timeout: float | None) -> QueryResult:
        form = _query_form(sparql)
        if form == "graph":
            body, ctype = self._sparql_request(sparql, self.profile.graph_accept, dataset, timeout)
            return GraphResult(self._parse_graph(body, ctype, sparql))
        accept = RESULT_FORMATS[self.results_format]
        body, ctype = self._sparql_request(sparql, accept, dataset, timeout)
        fmt = "xml" if "xml" in ctype else "json"
        try:
            parsed = Result.parse(io.BytesIO(body), format=fmt)
        except Exception as e:  # any parser failure: the server's answer is unusable
            raise StoreError(f"{self.endpoint}: cannot read the {ctype or 'untyped'} answer: {e}") from None
        if parsed.type == "ASK":
            return AskResult(bool(parsed.askAnswer))
        variables = [str(v) for v in parsed.vars or []]
        rows = [{v: _plain(b.get(v)) for v in variables} for b in _bindings(parsed)]
        if self.profile.integer_booleans:
            booleans = boolean_columns(sparql)
            rows = [{v: as_boolean(t, v in booleans) for v, t in row.items()} for row in rows]
        if self.profile.empty_concat_unbound:
            concats = concat_columns(sparql)
            rows = [{v: None if v in concats and t == _EMPTY else t for v, t in row.items()} for row in rows]
        return SelectResult(variables, rows)

    def _triples(self, body: bytes, ctype: str, sparql: str) -> list[ox.Triple]:
        """A CONSTRUCT / DESCRIBE answer; with `integer_booleans`, its 1 / 0 booleans as true / false."""
        fmt = ox.RdfFormat.TURTLE if "turtle" in ctype else ox.RdfFormat.N_TRIPLES
        try:
            triples = list(ox.parse(body, fmt))
        except SyntaxError as e:
            raise StoreError(f"{self.endpoint}: cannot read the {ctype} answer: {e}") from None
        if not self.profile.integer_booleans:
            return triples
        predicates = boolean_predicates(sparql)
        out: list[ox.Triple] = []
        for t in triples:
            o = t.object
            if isinstance(o, ox.Literal) and o.value in ("0", "1") and (
                    o.datatype == _OX_BOOLEAN or (o.datatype == _OX_INTEGER and t.predicate.value in predicates)):
                o = ox.Literal("true" if o.value == "1" else "false", datatype=_OX_BOOLEAN)
            out.append(ox.Triple(t.subject, t.predicate, o))
        return out

    def _parse_graph(self, body: bytes, ctype: str, sparql: str) -> Graph:
        g = Graph()
        for t in self._triples(body, ctype, sparql):
            g.add((_ox_to_rdflib(t.subject), _ox_to_rdflib(t.predicate), _ox_to_rdflib(t.object)))
        return g

    def _admit(self, sparql: str, *, update: bool = False) -> None:
        """Before a text is sent: no SERVICE / LOAD (the remote server would fetch the targets), and only
        SPARQL 1.1 without the server's own extensions (they can choose graphs past the dataset sent)."""
        refuse_outbound(sparql)
        require_sparql11(sparql, update=update, refused_iri_parts=self.profile.refused_iri_parts,
                         refused_prefix_labels=self.profile.refused_prefix_labels)

    def query(self, sparql: str, *, dataset: Dataset | None = None, timeout: float | None = None) -> QueryResult:
        self._admit(sparql)
        return self._query(sparql, self._effective_dataset(dataset, sparql), timeout)

    def query_serialized(
        self, sparql: str, result_format: str, *, dataset: Dataset | None = None, timeout: float | None = None
    ) -> tuple[bytes, str, str]:
        self._admit(sparql)
        form = _query_form(sparql)
        if form in ("select", "ask"):
            if result_format not in RESULT_FORMATS:
                raise ValueError(f"{form.upper()} results cannot be written as {result_format}")
            media = RESULT_FORMATS[result_format]
        else:
            if result_format not in RDF_FORMATS or result_format in ("nquads", "trig"):
                raise ValueError(f"CONSTRUCT/DESCRIBE results cannot be written as {result_format}")
            media = RDF_FORMATS[result_format]
        effective = self._effective_dataset(dataset, sparql)
        if form == "select" and (self.profile.integer_booleans or self.profile.empty_concat_unbound):
            # asked as JSON, read back as the profile says, written here in the format asked for
            body, _ctype = self._sparql_request(sparql, RESULT_FORMATS["json"], effective, timeout,
                                                self.max_result_bytes)
            try:
                return booleans_in_json(body, sparql, result_format,
                                        empty_concat_unbound=self.profile.empty_concat_unbound), media, form
            except (ValueError, SyntaxError) as e:
                raise StoreError(f"{self.endpoint}: cannot read the JSON answer: {e}") from None
        if form == "graph" and self.profile.integer_booleans:
            body, ctype = self._sparql_request(sparql, self.profile.graph_accept, effective, timeout,
                                               self.max_result_bytes)
            out = io.BytesIO()
            ox.serialize(self._triples(body, ctype, sparql), out, rdf_format(result_format))
            return out.getvalue(), media, form
        body, ctype = self._sparql_request(sparql, media, effective, timeout, self.max_result_bytes)
        return body, (ctype.split(";")[0].strip() or media), form

    def graphs(self) -> list[str]:
        result = self._select(get_query("graph-names").bind(), None)
        hidden = set(self.profile.system_graphs)
        return sorted({str(g) for g in result.column("g")
                       if isinstance(g, URIRef) and str(g) not in hidden and STAGING_MARK not in str(g)})

    def graph_size(self, graph: str) -> int:
        result = self._select(get_query("graph-size").bind({"graph": graph}), None)
        return int(result.rows[0]["n"]) if result.rows else 0  # type: ignore[arg-type]

    def export(self, fmt: str, graph: str | None = None) -> bytes:
        """One graph via GSP GET (or CONSTRUCT); the whole dataset graph by graph, as quads."""
        ox_fmt = rdf_format(fmt)
        if graph is None:
            if not ox_fmt.supports_datasets:
                raise ValueError(f"{fmt} holds one graph; export the whole store as nquads or trig")
            quads: list[ox.Quad] = []
            for g in self.graphs():
                name = ox.NamedNode(g)
                quads.extend(ox.Quad(t.subject, t.predicate, t.object, name)
                             for t in ox.parse(self.export("ntriples", g), ox.RdfFormat.N_TRIPLES))
            out = io.BytesIO()
            ox.serialize(quads, out, ox_fmt)
            return out.getvalue()
        if fmt in ("nquads", "trig"):
            raise ValueError(f"export one graph as triples (turtle, ntriples, …), not {fmt}")
        if self.graph_store:
            return self._http("GET", self.graph_store, what=f"GET graph <{graph}>", retry=True,
                              params={"graph": graph}, headers={"Accept": RDF_FORMATS[fmt]}).content
        body, _ctype = self._sparql_request(
            get_query("graph-triples").bind({"graph": graph}), RDF_FORMATS[fmt], None, None
        )
        return body

    # -- writing ---------------------------------------------------------------------------
    def update(self, sparql: str) -> None:
        """POST one SPARQL Update (never retried: a lost answer cannot tell whether it was applied)."""
        self._admit(sparql, update=True)
        self._send_update(sparql)

    def _send_update(self, sparql: str) -> None:
        """POST an update normgraph wrote itself (a load, a move, a drop: IRIs checked by `_iri`)."""
        try:
            self._http("POST", self.update_endpoint, what="update", retry=False, data=sparql.encode(),
                       headers={"Content-Type": "application/sparql-update; charset=utf-8"})
        finally:
            self._wrote()

    def load(self, data: bytes | str | Path, fmt: str, graph: str, *, replace: bool = True) -> int:
        """Parse locally (a syntax error sends nothing), then replace/extend the graph in one request.

        replace=True: GSP PUT ?graph=<g> when a graph store endpoint is set (idempotent, retried), else
        one SPARQL Update ``DROP SILENT GRAPH <g> ; INSERT DATA { GRAPH <g> { … } }``. More triples than
        the profile's `load_chunk_triples`: see `_load_chunked` (still all or nothing).
        """
        name = str(data) if isinstance(data, Path) else "data"
        raw = data.read_bytes() if isinstance(data, Path) else data.encode() if isinstance(data, str) else data
        triples = triples_for(raw, fmt, graph, name)
        _iri(graph)
        chunk = self.profile.load_chunk_triples
        if chunk is not None and len(triples) > chunk:
            self._load_chunked(triples, graph, replace, chunk)
        else:
            self._write(_ntriples(triples), graph, replace)
        return self.graph_size(graph)

    def _write(self, nt: bytes, graph: str, replace: bool) -> None:
        """One request: GSP PUT / POST, or one SPARQL Update."""
        if self.graph_store:
            try:
                self._http("PUT" if replace else "POST", self.graph_store, what=f"{'PUT' if replace else 'POST'} "
                           f"graph <{graph}>", retry=replace, params={"graph": graph}, data=nt,
                           headers={"Content-Type": "application/n-triples"})
            finally:  # even a failed write may have been applied (the answer can be lost)
                self._wrote()
        else:
            target = _iri(graph)
            drop = f"DROP SILENT GRAPH {target} ;\n" if replace else ""
            self._send_update(f"{drop}INSERT DATA {{ GRAPH {target} {{\n{nt.decode()}\n}} }}")  # counts as a write

    def _load_chunked(self, triples: list[ox.Triple], graph: str, replace: bool, chunk: int) -> None:
        """Chunks appended to a fresh staging graph, then one update moves (replace) or adds it into place.

        Readers never see half a graph: the staging graph is not listed by `graphs()`, so it is in no
        dataset normgraph sends, and it is named under `graph` (the same organisation's, for the access
        rules). A failure drops the staging graph and leaves `graph` as it was."""
        stage = f"{graph}{STAGING_MARK}{uuid.uuid4().hex}"
        try:
            for start in range(0, len(triples), chunk):
                self._write(_ntriples(triples[start:start + chunk]), stage, replace=start == 0)
            self._send_update(f"{'MOVE' if replace else 'ADD'} SILENT GRAPH {_iri(stage)} TO GRAPH {_iri(graph)}")
        except BaseException:
            with contextlib.suppress(StoreError):
                self.drop(stage)
            raise
        if not replace:  # ADD leaves the staging graph behind (MOVE empties it)
            with contextlib.suppress(StoreError):  # a staging graph left over is never listed nor read
                self.drop(stage)

    def drop(self, graph: str) -> None:
        self._send_update(f"DROP SILENT GRAPH {_iri(graph)}")

    def close(self) -> None:
        self._session.close()


def _ntriples(triples: list[ox.Triple]) -> bytes:
    body = io.BytesIO()
    ox.serialize(triples, body, ox.RdfFormat.N_TRIPLES)
    return body.getvalue()


def _bindings(parsed: Result) -> list[dict[str, Identifier | None]]:
    rows: list[dict[str, Identifier | None]] = []
    for b in parsed.bindings:
        rows.append({str(k): v for k, v in b.items()})
    return rows


def _query_form(sparql: str) -> str:
    """"select", "ask" or "graph" (CONSTRUCT/DESCRIBE).

    normgraph's own lexer first (it skips comments, strings and IRIs): SPARQLWrapper's query-type
    parser reads a comment such as ``# description: …`` after a PREFIX line as DESCRIBE, so the report
    queries were sent as graph queries and refused with 406. SPARQLWrapper names what else it is.
    """
    form = check_sparql(sparql).form
    if form is not None:
        return form
    wrapper = SPARQLWrapper("http://localhost/")
    wrapper.setQuery(sparql)
    kind = (wrapper.queryType or "SELECT").upper()
    if kind in ("CONSTRUCT", "DESCRIBE"):
        return "graph"
    if kind == "ASK":
        return "ask"
    if kind == "SELECT":
        return "select"
    raise QuerySyntaxError(f"not a query (looks like {kind}); use update() for SPARQL Update")


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number of seconds") from None


__all__ = ["REMOTE_CACHE_TTL", "RemoteBadRequest", "RemoteResultTooLarge", "RemoteStore", "RemoteStoreError", "RemoteTimeout", "UnionMode"]

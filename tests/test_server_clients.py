"""Real SPARQL clients against the endpoint: SPARQLWrapper, rdflib's SPARQLStore, gunicorn serving it,
on the real data/ and on the fixtures."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from repo import ROOT
from SPARQLWrapper import CSV, JSON, JSONLD, TSV, TURTLE, XML, SPARQLWrapper

from normgraph.loading import load_knowledge
from normgraph.queries import get_query
from normgraph.store import EmbeddedStore, SelectResult
from tests.server_helpers import running

STATS = get_query("catalog-stats").bind()
LABELS = ("PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?c ?n WHERE { "
          "?c skos:inScheme <https://w3id.org/normgraph/id/iso27001-2022> ; skos:notation ?n } ORDER BY ?c")
DESCRIBE = ("CONSTRUCT { ?c ?p ?o } WHERE { ?c <http://www.w3.org/2004/02/skos/core#inScheme> "
            "<https://w3id.org/normgraph/id/iso27001-2022> ; ?p ?o }")


@pytest.fixture(scope="module")
def real() -> Iterator[tuple[str, EmbeddedStore]]:
    store = EmbeddedStore()
    load_knowledge(store)
    reference = EmbeddedStore()
    load_knowledge(reference)
    with running(store) as (url, _app):
        yield f"{url}/sparql", reference


def rows(store: EmbeddedStore, q: str) -> list[tuple[str, ...]]:
    r = store.query(q)
    assert isinstance(r, SelectResult)
    return [tuple(str(row[v]) for v in r.variables) for row in r]


def test_sparqlwrapper_every_result_format(real: tuple[str, EmbeddedStore]) -> None:
    endpoint, ref = real
    want = rows(ref, LABELS)
    assert len(want) > 100
    for method in ("GET", "POST"):
        sw = SPARQLWrapper(endpoint)
        sw.setMethod(method)
        sw.setQuery(LABELS)
        sw.setReturnFormat(JSON)
        data = sw.queryAndConvert()
        assert [(b["c"]["value"], b["n"]["value"]) for b in data["results"]["bindings"]] == want  # type: ignore[index]
        sw.setReturnFormat(XML)
        doc = sw.queryAndConvert()
        assert len(doc.getElementsByTagName("result")) == len(want)  # type: ignore[union-attr]
        sw.setReturnFormat(CSV)
        got = list(csv.reader(io.StringIO(sw.queryAndConvert().decode())))  # type: ignore[union-attr]
        assert [tuple(r) for r in got[1:]] == want
        sw.setReturnFormat(TSV)
        assert len(sw.queryAndConvert().decode().splitlines()) == len(want) + 1  # type: ignore[union-attr]
    want_graph = ref.query(DESCRIBE).graph  # type: ignore[union-attr]
    for fmt, parse in ((TURTLE, "turtle"), (JSONLD, "json-ld")):
        sw = SPARQLWrapper(endpoint)
        sw.setQuery(DESCRIBE)
        sw.setReturnFormat(fmt)
        result = sw.query()
        g = Graph().parse(data=result.response.read(), format=parse)
        assert isomorphic(g, want_graph)


def test_rdflib_sparqlstore(real: tuple[str, EmbeddedStore]) -> None:
    endpoint, ref = real
    store = SPARQLStore(endpoint)
    g = Graph(store=store)
    got = sorted((str(r[0]), str(r[1])) for r in g.query(LABELS))  # type: ignore[index, misc]
    assert got == sorted(rows(ref, LABELS))
    assert bool(g.query("ASK { ?s ?p ?o }").askAnswer)
    c = g.query(DESCRIBE).graph
    assert c is not None and len(c) == len(ref.query(DESCRIBE))  # type: ignore[arg-type]
    triples = list(g.triples((URIRef("https://w3id.org/normgraph/id/iso27001-2022/A-5-19"), None, None)))
    assert len(triples) > 3


def test_named_query_matches_embedded(real: tuple[str, EmbeddedStore]) -> None:
    endpoint, ref = real
    r = requests.get(endpoint, params={"query": STATS}, headers={"Accept": "text/csv"})
    got = [tuple(x) for x in csv.reader(io.StringIO(r.text))][1:]
    assert sorted(got) == sorted(tuple("" if v == "None" else v for v in row) for row in rows(ref, STATS))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gunicorn_serves_the_app() -> None:
    port = _free_port()
    env = {**os.environ, "NORMGRAPH_EXAMPLES": "0", "NORMGRAPH_QUERY_TIMEOUT": "5"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "60", "normgraph.server:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=5)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"gunicorn did not come up: {out}")
                time.sleep(0.3)
        assert r.status_code == 200 and r.json()["boolean"] is True
        assert requests.get(f"http://127.0.0.1:{port}/api/queries", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(20)


def test_normgraph_serve_subprocess() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "normgraph", "serve", "--port", "0", "--no-examples",
                             "--timeout", "3"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "serving on" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line and proc.poll() is not None:
                break
        assert "serving on" in line, line
        url = line.split("serving on ")[1].split()[0]
        r = requests.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
        assert r.status_code == 200 and r.json()["boolean"] is True
    finally:
        proc.terminate()
        proc.wait(20)

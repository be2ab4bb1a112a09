"""Hypothesis fuzzing of the organisation-data importers and of POST /org/<slug>/import.

(/sparql parameters and headers are fuzzed in tests/test_server_api.py; this adds the import endpoint.)

Properties, each with bounded examples and a deadline (no hang):
- import_file on random / mutated Turtle, JSON-LD, CSV and XLSX either returns a graph or raises
  OrgDataError — never any other exception;
- JSON-LD with remote contexts pointing at a loopback listener is refused and the listener receives nothing;
- the endpoint answers 200 / 4xx (JSON naming file/row/column/reason on 400) or the documented 503 —
  never another 5xx — and a refused upload writes nothing (the store's dump is unchanged), while an
  accepted one writes exactly the triples it reports.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from repo import ROOT

from normgraph.iri import org_graph
from normgraph.orgdata import OrgDataError, import_file
from normgraph.orgdata.templates import TEMPLATES
from normgraph.server import create_app
from normgraph.store import EmbeddedStore
from tests.server_helpers import TOKEN, Listener, fixture_store

SLUG = "acme"
ORG = "https://w3id.org/normgraph/id/org/acme/"
FUZZ = settings(max_examples=60, deadline=5000, suppress_health_check=list(HealthCheck))
TEMPLATE_CSV = {kind: (ROOT / "data" / "templates" / f"{kind}.csv").read_bytes() for kind in TEMPLATES}
VALID_TTL = f"""@prefix ng: <https://w3id.org/normgraph/ont#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{ORG}ai-system/triage> a ng:AISystem ; rdfs:label "Triage"@en ;
    ng:aiActRole <https://w3id.org/normgraph/id/vocab/role/deployer> .
<{ORG}risk/R-1> a ng:Risk ; ng:likelihood 3 ; ng:impact 4 .
""".encode()
VALID_JSONLD = json.dumps({
    "@context": {"ng": "https://w3id.org/normgraph/ont#", "label": "http://www.w3.org/2000/01/rdf-schema#label"},
    "@id": f"{ORG}ai-system/triage", "@type": "ng:AISystem", "label": "Triage",
}).encode()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def _import(data: bytes, suffix: str) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            g = import_file(path, SLUG)
        except OrgDataError as e:
            assert e.reason and e.file.endswith(path.name)
            return e
    assert all(str(s).startswith(ORG) or not str(s).startswith("http") for s in g.subjects())
    return g


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """`base` with a few random byte edits: deletions, insertions (often syntax characters), replacements."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["delete", "insert", "replace"]))
        chunk = draw(st.one_of(st.binary(min_size=1, max_size=6),
                               st.sampled_from([b"<", b">", b"\"", b"@", b";", b".", b"{", b"}", b"[", b":", b"\\u",
                                                b"\xff", b"\x00", b'"@context": "http://127.0.0.1:1/c"', b"'''"])))
        if op == "delete":
            del data[pos:pos + len(chunk)]
        elif op == "insert":
            data[pos:pos] = chunk
        else:
            data[pos:pos + len(chunk)] = chunk
    return bytes(data)


# -- the importers on their own ---------------------------------------------------------------------
@FUZZ
@given(data=st.one_of(mutated(VALID_TTL), st.binary(max_size=200)))
def test_mutated_turtle_imports_cleanly_or_raises_orgdataerror(data: bytes) -> None:
    _import(data, ".ttl")


_json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
              st.sampled_from([f"{ORG}x", "http://127.0.0.1:{port}/ctx", "ng:AISystem", "@id", "_:b"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["@context", "@id", "@type", "@graph", "@value", "@language", "@list",
                                         "@import", "@vocab", "@base", "label", "ng", f"{ORG}p"]), inner, max_size=5),
    ),
    max_leaves=15,
)


@FUZZ
@given(doc=_json_value, raw=st.one_of(st.none(), mutated(VALID_JSONLD)))
def test_random_jsonld_never_fetches_and_raises_only_orgdataerror(listener: Listener, doc: Any,
                                                                  raw: bytes | None) -> None:
    data = raw if raw is not None else json.dumps(doc).replace("{port}", str(listener.port)).encode()
    data = data.replace(b"127.0.0.1:1/", f"127.0.0.1:{listener.port}/".encode())
    _import(data, ".jsonld")
    assert listener.hits == []


def test_remote_context_at_every_depth_is_refused_without_a_request(listener: Listener) -> None:
    url = f"http://127.0.0.1:{listener.port}/context.jsonld"
    for doc in ({"@context": url, "@id": f"{ORG}a"},
                {"@context": [{"ng": "https://w3id.org/normgraph/ont#"}, url], "@id": f"{ORG}a"},
                {"@context": {"@import": url}, "@id": f"{ORG}a"},
                {"@graph": [{"@context": url, "@id": f"{ORG}a"}]}):
        err = _import(json.dumps(doc).encode(), ".jsonld")
        assert isinstance(err, OrgDataError) and "remote" in err.reason
    assert listener.hits == []


_cell = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=25),
    st.sampled_from(["A.5.19", "iso27001:A-5-19", "iso42001:A-6-2-8", "yes", "no", "maybe", "implemented", "3", "0",
                     "99", "2026-01-15", "2026-02-30", "policy", "risk; legal", "availability", "provider",
                     "5(b)", "a" * 64, "x:y", "=1+1", ""]),
)


@st.composite
def table(draw: st.DrawFn) -> tuple[list[str], list[list[Any]]]:
    kind = draw(st.sampled_from(sorted(TEMPLATES)))
    names = TEMPLATES[kind].names
    header = draw(st.one_of(st.just(names), st.permutations(names),
                            st.lists(st.sampled_from([*names, "extra", ""]), min_size=1, max_size=len(names) + 1)))
    width = len(header)
    rows = draw(st.lists(st.lists(st.one_of(_cell, st.integers(-5, 30), st.floats(allow_nan=True), st.none()),
                                  min_size=0, max_size=width + 1), max_size=5))
    return header, rows


@FUZZ
@given(t=table())
def test_random_csv_imports_cleanly_or_raises_orgdataerror(t: tuple[list[str], list[list[Any]]]) -> None:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(t[0])
    w.writerows([["" if c is None else c for c in row] for row in t[1]])
    _import(buf.getvalue().encode("utf-8", "surrogatepass"), ".csv")


@FUZZ
@given(data=mutated(TEMPLATE_CSV["risk-register"]))
def test_mutated_csv_template_imports_cleanly_or_raises_orgdataerror(data: bytes) -> None:
    _import(data, ".csv")


def _xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append([c if not isinstance(c, str) else "".join(ch for ch in c if ch >= " " or ch in "\t\n\r")
                   for c in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@settings(FUZZ, max_examples=40)
@given(t=table())
def test_random_xlsx_imports_cleanly_or_raises_orgdataerror(t: tuple[list[str], list[list[Any]]]) -> None:
    _import(_xlsx(*t), ".xlsx")


@settings(FUZZ, max_examples=30)
@given(data=st.binary(max_size=300), cut=st.integers(0, 4000))
def test_broken_xlsx_bytes_raise_orgdataerror(data: bytes, cut: int) -> None:
    good = _xlsx(TEMPLATES["soa"].names, [["iso27001", "A.5.19", "yes", "", "", "implemented", "", ""]])
    assert not isinstance(_import(good, ".xlsx"), OrgDataError)
    _import(good[:cut] + data, ".xlsx")


# -- the endpoint ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app_and_store() -> Iterator[tuple[Any, EmbeddedStore]]:
    store = fixture_store()
    app = create_app(store, config={"update_token": TOKEN, "guard": False, "max_upload": 256 * 1024})
    yield app, store


_bodies = st.one_of(
    mutated(TEMPLATE_CSV["soa"]), mutated(TEMPLATE_CSV["evidence-register"]), mutated(VALID_TTL),
    mutated(VALID_JSONLD), st.sampled_from([TEMPLATE_CSV["soa"], VALID_TTL, VALID_JSONLD]), st.binary(max_size=100),
)
_header = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40)


@FUZZ
@given(body=_bodies,
       fmt=st.one_of(st.none(), st.sampled_from(["csv", "xlsx", "ttl", "jsonld", "turtle", "pdf", "", "CSV"])),
       kind=st.one_of(st.none(), st.sampled_from(["soa", "risks", "evidence", "ai-systems", "x", ""])),
       replace=st.sampled_from([None, "1", "0", "yes"]),
       slug=st.sampled_from(["acme", "acme-2", "Acme_Org", "a..b", "-"]),
       ctype=st.one_of(st.none(), _header, st.sampled_from(["text/csv", "text/turtle", "application/ld+json",
                                                           "multipart/form-data", "multipart/form-data; boundary=x"])),
       multipart=st.booleans(),
       auth=st.sampled_from([f"Bearer {TOKEN}", f"Bearer {TOKEN}", "Bearer no", None]))
def test_import_endpoint_never_5xx_and_never_a_partial_write(
        app_and_store: tuple[Any, EmbeddedStore], body: bytes, fmt: str | None, kind: str | None, replace: str | None,
        slug: str, ctype: str | None, multipart: bool, auth: str | None) -> None:
    app, store = app_and_store
    params = {k: v for k, v in (("format", fmt), ("kind", kind), ("replace", replace)) if v is not None}
    headers = {"Authorization": auth} if auth else {}
    before = store.export("nquads")
    per_graph = {g: store.export("ntriples", g) for g in store.graphs()}
    try:
        graph = str(org_graph(slug))
    except ValueError:  # no organisation can have this slug: the import must refuse it
        graph = ""
    size_before = store.graph_size(graph) if graph in store.graphs() else 0
    client = app.test_client()
    if multipart:
        r = client.post(f"/org/{slug}/import", query_string=params, headers=headers,
                        data={"file": (io.BytesIO(body), f"upload.{fmt or 'csv'}")}, content_type="multipart/form-data")
    else:
        if ctype is not None:
            headers["Content-Type"] = ctype
        r = client.post(f"/org/{slug}/import", query_string=params, headers=headers, data=body)
    assert r.status_code < 500 or r.status_code == 503, (r.status_code, r.data[:300])
    if r.status_code != 200:
        assert store.export("nquads") == before, "a refused upload changed the store"
        if r.status_code == 400 and r.is_json:
            doc = r.get_json()
            assert {"file", "row", "column", "reason"} <= set(doc) and doc["reason"]
        return
    doc = r.get_json()
    assert doc["graph"] == graph and doc["graph_size"] == store.graph_size(graph)
    if doc["replaced"]:
        assert doc["graph_size"] == doc["triples_loaded"]
    else:
        assert size_before <= doc["graph_size"] <= size_before + doc["triples_loaded"]
    assert {g: store.export("ntriples", g) for g in store.graphs() if g != graph} == {
        g: data for g, data in per_graph.items() if g != graph}, "an import touched another graph"


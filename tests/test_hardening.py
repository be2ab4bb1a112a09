"""The fourth attack review's findings, each closed and kept closed (issue 11): CSV exports that a carriage
return or a `;` turned back into live formulas, bearer-token guessing without throttling and a global-admin
update token of any length, an audit trail written elsewhere than configured, a sign-in lock-out anyone could
cause, a multipart import that the CSRF check emptied, and the Host header reflected in redirects.

The browser half (query results left in localStorage after sign-out) is tests/test_hardening_browser.py.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

from normgraph.access import Registry
from normgraph.applicability import assess
from normgraph.applicability.render import as_csv
from normgraph.exports.csvsafe import csv_text, neutralise, restore
from normgraph.iri import PREFIXES
from normgraph.loading import load_knowledge
from normgraph.orgdata.diff import plan
from normgraph.orgdata.export import export_rows, write_export
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]
HOSPITAL = "https://w3id.org/normgraph/graph/org/hospital"
#: a spreadsheet runs a cell that starts with one of these (a leading tab or CR are OWASP's too)
LIVE = ("=", "+", "-", "@")
#: what an editor (or a supplier's spreadsheet imported by one) plants in a risk title
PAYLOADS = {"R-909": "Backup\r=1+1", "R-910": "Supplier outage;=1+1", "R-911": "Minor issue\r=cmd|' /C calc'!A0",
            "R-912": 'x;"=HYPERLINK(""http://evil.example/"",""open"")"', "R-913": "\n=1+1"}


def live_cells(text: str) -> list[str]:
    """The cells a spreadsheet would run, read as a comma-separated file and as one in a locale whose list
    separator is `;` (Excel in de, fr, it, es, nl …), where a reader splits at every `;` and line break
    outside a field that starts with a quote."""
    found = []
    for delimiter in (",", ";"):
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            found += [c for c in row if c.lstrip('"').startswith(LIVE)]
    return found


@pytest.fixture(scope="module")
def knowledge_app() -> Iterator[Flask]:
    """The public knowledge and the example organisations; hosped edits hospital (a bearer token)."""
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    registry = Registry()
    registry.add("hosped")
    registry.grant("hosped", "hospital", "editor")
    app = create_app(store, config={"guard": False}, registry=registry)
    app.extensions["test_tokens"] = {"hosped": registry.new_token("hosped")}
    yield app
    close_app(app)


def bearer(app: Flask, who: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {app.extensions['test_tokens'][who]}"
    return client


# -- A2: CSV formula neutralisation bypassed by a carriage return and by `;` -----------------------------
def test_csv_exports_keep_a_cr_or_semicolon_payload_inside_its_cell(knowledge_app: Flask) -> None:
    editor = bearer(knowledge_app, "hosped")
    ttl = "\n".join(
        f"<https://w3id.org/normgraph/id/org/hospital/risk/{rid}> a ng:Risk, ng:SecurityRisk ; "
        f"rdfs:label {json.dumps(title)}@en ; skos:notation \"{rid}\" ; ng:likelihood 2 ; ng:impact 2 ; "
        f"ng:inherentScore 4 ." for rid, title in PAYLOADS.items())
    prefixes = "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in ("ng", "rdfs", "skos"))
    r = editor.post(f"/store?graph={HOSPITAL}", data=prefixes + ttl, content_type="text/turtle")
    assert r.status_code == 204, r.data
    for url in ("/org/hospital/export/risks.csv", "/org/hospital/risks?format=csv"):
        text = editor.get(url).get_data(as_text=True)
        assert "R-909" in text and "R-913" in text
        assert live_cells(text) == [], url
        cells = {restore(c) for row in csv.reader(io.StringIO(text, newline="")) for c in row}
        assert set(PAYLOADS.values()) <= cells, url  # each title whole, in one cell


def test_the_round_trip_export_reads_back_exactly(tmp_path: Path) -> None:
    g = Graph().parse(ROOT / "data" / "examples" / "hospital.ttl")
    risk = URIRef(PREFIXES["ngorg"] + "hospital/risk/R-001")
    for title in [t for t in PAYLOADS.values() if t == t.strip()]:  # the importer trims a cell's ends, by design
        g.set((risk, RDFS.label, Literal(title, lang="en")))
        text = write_export(export_rows(g, "hospital", "risks"), "risks", "csv")
        assert live_cells(text.decode()) == []
        path = tmp_path / "risks.csv"
        path.write_bytes(text)
        result = plan(g, path, "hospital", "risks")
        assert result.diff.empty and isomorphic(result.new, g), repr(title)


def test_applicability_csv_is_neutralised() -> None:
    """System labels come from organisation data: this CSV had no neutralisation at all."""
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    system = "<https://w3id.org/normgraph/id/org/hospital/ai-system/shift-roster>"
    store.update(f"PREFIX rdfs: <{RDFS}> DELETE {{ GRAPH <{HOSPITAL}> {{ {system} rdfs:label ?l }} }} "
                 f"INSERT {{ GRAPH <{HOSPITAL}> {{ {system} rdfs:label \"Rota\\r=1+1;=2+2\" }} }} "
                 f"WHERE {{ GRAPH <{HOSPITAL}> {{ {system} rdfs:label ?l }} }}")
    result = assess(store, "hospital", date(2026, 12, 1))
    text = as_csv(result, result.select(None, None))
    assert "Rota" in text and live_cells(text) == []


def test_neutralise_and_restore_are_exact_inverses() -> None:
    for text in ("", "plain", "=1", "'=1", "''=1", "a;=b", "a;'=b", "a\r\n=b", '"=1', "x\t-1", "-", "';", "a;b"):
        assert restore(neutralise(text)) == text
        assert live_cells(csv_text(None, [["id", text]])) == [], repr(text)
    assert neutralise(3) == 3 and csv_text(["a"], [[None]]) == '"a"\r\n""\r\n'

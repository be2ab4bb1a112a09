"""Evidence items and requirements that are blank nodes (RDF uploaded by an editor may have them) in the audit pack:
the register page lists a blank-node item as the download does, and a page whose query cannot name a blank node
answers 422 with the reason, never 500."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask

from normgraph.access import Registry
from normgraph.iri import NGG
from normgraph.loading import load_knowledge
from normgraph.reports import audit_pack
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore

DAY = dt.date(2026, 12, 1)
NG = "https://w3id.org/normgraph/ont#"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
BLANK_ITEM = (f'_:ev <{NG}supports> <https://w3id.org/normgraph/id/iso27001-2022/A-8-13> ; {LABEL} "Backup restore '
              f'test 2026 (blank node)" ; <{NG}validUntil> "2027-12-31"^^<http://www.w3.org/2001/XMLSchema#date> .')


def test_register_page_lists_a_blank_node_item_as_the_download_does() -> None:
    s = EmbeddedStore()
    load_knowledge(s, examples=True)
    s.load(BLANK_ITEM.encode(), "turtle", f"{NGG}org/hospital", replace=False)
    whole = audit_pack.build(s, "hospital", DAY, validate=False)
    page = audit_pack.build(s, "hospital", DAY, part="evidence-1", validate=False)
    assert page.table("evidence").rows == whole.table("evidence").rows
    assert any(e["evidence"] == "Backup restore test 2026 (blank node)" for e in page.table("evidence").rows)
    assert page.extra["counts"]["evidence_items"] == len(whole.table("evidence").rows)


@pytest.fixture(scope="module")
def app() -> Iterator[tuple[Flask, dict[str, str]]]:
    registry = Registry()
    tokens = {}
    for name, role in (("hosp-editor", "editor"), ("hosp-viewer", "viewer")):
        registry.add(name)
        registry.grant(name, "hospital", role)
        tokens[name] = registry.new_token(name)
    store = EmbeddedStore()
    load_knowledge(store, examples=True)
    application = create_app(store, config={"workers": 2, "query_timeout": 60}, registry=registry)
    application.testing = False  # as in production: an unhandled error is a 500, not an exception in the test
    yield application, tokens
    close_app(application)


def test_imported_blank_nodes_never_make_a_pack_page_fail(app: tuple[Flask, dict[str, str]]) -> None:
    application, tokens = app
    editor, viewer = application.test_client(), application.test_client()
    editor.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens['hosp-editor']}"
    viewer.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens['hosp-viewer']}"
    # an evidence item without an IRI, and an item whose evidence serves a requirement without one
    turtle = (f'{BLANK_ITEM}\n<https://w3id.org/normgraph/id/org/hospital/evidence/OWN-REQ-1> <{NG}supports> '
              f'[ {LABEL} "our own requirement" ] ; {LABEL} "Evidence of our own requirement" .')
    r = editor.post("/org/hospital/import", query_string={"format": "ttl", "filename": "blank.ttl"},
                    content_type="text/turtle", data=turtle.encode())
    assert r.status_code == 200, r.get_data(as_text=True)
    day = {"today": DAY.isoformat()}
    page = viewer.get("/org/hospital/audit-pack", query_string={**day, "section": "evidence-1"})
    assert page.status_code == 200
    assert "Backup restore test 2026 (blank node)" in page.get_data(as_text=True)
    other = viewer.get("/org/hospital/audit-pack", query_string={**day, "section": "other"})
    assert other.status_code in (200, 422)
    if other.status_code == 422:  # the reason, not "Internal Server Error"
        assert "cannot be built from the organisation's data" in other.get_data(as_text=True)
    assert viewer.get("/org/hospital/audit-pack", query_string=day).status_code == 200

"""The organisation workspace (issue 12) and the applicability API (issue 10) on the example organisations:
/org/ lists only what the reader is granted, /org/<slug>'s figures are the reports' and the engine's, and
GET /api/orgs/<slug>/applicability answers what `normgraph applicability --format json` answers."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from normgraph.access import Registry
from normgraph.applicability import DOES_NOT_APPLY, assess
from normgraph.cli import main
from normgraph.loading import load_knowledge
from normgraph.reports.dispatch import build_report
from normgraph.server import create_app
from normgraph.server.kernel import close_app
from normgraph.store import EmbeddedStore
from tests.server_helpers import running

DAY = dt.date(2026, 12, 1)
ID = "https://w3id.org/normgraph/id/org/"
#: what only each organisation's own pages may show: its slug in links, its name, its IRIs
MARKS = {"hospital": ("/org/hospital", "St. Aldhelm", f"{ID}hospital/"),
         "fintech": ("/org/fintech", "Northwind", f"{ID}fintech/")}


@pytest.fixture(scope="module")
def app(store: EmbeddedStore) -> Iterator[tuple[Flask, dict[str, str]]]:
    registry = Registry()
    tokens = {}
    for name, orgs in (("hosp-viewer", ("hospital",)), ("auditor", ("hospital", "fintech"))):
        registry.add(name)
        for org in orgs:
            registry.grant(name, org, "viewer")
        tokens[name] = registry.new_token(name)
    application = create_app(store, config={"workers": 2, "query_timeout": 60}, registry=registry)
    application.testing = True
    yield application, tokens
    close_app(application)


def client(app: tuple[Flask, dict[str, str]], who: str | None) -> FlaskClient:
    c = app[0].test_client()
    if who:
        c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {app[1][who]}"
    return c


def shown(body: str, org: str) -> list[str]:
    return [m for m in MARKS[org] if m in body]


def test_anonymous_sees_no_organisation(app: tuple[Flask, dict[str, str]]) -> None:
    c = client(app, None)
    r = c.get("/org/")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "no organisations for you" in body
    assert not shown(body, "hospital") and not shown(body, "fintech")
    assert "hospital" not in body and "fintech" not in body
    for org in ("hospital", "fintech"):
        denied, unknown = c.get(f"/org/{org}"), c.get("/org/no-such-org")
        assert denied.status_code == unknown.status_code == 404
        assert denied.get_data(as_text=True).replace(org, "X") == unknown.get_data(as_text=True).replace("no-such-org", "X")


def test_a_viewer_of_hospital_sees_hospital_only(app: tuple[Flask, dict[str, str]]) -> None:
    c = client(app, "hosp-viewer")
    listing = c.get("/org/").get_data(as_text=True)
    assert shown(listing, "hospital")[:2] == ["/org/hospital", "St. Aldhelm"]
    assert not shown(listing, "fintech") and "fintech" not in listing
    board = c.get(f"/org/hospital?today={DAY}")
    body = board.get_data(as_text=True)
    assert board.status_code == 200 and board.headers["Cache-Control"] == "private, no-store"
    assert shown(body, "hospital") == list(MARKS["hospital"]) and not shown(body, "fintech")
    for url in ("/org/fintech", "/api/orgs/fintech/applicability", "/org/fintech/soa"):
        assert c.get(url).status_code == 404, url
    both = client(app, "auditor").get("/org/").get_data(as_text=True)
    assert both.index("Northwind") < both.index("St. Aldhelm")  # both granted: both listed, by slug


def figures(body: str, row: str) -> dict[str, int]:
    """The data-count figures of the dashboard row whose data attribute is `row` (e.g. 'data-target="eu-ai-act"')."""
    found = re.search(rf"<tr {re.escape(row)}>(.*?)</tr>", body, re.S)
    assert found, row
    return {k: int(v) for k, v in re.findall(r'data-count="([\w-]+)">(\d+)', found.group(1))}


def figure(body: str, name: str) -> int:
    found = re.search(rf'data-figure="{name}">(\d+)<', body)
    assert found, name
    return int(found.group(1))


@pytest.mark.parametrize("org", ["hospital", "fintech"])
def test_dashboard_figures_are_the_reports_and_the_engines(app: tuple[Flask, dict[str, str]], store: EmbeddedStore,
                                                           org: str) -> None:
    body = client(app, "auditor").get(f"/org/{org}?today={DAY}").get_data(as_text=True)
    soa = build_report(store, "soa", org, "", DAY)
    for standard, counts in soa.extra["summary"].items():
        row = figures(body, f'data-standard="{standard}"')
        assert row["controls"] == counts["controls"] and row["applicable"] == counts.get("applicable: yes", 0)
        assert row["implemented"] == counts["implemented"]
    for target in ("iso42001-2023", "eu-ai-act", "nist-ai-rmf-1.0"):
        total = build_report(store, "gap", org, target, DAY).extra["total"]
        row = figures(body, f'data-target="{target}"')
        assert row == {"total": total.total, "full": total.full, "no_evidence": total.no_evidence,
                       "partial": total.partial, "none": total.none}
        assert row["full"] + row["no_evidence"] + row["partial"] + row["none"] == row["total"]
    pack = build_report(store, "audit-pack", org, "", DAY)
    assert figure(body, "violations") == pack.extra["counts"]["violations"] > 0
    # risks above the recorded appetite (6 in both examples), from the register
    risks = build_report(store, "risks", org, "", DAY).table("risks").rows
    above = {str(r["iri"]) for r in risks if isinstance(r["residual_score"], int) and r["residual_score"] > 6}
    assert figure(body, "above-appetite") == len(above) and above
    assert set(re.findall(r'data-risk="([^"]+)"', body)) == above
    # evidence that is current on the day and ends within 90 days, as the audit pack dates it
    until = (DAY + dt.timedelta(days=90)).isoformat()
    ending = {str(e["evidence_iri"]) for e in pack.table("evidence").rows
              if e["valid"] and e["valid_until"] and str(e["valid_until"]) <= until}
    assert set(re.findall(r'data-evidence="([^"]+)"', body)) == ending and figure(body, "expiring") == len(ending)
    # the AI Act duties per system: every answer of the engine on the day but "does not apply", in its order
    result = assess(store, org, DAY)
    for subject in result.subjects:
        section = re.search(rf'<details data-system="{subject.key}".*?</details>', body, re.S)
        assert section, subject.key
        listed = [a.obligation.iri for a in result.for_subject(subject.key) if a.status != DOES_NOT_APPLY]
        assert re.findall(r'<tr data-obligation="([^"]+)"', section.group(0)) == listed


def test_the_date_changes_the_dashboard(app: tuple[Flask, dict[str, str]]) -> None:
    c = client(app, "hosp-viewer")
    early = c.get("/org/hospital?today=2026-06-01").get_data(as_text=True)
    late = c.get(f"/org/hospital?today={DAY}").get_data(as_text=True)
    assert "judged on <strong>2026-06-01</strong>" in early
    # hospital's shift roster is placed on the market on 2026-06-15 (data/examples/hospital.ttl): judged before
    # that, it is simply not yet placed on the market — the organisation is judged as a whole, nothing refused
    assert "cannot be listed" not in early and 'data-target="iso42001-2023"' in early
    gap_early = c.get("/org/hospital/gap?target=eu-ai-act&today=2026-06-01")
    assert gap_early.status_code == 200
    assert set(re.findall(r'data-evidence="([^"]+)"', early)) != set(re.findall(r'data-evidence="([^"]+)"', late))
    # an obligation that applies from a later date says so, with its date
    assert re.search(r"<td>applies from 20\d\d-\d\d-\d\d</td>", late)
    assert c.get("/org/hospital?today=yesterday").status_code == 400


def test_dashboard_links_every_report_and_the_api(app: tuple[Flask, dict[str, str]]) -> None:
    c = client(app, "hosp-viewer")
    body = c.get(f"/org/hospital?today={DAY}").get_data(as_text=True).replace("&amp;", "&")
    links = set(re.findall(r'href="(/(?:org|api)/[^"]+)"', body))
    wanted = {f"/org/hospital/soa?today={DAY}", f"/org/hospital/risks?today={DAY}",
              f"/org/hospital/audit-pack?today={DAY}", f"/api/orgs/hospital/applicability?on={DAY}"}
    wanted |= {f"/org/hospital/gap?target={t}&today={DAY}" for t in ("iso42001-2023", "eu-ai-act", "nist-ai-rmf-1.0")}
    wanted |= {f"/org/hospital/audit-pack?section=findings&today={DAY}", f"/org/hospital/soa?section=ai-act-duties&today={DAY}"}
    assert wanted <= links
    for link in sorted(wanted):
        assert c.get(link).status_code == 200, link


def test_reports_are_pages_of_the_site(app: tuple[Flask, dict[str, str]]) -> None:
    c = client(app, "hosp-viewer")
    soa = c.get(f"/org/hospital/soa?today={DAY}").get_data(as_text=True).replace("&amp;", "&")
    crumbs = re.search(r'<nav aria-label="Breadcrumb".*?</nav>', soa, re.S)
    assert crumbs and re.findall(r'href="([^"]+)"', crumbs.group(0)) == ["/org/", f"/org/hospital?today={DAY}"]
    assert 'aria-current="page">Statement of Applicability<' in crumbs.group(0)
    assert 'href="/org/"' in soa.split("<main", 1)[0]  # the site navigation leads to the organisations
    assert f'href="/org/hospital/soa?today={DAY}&format=xlsx"' in soa
    # the long reports come in sections, each a page of its own, linked from the overview
    section = f"/org/hospital/soa?today={DAY}&section=27001-A.5"
    assert f'href="{section}"' in soa
    page = c.get(section).get_data(as_text=True)
    assert "A.5.19" in page and "A.8.8" not in page and "Organizational controls</span>" in page
    assert c.get(f"/org/hospital/soa?today={DAY}&section=no-such-part").status_code == 404
    # requirements link to the explorer, and the gap target is switched on the page itself
    assert "/explore/resource?iri=https%3A%2F%2Fw3id.org%2Fnormgraph%2Fid%2Fiso27001-2022%2FA-5-19" in page
    gap = c.get(f"/org/hospital/gap?target=nist-ai-rmf-1.0&today={DAY}").get_data(as_text=True)
    form = re.search(r'<select id="gap-target" name="target">(.*?)</select>', gap, re.S)
    assert form and re.findall(r'value="([^"]+)"', form.group(1)) == ["iso42001-2023", "eu-ai-act", "nist-ai-rmf-1.0"]
    assert 'value="nist-ai-rmf-1.0" selected' in form.group(1)
    assert gap.count('id="gap-target"') == 1


def test_what_one_organisation_states_never_reaches_another_organisations_report(tmp_path: Path) -> None:
    """An organisation's graph may say things about public items (here fintech's own label for A.8.8). The pages
    about hospital are built from the public knowledge and hospital's graph only, so neither a reader of both nor
    a reader of hospital alone sees fintech's statement there — nor gets a page cached for the other."""
    s = EmbeddedStore()
    load_knowledge(s, examples=True)
    planted = tmp_path / "planted.ttl"
    planted.write_text('<https://w3id.org/normgraph/id/iso27001-2022/A-8-8> '
                       '<http://www.w3.org/2004/02/skos/core#prefLabel> "PlantedByFintech"@en .\n')
    s.load(planted, "turtle", "https://w3id.org/normgraph/graph/org/fintech")
    registry = Registry()
    for name, orgs in (("both", ("hospital", "fintech")), ("hosp", ("hospital",))):
        registry.add(name)
        for org in orgs:
            registry.grant(name, org, "viewer")
    application = create_app(s, config={"workers": 2, "query_timeout": 60}, registry=registry)
    try:
        urls = [f"/org/hospital/soa?today={DAY}&section=27001-A.8", f"/org/hospital/soa?today={DAY}&format=csv"]
        for name, sees in (("both", False), ("hosp", False)):
            c = application.test_client()
            c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {registry.new_token(name)}"
            for url in urls:
                assert ("PlantedByFintech" in c.get(url).get_data(as_text=True)) is sees, (name, url)
    finally:
        close_app(application)


def cli_json(*args: str) -> dict[str, object]:
    r = CliRunner().invoke(main, ["applicability", *args, "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


@pytest.mark.parametrize(("org", "params"), [
    ("hospital", {"on": "2026-12-01"}),
    ("fintech", {"on": "2027-09-01", "system": "northscore"}),
    ("hospital", {"on": "2026-12-01", "why": "art-27-1-deployer"}),
])
def test_api_answers_what_the_cli_answers(app: tuple[Flask, dict[str, str]], org: str, params: dict[str, str]) -> None:
    r = client(app, "auditor").get(f"/api/orgs/{org}/applicability", query_string=params)
    assert r.status_code == 200 and r.mimetype == "application/json"
    args = ["--org", org, *(x for k, v in params.items() for x in (f"--{k}", v))]
    assert r.get_json() == cli_json(*args)


def test_api_errors_name_the_problem(app: tuple[Flask, dict[str, str]]) -> None:
    c = client(app, "hosp-viewer")
    for params, param in (({"system": "nope"}, "system"), ({"why": "art-999-provider"}, "why"),
                          ({"on": "soon"}, "on"), ({"bogus": "1"}, "bogus")):
        r = c.get("/api/orgs/hospital/applicability", query_string=params)
        assert r.status_code == 400 and r.get_json()["param"] == param, (params, r.get_json())
    denied, unknown = c.get("/api/orgs/fintech/applicability"), c.get("/api/orgs/no-such-org/applicability")
    assert denied.status_code == unknown.status_code == 404
    assert denied.get_json()["error"].replace("fintech", "X") == unknown.get_json()["error"].replace("no-such-org", "X")


def test_openapi_describes_the_applicability_endpoint(app: tuple[Flask, dict[str, str]]) -> None:
    doc = client(app, None).get("/api/openapi.json").get_json()
    op = doc["paths"]["/api/orgs/{slug}/applicability"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"slug", "system", "on", "why"}
    assert {"200", "400", "404", "422"} <= set(op["responses"])
    schema = doc["components"]["schemas"]["Applicability"]
    assert schema["required"] == ["org", "on", "subjects"]


def test_real_server_dashboard_follows_a_write(store: EmbeddedStore, tmp_path: Path) -> None:
    """Over HTTP: a viewer's dashboard is cached per data generation, and a write the editor makes shows at once."""
    db = tmp_path / "access.sqlite"
    registry = Registry(db)
    registry.add("ed")
    registry.grant("ed", "hospital", "editor")
    token = registry.new_token("ed")
    s = EmbeddedStore()
    load_knowledge(s, examples=True)
    auth = {"Authorization": f"Bearer {token}"}
    with running(s, access_db=str(db), workers=2, query_timeout=60) as (base, _app):
        assert "St. Aldhelm" not in requests.get(f"{base}/org/", timeout=60).text
        first = requests.get(f"{base}/org/hospital", params={"today": str(DAY)}, headers=auth, timeout=120)
        assert first.status_code == 200 and figure(first.text, "expiring") == 4
        evidence = f"{ID}hospital/evidence/TEST-EXPIRING"
        turtle = (f"<{evidence}> a <https://w3id.org/normgraph/ont#Evidence> ; "
                  f"<http://www.w3.org/2000/01/rdf-schema#label> \"Penetration test (expires soon)\" ; "
                  f"<https://w3id.org/normgraph/ont#supports> <https://w3id.org/normgraph/id/iso27001-2022/A-8-8> ; "
                  f"<https://w3id.org/normgraph/ont#issued> \"2026-01-10\"^^<http://www.w3.org/2001/XMLSchema#date> ; "
                  f"<https://w3id.org/normgraph/ont#validUntil> \"2026-12-20\"^^<http://www.w3.org/2001/XMLSchema#date> .")
        r = requests.post(f"{base}/store", params={"graph": "https://w3id.org/normgraph/graph/org/hospital"},
                          data=turtle.encode(), headers={**auth, "Content-Type": "text/turtle"}, timeout=60)
        assert r.status_code in (200, 201, 204), r.text
        after = requests.get(f"{base}/org/hospital", params={"today": str(DAY)}, headers=auth, timeout=120).text
        assert figure(after, "expiring") == 5 and evidence in after
        api = requests.get(f"{base}/api/orgs/hospital/applicability", params={"on": str(DAY)}, headers=auth, timeout=60)
        assert api.status_code == 200 and api.json()["org"] == "hospital"
        assert requests.get(f"{base}/api/orgs/hospital/applicability", timeout=60).status_code == 404

"""A large synthetic organisation for the report benchmarks: N AI systems, risks, SoA over both
Annex A sets, evidence items (default 50 / 200 / 5,000; `scale` multiplies all three)."""

from __future__ import annotations

import hashlib
import random

from normgraph.reports import run
from normgraph.store.base import Store

NG = "https://w3id.org/normgraph/ont#"
V = "https://w3id.org/normgraph/id/vocab/"
ROLES = ("provider", "deployer")
CATS = ("high-risk", "art-50-system", "minimal-risk", "gpai-model")
STATUS = ("implemented", "implemented", "partially-implemented", "planned", "not-started")
KINDS = ("policy", "procedure", "log", "test-report", "event-log", "technical-documentation", "contract")
RISK_KINDS = ("confidentiality", "integrity", "availability", "bias", "drift", "robustness", "privacy")


def controls(store: Store, slug: str) -> list[str]:
    """The Annex A controls of both ISO standards: the rows of the unified SoA (for an organisation
    that has no entries yet)."""
    rows = run(store, "report-soa", graph=f"https://w3id.org/normgraph/graph/org/{slug}").rows
    return sorted({str(r["control"]) for r in rows})


def obligations(store: Store) -> list[str]:
    rows = run(store, "explorer-catalog-items", catalog="https://w3id.org/normgraph/id/eu-ai-act-obligation").rows
    return sorted(str(r["item"]) for r in rows if str(r["class"]) == f"{NG}Obligation")


def generate(store: Store, slug: str, scale: int = 1, seed: int = 7) -> int:
    """Write ngg:org/<slug> into the store; returns its triple count."""
    rnd = random.Random(seed)
    base = f"https://w3id.org/normgraph/id/org/{slug}/"
    ctrl, obl = controls(store, slug), obligations(store)
    label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    lines: list[str] = [f"<{base}organisation/{slug}> a <{NG}Organisation> ; {label} \"Synthetic {slug}\" ."]
    for p in range(20):
        lines.append(f'<{base}person/p{p}> a <{NG}Person> ; <http://xmlns.com/foaf/0.1/name> "Person {p}" .')
    for n, c in enumerate(ctrl):
        st = rnd.choice(STATUS)
        lines.append(f"<{base}soa/s{n}> a <{NG}SoAEntry> ; <{NG}forControl> <{c}> ; <{NG}applicable> true ; "
                     f"<{NG}implementationStatus> <{V}implementation-status/{st}> ; <{NG}inclusionReason> <{V}inclusion-reason/risk> ; "
                     f"<{NG}owner> <{base}person/p{n % 20}> ; <{NG}implementingMeasure> \"measure {n}\" .")
    systems = 50 * scale
    for s in range(systems):
        lines.append(f"<{base}ai-system/a{s}> a <{NG}AISystem> ; <{NG}aiActRole> <{V}role/{rnd.choice(ROLES)}> ; "
                     f"<{NG}riskCategory> <{V}system-category/{rnd.choice(CATS)}> ; {label} \"System {s}\" .")
    for r in range(200 * scale):
        likelihood, impact = rnd.randint(1, 5), rnd.randint(1, 5)
        cls = "AIRisk" if r % 2 else "SecurityRisk"
        lines.append(f"<{base}risk/r{r}> a <{NG}{cls}> ; <{NG}riskKind> <{V}risk-kind/{rnd.choice(RISK_KINDS)}> ; "
                     f"<{NG}likelihood> {likelihood} ; <{NG}impact> {impact} ; <{NG}inherentScore> {likelihood * impact} ; "
                     f"<{NG}residualScore> {max(1, likelihood - 1) * impact} ; <{NG}affects> <{base}ai-system/a{r % systems}> ; "
                     f"<{NG}owner> <{base}person/p{r % 20}> ; <{NG}treatedBy> <{rnd.choice(ctrl)}> , <{rnd.choice(ctrl)}> .")
    for e in range(5000 * scale):
        year = rnd.choice((2025, 2026, 2027))
        targets = [rnd.choice(ctrl), rnd.choice(ctrl)] + ([rnd.choice(obl)] if e % 3 == 0 else [])
        sha = hashlib.sha256(str(e).encode()).hexdigest()
        lines.append(f"<{base}evidence/e{e}> a <{NG}Evidence> ; <{NG}evidenceKind> <{V}evidence-kind/{rnd.choice(KINDS)}> ; "
                     f"<{NG}issued> \"{year - 1}-03-01\"^^<http://www.w3.org/2001/XMLSchema#date> ; "
                     f"<{NG}validUntil> \"{year}-06-30\"^^<http://www.w3.org/2001/XMLSchema#date> ; "
                     f"<{NG}location> \"https://dms.example/e{e}\" ; <{NG}sha256> \"{sha}\" ; <{NG}owner> <{base}person/p{e % 20}> ; "
                     + " , ".join(f"<{NG}supports> <{t}>" for t in targets).replace(" , ", " ; ") + " .")
    return store.load("\n".join(lines).encode(), "turtle", f"https://w3id.org/normgraph/graph/org/{slug}")

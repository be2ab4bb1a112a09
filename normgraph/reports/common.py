"""Shared by the report modules: the organisation header and label look-ups."""

from __future__ import annotations

from dataclasses import dataclass, field

from normgraph.reports import check_org, run, short, text, vocab_local
from normgraph.store.base import Store


@dataclass(frozen=True)
class AISystem:
    iri: str
    type: str
    label: str
    roles: tuple[str, ...]
    categories: tuple[str, ...]
    high_risk: bool
    stage: str


@dataclass(frozen=True)
class OrgInfo:
    slug: str
    graph: str
    label: str
    systems: tuple[AISystem, ...]


@dataclass
class _SystemRows:
    """What the rows of report-org say about one AI system, gathered before it becomes an AISystem."""

    type: str
    label: str
    roles: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    high_risk: bool = False
    stage: str = ""


def org_info(store: Store, slug: str) -> OrgInfo:
    graph = check_org(store, slug)
    label = ""
    systems: dict[str, _SystemRows] = {}
    for row in run(store, "report-org", graph=str(graph)).rows:
        if text(row.get("type")) == "organisation":
            label = label or text(row.get("label"))
            continue
        iri = text(row["item"])
        s = systems.setdefault(iri, _SystemRows(text(row["type"]), text(row.get("label")) or short(row["item"])))
        if row.get("role") is not None:
            s.roles.add(vocab_local(row["role"]))
        if row.get("category") is not None:
            s.categories.add(vocab_local(row["category"]))
        if text(row.get("highRisk")) == "true":
            s.high_risk = True
        if row.get("stage") is not None:
            s.stage = vocab_local(row["stage"])
    out = tuple(
        AISystem(iri, s.type, s.label, tuple(sorted(s.roles)), tuple(sorted(s.categories)), s.high_risk, s.stage)
        for iri, s in sorted(systems.items())
    )
    return OrgInfo(slug, str(graph), label or slug, out)

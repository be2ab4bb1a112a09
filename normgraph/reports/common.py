"""Shared by the report modules: the organisation header and label look-ups."""

from __future__ import annotations

from dataclasses import dataclass

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


def org_info(store: Store, slug: str) -> OrgInfo:
    graph = check_org(store, slug)
    label = ""
    systems: dict[str, dict[str, object]] = {}
    for row in run(store, "report-org", graph=str(graph)).rows:
        if text(row.get("type")) == "organisation":
            label = label or text(row.get("label"))
            continue
        iri = text(row["item"])
        s = systems.setdefault(iri, {"type": text(row["type"]), "label": text(row.get("label")) or short(row["item"]),
                                     "roles": set(), "cats": set(), "hr": False, "stage": ""})
        if row.get("role") is not None:
            s["roles"].add(vocab_local(row["role"]))  # type: ignore[union-attr]
        if row.get("category") is not None:
            s["cats"].add(vocab_local(row["category"]))  # type: ignore[union-attr]
        if text(row.get("highRisk")) == "true":
            s["hr"] = True
        if row.get("stage") is not None:
            s["stage"] = vocab_local(row["stage"])
    out = tuple(
        AISystem(iri, str(s["type"]), str(s["label"]), tuple(sorted(s["roles"])),  # type: ignore[arg-type]
                 tuple(sorted(s["cats"])), bool(s["hr"]), str(s["stage"]))  # type: ignore[arg-type]
        for iri, s in sorted(systems.items())
    )
    return OrgInfo(slug, str(graph), label or slug, out)

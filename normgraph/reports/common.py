"""Shared by the report modules: the organisation header and label look-ups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from normgraph.reports import check_org, run, short, text, vocab_local
from normgraph.store.base import Store

#: memo(key, compute): how a caller keeps expensive inputs (applicability, validation, shared query rows) for a data
#: generation (normgraph.reports.cache.ReportCache.memo); `plain` keeps nothing
Memo = Callable[[tuple[Any, ...], Callable[[], Any]], Any]


def plain(_key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """The Memo that keeps nothing."""
    return compute()


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


def org_info(store: Store, slug: str, memo: Memo | None = None) -> OrgInfo:
    """The organisation's label and AI systems (ReportError for an unknown organisation), kept by `memo`: every report
    of one data generation heads its pages with them."""
    info: OrgInfo = (memo or plain)(("org", slug), lambda: _org_info(store, slug))
    return info


def _org_info(store: Store, slug: str) -> OrgInfo:
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

"""The AI Act duties of each AI system and model, as the SoA and the audit pack list them.

One source: the applicability engine (normgraph.applicability.assess), the same answers as
`normgraph applicability`. A report lists every answer that is not "does not apply": what applies (in force on
the judged date, or from a later date, shown with that date) and what cannot be told yet (shown as such, with
the facts to record) — nothing is dropped silently and nothing dated later is shown as owed now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from normgraph.applicability import APPLIES, CANNOT_TELL, DOES_NOT_APPLY, Answer, Applicability, ApplicabilityError, assess
from normgraph.reports import ReportError, run
from normgraph.reports.common import Memo, plain
from normgraph.reports.model import Table
from normgraph.reports.page import Part
from normgraph.store.base import Store

IN_FORCE, LATER = "in force", "applies later"
#: AI systems whose duties one section lists in full
PER_PAGE = 10
COLUMNS = ["system", "system_kind", "roles", "obligation", "title", "status", "applies_from", "in_force", "why",
           "record", "eased", "system_iri", "obligation_iri"]


@dataclass(frozen=True)
class Duty:
    """One (system, obligation) answer a report lists."""

    system: str
    system_label: str
    system_kind: str
    roles: tuple[str, ...]
    obligation: str
    notation: str
    title: str
    status: str  # APPLIES | CANNOT_TELL
    applies_from: dt.date | None
    in_force: bool
    reasons: tuple[str, ...]
    record: tuple[str, ...]
    eased: tuple[str, ...]

    @property
    def state(self) -> str:
        """In words: "in force", "applies from 2027-08-02", "cannot tell yet: record annex_iii_point"."""
        if self.status == CANNOT_TELL:
            return "cannot tell yet" + (f": record {', '.join(self.record)}" if self.record else "")
        if self.in_force:
            return IN_FORCE
        return f"applies from {self.applies_from.isoformat()}" if self.applies_from else "applies"

    @property
    def css(self) -> str:
        return {True: "ok"}.get(self.in_force, "warn" if self.status == CANNOT_TELL else "later")

    def why(self) -> str:
        return " · ".join(self.reasons)

    def row(self) -> dict[str, str | int | float | bool | None]:
        return {"system": self.system_label, "system_kind": self.system_kind, "roles": ", ".join(self.roles),
                "obligation": self.notation, "title": self.title, "status": self.state,
                "applies_from": self.applies_from.isoformat() if self.applies_from else "", "in_force": self.in_force,
                "why": self.why(), "record": "; ".join(self.record), "eased": "; ".join(self.eased),
                "system_iri": self.system, "obligation_iri": self.obligation}


@dataclass(frozen=True)
class SystemDuties:
    """One AI system or model and its listed duties, in catalog order."""

    iri: str
    label: str
    kind: str
    roles: tuple[str, ...]
    duties: tuple[Duty, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many duties are in force, apply from a later date, cannot be told yet."""
        return {IN_FORCE: sum(d.in_force for d in self.duties),
                LATER: sum(d.status == APPLIES and not d.in_force for d in self.duties),
                CANNOT_TELL: sum(d.status == CANNOT_TELL for d in self.duties)}

    @property
    def record(self) -> tuple[str, ...]:
        """The facts to record to settle the questions that cannot be told yet."""
        return tuple(dict.fromkeys(c for d in self.duties for c in d.record))


def _role(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


@lru_cache(maxsize=256)
def _roles(iris: tuple[str, ...]) -> tuple[str, ...]:
    """(Kept per set of roles: a large organisation's duties name the same few thousands of times.)"""
    return tuple(_role(r) for r in iris)


def listed(answer: Answer) -> bool:
    """Whether a report lists the answer: everything but "does not apply"."""
    return answer.status != DOES_NOT_APPLY


def duty(answer: Answer, on: dt.date) -> Duty:
    s, ob = answer.subject, answer.obligation
    return Duty(s.iri, s.label, s.kind, _roles(s.roles), ob.iri, ob.notation, ob.title, answer.status,
                answer.applies_from, answer.due_on(on), answer.reasons, answer.record, answer.eased)


def shared_rows(store: Store, memo: Memo | None, name: str, **params: str) -> list[dict[str, Any]]:
    """The rows of a named query the pages of one report all read, kept by `memo` for the data generation."""
    def rows() -> list[dict[str, Any]]:
        return list(run(store, name, **params).rows)

    found: list[dict[str, Any]] = (memo or plain)(("rows", name, *sorted(params.items())), rows)
    return found


def assessed(store: Store, slug: str, on: dt.date, memo: Memo | None = None) -> Applicability:
    """The engine's answers for the organisation on `on` (ReportError on contradictory facts), kept by `memo`
    (normgraph.reports.cache) so that every report of one data generation asks the engine once."""
    def compute() -> Applicability:
        try:
            return assess(store, slug, on)
        except ApplicabilityError as e:
            raise ReportError(str(e)) from None

    result: Applicability = (memo or plain)(("applicability", slug, on.isoformat()), compute)
    return result


def owed_obligations(store: Store, slug: str, on: dt.date, memo: Memo | None = None) -> set[str]:
    """The IRIs of the obligations the organisation owes on `on` (the engine's owed(); none when its facts
    contradict each other — the report says why in its duties section)."""
    try:
        return set(assessed(store, slug, on, memo).owed())
    except ReportError:
        return set()


def ai_act_duties(store: Store, slug: str, on: dt.date, memo: Memo | None = None) -> list[SystemDuties]:
    """Per AI system and model with an AI Act role: its listed duties on `on` (ReportError on contradictory facts)."""
    result = assessed(store, slug, on, memo)
    mine: dict[str, list[Duty]] = {}
    for a in result.answers:  # one pass (a large organisation has tens of thousands of answers)
        if listed(a):
            mine.setdefault(a.subject.iri, []).append(duty(a, on))
    return [SystemDuties(s.iri, s.label, s.kind, tuple(_role(r) for r in s.roles), tuple(mine.get(s.iri, ())))
            for s in result.subjects]


def duties_or_problem(store: Store, slug: str, on: dt.date, memo: Memo | None = None) -> tuple[list[SystemDuties], str]:
    """The duties, or none and why not (contradictory facts: the report says so instead of failing whole)."""
    try:
        return ai_act_duties(store, slug, on, memo), ""
    except ReportError as e:
        return [], f"The AI Act duties cannot be listed: {e}"


def duties_table(systems: list[SystemDuties]) -> Table:
    return Table("ai-act-duties", COLUMNS, [d.row() for s in systems for d in s.duties])


def unjudged(store: Store, slug: str) -> list[SystemDuties]:
    """The organisation's AI systems and models with an AI Act role, in the engine's order, without their duties (the
    engine is not asked): what a page that lists no duties needs for its table of contents."""
    from normgraph.applicability.inputs import subjects

    return [SystemDuties(s.iri, s.label, s.kind, tuple(_role(r) for r in s.roles), ()) for s in subjects(store, slug)]


def duty_parts(systems: list[SystemDuties], key: str, counted: bool = True) -> list[Part]:
    """The report sections listing the duties in full: one (`key`) for up to PER_PAGE systems, else one per
    PER_PAGE systems (`key`-1, `key`-2 …), so a large organisation's duties are not one page. Not `counted`: the
    systems' duties were not asked for (the sections' row counts are unknown)."""
    def rows(chunk: list[SystemDuties]) -> int | None:
        return sum(len(s.duties) for s in chunk) if counted else None

    if len(systems) <= PER_PAGE:
        return [Part(key, "AI Act duties per AI system", "duties", rows(systems), systems)]
    chunks = [systems[i:i + PER_PAGE] for i in range(0, len(systems), PER_PAGE)]
    return [Part(f"{key}-{n}", f"AI Act duties: {chunk[0].label} … {chunk[-1].label}", "duties", rows(chunk), chunk)
            for n, chunk in enumerate(chunks, start=1)]


def sections_of(parts: list[Part]) -> dict[str, str]:
    """System IRI -> the key of the section that lists its duties."""
    return {s.iri: p.key for p in parts for s in p.data}


def by_obligation(systems: list[SystemDuties]) -> dict[str, list[Duty]]:
    """Obligation IRI -> the systems' duties under it (catalog order kept)."""
    out: dict[str, list[Duty]] = {}
    for s in systems:
        for d in s.duties:
            out.setdefault(d.obligation, []).append(d)
    return out


__all__ = [
    "APPLIES",
    "CANNOT_TELL",
    "COLUMNS",
    "PER_PAGE",
    "Duty",
    "SystemDuties",
    "ai_act_duties",
    "assessed",
    "by_obligation",
    "duties_or_problem",
    "duties_table",
    "duty_parts",
    "plain",
    "sections_of",
    "shared_rows",
    "unjudged",
]

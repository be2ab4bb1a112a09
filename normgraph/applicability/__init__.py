"""The AI Act applicability engine: for each AI system (and model) and obligation, applies / does not apply /
cannot tell yet, from when, and why (DESIGN.md §13).

One derivation for every consumer (validation, gap report, SoA, audit pack, explorer, API)::

    from normgraph.applicability import assess
    result = assess(store, "fintech", on=date(2026, 12, 1))
    for a in result.for_subject("northscore"):
        print(a.obligation.notation, a.status, a.applies_from, a.why())

The law lives in the knowledge, not here: each obligation's conditions are data (ng:requiresCondition, from
data/eu-ai-act-obligations.tsv), the conditions are concepts with definitions citing the Act
(ontology/vocabularies.ttl), and whether one holds for a system is decided by the SPARQL CONSTRUCT rules of
queries/applicability-conditions.rq. normgraph.applicability.judge only combines the verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox

from normgraph.applicability.inputs import UnknownOrganisation, conditions, facts_store, obligations, subjects
from normgraph.applicability.judge import Judge
from normgraph.applicability.model import (
    APPLIES,
    CANNOT_TELL,
    DOES_NOT_APPLY,
    STATUSES,
    Answer,
    ApplicabilityError,
    Obligation,
    Subject,
    Verdict,
)
from normgraph.applicability.rules import derive, recorded, verdicts
from normgraph.iri import NGV
from normgraph.queries import get_query
from normgraph.store.base import Store

HIGH_RISK = f"{NGV}system-category/high-risk"


@dataclass(frozen=True)
class Conflict:
    """A contradictory or impossible fact (queries/applicability-fact-conflicts.rq)."""

    subject: str
    column: str
    problem: str

    def __str__(self) -> str:
        return f"{self.subject.rsplit('/', 1)[-1]}, column {self.column!r}: {self.problem}"


class FactConflict(ApplicabilityError):
    """The organisation's facts contradict each other; the message names each system and column."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        super().__init__("contradictory AI Act facts: " + "; ".join(map(str, conflicts)))


def conflicts(st: ox.Store, on: date) -> list[Conflict]:
    """Every contradictory fact in the facts held by `st` (org data + AI Act catalog facts), judged on `on`."""
    rows = st.query(get_query("applicability-fact-conflicts").bind({"on": on.isoformat()}))
    return [Conflict(r["subject"].value, r["column"].value, r["problem"].value) for r in rows]  # type: ignore[union-attr]


@dataclass
class Applicability:
    """The engine's answers for one organisation on one date."""

    org: str
    on: date
    subjects: list[Subject]
    answers: list[Answer]
    judge: Judge = field(repr=False)
    _owed: list[Answer] | None = field(default=None, init=False, repr=False, compare=False)

    def subject(self, name: str) -> Subject:
        """A subject by IRI or local name (``northscore``); ApplicabilityError naming the known ones."""
        for s in self.subjects:
            if name in (s.iri, s.key):
                return s
        known = ", ".join(s.key for s in self.subjects) or "none"
        raise ApplicabilityError(f"no AI system or model {name!r} with an AI Act role in organisation {self.org!r}; known: {known}")

    def obligation(self, name: str) -> Obligation:
        """An obligation by IRI, local name (``art-27-1-deployer``) or CURIE (``aiactob:art-27-1-deployer``)."""
        key = name.removeprefix("aiactob:")
        for ob in self.judge.obligations:
            if key in (ob.iri, ob.key):
                return ob
        raise ApplicabilityError(f"no AI Act obligation {name!r}; obligations are named like art-27-1-deployer")

    def for_subject(self, name: str) -> list[Answer]:
        s = self.subject(name)
        return [a for a in self.answers if a.subject == s]

    def why(self, subject: str, obligation: str) -> Answer:
        """The answer for one pair, also for an obligation of a role the organisation does not hold."""
        return self.judge.answer(self.subject(subject), self.obligation(obligation))

    def select(self, system: str | None = None, why: str | None = None) -> list[Answer]:
        """The answers a caller asks for (the CLI and the API alike): all, one subject's (`system`), or — with `why`
        — that obligation's answer for each subject (or for `system`), also where it does not apply or the role is
        not held. ApplicabilityError for an unknown subject or obligation."""
        if why:
            chosen = [self.subject(system)] if system else self.subjects
            return [self.why(s.iri, why) for s in chosen]
        return self.for_subject(system) if system else list(self.answers)

    def owed(self) -> dict[str, set[str]]:
        """Obligation IRI → the subjects that owe it or may owe it, on any date (readiness): those it applies to, and
        those it cannot be told for yet while the subject is certainly in the obligation's category (a system whose
        Art. 50 or GPAI category is unrecorded is left out; the engine reports it as cannot tell). The one reading of
        "owed" that validation and the gap report share."""
        out: dict[str, set[str]] = {}
        for a in self.owed_answers():
            out.setdefault(a.obligation.iri, set()).add(a.subject.iri)
        return out

    def owed_answers(self) -> list[Answer]:
        """The answers behind owed(), per subject in catalog order, each with its date (``applies_from``,
        ``due_on(on)``), its reasons (``why()``) and, when it cannot be told yet, the columns to record: what the
        SoA and the audit pack list per AI system."""
        if self._owed is None:  # asked by several reports of one assessment
            def owed(a: Answer) -> bool:
                category = self.judge.state(a.subject.iri, a.obligation.category)
                return a.status == APPLIES or (a.status == CANNOT_TELL and category.known and category.holds)
            self._owed = [a for a in self.answers if owed(a)]
        return list(self._owed)

    def high_risk(self) -> set[str]:
        """IRIs of the subjects that are high-risk AI systems (the category holds through some route)."""
        return {s.iri for s in self.subjects if (st := self.judge.state(s.iri, HIGH_RISK)).known and st.holds}

    def to_json(self, answers: list[Answer] | None = None) -> dict[str, object]:
        """The answers (default: all) per subject; subjects without any of them are left out."""
        chosen = self.answers if answers is None else answers
        subjects = []
        for s in self.subjects:
            mine = [a.to_json(self.on) for a in chosen if a.subject == s]
            if mine:
                subjects.append({"subject": s.iri, "label": s.label, "kind": s.kind, "roles": list(s.roles), "obligations": mine})
        return {"org": self.org, "on": self.on.isoformat(), "subjects": subjects}


def assess(store: Store, org_slug: str, on: date | None = None, *, facts: ox.Store | None = None,
           check: bool = True) -> Applicability:
    """Judge every AI system and model of organisation `org_slug` against every AI Act obligation on `on`.

    `facts` is an in-memory store already holding the organisation's facts (validation passes the one it prepared,
    the whole organisation graph and its catalog facts); by default only the facts the rules read are taken from
    `store` (queries/applicability-facts.rq). Raises UnknownOrganisation, and FactConflict when
    `check` finds contradictory facts (validation passes check=False: its shapes report bad references such as an
    unknown Annex III point as results, and the importer refuses contradictions before they reach the store).
    """
    on = on or date.today()
    st = facts if facts is not None else facts_store(store, org_slug)
    # a placing date after `on` is no contradiction here (the system was not yet placed on `on`); a placing date in
    # the future is refused against the real date, on import only (orgdata.facts)
    found = conflicts(st, date.max) if check else []
    if found:
        raise FactConflict(found)
    judge = Judge(obligations(store), conditions(store), verdicts(derive(st, on)), recorded(st))
    subs = subjects(store, org_slug)
    return Applicability(org_slug, on, subs, judge.answers(subs), judge)


__all__ = [
    "APPLIES", "CANNOT_TELL", "DOES_NOT_APPLY", "HIGH_RISK", "STATUSES", "Answer", "Applicability", "ApplicabilityError",
    "Conflict", "FactConflict", "Obligation", "Subject", "UnknownOrganisation", "Verdict", "assess", "conflicts",
]

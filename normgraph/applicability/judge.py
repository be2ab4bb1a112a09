"""Combine the rules' verdicts into answers: three-valued AND over an obligation's category and conditions.

Nothing here knows the law: which conditions an obligation needs is data (ng:requiresCondition), whether a
condition holds is decided by the rules (queries/applicability-conditions.rq). This module only says: one failing
condition → does not apply; a condition with no verdict → cannot tell yet (record its ng:decidedBy columns);
otherwise it applies from the latest of the obligation's date and the dates its conditions hold from. The one
date rule stated as data elsewhere: an obligation's ng:applicableFromAnnexI counts when the condition
annex-i-route-only holds (Art. 113(c)).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date

from normgraph.applicability.model import (
    APPLIES,
    CANNOT_TELL,
    DOES_NOT_APPLY,
    Answer,
    Condition,
    Obligation,
    Subject,
    Verdict,
)
from normgraph.iri import NGV

ANNEX_I_ROUTE = f"{NGV}applicability-condition/annex-i-route-only"
#: an answer's fields after subject and obligation: status, applies_from, reasons, record, eased
Judged = tuple[str, date | None, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class State:
    """What the verdicts say about one condition for one subject."""

    known: bool
    holds: bool
    because: str
    holds_from: object = None  # date | None


def state(verdicts: Iterable[Verdict]) -> State:
    """One holding verdict suffices (several routes); otherwise a failing one decides; none: unknown."""
    vs = list(verdicts)
    holding = [v for v in vs if v.holds]
    if holding:
        dated = [v.holds_from for v in holding]
        start = None if any(d is None for d in dated) else min(d for d in dated if d is not None)
        return State(True, True, " and ".join(dict.fromkeys(v.because for v in holding)), start)
    if vs:
        return State(True, False, vs[0].because)
    return State(False, False, "")


class Judge:
    """Answers for one organisation's subjects, from the rules' verdicts."""

    def __init__(self, obligations: Iterable[Obligation], conditions: dict[str, Condition], verdicts: Iterable[Verdict],
                 recorded: dict[str, frozenset[str]] | None = None) -> None:
        self.obligations = tuple(obligations)
        self.conditions = conditions
        self._recorded = recorded or {}  # subject → template columns already filled in
        self._verdicts: dict[tuple[str, str], list[Verdict]] = defaultdict(list)
        #: subject → what its verdicts say, without naming it: subjects with equal profiles get equal answers
        self._profiles: dict[str, list[tuple[str, bool, str, object]]] = defaultdict(list)
        for v in verdicts:
            self._verdicts[(v.subject, v.condition)].append(v)
            self._profiles[v.subject].append((v.condition, v.holds, v.because, v.holds_from))
        self._states: dict[tuple[str, str], State] = {}

    def state(self, subject: str, condition: str) -> State:
        key = (subject, condition)
        found = self._states.get(key)
        if found is None:  # kept: an organisation's answers ask each (subject, condition) for many obligations
            found = self._states[key] = state(self._verdicts.get(key, ()))
        return found

    def _label(self, condition: str) -> str:
        c = self.conditions.get(condition)
        return c.label if c else condition.rsplit("/", 1)[-1]

    def _easement(self, condition: str) -> str:
        c = self.conditions.get(condition)
        return c.easement if c and c.easement else "eased"

    def _record(self, condition: str) -> tuple[str, ...]:
        c = self.conditions.get(condition)
        return c.decided_by if c and c.decided_by else (condition.rsplit("/", 1)[-1],)

    def answer(self, subject: Subject, ob: Obligation) -> Answer:
        return Answer(subject, ob, *self._judged(subject, ob))

    def _judged(self, subject: Subject, ob: Obligation) -> Judged:
        """The answer's fields after subject and obligation (status, applies_from, reasons, record, eased)."""
        if ob.role not in subject.roles:
            held = ", ".join(r.rsplit("/", 1)[-1] for r in subject.roles) or "no role"
            return (DOES_NOT_APPLY, None, (f"role {held}", f"{ob.notation} binds the {ob.role.rsplit('/', 1)[-1]} only"),
                    (), ())
        reasons = [subject.role_reason(ob.role)]
        unknown: list[str] = []
        start = ob.applicable_from
        for condition in (ob.category, *ob.conditions):
            st = self.state(subject.iri, condition)
            if not st.known:
                unknown.append(condition)
            elif not st.holds:
                return (DOES_NOT_APPLY, None, (*reasons, st.because, f"{ob.notation} needs: {self._label(condition)}"),
                        (), ())
            else:
                reasons.append(st.because)
                if st.holds_from is not None and st.holds_from > start:  # type: ignore[operator]
                    start = st.holds_from  # type: ignore[assignment]
        if ob.applicable_from_annex_i is not None and not unknown:
            route = self.state(subject.iri, ANNEX_I_ROUTE)
            if not route.known:
                unknown.append(ANNEX_I_ROUTE)
            elif route.holds:
                reasons.append(route.because)
                start = max(start, ob.applicable_from_annex_i)
        if unknown:
            asked = tuple(dict.fromkeys(c for u in unknown for c in self._record(u)))
            filled = self._recorded.get(subject.iri, frozenset())
            record = tuple(c for c in asked if c not in filled) or asked  # the blank ones; all when none is blank
            missing = "; ".join(self._label(u) for u in unknown)
            return CANNOT_TELL, None, (*reasons, f"cannot tell yet: {missing} — record {', '.join(record)}"), record, ()
        eased = tuple(
            f"{st.because}: {self._easement(c)} (condition: {self._label(c)})"
            for c in ob.eased_by
            if (st := self.state(subject.iri, c)).known and st.holds
        )
        return APPLIES, start, (*reasons, f"{ob.notation}: {ob.title}", f"from {start.isoformat()}"), (), eased

    def answers(self, subjects: Iterable[Subject]) -> list[Answer]:
        """Every obligation of a role each subject holds, in catalog order. What an answer says depends on the subject
        only through its roles, its verdicts and the columns it records: subjects alike in those (a large
        organisation runs many systems of a few kinds) are judged once and share the answers' reasons."""
        out: list[Answer] = []
        judged: dict[Hashable, list[tuple[Obligation, Judged]]] = {}
        for s in subjects:
            profile = (s.roles, s.role_notes, self._recorded.get(s.iri), tuple(self._profiles.get(s.iri, ())))
            mine = judged.get(profile)
            if mine is None:
                mine = judged[profile] = [(ob, self._judged(s, ob)) for ob in self.obligations if ob.role in s.roles]
            out.extend(Answer(s, ob, *fields) for ob, fields in mine)
        return out

"""The answers of the applicability engine: one per (AI system or model, obligation), with its reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

APPLIES = "applies"
DOES_NOT_APPLY = "does not apply"
CANNOT_TELL = "cannot tell yet"
STATUSES = (APPLIES, CANNOT_TELL, DOES_NOT_APPLY)


class ApplicabilityError(ValueError):
    """The question cannot be answered: unknown organisation, system or obligation, or contradictory facts."""


@dataclass(frozen=True)
class Obligation:
    """One AI Act obligation as the engine needs it (queries/applicability-obligations.rq)."""

    iri: str
    notation: str  # "Art. 27(1) deployer"
    title: str
    role: str  # role IRI
    category: str  # system-category IRI
    applicable_from: date
    applicable_from_annex_i: date | None
    conditions: tuple[str, ...]  # condition IRIs that must all hold
    eased_by: tuple[str, ...]
    provision: str
    order: int

    @property
    def key(self) -> str:
        """The obligation's local name, e.g. ``art-27-1-deployer``."""
        return self.iri.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Condition:
    """An applicability condition or system category, as the vocabularies describe it."""

    iri: str
    label: str
    definition: str
    decided_by: tuple[str, ...]  # template columns that record the deciding facts
    easement: str = ""  # for a condition obligations are eased by: how it eases them (ng:easement)

    @property
    def slug(self) -> str:
        return self.iri.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Verdict:
    """One fired rule of queries/applicability-conditions.rq: condition holds or not for a subject, and why."""

    subject: str
    condition: str
    holds: bool
    because: str
    holds_from: date | None = None


@dataclass(frozen=True)
class Subject:
    """An AI system or model the organisation holds an AI Act role for."""

    iri: str
    label: str
    kind: str  # "AI system" | "AI model"
    roles: tuple[str, ...]  # role IRIs
    role_notes: tuple[tuple[str, str], ...] = ()  # (role IRI, why it is held) for roles the Act assigns (Art. 25(1))

    @property
    def key(self) -> str:
        return self.iri.rsplit("/", 1)[-1]

    def role_reason(self, role: str) -> str:
        """The role's name, and why the subject holds it when the Act assigns it (Art. 25(1))."""
        name = role.rsplit("/", 1)[-1]
        note = dict(self.role_notes).get(role)
        return f"{name} ({note})" if note else name


@dataclass(frozen=True)
class Answer:
    """Does obligation O apply to subject S, from when, and why (the chain of facts and provisions)."""

    subject: Subject
    obligation: Obligation
    status: str  # APPLIES | DOES_NOT_APPLY | CANNOT_TELL
    applies_from: date | None  # for APPLIES (and for CANNOT_TELL when only a fact is missing, the earliest date)
    reasons: tuple[str, ...]  # the chain, role first and date last
    record: tuple[str, ...] = ()  # CANNOT_TELL: the template columns to fill in
    eased: tuple[str, ...] = field(default=())  # APPLIES: how other law meets it

    def due_on(self, on: date) -> bool:
        """In force on `on` (applies and its date has come)."""
        return self.status == APPLIES and self.applies_from is not None and self.applies_from <= on

    def why(self) -> str:
        return " · ".join(self.reasons)

    def to_json(self, on: date) -> dict[str, object]:
        return {
            "subject": self.subject.iri,
            "subject_label": self.subject.label,
            "obligation": self.obligation.iri,
            "notation": self.obligation.notation,
            "title": self.obligation.title,
            "status": self.status,
            "applies_from": self.applies_from.isoformat() if self.applies_from else None,
            "in_force": self.due_on(on),
            "why": list(self.reasons),
            "record": list(self.record),
            "eased": list(self.eased),
        }

"""When an AI Act obligation applies, for its explorer page: dates, role, and each condition in plain words with
the provisions it rests on and the template columns that decide it (public knowledge, no organisation data).

The same facts drive the applicability engine (normgraph.applicability), which answers per organisation."""

from __future__ import annotations

from dataclasses import dataclass, field

from normgraph.explorer.cache import run_cached, s
from normgraph.store import Store

KINDS = ("category", "needs", "eased")  # page order


@dataclass
class ConditionLine:
    iri: str
    kind: str  # one of KINDS
    label: str
    definition: str
    columns: tuple[str, ...]
    provisions: list[tuple[str, str]] = field(default_factory=list)  # (iri, notation)


@dataclass
class WhenItApplies:
    applicable_from: str
    applicable_from_annex_i: str
    role: tuple[str, str]  # (iri, label)
    conditions: list[ConditionLine]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every template column whose value decides it, once, in page order."""
        return tuple(dict.fromkeys(c for line in self.conditions for c in line.columns))


def when_it_applies(store: Store, iri: str) -> WhenItApplies | None:
    """The dates and conditions of one obligation, or None when `iri` is no obligation."""
    rows = run_cached(store, "explorer-obligation-applicability", {"obligation": iri})
    if not rows:
        return None
    lines: dict[tuple[str, str], ConditionLine] = {}
    for r in rows:
        cond = s(r.get("condition"))
        if not cond:
            continue
        key = (s(r.get("kind")), cond)
        line = lines.setdefault(key, ConditionLine(cond, key[0], s(r.get("label")), s(r.get("definition")),
                                                   tuple(c.strip() for c in s(r.get("decidedBy")).split(",") if c.strip())))
        prov = (s(r.get("provision")), s(r.get("provisionNotation")))
        if prov[0] and prov not in line.provisions:
            line.provisions.append(prov)
    first = rows[0]
    ordered = sorted(lines.values(), key=lambda c: (KINDS.index(c.kind), c.label))
    return WhenItApplies(s(first.get("from")), s(first.get("fromAnnexI")),
                         (s(first.get("role")), s(first.get("roleLabel")) or s(first.get("role")).rsplit("/", 1)[-1]),
                         ordered)

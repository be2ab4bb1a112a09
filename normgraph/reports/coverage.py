"""What "covered" means in a gap report: the four statuses, their counts and the one weighted figure.

A target requirement is, on the judged date,
- **covered fully** (``full``) when an item the organisation implements covers all of it — the
  requirement itself, or an item whose mapping record, read from the item's side, has full coverage
  strength (equalTo, supersetOf) — *and* current evidence supports that item on the date (issued on or
  before it, not ended before it);
- **implemented, no current evidence** (``no_evidence``) when such an item exists but no current
  evidence supports it: the claim may be true, nothing shows it on that date (expired, future-dated
  or missing evidence) — and likewise when it is reached in part only by items without current
  evidence (a partial link counts no more than a full one without evidence);
- **covered in part** (``partial``) when it is reached only by records of partial strength that claim an
  overlap in substance (intersectsWith, subsetOf) or only from partially implemented items, and at
  least one such item has current evidence on the date;
- **not at all** (``none``) otherwise — also when the only links are relatedTo records: those claim no
  overlap in substance (weight 0 below), so they are listed as "related, no overlap claimed", never as
  coverage.
The four are counted and reported separately and never added together.

The one weighted figure, **weighted reuse**, is the share of the target that recorded work is shown
to meet on the date, each requirement counting the best of its links: 1 for a link that covers it
fully; ``PARTIAL_WEIGHT`` (one half) for a link that covers it in part and whose relation claims an
overlap in substance (intersectsWith, subsetOf, or a full-strength link from a partially implemented
item); 0 for a relatedTo link (the curators claim no overlap in substance) — and any link counts only
when current evidence shows its implemented item on the date, as an auditor would sign it. One half
because a partial record says that some but not all of the requirement is met and no record says how
much: half is the middle of that unknown share, neither the 0 of ignoring the work nor the 1 of
"97 % covered".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

FULL, NO_EVIDENCE, PARTIAL, NONE = "full", "no_evidence", "partial", "none"
STATUSES = (FULL, NO_EVIDENCE, PARTIAL, NONE)
LABEL = {FULL: "covered fully", NO_EVIDENCE: "implemented, no current evidence", PARTIAL: "covered in part",
         NONE: "not at all (new control needed)"}
SHORT = {FULL: "fully", NO_EVIDENCE: "no current evidence", PARTIAL: "in part", NONE: "not at all"}
PARTIAL_WEIGHT = 0.5
WEIGHTING = ("Weighted reuse counts each requirement once, by its best link, and a link only when current evidence "
             "shows its implemented item on the date: 1 when the item covers the requirement fully; 1/2 when it covers "
             "it in part with an overlap in substance (the item intersects with it, is a subset of it, or is only partly "
             "implemented), because the record says some but not all of it is met and nobody says how much; 0 for an item "
             "that is only related to it (no overlap claimed) and for no link.")
NO_OVERLAP = "relatedTo"  # the relation that claims no overlap in substance (DESIGN.md §10)


class LinkLike(Protocol):
    """What the statuses need to know of one link (normgraph.reports.gap.Link)."""

    @property
    def full_strength(self) -> bool: ...  # implemented, and the relation covers fully
    @property
    def evidenced(self) -> bool: ...  # current evidence supports the implemented item
    @property
    def relation(self) -> str: ...


L = TypeVar("L", bound=LinkLike)


def link_weight(link: LinkLike) -> float:
    """What one link counts towards the weighted reuse figure (module docstring)."""
    if not link.evidenced:
        return 0.0
    if link.full_strength:
        return 1.0
    return 0.0 if link.relation == NO_OVERLAP else PARTIAL_WEIGHT


def status(links: Iterable[LinkLike]) -> str:
    """The coverage status of a requirement reached by these links."""
    links = list(links)
    if any(link.full_strength and link.evidenced for link in links):
        return FULL
    if any(link.full_strength for link in links):
        return NO_EVIDENCE
    overlap = overlapping(links)
    if any(link.evidenced for link in overlap):
        return PARTIAL
    return NO_EVIDENCE if overlap else NONE


def overlapping(links: Iterable[L]) -> list[L]:
    """The links whose relation claims an overlap in substance (all but relatedTo)."""
    return [link for link in links if link.relation != NO_OVERLAP]


def weight(links: Iterable[LinkLike]) -> float:
    return max((link_weight(link) for link in links), default=0.0)


@dataclass
class GroupStats:
    """Counts per status of one group of requirements (or all), and the weighted reuse figure."""

    part: str
    group: str
    title: str
    total: int = 0
    full: int = 0
    no_evidence: int = 0
    partial: int = 0
    none: int = 0
    weighted: float = 0.0  # sum of the requirements' weights

    def add(self, state: str, weight: float) -> None:
        self.total += 1
        setattr(self, state, getattr(self, state) + 1)
        self.weighted += weight

    def merge(self, other: GroupStats) -> None:
        for name in ("total", *STATUSES, "weighted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def pct(self, n: float) -> float:
        return round(100.0 * n / self.total, 1) if self.total else 0.0

    def as_row(self) -> dict[str, str | int | float | bool | None]:
        row: dict[str, str | int | float | bool | None] = {
            "part": self.part, "group": self.title or self.group, "requirements": self.total}
        row.update({s: getattr(self, s) for s in STATUSES})
        row.update({f"{s}_pct": self.pct(getattr(self, s)) for s in STATUSES})
        row["weighted_reuse_pct"] = self.pct(self.weighted)
        return row


STATS_COLUMNS = ["part", "group", "requirements", *STATUSES, *(f"{s}_pct" for s in STATUSES), "weighted_reuse_pct"]

"""Run the declarative rules (queries/applicability-conditions.rq) and read their verdicts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pyoxigraph as ox

from normgraph.applicability.model import Verdict
from normgraph.iri import NG
from normgraph.queries import get_query

RULES = "applicability-conditions"
_SUBJECT, _CONDITION, _HOLDS = str(NG.verdictSubject), str(NG.verdictCondition), str(NG.conditionHolds)
_BECAUSE, _FROM = str(NG.becauseOf), str(NG.holdsFrom)


def derive(st: ox.Store, on: date) -> list[ox.Triple]:
    """The rules' output over the facts in `st` (not added to it), judged on `on` (a later placing date: not yet placed)."""
    return [t for t in st.query(get_query(RULES).bind({"on": on.isoformat()})) if isinstance(t, ox.Triple)]  # type: ignore[union-attr]


def recorded(st: ox.Store) -> dict[str, frozenset[str]]:
    """Subject IRI → the template columns recorded for it (queries/applicability-recorded.rq), so that "cannot tell
    yet" names only the deciding columns still blank."""
    from normgraph.orgdata.templates import recorded_by  # the column ↔ property table lives with the templates

    columns = recorded_by()
    out: dict[str, set[str]] = defaultdict(set)
    rows = st.query(get_query("applicability-recorded").bind())
    assert isinstance(rows, ox.QuerySolutions)
    for row in rows:
        prop = str(row["property"].value)
        if prop.startswith(str(NG)) and (column := columns.get(prop[len(str(NG)):])):
            out[str(row["subject"].value)].add(column)
    return {s: frozenset(c) for s, c in out.items()}


def verdicts(triples: list[ox.Triple]) -> list[Verdict]:
    """The ng:ConditionVerdict nodes of the rules' output as Verdicts, in a stable order."""
    nodes: dict[str, dict[str, str]] = defaultdict(dict)
    for t in triples:
        nodes[str(t.subject.value)][t.predicate.value] = t.object.value  # type: ignore[union-attr]
    out = []
    for props in nodes.values():
        if _SUBJECT not in props:
            continue
        start = props.get(_FROM)
        out.append(Verdict(subject=props[_SUBJECT], condition=props[_CONDITION], holds=props[_HOLDS] == "true",
                           because=props.get(_BECAUSE, ""), holds_from=date.fromisoformat(start) if start else None))
    return sorted(out, key=lambda v: (v.subject, v.condition, not v.holds, v.because))

"""The engine's answers as text, JSON or CSV (the CLI's formats; the server can reuse them)."""

from __future__ import annotations

import json

from normgraph.applicability import Answer, Applicability
from normgraph.applicability.model import APPLIES, CANNOT_TELL, DOES_NOT_APPLY
from normgraph.exports.csvsafe import csv_text

CSV_COLUMNS = ("subject", "subject_label", "obligation", "notation", "title", "status", "applies_from", "in_force",
               "why", "record", "eased")


def _status(a: Answer, result: Applicability) -> str:
    if a.status == APPLIES:
        assert a.applies_from is not None
        return "applies (in force)" if a.due_on(result.on) else f"applies from {a.applies_from.isoformat()}"
    return a.status


def text(result: Applicability, answers: list[Answer], *, show_all: bool = False) -> str:
    """Per subject: what applies (in force or from a date), what cannot be told yet, and — with
    `show_all` — what does not apply; each answer with its chain of reasons."""
    lines = [f"AI Act applicability for {result.org}, judged on {result.on.isoformat()}"]
    for s in result.subjects:
        mine = [a for a in answers if a.subject == s]
        if not mine:
            continue
        roles = ", ".join(r.rsplit("/", 1)[-1] for r in s.roles)
        counts = {st: sum(a.status == st for a in mine) for st in (APPLIES, CANNOT_TELL, DOES_NOT_APPLY)}
        lines += ["", f"{s.label} ({s.kind} {s.key}; {roles}): {counts[APPLIES]} apply, {counts[CANNOT_TELL]} cannot tell yet, "
                      f"{counts[DOES_NOT_APPLY]} do not apply"]
        record = list(dict.fromkeys(c for a in mine for c in a.record))
        if record:
            lines.append(f"  to decide the {counts[CANNOT_TELL]} open question(s), record: {', '.join(record)}")
        for a in mine:
            if a.status == DOES_NOT_APPLY and not show_all:
                continue
            lines.append(f"  {a.obligation.notation:<34} {_status(a, result)}")
            lines.append(f"      why: {a.why()}")
            for e in a.eased:
                lines.append(f"      eased: {e}")
    return "\n".join(lines) + "\n"


def as_json(result: Applicability, answers: list[Answer]) -> str:
    return json.dumps(result.to_json(answers), indent=2, ensure_ascii=False)


def as_csv(result: Applicability, answers: list[Answer]) -> str:
    rows = []
    for a in answers:
        d = a.to_json(result.on)
        rows.append([d["subject"], d["subject_label"], d["obligation"], d["notation"], d["title"], d["status"],
                     d["applies_from"] or "", "yes" if d["in_force"] else "no", " · ".join(a.reasons),
                     "; ".join(a.record), "; ".join(a.eased)])
    return csv_text(CSV_COLUMNS, rows)

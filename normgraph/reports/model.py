"""The shape every report has: a title, the organisation, tables of plain values, extra parts.

Renderers (render.py) only ever see `Report`; each report module builds one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

Value = str | int | float | bool | None


@dataclass
class Table:
    """Rows of plain values under named columns; `key` names the column that identifies a row."""

    name: str
    columns: list[str]
    rows: list[dict[str, Value]] = field(default_factory=list)
    key: str | None = None

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Report:
    kind: str  # soa | risks | gap | audit-pack
    title: str
    org: str  # slug
    org_label: str
    graph: str
    generated: dt.date
    tables: list[Table] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

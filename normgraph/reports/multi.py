"""Multi-valued facts in report rows: every value, sorted, never the one a row happened to carry first.

A report query returns one row per combination of an item's values (a risk affecting two systems, an evidence
item with two kinds); which row comes first depends on how the store holds the quads, so a restored dump or a
reloaded graph could show another value. The report builders group an item's rows and show each multi-valued
column as all its distinct values, sorted, joined by "; " — the same bytes whatever the storage order.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
Row = dict[str, Any]

#: how the values of one cell are joined
SEP = "; "


def distinct(values: Iterable[str]) -> str:
    """The distinct non-empty values, sorted, joined by SEP."""
    return SEP.join(sorted({v for v in values if v}))


def each(rows: Iterable[Row], cell: Callable[[Row], str]) -> str:
    """Every distinct value `cell` gives for the rows of one item, sorted and joined."""
    return distinct(cell(row) for row in rows)


def grouped(rows: Iterable[Row], key: Callable[[Row], K]) -> dict[K, list[Row]]:
    """The rows by item, items in the order their first row comes (the query's order)."""
    out: dict[K, list[Row]] = {}
    for row in rows:
        out.setdefault(key(row), []).append(row)
    return out


__all__ = ["SEP", "distinct", "each", "grouped"]

"""The one CSV writer of every export (reports, the spreadsheet round trip, applicability, explorer
downloads): safe to open in a spreadsheet, whatever the organisation's data holds.

OWASP's rule for CSV injection, all three parts:
* every field is quoted (`csv.QUOTE_ALL`). Python's csv quotes a field only for `,`, `"` or a character
  of the line terminator, so with a bare `\\n` terminator a cell `x\\r=1+1` went out unquoted and every
  reader (Excel, LibreOffice, Python) started a new row at the CR, whose first cell was a live formula.
  Quoted, a CR or LF stays inside its cell; and Excel in a locale whose list separator is `;` (de, fr, it,
  es, nl …) does not split `Supplier outage;=1+1` at the `;`, which it only does outside quotes;
* a text cell that begins with a formula character gets a leading apostrophe (`neutralise`), which a
  spreadsheet shows as text; the importer (normgraph/orgdata/tabular.py) strips it again, so the round
  trip is exact and the data in the graph never changes;
* `"` inside a field is doubled (the csv module's own escaping).
Lines end in CRLF (RFC 4180)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

#: what a spreadsheet reads as the start of a formula (OWASP, "CSV injection"), and line breaks
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: a cell that begins, after any quotes or apostrophes, with a formula character
_AT_START = re.compile(r"""^(?=["']*[=+\-@\t\r\n])""")
#: the same after a `;` (the list separator of many locales) or a line break, where a reader that does not
#: honour the quotes starts a new cell or row (a line break that follows is a place of its own)
_INSIDE = re.compile(r"""(?<=[;\r\n])(?=["']*[=+\-@\t])""")
_UNDO_AT_START = re.compile(r"""^'(?=["']*[=+\-@\t\r\n])""")
_UNDO_INSIDE = re.compile(r"""(?<=[;\r\n])'(?=["']*[=+\-@\t])""")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, made plain text by an apostrophe; anything else as it is.

    The apostrophe goes at the start of the cell, and after every `;` or line break, when what follows
    begins (after any quotes or apostrophes) with a formula character. `restore` takes exactly those
    apostrophes away again, so an export read back gives the text it was made from; only the exported cell
    changes, never the graph."""
    if not isinstance(value, str):
        return value
    return _AT_START.sub("'", _INSIDE.sub("'", value))


def restore(cell: str) -> str:
    """The text `neutralise` was given: one apostrophe fewer wherever it put one (a cell typed as `'=…` in a
    spreadsheet reads as `=…`, as the spreadsheet shows it)."""
    return _UNDO_AT_START.sub("", _UNDO_INSIDE.sub("", cell))


def csv_text(header: Iterable[Any] | None, rows: Iterable[Iterable[Any]]) -> str:
    """The CSV text of a header (None: none) and rows: every field quoted, formula-looking text neutralised,
    None written as an empty field, CRLF line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    if header is not None:
        writer.writerow([_cell(v) for v in header])
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def _cell(value: Any) -> Any:
    return "" if value is None else neutralise(value)


__all__ = ["FORMULA_STARTS", "csv_text", "neutralise", "restore"]

"""How much an uploaded file may hold: checked while it is read, so a small hostile file (a zip bomb,
millions of empty rows, a giant cell, JSON nested a thousand deep) is refused with file, row and
column instead of taking the server's memory or CPU."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from normgraph.orgdata.errors import OrgDataError

#: rows of one table (the header included): far more than any SoA or register holds
MAX_ROWS = 20_000
#: cells of one table
MAX_CELLS = 1_000_000
#: characters in one cell (a spreadsheet's own limit)
MAX_CELL_CHARS = 32_767
#: bytes an XLSX workbook may take once uncompressed
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024
#: nesting of a JSON(-LD) document
MAX_JSON_DEPTH = 64


def check_xlsx_size(path: Path) -> None:
    """Refuse a workbook that would expand past MAX_XLSX_UNCOMPRESSED bytes (before anything parses it)."""
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, OSError) as e:
        raise OrgDataError(path, None, None, f"not a readable XLSX workbook: {e}") from None
    if total > MAX_XLSX_UNCOMPRESSED:
        raise OrgDataError(path, None, None, f"the workbook expands to {total} bytes, over the limit of "
                                             f"{MAX_XLSX_UNCOMPRESSED}")


def json_depth(doc: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """The nesting depth of a parsed JSON value, counted without recursion; stops once past `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if not isinstance(value, (dict, list)):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


__all__ = ["MAX_CELLS", "MAX_CELL_CHARS", "MAX_JSON_DEPTH", "MAX_ROWS", "MAX_XLSX_UNCOMPRESSED", "check_xlsx_size",
           "json_depth"]

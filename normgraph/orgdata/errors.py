"""The one error of organisation-data import: which file, row, column and why."""

from __future__ import annotations

from pathlib import Path


class OrgDataError(ValueError):
    """A file (or one cell of it) cannot be imported. Nothing of the call is loaded when this is raised."""

    def __init__(self, file: Path | str, row: int | None, column: str | None, reason: str) -> None:
        self.file = str(file)
        self.row = row
        self.column = column
        self.reason = reason
        where = self.file
        if row is not None:
            where += f", row {row}"
        if column:
            where += f", column {column!r}"
        super().__init__(f"{where}: {reason}")

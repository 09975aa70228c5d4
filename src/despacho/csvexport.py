"""CSV files for people to open in spreadsheets, safe against formula injection."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain negative number (a credit note's amount) is data, not a formula.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?\Z")


def neutralize(value: Any) -> str:
    """A cell a spreadsheet will show as text, never evaluate (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Yield CSV lines (UTF-8 with BOM first, so Excel reads accents), neutralised."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralize(h) for h in header])
    for row in rows:
        yield writer.writerow([neutralize(cell) for cell in row])

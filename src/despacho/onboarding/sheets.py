"""Reading uploaded import files: CSV (``csvfile``) or an Excel workbook (.xlsx).

A workbook is read with openpyxl in read-only mode, first sheet only, cached values
(``data_only``: a formula counts as the value Excel saved for it). Before openpyxl sees
it, the ZIP is checked: no macros (``vbaProject.bin``), no part declaring a DTD or
entities, and a bounded uncompressed size, so a crafted file cannot make the parser
resolve entities or expand a bomb. Numbers typed into a column of codes (CP 06000 shown
as 6000) get their leading zeros back (``Layout.digits``).
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from despacho.onboarding.csvfile import (
    Layout,
    ParsedFile,
    UnreadableFile,
    header_key,
    parse_records,
    read,
)

XLSX_MAGIC = b"PK\x03\x04"
# A 5 MB upload that unpacks past this is a bomb, not a list of customers.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def _unreadable() -> UnreadableFile:
    return UnreadableFile(
        _(
            "No pudimos leer el libro de Excel. Guárdalo de nuevo como «Libro de Excel "
            "(.xlsx)» sin macros, o como «CSV UTF-8», y súbelo otra vez."
        ),
        code="xlsx_unreadable",
    )


def _archive_checked(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
                raise _unreadable()
            for info in infos:
                if info.filename.lower().endswith("vbaproject.bin"):
                    raise UnreadableFile(
                        _(
                            "El libro de Excel tiene macros; no los abrimos. Guárdalo como "
                            "«Libro de Excel (.xlsx)» o como CSV y súbelo de nuevo."
                        ),
                        code="xlsx_macros",
                    )
                if info.filename.endswith((".xml", ".rels")):
                    with archive.open(info) as part:
                        head = part.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise _unreadable()
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        raise _unreadable() from None


def _cell_text(value: Any, width: int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value).zfill(width) if width else str(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
        if number == number.to_integral_value():
            text = str(int(number))
            return text.zfill(width) if width else text
        return format(number, "f")
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes, *, max_rows: int, layout: Layout) -> ParsedFile:
    """The first sheet of a workbook as rows of canonical columns; UnreadableFile otherwise."""
    import openpyxl

    _archive_checked(data)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception:  # openpyxl raises many kinds for a damaged file: all mean the same
        raise _unreadable() from None
    try:
        sheet = workbook.worksheets[0]
        widths: list[int | None] = []

        def records() -> Iterator[list[str]]:
            aliases = layout.aliases()
            for values in sheet.iter_rows(values_only=True):
                if not widths and any(v is not None for v in values):
                    names = [aliases.get(header_key(str(v or ""))) for v in values]
                    widths.extend(layout.digits.get(name or "") for name in names)
                    yield [_cell_text(v, None) for v in values]
                    continue
                yield [
                    _cell_text(v, widths[i] if i < len(widths) else None)
                    for i, v in enumerate(values)
                ]

        try:
            return parse_records(
                records(), layout=layout, max_rows=max_rows, encoding="xlsx", delimiter=""
            )
        except UnreadableFile:
            raise
        except Exception:
            raise _unreadable() from None
    finally:
        workbook.close()


def read_upload(data: bytes, *, max_rows: int, layout: Layout) -> ParsedFile:
    """A CSV or an .xlsx workbook, told apart by content, not by the file's name."""
    if data.startswith(XLSX_MAGIC):
        return read_xlsx(data, max_rows=max_rows, layout=layout)
    return read(data, max_rows=max_rows, layout=layout)

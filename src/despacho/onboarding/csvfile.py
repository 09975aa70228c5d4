"""Reading the client CSV files people really make, whatever spreadsheet saved them.

Encodings: UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text") or
without it (recognised by its zero bytes), and Windows-1252 / Latin-1 (Excel on
Windows). Separators: comma, semicolon (Excel in es-MX) and tab, chosen by counting
them, outside quotes, in the header line. Quoted fields, CRLF and blank lines are
handled by the csv module. Header names match in any case, with or without accents,
extra spaces, underscores or a few common synonyms; extra columns are ignored.

Anything that cannot be read raises ``UnreadableFile`` with one Spanish message and
a code; nothing here lets an exception of the csv module or a codec escape.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.textsearch import fold

# Canonical column → the header spellings accepted for it (after folding).
COLUMNS: dict[str, tuple[str, ...]] = {
    "nombre": ("nombre", "razon social", "nombre o razon social", "empresa", "denominacion"),
    "rfc": ("rfc", "r f c"),
    "telefono": ("telefono", "tel", "celular", "telefono movil", "whatsapp"),
    "email": ("email", "correo", "correo electronico", "e mail", "mail"),
    "regimen_fiscal": ("regimen fiscal", "regimen"),
    "codigo_postal": ("codigo postal", "cp", "c p"),
}
REQUIRED_COLUMNS = ("nombre", "rfc", "codigo_postal")
TEMPLATE_COLUMNS = ("nombre", "rfc", "telefono", "email", "codigo_postal", "regimen_fiscal")
DELIMITERS = (",", ";", "\t")
MAX_FIELD_CHARS = 1000


@dataclass(frozen=True)
class Layout:
    """The columns one kind of import reads: each canonical name with its accepted headers,
    which must be present, the template's order, and what one row holds (for messages)."""

    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    template: tuple[str, ...]
    one_per_row: str | Promise  # "agrega una empresa por fila"
    # Columns a spreadsheet may have turned into numbers, losing leading zeros (CP 06000).
    digits: Mapping[str, int] = field(default_factory=dict)

    def aliases(self) -> dict[str, str]:
        return {alias: column for column, names in self.columns.items() for alias in names}


CLIENTS_LAYOUT = Layout(
    columns=COLUMNS,
    required=REQUIRED_COLUMNS,
    template=TEMPLATE_COLUMNS,
    one_per_row=gettext_lazy("agrega una empresa por fila"),
    digits={"codigo_postal": 5},
)


class UnreadableFile(Exception):
    """The file as a whole cannot be read; ``message`` says why, in Spanish."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class ParsedFile:
    encoding: str
    delimiter: str
    columns: list[str]  # canonical names found, in file order
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row number, values)


def _looks_like_utf16(data: bytes) -> str | None:
    sample = data[:400]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zeros > half * 0.6 and even_zeros < half * 0.1:
        return "utf-16-le"
    if even_zeros > half * 0.6 and odd_zeros < half * 0.1:
        return "utf-16-be"
    return None


def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was read with; UnreadableFile otherwise."""
    if not data.strip():
        raise UnreadableFile(_("El archivo está vacío."), code="empty")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(
            _(
                "El archivo es un libro de Excel, no un CSV. En Excel elige «Archivo → Guardar "
                "como → CSV UTF-8 (delimitado por comas)» y sube ese archivo."
            ),
            code="spreadsheet_binary",
        )
    candidates: list[str]
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif utf16 := _looks_like_utf16(data):
        candidates = [utf16]
    else:
        candidates = ["utf-8", "cp1252", "latin-1"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _is_text(text):
            return text, encoding
        break
    raise UnreadableFile(
        _(
            "No pudimos leer el archivo: no parece un archivo de texto CSV. Guárdalo desde tu "
            "hoja de cálculo como «CSV» y súbelo de nuevo."
        ),
        code="not_text",
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _is_text(text: str) -> bool:
    """Binary files decode as Latin-1 too; real CSVs have (almost) no control characters."""
    if "\x00" in text:
        return False
    controls = len(_CONTROL.findall(text[:20000]))
    return controls <= max(2, len(text[:20000]) // 1000)


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def sniff_delimiter(text: str) -> str:
    """The separator used in the header line: the most frequent of comma, semicolon, tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def header_key(name: str) -> str:
    """How a header cell is compared: folded, punctuation and runs of spaces as one space."""
    folded = fold(name.replace("\ufeff", ""))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", folded).split())


def read(data: bytes, *, max_rows: int, layout: Layout = CLIENTS_LAYOUT) -> ParsedFile:
    """Decode, sniff, and read every non-blank row into canonical columns."""
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return parse_records(
            reader, layout=layout, max_rows=max_rows, encoding=encoding, delimiter=delimiter
        )
    except csv.Error as exc:
        raise UnreadableFile(
            _(
                "No pudimos leer el archivo cerca de la fila %(row)d: revisa las comillas y el "
                "separador, o guárdalo de nuevo como CSV."
            )
            % {"row": reader.line_num},
            code="csv_error",
        ) from exc


def parse_records(
    records: Iterable[list[str]], *, layout: Layout, max_rows: int, encoding: str, delimiter: str
) -> ParsedFile:
    """Every non-blank record after the header, by canonical column (CSV and XLSX alike)."""
    rows = iter(records)
    header: list[str] | None = None
    header_row = 0
    for number, record in enumerate(rows, start=1):
        if any(cell.strip() for cell in record):
            header, header_row = record, number
            break
    if header is None:
        raise UnreadableFile(_("El archivo está vacío."), code="empty")
    aliases = layout.aliases()
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        column = aliases.get(header_key(name))
        if column and column not in positions:
            positions[column] = index
    missing = [c for c in layout.required if c not in positions]
    if missing:
        raise UnreadableFile(
            _("Faltan columnas en la primera fila: %(missing)s. La plantilla tiene: %(columns)s.")
            % {"missing": ", ".join(missing), "columns": ", ".join(layout.template)},
            code="missing_columns",
        )
    parsed = ParsedFile(
        encoding=encoding,
        delimiter=delimiter,
        columns=sorted(positions, key=positions.__getitem__),
    )
    for number, record in enumerate(rows, start=header_row + 1):
        if not any(cell.strip() for cell in record):
            continue
        if len(parsed.rows) >= max_rows:
            raise UnreadableFile(
                _("El archivo tiene más de %(max)d filas. Divídelo en archivos más pequeños.")
                % {"max": max_rows},
                code="too_many_rows",
            )
        values = {}
        for column, index in positions.items():
            cell = record[index] if index < len(record) else ""
            if len(cell) > MAX_FIELD_CHARS:
                raise UnreadableFile(
                    _(
                        "La fila %(row)d tiene una celda de %(length)d caracteres; el máximo "
                        "es %(max)d. Revisa que el separador y las comillas estén bien."
                    )
                    % {"row": number, "length": len(cell), "max": MAX_FIELD_CHARS},
                    code="cell_too_long",
                )
            values[column] = cell.strip()
        parsed.rows.append((number, values))
    if not parsed.rows:
        raise UnreadableFile(
            _("El archivo solo tiene la fila de encabezados; %(hint)s.")
            % {"hint": layout.one_per_row},
            code="no_rows",
        )
    return parsed

"""Reading SAT's list files: article 69-B's complete list and article 69's lists.

The formats are the ones satcfdi reads (``satcfdi.pacs.sat``): 69-B is one CSV in
Windows-1252 whose first lines are a notice and a title, then a header ``No,RFC,Nombre del
Contribuyente,Situación del contribuyente,…`` followed by, for each situation, the oficio
and its publication dates (SAT's page and the DOF). Article 69's lists are one CSV each
(``LISTADO_69_SOURCES``: file, RFC column, SUPUESTO column), read by their normalised
headers. Nothing here touches the database or the network.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from satcfdi.pacs import TaxpayerStatusList69

from despacho.satstatus.models import Situacion

# 69-B's situation as SAT writes it → ours, and the column of its SAT-page publication.
_SITUACIONES_69B: dict[str, tuple[Situacion, int]] = {
    "PRESUNTO": (Situacion.PRESUNTO, 5),
    "DESVIRTUADO": (Situacion.DESVIRTUADO, 9),
    "DEFINITIVO": (Situacion.DEFINITIVO, 13),
    "SENTENCIA FAVORABLE": (Situacion.SENTENCIA_FAVORABLE, 17),
}
# satcfdi's names of article 69's lists are ours.
SITUACION_69: dict[TaxpayerStatusList69, Situacion] = {
    lista: Situacion(lista.value) for lista in TaxpayerStatusList69
}


@dataclass(frozen=True)
class Listing:
    rfc: str
    situacion: Situacion
    nombre: str = ""
    supuesto: str = ""
    publicado: date | None = None


def _fold(value: str) -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(value.upper().split())


def _date(value: str) -> date | None:
    value = value.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("windows-1252", errors="replace")


def parse_69b(content: bytes) -> Iterator[Listing]:
    """Every row of 69-B's complete list; ValueError when the file has no such header."""
    reader = csv.reader(io.StringIO(_text(content)))
    for row in reader:
        # "SITUACI": copies that lost the accent's byte ("Situaci�n") still match.
        if len(row) > 3 and _fold(row[1]) == "RFC" and _fold(row[3]).startswith("SITUACI"):
            break
    else:
        raise ValueError("no es el listado completo del artículo 69-B")
    for row in reader:
        if len(row) < 4:
            continue
        rfc = row[1].strip().upper()
        known = _SITUACIONES_69B.get(_fold(row[3]))
        if not rfc or known is None:
            continue
        situacion, column = known
        publicado = _date(row[column]) if len(row) > column else None
        yield Listing(rfc=rfc, situacion=situacion, nombre=row[2].strip(), publicado=publicado)


def parse_69(content: bytes, lista: TaxpayerStatusList69, rfc_col: str, supuesto_col: str | None):
    """Every row of one of article 69's lists (satcfdi's columns), with a publication date
    when the file has a column whose header starts with FECHA."""
    reader = csv.DictReader(io.StringIO(_text(content)))
    headers = {_fold(h): h for h in reader.fieldnames or []}
    if rfc_col not in headers:
        raise ValueError(f"falta la columna {rfc_col}")
    rfc_key = headers[rfc_col]
    supuesto_key = headers.get(supuesto_col or "")
    fecha_key = next((h for folded, h in headers.items() if folded.startswith("FECHA")), None)
    nombre_key = next(
        (h for folded, h in headers.items() if "RAZON SOCIAL" in folded or folded == "NOMBRE"),
        None,
    )
    situacion = SITUACION_69[lista]
    for row in reader:
        rfc = (row.get(rfc_key) or "").strip().upper()
        if not rfc:
            continue
        yield Listing(
            rfc=rfc,
            situacion=situacion,
            nombre=(row.get(nombre_key) or "").strip() if nombre_key else "",
            supuesto=(row.get(supuesto_key) or "").strip() if supuesto_key else "",
            publicado=_date(row.get(fecha_key) or "") if fecha_key else None,
        )

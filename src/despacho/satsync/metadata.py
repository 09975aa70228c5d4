"""Reading SAT's metadata files (the ``.txt`` of a Metadata package): one CFDI per line,
fields separated by ``~``, the first line naming them (Uuid, RfcEmisor, NombreEmisor,
RfcReceptor, NombreReceptor, RfcPac, FechaEmision, FechaCertificacionSat, Monto,
EfectoComprobante, Estatus, FechaCancelacion; third-party packages add columns)."""

from __future__ import annotations

import io
import uuid as uuidlib
import zipfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

MEXICO = zoneinfo.ZoneInfo("America/Mexico_City")


@dataclass(frozen=True)
class MetadataRow:
    uuid: uuidlib.UUID
    emisor_rfc: str
    emisor_nombre: str
    receptor_rfc: str
    receptor_nombre: str
    pac_rfc: str
    fecha_emision: datetime
    fecha_certificacion: datetime | None
    monto: Decimal
    efecto: str
    vigente: bool
    fecha_cancelacion: datetime | None


def _moment(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=MEXICO)


def _rows(text: str) -> Iterator[MetadataRow]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return
    header = [name.strip().lower() for name in lines[0].lstrip("\ufeff").split("~")]
    for line in lines[1:]:
        values = dict(zip(header, (value.strip() for value in line.split("~")), strict=False))
        try:
            emitted = _moment(values.get("fechaemision", ""))
            if emitted is None:
                continue
            yield MetadataRow(
                uuid=uuidlib.UUID(values["uuid"]),
                emisor_rfc=values.get("rfcemisor", "").upper()[:13],
                emisor_nombre=values.get("nombreemisor", "")[:300],
                receptor_rfc=values.get("rfcreceptor", "").upper()[:13],
                receptor_nombre=values.get("nombrereceptor", "")[:300],
                pac_rfc=values.get("rfcpac", "").upper()[:13],
                fecha_emision=emitted,
                fecha_certificacion=_moment(values.get("fechacertificacionsat", "")),
                monto=Decimal(values.get("monto", "0") or "0"),
                efecto=values.get("efectocomprobante", "")[:1],
                vigente=values.get("estatus", "1") != "0",
                fecha_cancelacion=_moment(values.get("fechacancelacion", "")),
            )
        except (KeyError, ValueError, InvalidOperation):
            continue  # a line SAT did not write whole: skipped, the rest still count


def metadata_rows(package: bytes) -> Iterator[MetadataRow]:
    """Every CFDI the package's metadata files list (other members are ignored)."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or "/" in name or not name.lower().endswith(".txt"):
                continue
            if name.lower().endswith("_tercero.txt"):
                continue  # the third parties' list, not CFDIs
            yield from _rows(archive.read(info).decode("utf-8", errors="replace"))

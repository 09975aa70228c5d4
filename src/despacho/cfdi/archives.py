"""From uploaded files to candidate documents: size limits and safe ZIP expansion.

A ZIP is never extracted to disk: its members are read one at a time into
memory, each capped at CFDI_MAX_BYTES, the whole capped by member count,
total uncompressed bytes and compression ratio (checked on the declared sizes
before anything is read, and again on what is actually read, since headers can
lie). Member names are only labels for the report; names that try to climb
out of a folder are refused and not read.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from despacho.cfdi.refusals import Refusal, RefusalCode, human_size, pdf_refusal, too_large

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Every PDF starts with this header (ISO 32000-1, 7.5.2); people upload the invoice's PDF
# thinking it is the CFDI.
PDF_MAGIC = b"%PDF-"
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Incoming:
    """One candidate document: its bytes, or why it was refused before parsing."""

    name: str
    data: bytes | None = None
    refusal: Refusal | None = None


def label(name: str) -> str:
    """A file name fit for a report line (no control characters, bounded length)."""
    cleaned = _CONTROL_RE.sub("?", name).strip() or "?"
    return cleaned if len(cleaned) <= 200 else "…" + cleaned[-199:]


def incoming_documents(name: str, stream: IO[bytes]) -> Iterator[Incoming]:
    """The documents of one uploaded file: itself if XML, its members if a ZIP."""
    name = label(name)
    head = stream.read(4)
    stream.seek(0)
    if head in ZIP_MAGIC:
        yield from _zip_members(name, stream)
        return
    limit: int = settings.CFDI_MAX_BYTES
    data = stream.read(limit + 1)
    if len(data) > limit:
        yield Incoming(name, refusal=too_large(_size_of(stream, len(data)), limit))
        return
    yield _candidate(name, data)


def _candidate(name: str, data: bytes) -> Incoming:
    """A document to parse, unless its bytes say it is a PDF."""
    if data.startswith(PDF_MAGIC):
        return Incoming(name, refusal=pdf_refusal())
    return Incoming(name, data=data)


def _size_of(stream: IO[bytes], at_least: int) -> int:
    try:
        return max(stream.seek(0, 2), at_least)
    except (OSError, ValueError):
        return at_least


def _zip_refusal(message: str) -> Refusal:
    return Refusal(
        RefusalCode.ZIP_LIMITS, _("El ZIP excede los límites: %(why)s") % {"why": message}
    )


def _unsafe(filename: str) -> bool:
    parts = re.split(r"[\\/]", filename)
    return (
        filename.startswith(("/", "\\"))
        or bool(re.match(r"^[A-Za-z]:", filename))
        or any(part == ".." for part in parts)
    )


def _zip_members(name: str, stream: IO[bytes]) -> Iterator[Incoming]:
    zip_size = _size_of(stream, 0)
    if zip_size > settings.CFDI_ZIP_MAX_BYTES:
        yield Incoming(name, refusal=too_large(zip_size, settings.CFDI_ZIP_MAX_BYTES))
        return
    try:
        archive = zipfile.ZipFile(stream)
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        yield Incoming(
            name,
            refusal=Refusal(RefusalCode.ZIP_INVALID, _("El ZIP está dañado o no se puede leer.")),
        )
        return
    refusal = _declared_limits(members)
    if refusal is not None:
        yield Incoming(name, refusal=refusal)
        return
    total_read = 0
    # An empty ZIP, or one of PDFs only, holds no CFDI: say so once, for the ZIP itself.
    seen = pdfs = 0
    for info in members:
        member_name = f"{name}/{label(info.filename)}"
        if info.filename.startswith("__MACOSX/"):
            continue  # resource forks macOS adds; never documents
        seen += 1
        if _unsafe(info.filename):
            yield Incoming(
                member_name,
                refusal=Refusal(
                    RefusalCode.ZIP_UNSAFE_NAME,
                    _("El nombre del archivo dentro del ZIP no es seguro; no se leyó."),
                ),
            )
            continue
        if info.file_size > settings.CFDI_MAX_BYTES:
            yield Incoming(member_name, refusal=too_large(info.file_size, settings.CFDI_MAX_BYTES))
            continue
        if info.flag_bits & 0x1:
            yield Incoming(
                member_name,
                refusal=Refusal(RefusalCode.ZIP_INVALID, _("El archivo está cifrado en el ZIP.")),
            )
            continue
        try:
            with archive.open(info) as member:
                data = member.read(settings.CFDI_MAX_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError):
            yield Incoming(
                member_name,
                refusal=Refusal(
                    RefusalCode.ZIP_INVALID, _("El archivo dentro del ZIP está dañado.")
                ),
            )
            continue
        total_read += len(data)
        if len(data) > settings.CFDI_MAX_BYTES:
            yield Incoming(member_name, refusal=too_large(len(data), settings.CFDI_MAX_BYTES))
            continue
        if (
            len(data) > settings.CFDI_ZIP_MAX_RATIO * max(info.compress_size, 1)
            and len(data) > 1024
        ):
            yield Incoming(member_name, refusal=_ratio_refusal())
            continue
        if total_read > settings.CFDI_ZIP_MAX_TOTAL_BYTES:
            yield Incoming(name, refusal=_total_refusal())
            return
        candidate = _candidate(member_name, data)
        pdfs += candidate.data is None
        yield candidate
    if seen == pdfs:
        yield Incoming(name, refusal=_no_xml_refusal())


def _no_xml_refusal() -> Refusal:
    return Refusal(
        RefusalCode.ZIP_NO_XML,
        _(
            "El ZIP no contiene ningún archivo XML. El CFDI es el XML (el PDF es solo su "
            "representación impresa): sube los XML, sueltos o en un ZIP."
        ),
    )


def _ratio_refusal() -> Refusal:
    return _zip_refusal(
        _("un archivo se expande más de %(ratio)d veces su tamaño comprimido.")
        % {"ratio": settings.CFDI_ZIP_MAX_RATIO}
    )


def _total_refusal() -> Refusal:
    return _zip_refusal(
        _("descomprimido pesaría más de %(limit)s.")
        % {"limit": human_size(settings.CFDI_ZIP_MAX_TOTAL_BYTES)}
    )


def _declared_limits(members: list[zipfile.ZipInfo]) -> Refusal | None:
    if len(members) > settings.CFDI_ZIP_MAX_MEMBERS:
        return _zip_refusal(
            _("trae %(n)d archivos; el máximo es %(max)d.")
            % {"n": len(members), "max": settings.CFDI_ZIP_MAX_MEMBERS}
        )
    if sum(info.file_size for info in members) > settings.CFDI_ZIP_MAX_TOTAL_BYTES:
        return _total_refusal()
    for info in members:
        if info.file_size > 1024 and info.file_size > settings.CFDI_ZIP_MAX_RATIO * max(
            info.compress_size, 1
        ):
            return _ratio_refusal()
    return None

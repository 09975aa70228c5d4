"""A ZIP of a receiver's selection, written as it streams (never whole in memory or on disk)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator

from despacho.cfdi.downloads import StreamSink
from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import cfdi_xml


def member_name(cfdi: Cfdi, extension: str) -> str:
    folio = f"{cfdi.serie}{cfdi.folio}".strip()
    stem = f"{folio}_{cfdi.uuid_text}" if folio else cfdi.uuid_text
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)
    return f"{safe}.{extension}"


def zip_stream(
    cfdis: Iterable[Cfdi], *, pdf: Callable[[Cfdi], bytes] | None = None
) -> Iterator[bytes]:
    """Yield the ZIP's bytes: each CFDI's original XML, and its PDF when ``pdf`` is given."""
    pipe = StreamSink()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for cfdi in cfdis:
            archive.writestr(member_name(cfdi, "xml"), cfdi_xml(cfdi))
            if pdf is not None:
                archive.writestr(member_name(cfdi, "pdf"), pdf(cfdi))
            yield pipe.take()
    yield pipe.take()

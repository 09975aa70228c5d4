"""A ZIP of many stored originals, written while it is sent.

``zip_stream`` yields the archive piece by piece: each original is read from
the storage in chunks and compressed straight into the response, so memory
holds one chunk at a time whatever the number or size of the files. The
archive is written for a non-seekable stream (sizes go in data descriptors
after each file), which every unzip tool reads.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.core.files.storage import default_storage

CHUNK = 64 * 1024


class StreamSink(io.RawIOBase):
    """A write-only, non-seekable file whose bytes are taken out as they are written."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def zip_stream(entries: Iterable[tuple[str, str, datetime]]) -> Iterator[bytes]:
    """The ZIP of ``(name in the archive, storage path, modified at)`` entries, as it is written."""
    sink = StreamSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path, modified in entries:
            info = zipfile.ZipInfo(name, date_time=modified.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with default_storage.open(path, "rb") as source, archive.open(info, "w") as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    if data := sink.take():
        yield data

"""Why a file is not stored: one exception with a stable code and a Spanish message."""

from __future__ import annotations

import enum

from django.utils.translation import gettext as _


class RefusalCode(enum.StrEnum):
    NOT_XML = "not_xml"
    PDF = "pdf"
    DOCTYPE = "doctype"
    NOT_CFDI = "not_cfdi"
    NOT_STAMPED = "not_stamped"
    MULTIPLE_TIMBRES = "multiple_timbres"
    NOT_PARTY = "not_party"
    TOO_LARGE = "too_large"
    ZIP_LIMITS = "zip_limits"
    ZIP_INVALID = "zip_invalid"
    ZIP_UNSAFE_NAME = "zip_unsafe_name"
    ZIP_NO_XML = "zip_no_xml"
    SEAL_INVALID = "seal_invalid"
    SEAL_MISSING = "seal_missing"
    NOT_PERMITTED = "not_permitted"
    UNREADABLE = "unreadable"


class Refusal(Exception):
    """A file that is not stored, and why (``code`` for programs, ``message`` for people)."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def unreadable() -> Refusal:
    """What a document gets when reading it failed in a way no rule foresaw (logged)."""
    return Refusal(
        RefusalCode.UNREADABLE,
        _(
            "No se pudo procesar este archivo como CFDI (su estructura no es la que el SAT "
            "define); no se guardó. Los demás archivos del lote no se ven afectados."
        ),
    )


def human_size(size: int) -> str:
    """A byte count as people read it (1.5 MB, 300 KB)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return _("%(n)d bytes") % {"n": size}


def too_large(size: int, limit: int) -> Refusal:
    return Refusal(
        RefusalCode.TOO_LARGE,
        _("El archivo pesa más de %(limit)s, el máximo para un CFDI (pesa %(size)s).")
        % {"limit": human_size(limit), "size": human_size(size)},
    )


def pdf_refusal() -> Refusal:
    """A PDF is the printed form of a CFDI, not the CFDI: say so and ask for the XML."""
    return Refusal(
        RefusalCode.PDF,
        _(
            "Es un PDF: el PDF es solo la representación impresa de la factura, no el CFDI. "
            "Sube el archivo XML (quien emitió la factura te lo envía junto con el PDF)."
        ),
    )

"""The one small interface every PAC adapter answers, and the choice of adapter.

A PAC (proveedor autorizado de certificación) stamps a sealed CFDI with SAT's
TimbreFiscalDigital, forwards cancellation requests and tells a document's status at the
SAT. Despacho speaks to it through ``Pac`` only: ``stamp``, ``recover``, ``cancel`` and
``status``. ``get_pac()`` returns the adapter ``settings.DESPACHO_PAC`` names:
``sandbox`` (``pac/sandbox.py``, the default) or ``finkok`` (``pac/finkok.py``).

Every failure is a ``PacError`` with the PAC's code, a Spanish message for the person
who asked, and whether trying again may help (timeouts and refused connections may; a
CFDI the PAC rejects will not until it changes).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _


class PacError(Exception):
    """A PAC refused or failed: its code, a Spanish message, and whether a retry may help."""

    def __init__(self, code: str, message_es: str, *, retryable: bool = False) -> None:
        super().__init__(f"{code}: {message_es}")
        self.code = code
        self.message_es = message_es
        self.retryable = retryable


def unreachable(error: Exception) -> PacError:
    """The retryable PacError for a PAC that did not answer in time or at all."""
    if "timeout" in type(error).__name__.lower() or "timed out" in str(error).lower():
        return PacError(
            "timeout",
            _("El PAC no respondió a tiempo. Inténtalo de nuevo en unos minutos."),
            retryable=True,
        )
    return PacError(
        "unreachable",
        _("No fue posible conectar con el PAC. Inténtalo de nuevo en unos minutos."),
        retryable=True,
    )


@dataclass(frozen=True)
class Stamped:
    """A stamped CFDI: the XML exactly as the PAC returned it and its timbre's fields."""

    xml: bytes = field(repr=False)
    uuid: str  # lower case, canonical
    fecha_timbrado: datetime  # aware, America/Mexico_City (the SAT's clock)
    no_certificado_sat: str


class CancelCode(enum.StrEnum):
    """SAT's answer per UUID to a cancellation request (EstatusUUID of the acuse)."""

    ACCEPTED = "201"  # solicitud recibida (cancelled, or waiting for the receiver)
    PREVIOUSLY_CANCELLED = "202"  # already cancelled
    NOT_OF_ISSUER = "203"  # UUID does not belong to the emisor
    NOT_APPLICABLE = "204"  # the CFDI does not apply for cancellation
    NOT_FOUND = "205"  # UUID unknown to the SAT
    NOT_CANCELLABLE = "206"  # has live related documents (no cancelable)


@dataclass(frozen=True)
class CancelAnswer:
    """SAT's answer to one signed Cancelacion: EstatusUUID per UUID and the acuse."""

    statuses: dict[str, str]  # lower-case UUID → CancelCode value (or the PAC's own code)
    acuse: bytes = field(repr=False)

    def code_for(self, uuid: str) -> str | None:
        """The status code SAT gave ``uuid`` in this answer, if it named it."""
        return self.statuses.get(uuid.lower())


class Estado(enum.StrEnum):
    """The CFDI's state at the SAT (Estado of the consulta)."""

    VIGENTE = "Vigente"
    CANCELADO = "Cancelado"
    NO_ENCONTRADO = "No Encontrado"


class EsCancelable(enum.StrEnum):
    SIN_ACEPTACION = "Cancelable sin aceptación"
    CON_ACEPTACION = "Cancelable con aceptación"
    NO_CANCELABLE = "No cancelable"


class EstatusCancelacion(enum.StrEnum):
    NINGUNO = ""
    EN_PROCESO = "En proceso"
    PLAZO_VENCIDO = "Plazo vencido"
    CON_ACEPTACION = "Cancelado con aceptación"
    SIN_ACEPTACION = "Cancelado sin aceptación"
    RECHAZADA = "Solicitud rechazada"


@dataclass(frozen=True)
class SatStatus:
    """What SAT's consulta says about one CFDI."""

    estado: str  # an Estado value
    es_cancelable: str  # an EsCancelable value ("" when not found)
    estatus_cancelacion: str  # an EstatusCancelacion value


@runtime_checkable
class Pac(Protocol):
    """What Despacho needs from a PAC. Adapters raise PacError, never anything else."""

    #: The adapter's name as ``DESPACHO_PAC`` spells it.
    name: str

    def stamp(self, xml: bytes) -> Stamped:
        """Stamp a sealed CFDI; a CFDI this PAC already stamped gets its first stamp back."""
        ...

    def recover(self, xml: bytes) -> Stamped | None:
        """The stamp this PAC already gave this exact CFDI, or None if it never stamped it."""
        ...

    def cancel(self, *, request_xml: bytes) -> CancelAnswer:
        """Forward SAT's Cancelacion, already signed by the issuer's CSD on our side."""
        ...

    def status(self, *, uuid: str, emisor_rfc: str, receptor_rfc: str, total: Decimal) -> SatStatus:
        """SAT's consulta for one CFDI: estado, es cancelable, estatus de cancelación."""
        ...


def get_pac() -> Pac:
    """The adapter ``settings.DESPACHO_PAC`` configures (``sandbox`` unless told otherwise)."""
    name = getattr(settings, "DESPACHO_PAC", "sandbox")
    if name == "sandbox":
        from despacho.pac.sandbox import SandboxPac

        return SandboxPac()
    if name == "finkok":
        from despacho.pac.finkok import FinkokPac

        return FinkokPac(
            base_url=settings.DESPACHO_PAC_URL,
            username=settings.DESPACHO_PAC_USER,
            password=settings.DESPACHO_PAC_PASSWORD,
            timeout=settings.DESPACHO_PAC_TIMEOUT,
        )
    raise ImproperlyConfigured(f"DESPACHO_PAC must be 'sandbox' or 'finkok', not {name!r}")

"""REST API of cancellations: /api/v1/cfdis/{uuid}/cancellation (request, state, acuse).

Mounted beside the CFDI router under ``/cfdis``. A CFDI the key's grant does not show is
404 (as in the CFDI operations), Cancelar CFDIs missing is 403 with the reason, and the
service's refusals keep their codes (``live_dependents``, ``cancellation_open`` … 409;
``folio_sustitucion_*``, ``motivo_unknown`` … 422 naming the field).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from despacho.access.catalog import Perm
from despacho.api.auth import caller, company_param, refused
from despacho.api.errors import ApiError, file_response, responses
from despacho.api.idempotency import idempotent
from despacho.api.schemas import local, query_text, text
from despacho.cancellations.models import Cancellation, MotivoChoice, State
from despacho.cancellations.selectors import (
    CancellationNotFound,
    cancellation_acuse,
    cancellation_for,
)
from despacho.cancellations.services import CancelForbidden, cancellation_request
from despacho.cfdi.models import Status as CfdiStatus
from despacho.cfdi.selectors import cfdi_for

cancellations_router = Router(tags=["cancellations"])

COMPANY = query_text(max_length=20, description="The company id (GET /companies).")


class CancellationIn(Schema):
    motivo: str = text(
        max_length=2,
        description="SAT's c_MotivoCancelacion: "
        + "; ".join(str(label) for label in MotivoChoice.labels),
        examples=["02"],
    )
    folio_sustitucion: str = text(
        "",
        max_length=36,
        description="Motive 01 only: the UUID of the stamped CFDI that replaces this one and "
        "relates it with TipoRelacion 04.",
    )


class StepOut(Schema):
    state: State
    at: datetime
    message: str


class CancellationOut(Schema):
    uuid: str = Field(description="The cancelled CFDI's UUID.")
    state: State = Field(
        description="solicitada → en_proceso → cancelada | rechazada | plazo_vencido; "
        "error when the PAC or SAT refused before accepting it."
    )
    state_label: str
    cfdi_status: CfdiStatus
    motivo: str
    folio_sustitucion: str
    needs_acceptance: bool = Field(description="Whether SAT's rules ask the receiver to accept.")
    reasons: list[str] = Field(description="Why, in Spanish, naming regla 2.7.1.35's fracción.")
    sat_code: str = Field(description="SAT's EstatusUUID (201, 202, 205 …) or the PAC's code.")
    message: str
    acuse: bool = Field(description="Whether GET …/cancellation/acuse has the SAT's acuse.")
    requested_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    steps: list[StepOut]

    @staticmethod
    def of(cancellation: Cancellation) -> CancellationOut:
        return CancellationOut(
            uuid=str(cancellation.cfdi.uuid),
            state=State(cancellation.state),
            state_label=cancellation.state_label,
            cfdi_status=CfdiStatus(cancellation.cfdi.status),
            motivo=cancellation.motivo,
            folio_sustitucion=cancellation.folio_sustitucion,
            needs_acceptance=cancellation.needs_acceptance,
            reasons=list(cancellation.reasons),
            sat_code=cancellation.sat_code,
            message=cancellation.message,
            acuse=bool(cancellation.acuse_path),
            requested_at=local(cancellation.requested_at),  # type: ignore[arg-type]
            updated_at=local(cancellation.updated_at),  # type: ignore[arg-type]
            finished_at=local(cancellation.finished_at),
            steps=[
                StepOut(state=State(s.state), at=local(s.at), message=s.message)  # type: ignore[arg-type]
                for s in cancellation.steps.all()
            ],
        )


@cancellations_router.post("/{uuid}/cancellation", response=responses({201: CancellationOut}))
@idempotent
def cancellation_create(
    request: HttpRequest, uuid: str, payload: CancellationIn, company: str = COMPANY
) -> Any:
    """Ask SAT, through the PAC, to cancel an issued vigente CFDI (permission Cancelar CFDIs).

    The answer is the request as the PAC left it: `cancelada` at once, `en_proceso` while
    the receiver decides (refreshed in the background), or `error` with SAT's reason.
    """
    principal = caller(request)
    target = company_param(principal, company)
    cfdi = cfdi_for(viewer=principal.user, company=target, uuid=uuid)
    try:
        cancellation = cancellation_request(
            cfdi=cfdi,
            actor=principal.user,
            motivo=payload.motivo,
            folio_sustitucion=payload.folio_sustitucion,
        )
    except CancelForbidden:
        raise refused(principal, target, Perm.CANCELAR) from None
    return Status(201, CancellationOut.of(cancellation))


@cancellations_router.get("/{uuid}/cancellation", response=responses({200: CancellationOut}))
def cancellation_get(request: HttpRequest, uuid: str, company: str = COMPANY) -> Any:
    """The CFDI's latest cancellation request and its history (404 if it never had one)."""
    principal = caller(request)
    found = cancellation_for(
        viewer=principal.user, company=company_param(principal, company), uuid=uuid
    )
    if found.latest is None:
        raise ApiError(404, "not_found", _("Este CFDI no tiene solicitudes de cancelación."))
    return CancellationOut.of(found.latest)


@cancellations_router.get(
    "/{uuid}/cancellation/acuse",
    response=responses({200: None}),
    openapi_extra=file_response(
        media_type="application/xml",
        description="SAT's acuse of the cancellation, as the PAC returned it.",
        schema={"type": "string"},
    ),
)
def cancellation_acuse_get(request: HttpRequest, uuid: str, company: str = COMPANY) -> Any:
    """The SAT's acuse of the CFDI's cancellation (404 when there is none yet)."""
    principal = caller(request)
    try:
        cancellation, acuse = cancellation_acuse(
            viewer=principal.user, company=company_param(principal, company), uuid=uuid
        )
    except CancellationNotFound:
        raise ApiError(404, "not_found", _("Este CFDI no tiene acuse de cancelación.")) from None
    response = HttpResponse(acuse, content_type="application/xml")
    response["Content-Disposition"] = (
        f'attachment; filename="{cancellation.cfdi.uuid_text}-acuse.xml"'
    )
    return response

"""REST API of the CFDI repository: upload (XML or ZIP), list with the UI's filters, get, XML, PDF.

Every read goes through the cfdi selectors, so the same grant rules apply as in
the pages: a closed category is 403 on lists and 404 on single documents.
"""

from __future__ import annotations

import uuid as uuid_module
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, UploadedFile
from pydantic import Field

from despacho.api.auth import caller, company_param, refused
from despacho.api.errors import ApiError, file_response, responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import (
    CURSOR,
    LIMIT,
    NO_NUL,
    day,
    local,
    money,
    query_text,
    text,
)
from despacho.cfdi.forms import CfdiFilterForm
from despacho.cfdi.models import CATEGORY_PERM, Category, Cfdi, Status, Tipo
from despacho.cfdi.pdf import cfdi_pdf
from despacho.cfdi.selectors import (
    SORTS,
    CategoryForbidden,
    CfdiNotFound,
    categories_visible,
    cfdi_for,
    cfdi_list,
    cfdi_xml,
)
from despacho.cfdi.services import cfdi_ingest_files

cfdis_router = Router(tags=["cfdis"])

Sort = Literal["-fecha", "fecha", "-total", "total", "folio", "-folio"]
assert set(Sort.__args__) == set(SORTS)  # type: ignore[attr-defined]


class CfdiOut(Schema):
    uuid: str
    company: str
    direction: str
    category: Category
    tipo: Tipo
    version: str
    serie: str
    folio: str
    fecha: datetime = Field(description="As in the XML, America/Mexico_City.")
    fecha_timbrado: datetime
    emisor_rfc: str
    emisor_nombre: str
    receptor_rfc: str
    receptor_nombre: str
    subtotal: str = Field(examples=["100.00"])
    descuento: str | None
    total: str = Field(examples=["116.00"])
    moneda: str
    pagos_monto: str | None = Field(
        description="A Pago (tipo P) totals 0 in XXX: what it paid, the sum of its Pagos' "
        "Monto (in MXN at each TipoCambioP when they mix currencies); null for other tipos.",
        examples=["17852.75"],
    )
    pagos_moneda: str = Field(description="The currency of pagos_monto (MonedaP); empty if none.")
    tipo_cambio: str | None
    forma_pago: str
    metodo_pago: str
    uso_cfdi: str
    status: Status
    seal_verified: bool | None
    sat_cancelled_at: datetime | None = Field(
        description="A received CFDI its emisor cancelled: when SAT's status service was first "
        "seen answering Cancelado (status is then cancelado); null otherwise."
    )
    emisor_listed: str = Field(
        description="The emisor's gravest listing in SAT's lists (69b_definitivo, "
        "69b_presunto, 69, 69b_sentencia, 69b_desvirtuado); empty when not listed.",
        examples=["69b_definitivo"],
    )
    size: int
    sha256: str
    created_at: datetime

    @staticmethod
    def of(cfdi: Cfdi) -> CfdiOut:
        return CfdiOut(
            uuid=str(cfdi.uuid),
            company=str(cfdi.company_id),
            direction=cfdi.direction,
            category=Category(cfdi.category),
            tipo=Tipo(cfdi.tipo),
            version=cfdi.version,
            serie=cfdi.serie,
            folio=cfdi.folio,
            fecha=local(cfdi.fecha),  # type: ignore[arg-type]
            fecha_timbrado=local(cfdi.fecha_timbrado),  # type: ignore[arg-type]
            emisor_rfc=cfdi.emisor_rfc,
            emisor_nombre=cfdi.emisor_nombre,
            receptor_rfc=cfdi.receptor_rfc,
            receptor_nombre=cfdi.receptor_nombre,
            subtotal=money(cfdi.subtotal),  # type: ignore[arg-type]
            descuento=money(cfdi.descuento),
            total=money(cfdi.total),  # type: ignore[arg-type]
            moneda=cfdi.moneda,
            pagos_monto=money(cfdi.pagos_monto),
            pagos_moneda=cfdi.pagos_moneda,
            tipo_cambio=None if cfdi.tipo_cambio is None else str(cfdi.tipo_cambio.normalize()),
            forma_pago=cfdi.forma_pago,
            metodo_pago=cfdi.metodo_pago,
            uso_cfdi=cfdi.uso_cfdi,
            status=Status(cfdi.status),
            seal_verified=cfdi.seal_verified,
            sat_cancelled_at=local(cfdi.sat_cancelled_at),
            emisor_listed=cfdi.emisor_listed,
            size=cfdi.size,
            sha256=cfdi.sha256,
            created_at=local(cfdi.created_at),  # type: ignore[arg-type]
        )


class OutcomeOut(Schema):
    name: str
    status: Literal["accepted", "duplicate", "refused"]
    code: str = Field(description="Why it was refused (`not_cfdi`, `not_party`, …), or empty.")
    message: str
    uuid: str
    category: str
    seal_verified: bool | None


class UploadOut(Schema):
    counts: dict[str, int] = Field(description="accepted, duplicate, refused.")
    outcomes: list[OutcomeOut]


class CfdiFilter(Schema):
    company: str = text(max_length=20, description="The company id (GET /companies).")
    category: Category
    since: date | None = day("Issued on or after this day (America/Mexico_City).")
    until: date | None = day("Issued on or before this day.")
    counterpart: str | None = text(None, max_length=300, description="RFC, or part of the name.")
    serie: str | None = text(None, max_length=25)
    folio: str | None = text(None, max_length=40)
    uuid: uuid_module.UUID | None = None
    tipo: Tipo | None = None
    status: Status | None = None
    total_min: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=6)
    total_max: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=6)
    sort: Sort = "-fecha"


def _filter_form(filters: CfdiFilter) -> CfdiFilterForm:
    """The list page's own form, so the API applies exactly the UI's filter rules."""
    data = filters.model_dump(exclude={"company", "category"}, exclude_none=True)
    form = CfdiFilterForm({name: str(value) for name, value in data.items()})
    if not form.is_valid():
        fields = [
            {"field": name, "code": error.code or "invalid", "message": " ".join(error.messages)}
            for name, errors in form.errors.as_data().items()
            for error in errors
        ]
        raise ApiError(422, fields[0]["code"], fields[0]["message"], fields=fields)
    return form


@cfdis_router.post("", response=responses({200: UploadOut}))
@idempotent
def cfdis_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    company: str = Form(..., max_length=20, pattern=NO_NUL),
    accept_unverified: bool = Form(False),
) -> Any:
    """Store one XML or a ZIP of them; each document is accepted, a duplicate, or refused."""
    principal = caller(request)
    target = company_param(principal, company)
    if not categories_visible(viewer=principal.user, company=target):
        raise ApiError(403, "permission_denied", _("Tu acceso a esta empresa no incluye CFDI."))
    report = cfdi_ingest_files(
        company=target,
        files=[(file.name or "archivo", file)],
        ingested_by=principal.user,
        accept_unverified=accept_unverified,
    )
    return {
        "counts": report.counts,
        "outcomes": [
            {
                "name": o.name,
                "status": o.status.value,
                "code": str(o.code),
                "message": o.message,
                "uuid": o.uuid,
                "category": o.category,
                "seal_verified": o.seal_verified,
            }
            for o in report.outcomes
        ],
    }


@cfdis_router.get("", response=responses({200: Page[CfdiOut]}))
def cfdis_list(
    request: HttpRequest,
    filters: Query[CfdiFilter],
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """One category of a company's CFDIs, with the list page's filters and sorts."""
    principal = caller(request)
    company = company_param(principal, filters.company)
    form_filters = _filter_form(filters).filters()
    try:
        qs = cfdi_list(
            viewer=principal.user,
            company=company,
            category=filters.category,
            filters=form_filters,
        )
    except CategoryForbidden:
        raise refused(principal, company, CATEGORY_PERM[filters.category]) from None
    rows, next_cursor = paginate(qs, ordering=SORTS[form_filters.sort], limit=limit, cursor=cursor)
    return {"items": [CfdiOut.of(c) for c in rows], "next_cursor": next_cursor}


def _cfdi(request: HttpRequest, uuid: str, company: str) -> Cfdi:
    principal = caller(request)
    return cfdi_for(viewer=principal.user, company=company_param(principal, company), uuid=uuid)


@cfdis_router.get("/{uuid}", response=responses({200: CfdiOut}))
def cfdis_get(request: HttpRequest, uuid: str, company: str = query_text(max_length=20)) -> Any:
    """One CFDI of the company (404 also when its category is closed to the key)."""
    return CfdiOut.of(_cfdi(request, uuid, company))


@cfdis_router.get(
    "/{uuid}/xml",
    response=responses({200: None}),
    openapi_extra=file_response(
        media_type="application/xml",
        description="The original XML, byte for byte.",
        schema={"type": "string"},
    ),
)
def cfdis_xml(request: HttpRequest, uuid: str, company: str = query_text(max_length=20)) -> Any:
    """The original XML as it was received."""
    cfdi = _cfdi(request, uuid, company)
    response = HttpResponse(cfdi_xml(cfdi), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{cfdi.uuid_text}.xml"'
    return response


@cfdis_router.get(
    "/{uuid}/pdf",
    response=responses({200: None}),
    openapi_extra=file_response(
        media_type="application/pdf",
        description="The printed representation (Spanish), as the pages serve it.",
        schema={"type": "string", "format": "binary"},
    ),
)
def cfdis_pdf(request: HttpRequest, uuid: str, company: str = query_text(max_length=20)) -> Any:
    """The printed CFDI (rendered once, then served from the cache), with the XML's rule."""
    cfdi = _cfdi(request, uuid, company)
    response = HttpResponse(cfdi_pdf(cfdi), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cfdi.uuid_text}.pdf"'
    return response


__all__ = ["CfdiNotFound", "cfdis_router"]

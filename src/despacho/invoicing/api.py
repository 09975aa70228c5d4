"""REST API of issuing (Perm.FACTURAR on the company): /api/v1/drafts, /api/v1/series and
/api/v1/cfdis/{uuid}/resend.

The same services and selectors as the issuing pages. Ids in a body (customer, series,
product, Carta Porte items) are looked up in the request's company only: another
company's id is the same 422 ``unknown`` as a missing one. ``POST /drafts/{id}/issue``
takes an ``Idempotency-Key``: a retry with the same key replays the first answer, and a
retry without one finds the draft issued (409 ``not_editable``) — never a second stamp.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from despacho.access.catalog import Perm
from despacho.api.auth import Principal, caller, company_param, refused
from despacho.api.errors import ApiError, ErrorOut, file_response, responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import CURSOR, LIMIT, local, money, object_id, query_text, text
from despacho.cartaporte.models import Figure, Location, Trailer, Vehicle
from despacho.cfdi.parsing import CFDI_ZONE
from despacho.cfdi.selectors import cfdi_for
from despacho.customers.models import Customer
from despacho.invoicing.models import Draft, Series
from despacho.invoicing.selectors import (
    InvoicingForbidden,
    draft_for,
    draft_list,
    invoicing_company,
    series_list,
    stamping_stuck,
)
from despacho.invoicing.services.drafts import draft_create, draft_delete, draft_update
from despacho.invoicing.services.issue import (
    IssueFailed,
    cfdi_resend,
    draft_issue,
    draft_preview_pdf,
)
from despacho.invoicing.services.series import series_create
from despacho.invoicing.specs import (
    CartaPorteSpec,
    ConceptSpec,
    DraftData,
    GoodsSpec,
    PaymentDocumentSpec,
    PaymentSpec,
    RelationSpec,
    StopSpec,
)
from despacho.products.models import Product
from despacho.products.services import LineSpec, field_error
from despacho.tenancy.models import Company

drafts_router = Router(tags=["drafts"])
series_router = Router(tags=["series"])
resend_router = Router(tags=["cfdis"])

COMPANY = query_text(max_length=20, description="The company's id (GET /companies).")
ID = text(max_length=20, description="An id of the company's.")
AMOUNT: Any = Field(max_digits=24, decimal_places=6)
M = TypeVar("M", bound=Model)
MIN_YEAR, MAX_YEAR = 2000, 2100

# --- schemas ------------------------------------------------------------------------------------


class TaxIn(Schema):
    kind: Literal["traslado", "retencion"]
    impuesto: str = text(max_length=3, description="c_Impuesto: 001 ISR, 002 IVA, 003 IEPS.")
    tipo_factor: str = text(max_length=6, description="Tasa, Cuota or Exento.")
    rate: Decimal | None = Field(None, max_digits=12, decimal_places=6)


class ConceptIn(Schema):
    product: str | None = text(None, max_length=20, description="A product's id, or none.")
    clave_prod_serv: str = text(max_length=8)
    clave_unidad: str = text(max_length=3)
    descripcion: str = text(max_length=1000)
    cantidad: Decimal = AMOUNT
    valor_unitario: Decimal = AMOUNT
    objeto_imp: str = text(max_length=2)
    descuento: Decimal = Field(Decimal(0), max_digits=24, decimal_places=6)
    no_identificacion: str = text("", max_length=100)
    unidad: str = text("", max_length=20)
    taxes: list[TaxIn] | None = Field(
        None, max_length=10, description="Null with a product: its tax scheme's lines."
    )


class RelationIn(Schema):
    tipo_relacion: str = text(max_length=2)
    uuid: str = text(max_length=36)


class PaymentDocumentIn(Schema):
    related_uuid: str = text(max_length=36)
    num_parcialidad: int = Field(ge=1, le=999)
    imp_saldo_ant: Decimal = AMOUNT
    imp_pagado: Decimal = AMOUNT
    moneda_dr: str = text("MXN", max_length=3)
    equivalencia_dr: Decimal | None = Field(None, max_digits=24, decimal_places=10)
    serie: str = text("", max_length=25)
    folio: str = text("", max_length=40)
    objeto_imp_dr: str = text("", max_length=2)  # "": from the paid invoice


class PaymentIn(Schema):
    fecha_pago: datetime
    forma_pago: str = text(max_length=2)
    monto: Decimal = AMOUNT
    documents: list[PaymentDocumentIn] = Field(max_length=100)
    moneda: str = text("MXN", max_length=3)
    tipo_cambio: Decimal | None = Field(None, max_digits=24, decimal_places=6)
    num_operacion: str = text("", max_length=100)


class StopIn(Schema):
    location: str = ID
    fecha_hora: datetime
    distancia_recorrida: Decimal | None = Field(None, max_digits=12, decimal_places=2)


class GoodsIn(Schema):
    bienes_transp: str = text(max_length=8)
    descripcion: str = text(max_length=1000)
    cantidad: Decimal = AMOUNT
    clave_unidad: str = text(max_length=3)
    peso_kg: Decimal = Field(max_digits=15, decimal_places=3)
    material_peligroso: bool = False
    valor_mercancia: Decimal | None = Field(None, max_digits=24, decimal_places=6)
    moneda: str = text("", max_length=3)


class CartaPorteIn(Schema):
    vehicle: str = ID
    stops: list[StopIn] = Field(max_length=50)
    goods: list[GoodsIn] = Field(max_length=100)
    figures: list[str] = Field(default_factory=list, max_length=10)
    trailer: str | None = text(None, max_length=20)
    transp_internac: bool = False


class DraftBody(Schema):
    tipo: Literal["I", "E", "P", "T"]
    customer: str | None = text(None, max_length=20, description="A customer's id.")
    series: str | None = text(None, max_length=20, description="A series' id (GET /series).")
    fecha: datetime | None = Field(None, description="Null: the moment of stamping.")
    forma_pago: str = text("", max_length=2)
    metodo_pago: str = text("", max_length=3)
    uso_cfdi: str = text("", max_length=4)
    exportacion: str = text("01", max_length=2)
    moneda: str = text("MXN", max_length=3)
    tipo_cambio: Decimal | None = Field(None, max_digits=24, decimal_places=6)
    global_periodicidad: str = text("", max_length=2)
    global_meses: str = text("", max_length=2)
    global_anio: int | None = Field(None, ge=2021, le=2100)
    concepts: list[ConceptIn] = Field(default_factory=list, max_length=500)
    relations: list[RelationIn] = Field(default_factory=list, max_length=100)
    payments: list[PaymentIn] = Field(default_factory=list, max_length=100)
    carta_porte: CartaPorteIn | None = None


class DraftIn(DraftBody):
    company: str = text(max_length=20, description="The company's id.")


class ConceptOut(Schema):
    descripcion: str
    clave_prod_serv: str
    cantidad: str
    valor_unitario: str
    descuento: str | None
    objeto_imp: str


class DraftOut(Schema):
    id: str
    company: str
    tipo: str
    status: str
    customer: str | None
    series: str | None
    serie: str
    folio: int | None
    forma_pago: str
    metodo_pago: str
    uso_cfdi: str
    moneda: str
    last_error: str = Field(description="The PAC's message after a failed attempt.")
    uuid: str | None = Field(description="Once issued: the stamped CFDI (GET /cfdis/{uuid}).")
    stamping_interrupted: bool = Field(
        description="Left stamping longer than DESPACHO_STAMPING_RETRY_MINUTES: POST …/issue "
        "retries it (the same UUID if the PAC stamped it, else the same folio)."
    )
    concepts: list[ConceptOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def of(draft: Draft) -> DraftOut:
        return DraftOut(
            id=str(draft.pk),
            company=str(draft.company_id),
            tipo=draft.tipo,
            status=draft.status,
            customer=str(draft.customer_id) if draft.customer_id else None,
            series=str(draft.series_id) if draft.series_id else None,
            serie=draft.series.code if draft.series is not None else "",
            folio=draft.folio,
            forma_pago=draft.forma_pago,
            metodo_pago=draft.metodo_pago,
            uso_cfdi=draft.uso_cfdi,
            moneda=draft.moneda,
            last_error=draft.last_error,
            uuid=str(draft.uuid) if draft.uuid else None,
            stamping_interrupted=stamping_stuck(draft),
            concepts=[
                ConceptOut(
                    descripcion=c.descripcion,
                    clave_prod_serv=c.clave_prod_serv,
                    cantidad=str(c.cantidad),
                    valor_unitario=str(c.valor_unitario),
                    descuento=money(c.descuento),
                    objeto_imp=c.objeto_imp,
                )
                for c in draft.concepts.order_by("position")
            ],
            created_at=local(draft.created_at),  # type: ignore[arg-type]
            updated_at=local(draft.updated_at),  # type: ignore[arg-type]
        )


class IssuedOut(Schema):
    draft: str
    uuid: str
    serie: str
    folio: int | None
    total: str | None


class SeriesIn(Schema):
    company: str = text(max_length=20, description="The company's id.")
    code: str = text(max_length=25, description="SAT's Serie: 1 to 25 letters or digits.")
    tipo: Literal["", "I", "E", "P", "T"] = ""
    next_folio: int = Field(1, ge=1, le=2_000_000_000)
    is_default: bool = False


class SeriesOut(Schema):
    id: str
    company: str
    code: str
    tipo: str
    next_folio: int
    is_default: bool
    is_active: bool

    @staticmethod
    def of(series: Series) -> SeriesOut:
        return SeriesOut(
            id=str(series.pk),
            company=str(series.company_id),
            code=series.code,
            tipo=series.tipo,
            next_folio=series.next_folio,
            is_default=series.is_default,
            is_active=series.is_active,
        )


class ResendIn(Schema):
    emails: list[str] = Field(min_length=1, max_length=10, description="Up to 10 addresses.")


class ResendOut(Schema):
    uuid: str
    emails: list[str]


# --- lookups ------------------------------------------------------------------------------------


def _company(principal: Principal, company_id: str) -> Company:
    """The company, if the key may open it (404) and issue for it (403, saying why)."""
    company = company_param(principal, company_id)
    try:
        return invoicing_company(viewer=principal.user, company=company)
    except InvoicingForbidden:
        raise refused(principal, company, Perm.FACTURAR) from None


def _draft(request: HttpRequest, draft_id: str, company: str) -> tuple[Principal, Draft]:
    principal = caller(request)
    draft = draft_for(
        viewer=principal.user, company=_company(principal, company), draft_id=object_id(draft_id)
    )
    return principal, draft


def _owned(model: type[M], company: Company, value: str | None, field: str) -> M | None:
    """The company's object of ``model`` with that id; 422 ``unknown`` otherwise."""
    if value is None or value == "":
        return None
    found = None
    if value.isascii() and value.isdigit() and len(value) <= 18:
        found = model._default_manager.filter(company=company, pk=int(value)).first()
    if found is None:
        raise field_error(
            field, _("%(field)s: no existe en esta empresa.") % {"field": field}, "unknown"
        )
    return found


def _required(model: type[M], company: Company, value: str | None, field: str) -> M:
    """As ``_owned``, and an empty id is refused the same way (422 ``unknown``)."""
    found = _owned(model, company, value or "-", field)
    assert found is not None  # _owned refuses what it does not find
    return found


def _aware(moment: datetime, field: str) -> datetime:
    """A naive moment is Mexico City's wall clock, as CFDI dates are written; years far
    from now are refused before any conversion can overflow."""
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise field_error(
            field,
            _("%(field)s: la fecha debe estar entre %(min)d y %(max)d.")
            % {"field": field, "min": MIN_YEAR, "max": MAX_YEAR},
            "date_out_of_range",
        )
    return timezone.make_aware(moment, CFDI_ZONE) if timezone.is_naive(moment) else moment


def _concept(company: Company, item: ConceptIn) -> ConceptSpec:
    taxes = None
    if item.taxes is not None:
        taxes = tuple(LineSpec(t.kind, t.impuesto, t.tipo_factor, t.rate) for t in item.taxes)
    return ConceptSpec(
        clave_prod_serv=item.clave_prod_serv,
        clave_unidad=item.clave_unidad,
        descripcion=item.descripcion,
        cantidad=item.cantidad,
        valor_unitario=item.valor_unitario,
        objeto_imp=item.objeto_imp,
        descuento=item.descuento,
        product=_owned(Product, company, item.product, "concepts"),
        no_identificacion=item.no_identificacion,
        unidad=item.unidad,
        taxes=taxes,
    )


def _payment(item: PaymentIn) -> PaymentSpec:
    return PaymentSpec(
        fecha_pago=_aware(item.fecha_pago, "payments"),
        forma_pago=item.forma_pago,
        monto=item.monto,
        moneda=item.moneda,
        tipo_cambio=item.tipo_cambio,
        num_operacion=item.num_operacion,
        documents=tuple(PaymentDocumentSpec(**d.dict()) for d in item.documents),
    )


def _carta_porte(company: Company, item: CartaPorteIn | None) -> CartaPorteSpec | None:
    if item is None:
        return None
    field = "carta_porte"
    stops = []
    for stop in item.stops:
        location = _required(Location, company, stop.location, field)
        stops.append(StopSpec(location, _aware(stop.fecha_hora, field), stop.distancia_recorrida))
    return CartaPorteSpec(
        vehicle=_required(Vehicle, company, item.vehicle, field),
        stops=tuple(stops),
        goods=tuple(GoodsSpec(**g.dict()) for g in item.goods),
        figures=tuple(_required(Figure, company, f, field) for f in item.figures),
        trailer=_owned(Trailer, company, item.trailer, field),
        transp_internac=item.transp_internac,
    )


def _data(company: Company, body: DraftBody) -> DraftData:
    return DraftData(
        tipo=body.tipo,
        customer=_owned(Customer, company, body.customer, "customer"),
        series=_owned(Series, company, body.series, "series"),
        fecha=_aware(body.fecha, "fecha") if body.fecha is not None else None,
        forma_pago=body.forma_pago,
        metodo_pago=body.metodo_pago,
        uso_cfdi=body.uso_cfdi,
        exportacion=body.exportacion,
        moneda=body.moneda,
        tipo_cambio=body.tipo_cambio,
        global_periodicidad=body.global_periodicidad,
        global_meses=body.global_meses,
        global_anio=body.global_anio,
        concepts=tuple(_concept(company, c) for c in body.concepts),
        relations=tuple(RelationSpec(r.tipo_relacion, r.uuid) for r in body.relations),
        payments=tuple(_payment(p) for p in body.payments),
        carta_porte=_carta_porte(company, body.carta_porte),
    )


# --- drafts -------------------------------------------------------------------------------------


@drafts_router.get("", response=responses({200: Page[DraftOut]}))
def drafts_list(
    request: HttpRequest, company: str = COMPANY, limit: int = LIMIT, cursor: str | None = CURSOR
) -> Any:
    """The company's drafts not yet issued, newest first."""
    principal = caller(request)
    qs = draft_list(viewer=principal.user, company=_company(principal, company))
    rows, next_cursor = paginate(qs, ordering=("-id",), limit=limit, cursor=cursor)
    return {"items": [DraftOut.of(d) for d in rows], "next_cursor": next_cursor}


@drafts_router.post("", response=responses({201: DraftOut}))
@idempotent
def drafts_create(request: HttpRequest, response: HttpResponse, payload: DraftIn) -> Any:
    """Save a draft (it may be incomplete; what it says must be right)."""
    principal = caller(request)
    company = _company(principal, payload.company)
    draft = draft_create(company=company, actor=principal.user, data=_data(company, payload))
    return Status(201, DraftOut.of(draft))


@drafts_router.get("/{draft_id}", response=responses({200: DraftOut}))
def drafts_get(request: HttpRequest, draft_id: str, company: str = COMPANY) -> Any:
    _principal, draft = _draft(request, draft_id, company)
    return DraftOut.of(draft)


@drafts_router.put("/{draft_id}", response=responses({200: DraftOut}))
def drafts_update(
    request: HttpRequest, draft_id: str, payload: DraftBody, company: str = COMPANY
) -> Any:
    """Replace the whole draft (only while it is a draft)."""
    principal, draft = _draft(request, draft_id, company)
    data = _data(draft.company, payload)
    return DraftOut.of(draft_update(draft=draft, actor=principal.user, data=data))


@drafts_router.delete("/{draft_id}", response=responses({204: None}))
def drafts_delete(request: HttpRequest, draft_id: str, company: str = COMPANY) -> Any:
    """Delete a draft that holds no folio."""
    principal, draft = _draft(request, draft_id, company)
    draft_delete(draft=draft, actor=principal.user)
    return Status(204, None)


@drafts_router.get(
    "/{draft_id}/preview.pdf",
    response=responses({200: None}),
    openapi_extra=file_response(
        media_type="application/pdf",
        description="The draft printed as it would be issued, watermarked BORRADOR.",
        schema={"type": "string", "format": "binary"},
    ),
)
def drafts_preview(request: HttpRequest, draft_id: str, company: str = COMPANY) -> Any:
    """The preview: no folio taken, no seal used."""
    principal, draft = _draft(request, draft_id, company)
    pdf = draft_preview_pdf(draft=draft, viewer=principal.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="borrador-{draft.pk}.pdf"'
    return response


@drafts_router.post("/{draft_id}/issue", response={**responses({201: IssuedOut}), 503: ErrorOut})
@idempotent
def drafts_issue(
    request: HttpRequest, response: HttpResponse, draft_id: str, company: str = COMPANY
) -> Any:
    """Stamp the draft through the PAC and store the CFDI; the customer is emailed.

    A draft left stamping by an interrupted attempt (``stamping_interrupted``) is retried:
    the PAC is asked for the stamp it may have given, else it stamps with the same folio.
    Before DESPACHO_STAMPING_RETRY_MINUTES have passed it is 409 ``stamping_in_progress``.

    A PAC refusal is 422 with the PAC's message (code ``pac_<its code>``); a PAC that did
    not answer, or a CFDI stamped but not stored, is 503 with ``Retry-After``: the draft
    keeps its folio and the retry recovers the same UUID.
    """
    principal, draft = _draft(request, draft_id, company)
    try:
        cfdi = draft_issue(draft=draft, actor=principal.user)
    except IssueFailed as failure:
        if not failure.retryable:
            raise
        message = str(failure.message)
        raise ApiError(503, str(failure.code), message, headers={"Retry-After": "30"}) from failure
    draft.refresh_from_db()
    return Status(
        201,
        IssuedOut(
            draft=str(draft.pk),
            uuid=cfdi.uuid_text,
            serie=draft.series.code if draft.series else "",
            folio=draft.folio,
            total=money(cfdi.total),
        ),
    )


# --- series -------------------------------------------------------------------------------------


@series_router.get("", response=responses({200: Page[SeriesOut]}))
def series_list_api(
    request: HttpRequest, company: str = COMPANY, limit: int = LIMIT, cursor: str | None = CURSOR
) -> Any:
    """The company's series, by id."""
    principal = caller(request)
    qs = series_list(viewer=principal.user, company=_company(principal, company))
    rows, next_cursor = paginate(qs, ordering=("id",), limit=limit, cursor=cursor)
    return {"items": [SeriesOut.of(s) for s in rows], "next_cursor": next_cursor}


@series_router.post("", response=responses({201: SeriesOut}))
@idempotent
def series_create_api(request: HttpRequest, response: HttpResponse, payload: SeriesIn) -> Any:
    """A new series; as default it replaces the tipo's previous default."""
    principal = caller(request)
    fields = payload.dict()
    company = _company(principal, fields.pop("company"))
    return Status(201, SeriesOut.of(series_create(company=company, actor=principal.user, **fields)))


# --- re-sending a stamped CFDI ------------------------------------------------------------------


@resend_router.post("/{uuid}/resend", response=responses({200: ResendOut}))
def cfdis_resend(request: HttpRequest, uuid: str, payload: ResendIn, company: str = COMPANY) -> Any:
    """Email a stamped CFDI (XML, PDF, portal link) to other addresses."""
    principal = caller(request)
    company_row = _company(principal, company)
    cfdi = cfdi_for(viewer=principal.user, company=company_row, uuid=uuid)
    sent = cfdi_resend(cfdi=cfdi, actor=principal.user, emails=payload.emails)
    return ResendOut(uuid=cfdi.uuid_text, emails=sent)

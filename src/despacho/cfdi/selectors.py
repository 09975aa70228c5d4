"""Reads of the CFDI repository, always scoped by the viewer's grant on the company.

A category the viewer may not open is refused (``CategoryForbidden``, a 403) on
lists; a single document in such a category is indistinguishable from a
missing one (``CfdiNotFound``, a 404), whichever company it belongs to.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from despacho.access.decisions import can
from despacho.cfdi.models import (
    CATEGORY_PERM,
    RISKY_LISTINGS,
    Category,
    Cfdi,
    CfdiRelation,
    RelationKind,
    Status,
    Tipo,
)
from despacho.cfdi.parsing import CFDI_ZONE
from despacho.errors import NotFound
from despacho.people.models import Viewer
from despacho.tenancy.models import Company

CENT = Decimal("0.01")


class CfdiNotFound(NotFound):
    """The CFDI does not exist, is another company's, or its category is closed to the viewer."""


class CategoryForbidden(PermissionDenied):
    """The viewer's grant does not open this category on this company."""


# Sort keys the list offers; anything else falls back to the newest first.
SORTS: dict[str, tuple[str, ...]] = {
    "-fecha": ("-fecha", "-id"),
    "fecha": ("fecha", "id"),
    "-total": ("-total", "-id"),
    "total": ("total", "id"),
    "folio": ("serie", "folio", "id"),
    "-folio": ("-serie", "-folio", "-id"),
}
DEFAULT_SORT = "-fecha"
# The «Emisor en listas» filter's value for the listings that make an emisor risky.
LISTED_RISKY = "riesgo"


@dataclass(frozen=True)
class CfdiFilters:
    since: date | None = None
    until: date | None = None
    counterpart: str = ""  # RFC (exact) or part of the name
    serie: str = ""
    folio: str = ""
    uuid: uuid_module.UUID | None = None
    tipo: str = ""
    status: str = ""
    total_min: Decimal | None = None
    total_max: Decimal | None = None
    listed: str = ""  # LISTED_RISKY, or one ``Listed`` value: the emisor in SAT's lists
    sort: str = DEFAULT_SORT

    @property
    def narrows(self) -> bool:
        """Does any filter leave documents out (the order alone does not)?"""
        return replace(self, sort=DEFAULT_SORT) != CfdiFilters()


def categories_visible(*, viewer: Viewer, company: Company | None) -> list[Category]:
    """The categories the viewer's grant opens on the company, in menu order."""
    if company is None:
        return []
    return [category for category in Category if can(viewer, company, CATEGORY_PERM[category])]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CFDI_ZONE)


def cfdi_list(
    *, viewer: Viewer, company: Company, category: str, filters: CfdiFilters
) -> QuerySet[Cfdi]:
    """The company's CFDIs of one category matching the filters; CategoryForbidden if closed."""
    if category not in CATEGORY_PERM:
        raise CategoryForbidden
    if not can(viewer, company, CATEGORY_PERM[category]):
        raise CategoryForbidden
    qs = Cfdi.objects.filter(company=company, category=category)
    counterpart_is_receptor = category != Category.EGRESOS
    if filters.since:
        qs = qs.filter(fecha__gte=_start_of(filters.since))
    if filters.until:
        qs = qs.filter(fecha__lt=_start_of(filters.until + timedelta(days=1)))
    if filters.counterpart:
        text = filters.counterpart.strip()
        rfc_field, name_field = (
            ("receptor_rfc", "receptor_nombre")
            if counterpart_is_receptor
            else ("emisor_rfc", "emisor_nombre")
        )
        qs = qs.filter(Q(**{rfc_field: text.upper()}) | Q(**{f"{name_field}__icontains": text}))
    if filters.serie:
        qs = qs.filter(serie__iexact=filters.serie.strip())
    if filters.folio:
        qs = qs.filter(folio=filters.folio.strip())
    if filters.uuid:
        qs = qs.filter(uuid=filters.uuid)
    if filters.tipo:
        qs = qs.filter(tipo=filters.tipo)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.total_min is not None:
        qs = qs.filter(total__gte=filters.total_min)
    if filters.total_max is not None:
        qs = qs.filter(total__lte=filters.total_max)
    if filters.listed == LISTED_RISKY:
        qs = qs.filter(emisor_listed__in=RISKY_LISTINGS)
    elif filters.listed:
        qs = qs.filter(emisor_listed=filters.listed)
    return qs.order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))


@dataclass(frozen=True)
class CurrencyTotals:
    moneda: str
    count: int
    subtotal: Decimal
    total: Decimal
    # A line of Pagos: what they paid, never added to the invoices (that would count each
    # invoice twice, once issued and once paid).
    payments: bool = False


# What each row shows (Cfdi.amount, Cfdi.amount_moneda), in SQL: a Pago counts what it
# paid in its payments' currency, every other comprobante its Total in its Moneda.
AMOUNT = Coalesce(F("pagos_monto"), F("total"))
AMOUNT_MONEDA = Case(
    When(pagos_monto__isnull=False, then=F("pagos_moneda")),
    default=F("moneda"),
    output_field=CharField(),
)


IS_PAYMENT = Case(
    When(tipo=Tipo.PAGO, then=Value(1)), default=Value(0), output_field=IntegerField()
)


def cfdi_totals(cfdis: QuerySet[Cfdi]) -> list[CurrencyTotals]:
    """Count, subtotal and total of a filtered set, per currency (amounts never mix currencies).

    Pagos get lines of their own (what they paid, in their payments' currency), after the
    other comprobantes' lines: one aggregate query either way.
    """
    rows = (
        cfdis.order_by()
        .annotate(shown_moneda=AMOUNT_MONEDA, is_payment=IS_PAYMENT)
        .values("is_payment", "shown_moneda")
        .annotate(n=Count("id"), subtotal=Sum("subtotal"), total=Sum(AMOUNT))
        .order_by("is_payment", "shown_moneda")
    )
    return [
        CurrencyTotals(
            moneda=row["shown_moneda"] or "—",
            count=row["n"],
            subtotal=Decimal(row["subtotal"] or 0).quantize(CENT, ROUND_HALF_UP),
            total=Decimal(row["total"] or 0).quantize(CENT, ROUND_HALF_UP),
            payments=bool(row["is_payment"]),
        )
        for row in rows
    ]


# The columns cfdi/_rows.html shows (and what its properties read): a list page reads
# only these, not the twenty amounts and paths of the whole row.
LIST_COLUMNS = (
    "uuid",
    "direction",
    "category",
    "tipo",
    "serie",
    "folio",
    "fecha",
    "emisor_rfc",
    "emisor_nombre",
    "receptor_rfc",
    "receptor_nombre",
    "total",
    "moneda",
    "pagos_monto",
    "pagos_moneda",
    "status",
    "seal_verified",
    "sat_cancelled_at",
    "emisor_listed",
)


def cfdi_page(
    cfdis: QuerySet[Cfdi], *, totals: list[CurrencyTotals], number: Any, per_page: int
) -> Page:
    """One page of a filtered list; its count is the totals' (one aggregate, not a COUNT too)."""
    paginator = Paginator(cfdis.only(*LIST_COLUMNS), per_page)
    paginator.count = sum(row.count for row in totals)
    return paginator.get_page(number)


def cfdi_for(*, viewer: Viewer, company: Company | None, uuid: uuid_module.UUID | str) -> Cfdi:
    """The company's CFDI with that UUID if the viewer's grant opens its category."""
    if company is None:
        raise CfdiNotFound
    wanted = _uuid_or_not_found(uuid)
    cfdi = Cfdi.objects.filter(company=company, uuid=wanted).first()
    if cfdi is None:
        raise CfdiNotFound
    if not can(viewer, company, CATEGORY_PERM[cfdi.category]):
        raise CfdiNotFound
    return cfdi


def cfdi_home_elsewhere(
    *, viewer: Viewer, company: Company | None, uuid: uuid_module.UUID
) -> Company | None:
    """Another company the viewer may open whose copy of that CFDI their grant opens, or None.

    A link to a document of another of the viewer's companies should switch there, not 404;
    a company the viewer cannot open (or a closed category) answers None, like a missing one.
    """
    copies = Cfdi.objects.filter(uuid=uuid).select_related("company").only("category", "company")
    if company is not None:
        copies = copies.exclude(company=company)
    for cfdi in copies.order_by("company_id"):  # the emisor's and the receptor's copies at most
        if can(viewer, cfdi.company, CATEGORY_PERM[cfdi.category]):
            return cfdi.company
    return None


def cfdi_xml(cfdi: Cfdi) -> bytes:
    """The original XML, byte for byte as it was received."""
    with default_storage.open(cfdi.xml_path, "rb") as handle:
        return handle.read()


def cfdi_zip_selection(
    *, viewer: Viewer, company: Company, category: str, filters: CfdiFilters
) -> QuerySet[Cfdi]:
    """The filtered CFDIs for a ZIP download, within CFDI_ZIP_DOWNLOAD_MAX; ValidationError else."""
    cfdis = cfdi_list(viewer=viewer, company=company, category=category, filters=filters)
    count = cfdis.count()
    limit = settings.CFDI_ZIP_DOWNLOAD_MAX
    if count == 0:
        raise ValidationError(_("No hay CFDI con esos filtros para descargar."), code="zip_empty")
    if count > limit:
        raise ValidationError(
            _(
                "La descarga en ZIP admite hasta %(limit)s CFDI y con estos filtros hay "
                "%(count)s. Acota las fechas u otros filtros y descarga por partes."
            ),
            code="zip_too_many",
            params={"limit": f"{limit:,}", "count": f"{count:,}"},
        )
    return cfdis


# --- what points at a document (the relations index) ----------------------------------------


def _uuid_or_not_found(uuid: uuid_module.UUID | str) -> uuid_module.UUID:
    try:
        return uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))
    except ValueError:
        raise CfdiNotFound from None


def _live_relations(company: Company, uuid: uuid_module.UUID) -> QuerySet[CfdiRelation]:
    # Live: not cancelled. A dependent whose cancellation is still in process counts.
    return CfdiRelation.objects.filter(company=company, related_uuid=uuid).exclude(
        cfdi__status=Status.CANCELADO
    )


def ppd_balance(*, company: Company, uuid: uuid_module.UUID | str) -> Decimal:
    """What remains to be paid of the company's invoice: its Total less every ImpPagado of
    the company's live payment complements that pay it; CfdiNotFound if it is not stored.

    Scoped by the company only: callers (the issuing services) have already checked the
    viewer's grant. ImpPagado is in the invoice's currency (MonedaDR), so no conversion.
    """
    wanted = _uuid_or_not_found(uuid)
    total = (
        Cfdi.objects.filter(company=company, uuid=wanted).values_list("total", flat=True).first()
    )
    if total is None:
        raise CfdiNotFound
    paid = (
        _live_relations(company, wanted)
        .filter(kind=RelationKind.PAGO)
        .aggregate(paid=Coalesce(Sum("imp_pagado"), Value(Decimal(0))))["paid"]
    )
    return total - paid


def with_ppd_balances(cfdis: QuerySet[Cfdi], *, company: Company) -> QuerySet[Any]:
    """``cfdis`` (the company's invoices) annotated in the same query with ``ppd_paid``
    (what ``ppd_balance`` subtracts: ImpPagado of the company's live payment complements
    that pay each one), ``ppd_balance`` (Total less that) and ``ppd_payments`` (how many
    such payments there are): a list of invoices with their balances in one query."""
    payments = (
        _live_relations(company, OuterRef("uuid"))  # type: ignore[arg-type]
        .filter(kind=RelationKind.PAGO)
        .order_by()
        .values("related_uuid")
    )
    paid = payments.annotate(paid=Sum("imp_pagado")).values("paid")[:1]
    count = payments.annotate(n=Count("id")).values("n")[:1]
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=24, decimal_places=6))
    return cfdis.annotate(
        ppd_paid=Coalesce(Subquery(paid), zero),
        ppd_payments=Coalesce(Subquery(count), Value(0)),
    ).annotate(ppd_balance=F("total") - F("ppd_paid"))


def live_dependents(*, company: Company, uuid: uuid_module.UUID | str) -> list[Cfdi]:
    """The company's live payment complements and credit notes that relate to the document.

    A CFDI with live dependents cannot be cancelled until they are (SAT refuses it): the
    cancelling page names these. Oldest first; empty for a UUID nobody points at.
    """
    wanted = _uuid_or_not_found(uuid)
    dependents = _live_relations(company, wanted).filter(
        Q(kind=RelationKind.PAGO) | Q(kind=RelationKind.RELACIONADO, cfdi__tipo=Tipo.EGRESO)
    )
    return list(
        Cfdi.objects.filter(pk__in=dependents.values("cfdi_id"))
        .exclude(uuid=wanted)
        .order_by("fecha", "id")
    )

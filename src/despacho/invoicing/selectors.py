"""Reads of invoicing's data, always scoped: ``Perm.FACTURAR`` on the company, its own rows.

Another company's draft is the same 404 as a missing one. A viewer without Facturar is
refused with the reasons ``access.decisions.explain`` gives (a 403 that says why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.decisions import can, explain
from despacho.cfdi.models import Cfdi, Direction, Tipo
from despacho.cfdi.models import Status as CfdiStatus
from despacho.cfdi.selectors import with_ppd_balances
from despacho.customers.models import Customer
from despacho.errors import NotFound
from despacho.invoicing.amounts import currency_decimals, round_amount
from despacho.invoicing.models import Draft, DraftStatus, Series
from despacho.people.models import Viewer
from despacho.products.models import Product
from despacho.products.selectors import ProductNotFound, products_matching
from despacho.tenancy.models import Company


class InvoicingForbidden(PermissionDenied):
    """The viewer does not hold Perm.FACTURAR on the company; ``codes`` say why."""

    def __init__(self, message: str, codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.codes = codes


class DraftNotFound(NotFound):
    """Missing, or another company's: the same answer."""


class SeriesNotFound(NotFound):
    """Missing, or another company's: the same answer."""


def invoicing_company(*, viewer: Viewer, company: Company | None) -> Company:
    """The company if the viewer may issue for it (Facturar); InvoicingForbidden otherwise."""
    return _company_holding(viewer, company, Perm.FACTURAR)


def payroll_company(*, viewer: Viewer, company: Company | None) -> Company:
    """The company if the viewer may issue its nómina: Facturar (sealing and stamping) and
    Nómina (the payroll CFDIs); InvoicingForbidden naming the one missing otherwise."""
    invoicing_company(viewer=viewer, company=company)
    return _company_holding(viewer, company, Perm.NOMINA)


def _company_holding(viewer: Viewer, company: Company | None, perm: Perm) -> Company:
    if company is not None and can(viewer, company, perm):
        return company
    lead = _("Tu acceso a esta empresa no incluye %(perm)s.") % {"perm": perm.label}
    if company is None:
        raise InvoicingForbidden(lead, ("no_company",))
    explanation = explain(viewer, company, perm)
    if explanation.allowed:  # the person may; this request's decisions were narrowed (a key)
        raise InvoicingForbidden(lead, ("key_scope",))
    reasons = " ".join(reason.message for reason in explanation.reasons)
    raise InvoicingForbidden(f"{lead} {reasons}".strip(), tuple(explanation.codes))


def invoicing_allowed(*, viewer: Viewer, company: Company | None) -> bool:
    """Whether the viewer may issue for the company (the navigation's "Facturar")."""
    return company is not None and can(viewer, company, Perm.FACTURAR)


def stamping_retry_after() -> timedelta:
    """How long a draft may stay ``stamping`` before it counts as interrupted."""
    return timedelta(minutes=settings.DESPACHO_STAMPING_RETRY_MINUTES)


def stamping_stuck(draft: Draft, *, now: datetime | None = None) -> bool:
    """Whether the draft has been ``stamping`` longer than ``stamping_retry_after()``: the
    process that began it died between the PAC call and storing, and it may be retried."""
    if draft.status != DraftStatus.STAMPING:
        return False
    return draft.updated_at <= (now or timezone.now()) - stamping_retry_after()


def draft_list(*, viewer: Viewer, company: Company | None) -> QuerySet[Draft]:
    """The company's drafts not yet issued, the most recently touched first."""
    company = invoicing_company(viewer=viewer, company=company)
    return (
        Draft.objects.filter(company=company)
        .exclude(status="issued")
        .select_related("customer", "series")
        .order_by("-updated_at", "-id")
    )


def draft_for(*, viewer: Viewer, company: Company | None, draft_id: int) -> Draft:
    """One of the company's drafts; DraftNotFound for a missing one or anyone else's."""
    company = invoicing_company(viewer=viewer, company=company)
    draft = (
        Draft.objects.select_related("company__account", "customer", "series")
        .filter(pk=draft_id, company=company)
        .first()
    )
    if draft is None:
        raise DraftNotFound(_("No existe ese borrador."))
    return draft


def series_list(*, viewer: Viewer, company: Company | None) -> QuerySet[Series]:
    """The company's series, active ones first."""
    company = invoicing_company(viewer=viewer, company=company)
    return Series.objects.filter(company=company).order_by("-is_active", "code", "id")


def series_for(*, viewer: Viewer, company: Company | None, series_id: int) -> Series:
    company = invoicing_company(viewer=viewer, company=company)
    series = Series.objects.filter(pk=series_id, company=company).first()
    if series is None:
        raise SeriesNotFound(_("No existe esa serie."))
    return series


def series_default(*, company: Company, tipo: str) -> Series | None:
    """The active series a new draft of ``tipo`` takes: the tipo's default, else the
    default for any tipo, else None (the person chooses)."""
    candidates = Series.objects.filter(company=company, is_active=True, is_default=True)
    by_tipo = {series.tipo: series for series in candidates.filter(tipo__in=[tipo, ""])}
    return by_tipo.get(tipo) or by_tipo.get("")


def issued_recent(*, viewer: Viewer, company: Company | None, limit: int = 20) -> list[Draft]:
    """The company's latest documents issued from drafts, with their stored CFDI."""
    company = invoicing_company(viewer=viewer, company=company)
    return list(
        Draft.objects.filter(company=company, status="issued")
        .select_related("customer", "series", "cfdi")
        .order_by("-updated_at", "-id")[:limit]
    )


def draft_products(*, viewer: Viewer, company: Company | None, query: str) -> QuerySet[Product]:
    """The company's active products matching ``query`` (the concept picker's search)."""
    company = invoicing_company(viewer=viewer, company=company)
    return products_matching(company=company, query=query)


def draft_product(*, viewer: Viewer, company: Company | None, product_id: int) -> Product:
    """One of the company's active products for a concept; ProductNotFound otherwise."""
    company = invoicing_company(viewer=viewer, company=company)
    product = products_matching(company=company).filter(pk=product_id).first()
    if product is None:
        raise ProductNotFound(_("No existe ese producto."))
    return product


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice of the customer's a credit note or a payment may relate to."""

    cfdi: Cfdi
    balance: Decimal | None = None  # what remains to be paid (PPD invoices only)
    parcialidad: int = 1  # the number the next payment of it takes


def customer_invoices(
    *, viewer: Viewer, company: Company | None, customer: Customer | None, ppd: bool = False
) -> list[OpenInvoice]:
    """The live invoices (I) the company issued to the customer, latest first; with ``ppd``
    only those paid in parcialidades that still owe something, with their balance."""
    company = invoicing_company(viewer=viewer, company=company)
    if customer is None:
        return []
    cfdis = (
        Cfdi.objects.filter(
            company=company,
            direction=Direction.EMITIDO,
            tipo=Tipo.INGRESO,
            receptor_rfc=customer.rfc,
        )
        .exclude(status=CfdiStatus.CANCELADO)
        .order_by("-fecha", "-id")
    )
    if not ppd:
        return [OpenInvoice(cfdi) for cfdi in cfdis[:100]]
    # One query: each invoice's balance and payments aggregated alongside it.
    owing = with_ppd_balances(cfdis.filter(metodo_pago="PPD"), company=company)
    return [
        # Stored with six decimals; shown and prefilled at the currency's own.
        OpenInvoice(
            cfdi,
            round_amount(cfdi.ppd_balance, currency_decimals(cfdi.moneda or "MXN")),
            cfdi.ppd_payments + 1,
        )
        for cfdi in owing.filter(ppd_balance__gt=0)[:100]
    ]

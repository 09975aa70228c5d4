"""Reads of customers, always scoped: ``Perm.DATOS_MAESTROS`` on the company, and the
category's own permission for the customer's CFDIs (cfdi's selectors check it).

Another company's customer is indistinguishable from a missing one (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.cfdi.models import Category, Cfdi, Direction
from despacho.cfdi.selectors import CfdiFilters, categories_visible, cfdi_list
from despacho.customers.models import Customer
from despacho.errors import NotFound
from despacho.people.models import Viewer
from despacho.portal.models import PortalAccess
from despacho.tenancy.models import Company
from despacho.tenancy.rfc import normalize_rfc
from despacho.textsearch import fold

CFDIS_SHOWN = 20


class CustomersForbidden(PermissionDenied):
    """The viewer does not hold Perm.DATOS_MAESTROS on the company."""


class CustomerNotFound(NotFound):
    """Missing, or another company's: the same answer."""


class Status:
    ACTIVE = "activos"
    ARCHIVED = "archivados"
    ALL = "todos"


def customers_company(*, viewer: Viewer, company: Company | None) -> Company:
    """The company if the viewer may keep its master data; CustomersForbidden (403) otherwise."""
    if company is None or not can(viewer, company, Perm.DATOS_MAESTROS):
        raise CustomersForbidden(_("Tu acceso a esta empresa no incluye los datos maestros."))
    return company


def customers_allowed(*, viewer: Viewer, company: Company | None) -> bool:
    return company is not None and can(viewer, company, Perm.DATOS_MAESTROS)


def customer_list(
    *, viewer: Viewer, company: Company | None, query: str = "", status: str = Status.ACTIVE
) -> QuerySet[Customer]:
    """The company's customers by razón social, filtered by RFC or name (accent-blind)."""
    company = customers_company(viewer=viewer, company=company)
    qs = Customer.objects.filter(company=company)
    if status == Status.ACTIVE:
        qs = qs.filter(is_active=True)
    elif status == Status.ARCHIVED:
        qs = qs.filter(is_active=False)
    text = (query or "").strip()
    if text:
        qs = qs.filter(Q(rfc__contains=normalize_rfc(text)) | Q(name_folded__contains=fold(text)))
    return qs.order_by("razon_social", "id")


def customer_for(*, viewer: Viewer, company: Company | None, customer_id: int) -> Customer:
    """One of the company's customers; CustomerNotFound for anyone else's."""
    company = customers_company(viewer=viewer, company=company)
    customer = (
        Customer.objects.select_related("company__account")
        .filter(pk=customer_id, company=company)
        .first()
    )
    if customer is None:
        raise CustomerNotFound(_("No existe ese cliente en esta empresa."))
    return customer


def customer_portal_access(customer: Customer) -> PortalAccess | None:
    """The customer's access to the company's portal (generic RFCs never have one)."""
    if customer.is_generic:
        return None
    return PortalAccess.objects.filter(company=customer.company_id, rfc=customer.rfc).first()


def portal_access_ids(customers: list[Customer]) -> dict[int, int]:
    """Customer id → its portal access's id, in one query (a page of the API's list)."""
    by_rfc: dict[tuple[int, str], int] = {
        (c.company_id, c.rfc): c.pk for c in customers if not c.is_generic
    }
    if not by_rfc:
        return {}
    accesses = PortalAccess.objects.filter(
        company__in={company for company, _rfc in by_rfc},
        rfc__in={rfc for _company, rfc in by_rfc},
    ).values_list("company_id", "rfc", "pk")
    return {by_rfc[(company, rfc)]: pk for company, rfc, pk in accesses if (company, rfc) in by_rfc}


@dataclass(frozen=True)
class CustomerCfdis:
    """One category's CFDIs with the customer, the newest first. Ventas and Nómina are
    what the company issued to it, Egresos what it received from it (``cfdi.classify``)."""

    category: Category
    rows: list[Cfdi]

    @property
    def issued(self) -> bool:
        return self.category != Category.EGRESOS

    @property
    def title(self) -> str:
        direction = _("emitidos al cliente") if self.issued else _("recibidos del cliente")
        return f"{self.category.label} · {direction}"


def customer_cfdis(
    *, viewer: Viewer, customer: Customer, limit: int = CFDIS_SHOWN
) -> list[CustomerCfdis]:
    """The customer's CFDIs, both ways, in each category the viewer's grant opens (cfdi's
    selector checks each category's permission again)."""
    company = customers_company(viewer=viewer, company=customer.company)
    blocks = []
    for category in categories_visible(viewer=viewer, company=company):
        qs = cfdi_list(viewer=viewer, company=company, category=category, filters=CfdiFilters())
        rows = qs.filter(
            Q(direction=Direction.EMITIDO, receptor_rfc=customer.rfc)
            | Q(direction=Direction.RECIBIDO, emisor_rfc=customer.rfc)
        )
        blocks.append(CustomerCfdis(Category(category), list(rows[:limit])))
    return blocks

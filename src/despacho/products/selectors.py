"""Reads of the products app, always scoped: ``Perm.DATOS_MAESTROS`` on the company.

Another company's product or tax scheme is indistinguishable from a missing one (404).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.errors import NotFound
from despacho.people.models import Viewer
from despacho.products.models import Product, TaxScheme
from despacho.tenancy.models import Company
from despacho.textsearch import fold


class ProductsForbidden(PermissionDenied):
    """The viewer does not hold Perm.DATOS_MAESTROS on the company."""


class ProductNotFound(NotFound):
    """Missing, or another company's: the same answer."""


class TaxSchemeNotFound(NotFound):
    """Missing, or another company's: the same answer."""


def products_company(*, viewer: Viewer, company: Company | None) -> Company:
    """The company if the viewer may keep its master data; ProductsForbidden (403) otherwise."""
    if company is None or not can(viewer, company, Perm.DATOS_MAESTROS):
        raise ProductsForbidden(_("Tu acceso a esta empresa no incluye Datos maestros."))
    return company


def products_allowed(*, viewer: Viewer, company: Company | None) -> bool:
    return company is not None and can(viewer, company, Perm.DATOS_MAESTROS)


def product_list(
    *, viewer: Viewer, company: Company | None, query: str = "", archived: bool = False
) -> QuerySet[Product]:
    """The company's products (or its archived ones) matching every word of ``query`` in the
    description, or the query as a prefix of the clave de producto o servicio."""
    company = products_company(viewer=viewer, company=company)
    return products_matching(company=company, query=query, archived=archived)


def products_matching(
    *, company: Company, query: str = "", archived: bool = False
) -> QuerySet[Product]:
    """The search behind ``product_list`` for a caller that has checked its own permission
    (invoicing's product picker checks Facturar)."""
    qs = Product.objects.filter(company=company, is_active=not archived).select_related(
        "clave_prod_serv", "clave_unidad", "tax_scheme"
    )
    words = fold(query or "").split()[:8]
    if words:
        every_word = Q()
        for word in words:
            every_word &= Q(description_folded__contains=word)
        if len(words) == 1 and words[0].isdigit():
            every_word |= Q(clave_prod_serv__code__startswith=words[0])
        qs = qs.filter(every_word)
    return qs.order_by("description_folded", "id")


def product_for(*, viewer: Viewer, company: Company | None, product_id: int) -> Product:
    company = products_company(viewer=viewer, company=company)
    product = (
        Product.objects.select_related("company__account", "clave_prod_serv", "clave_unidad")
        .select_related("tax_scheme")
        .filter(pk=product_id, company=company)
        .first()
    )
    if product is None:
        raise ProductNotFound(_("No existe ese producto."))
    return product


def tax_scheme_list(*, viewer: Viewer, company: Company | None) -> QuerySet[TaxScheme]:
    company = products_company(viewer=viewer, company=company)
    return (
        TaxScheme.objects.filter(company=company).prefetch_related("lines").order_by("name", "id")
    )


def tax_scheme_for(*, viewer: Viewer, company: Company | None, scheme_id: int) -> TaxScheme:
    company = products_company(viewer=viewer, company=company)
    scheme = (
        TaxScheme.objects.select_related("company__account")
        .prefetch_related("lines")
        .filter(pk=scheme_id, company=company)
        .first()
    )
    if scheme is None:
        raise TaxSchemeNotFound(_("No existe ese esquema de impuestos."))
    return scheme

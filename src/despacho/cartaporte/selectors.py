"""Reads of the Carta Porte data, always scoped: ``Perm.DATOS_MAESTROS`` on the company,
and only that company's items. Another company's item is the same 404 as a missing one.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.cartaporte.models import Item
from despacho.errors import NotFound
from despacho.people.models import Viewer
from despacho.satcatalogs import Catalog, children
from despacho.tenancy.models import Company

T = TypeVar("T", bound=Item)


class CartaPorteForbidden(PermissionDenied):
    """The viewer does not hold Perm.DATOS_MAESTROS on the company."""


class CartaPorteNotFound(NotFound):
    """Missing, or another company's: the same answer."""


def cartaporte_company(*, viewer: Viewer, company: Company | None) -> Company:
    """The company if the viewer may keep its master data; CartaPorteForbidden otherwise."""
    if company is None or not can(viewer, company, Perm.DATOS_MAESTROS):
        raise CartaPorteForbidden(
            _("Tu acceso a esta empresa no incluye Datos maestros (Carta Porte).")
        )
    return company


def item_list(
    *, model: type[T], viewer: Viewer, company: Company | None, archived: bool = False
) -> QuerySet[T]:
    """The company's active items of one kind (or its archived ones)."""
    company = cartaporte_company(viewer=viewer, company=company)
    return model._default_manager.filter(company=company, archived_at__isnull=not archived)


def item_for(*, model: type[T], viewer: Viewer, company: Company | None, item_id: int) -> T:
    """One of the company's items; CartaPorteNotFound for anyone else's."""
    company = cartaporte_company(viewer=viewer, company=company)
    item = (
        model._default_manager.select_related("company__account")
        .filter(pk=item_id, company=company)
        .first()
    )
    if item is None:
        raise CartaPorteNotFound(_("No existe ese dato de Carta Porte."))
    return item


def neighborhoods_of(postal_code: str) -> dict[str, str]:
    """The colonias (c_Colonia) of a código postal, by code; empty for an unknown CP."""
    code = (postal_code or "").strip()
    if not (len(code) == 5 and code.isascii() and code.isdigit()):
        return {}
    return children(Catalog.COLONIA, code)

"""Reads of the portal, always scoped: the issuer's by ``Perm.PORTAL`` on the company,
the receiver's by the identity its session proves.

Another company's access, person or event, and another receiver's CFDI, are
indistinguishable from missing ones (404).
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.cfdi.models import Category, Cfdi, Direction
from despacho.cfdi.parsing import CFDI_ZONE
from despacho.errors import NotFound
from despacho.people.models import Viewer
from despacho.portal.identity import PortalIdentity
from despacho.portal.models import PortalAccess, PortalEvent, PortalLink, PortalUser
from despacho.tenancy.models import Company
from despacho.tenancy.rfc import normalize_rfc
from despacho.textsearch import fold


class PortalForbidden(PermissionDenied):
    """The viewer does not hold Perm.PORTAL on the company."""


class PortalNotFound(NotFound):
    """Missing, or another company's (or another receiver's): the same answer."""


def portal_company(slug: str) -> Company:
    """The company whose portal this is; 404 for an unknown slug."""
    company = Company.objects.select_related("account").filter(slug=slug).first()
    if company is None or not company.account.is_active:
        raise PortalNotFound(_("No existe ese portal."))
    return company


def portal_manage_company(*, viewer: Viewer, company: Company | None) -> Company:
    """The company if the viewer may manage its portal; PortalForbidden (403) otherwise."""
    if company is None or not can(viewer, company, Perm.PORTAL):
        raise PortalForbidden(_("Tu acceso a esta empresa no incluye el portal de descargas."))
    return company


def portal_manage_allowed(*, viewer: Viewer, company: Company | None) -> bool:
    return company is not None and can(viewer, company, Perm.PORTAL)


def portal_access_list(
    *, viewer: Viewer, company: Company | None, query: str = ""
) -> QuerySet[PortalAccess]:
    """The company's accesses, filtered by RFC or name (case- and accent-insensitive)."""
    company = portal_manage_company(viewer=viewer, company=company)
    qs = PortalAccess.objects.filter(company=company).annotate(
        people_with_password=Exists(
            PortalUser.objects.filter(access=OuterRef("pk"), is_active=True).exclude(password="")
        )
    )
    text = (query or "").strip()
    if text:
        qs = qs.filter(Q(rfc__contains=normalize_rfc(text)) | Q(name_folded__contains=fold(text)))
    return qs.order_by("rfc")


def portal_access_for(*, viewer: Viewer, company: Company | None, access_id: int) -> PortalAccess:
    """One of the company's accesses; PortalNotFound for anyone else's."""
    company = portal_manage_company(viewer=viewer, company=company)
    access = (
        PortalAccess.objects.select_related("company__account")
        .filter(pk=access_id, company=company)
        .first()
    )
    if access is None:
        raise PortalNotFound(_("No existe ese acceso en esta empresa."))
    return access


def portal_user_for(*, viewer: Viewer, company: Company | None, portal_user_id: int) -> PortalUser:
    company = portal_manage_company(viewer=viewer, company=company)
    person = (
        PortalUser.objects.select_related("access__company__account")
        .filter(pk=portal_user_id, access__company=company)
        .first()
    )
    if person is None:
        raise PortalNotFound(_("No existe esa persona en esta empresa."))
    return person


def portal_events(*, viewer: Viewer, access: PortalAccess) -> QuerySet[PortalEvent]:
    """The access's history (logins, failed logins, downloads), newest first."""
    portal_manage_company(viewer=viewer, company=access.company)
    return PortalEvent.objects.filter(access=access).select_related("portal_user")


def portal_batch_links(
    *, viewer: Viewer, company: Company | None, batch: uuid_module.UUID
) -> QuerySet[PortalLink]:
    """The links one bulk send queued, with their delivery result."""
    company = portal_manage_company(viewer=viewer, company=company)
    return (
        PortalLink.objects.filter(batch=batch, access__company=company)
        .select_related("access")
        .order_by("access__rfc")
    )


# ---------------------------------------------------------------- the receiver's side


@dataclass(frozen=True)
class PortalFilters:
    since: date | None = None
    until: date | None = None
    tipo: str = ""
    folio: str = ""


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CFDI_ZONE)


def _documents(identity: PortalIdentity) -> QuerySet[Cfdi]:
    # What this company issued to this RFC: ventas (I, E, T, P); payroll never shows here.
    return Cfdi.objects.filter(
        company_id=identity.access.company_id,
        direction=Direction.EMITIDO,
        category=Category.VENTAS,
        receptor_rfc=identity.access.rfc,
    )


def portal_cfdi_list(*, identity: PortalIdentity, filters: PortalFilters) -> QuerySet[Cfdi]:
    """The CFDIs the company issued to the receiver (vigentes and cancelados), newest first."""
    qs = _documents(identity)
    if filters.since:
        qs = qs.filter(fecha__gte=_start_of(filters.since))
    if filters.until:
        qs = qs.filter(fecha__lt=_start_of(filters.until + timedelta(days=1)))
    if filters.tipo:
        qs = qs.filter(tipo=filters.tipo)
    if filters.folio:
        qs = qs.filter(folio__iexact=filters.folio.strip())
    return qs.order_by("-fecha", "-id")


def portal_cfdi_for(*, identity: PortalIdentity, uuid: uuid_module.UUID | str) -> Cfdi:
    """One of the receiver's CFDIs at this portal; PortalNotFound for any other."""
    try:
        wanted = uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))
    except ValueError:
        raise PortalNotFound(_("No existe ese CFDI.")) from None
    cfdi = _documents(identity).filter(uuid=wanted).first()
    if cfdi is None:
        raise PortalNotFound(_("No existe ese CFDI."))
    return cfdi


def portal_cfdi_selection(*, identity: PortalIdentity, uuids: list[str]) -> list[Cfdi]:
    """The receiver's CFDIs among the given UUIDs (others are silently not there)."""
    wanted: list[uuid_module.UUID] = []
    for value in uuids:
        try:
            wanted.append(uuid_module.UUID(str(value)))
        except ValueError:
            continue
    return list(_documents(identity).filter(uuid__in=wanted).order_by("-fecha", "-id"))

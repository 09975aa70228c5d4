"""Reads of seals, always scoped by the viewer: Datos maestros on the company, and the
certificate must be the company's (404 otherwise). Metadata only: the key's token is
deferred from every query, so no page or answer ever has it in memory."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.decisions import can, may_manage
from despacho.people.models import Viewer
from despacho.seals.models import Certificate
from despacho.tenancy.models import Company


def seals_allowed(*, viewer: Viewer, company: Company | None) -> bool:
    return company is not None and can(viewer, company, Perm.DATOS_MAESTROS)


def seals_manageable(*, viewer: Viewer, company: Company | None) -> bool:
    """May the viewer upload and remove the company's seals (owners and admins)?"""
    return (
        company is not None
        and seals_allowed(viewer=viewer, company=company)
        and may_manage(viewer, company.account_id)
    )


def certificate_list(*, viewer: Viewer, company: Company | None) -> QuerySet[Certificate]:
    if company is None or not seals_allowed(viewer=viewer, company=company):
        raise PermissionDenied(_("Necesitas el permiso Datos maestros en esta empresa."))
    return (
        Certificate.objects.filter(company=company)
        .defer("sealed_key", "certificate_der")
        .select_related("uploaded_by")
    )


def certificate_for(*, viewer: Viewer, company: Company | None, certificate_id: int) -> Certificate:
    found = certificate_list(viewer=viewer, company=company).filter(pk=certificate_id).first()
    if found is None:
        raise Http404(_("No existe ese certificado en esta empresa."))
    return found

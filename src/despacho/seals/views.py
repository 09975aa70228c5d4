"""Sellos y e.firma at /sellos/ (Datos maestros on the active company; uploading and
removing also need the account's owner or an admin)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from despacho.access.catalog import Perm
from despacho.access.guards import MANAGERS_ONLY, require_perm
from despacho.forms import form_errors_from
from despacho.seals.forms import SealUploadForm
from despacho.seals.selectors import certificate_for, certificate_list, seals_manageable
from despacho.seals.services import certificate_remove, certificate_upload
from despacho.workspace.request import AppRequest


def _require_manager(request: AppRequest) -> None:
    if not seals_manageable(viewer=request.user, company=request.workspace.company):
        raise PermissionDenied(MANAGERS_ONLY)


@require_perm(Perm.DATOS_MAESTROS)
@require_GET
def seal_list(request: AppRequest) -> HttpResponse:
    company = request.workspace.company
    return render(
        request,
        "seals/list.html",
        {
            "certificates": certificate_list(viewer=request.user, company=company),
            "manages": seals_manageable(viewer=request.user, company=company),
            "sandbox": settings.DESPACHO_SEALS_SANDBOX,
        },
    )


@require_perm(Perm.DATOS_MAESTROS)
@require_http_methods(["GET", "POST"])
@never_cache
@sensitive_post_parameters("password")
def seal_upload(request: AppRequest) -> HttpResponse:
    _require_manager(request)
    form = SealUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            certificate = certificate_upload(
                company=request.workspace.company,  # type: ignore[arg-type]
                actor=request.user,
                kind=form.cleaned_data["kind"],
                cer=form.cleaned_data["cer"],
                key=form.cleaned_data["key"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(
                request, _("Se guardó %(certificate)s.") % {"certificate": certificate.audit_label}
            )
            return redirect("seals:list")
    return render(
        request,
        "seals/upload.html",
        {"form": form, "sandbox": settings.DESPACHO_SEALS_SANDBOX},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_perm(Perm.DATOS_MAESTROS)
@require_POST
def seal_remove(request: AppRequest, certificate_id: int) -> HttpResponse:
    certificate = certificate_for(
        viewer=request.user, company=request.workspace.company, certificate_id=certificate_id
    )
    _require_manager(request)
    label = certificate.audit_label
    certificate_remove(certificate=certificate, actor=request.user)
    messages.success(request, _("Se eliminó %(certificate)s y su llave.") % {"certificate": label})
    return redirect("seals:list")

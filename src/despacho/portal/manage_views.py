"""The issuer's pages for the portal at /portal-accesos/ (Perm.PORTAL on the active company).

Every view is guarded by ``require_perm(Perm.PORTAL)`` (a 403 that explains what is
missing); the selectors check the same permission again and scope every object.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from despacho.access.catalog import Perm
from despacho.access.guards import require_perm
from despacho.portal.forms import (
    AccessCreateForm,
    AccessEditForm,
    AccessFilterForm,
    PasswordSetForm,
    PortalUserForm,
    SendForm,
)
from despacho.portal.models import PortalAccess
from despacho.portal.selectors import (
    portal_access_for,
    portal_access_list,
    portal_batch_links,
    portal_events,
    portal_manage_company,
    portal_user_for,
)
from despacho.portal.services.accesses import (
    PasswordSet,
    portal_access_create,
    portal_access_send,
    portal_access_send_many,
    portal_access_set_active,
    portal_access_set_password,
    portal_access_update,
    portal_user_add,
    portal_user_send,
    portal_user_set_active,
)
from despacho.workspace.request import AppRequest

PAGE_SIZE = 50


def _access(request: AppRequest, access_id: int) -> PortalAccess:
    return portal_access_for(
        viewer=request.user, company=request.workspace.company, access_id=access_id
    )


def _password_shown(request: AppRequest, result: PasswordSet) -> HttpResponse:
    """The only time a password is shown: in this response, never stored or cached."""
    response = render(
        request,
        "portal/manage/password_shown.html",
        {"access": result.access, "password": result.shown_password},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_perm(Perm.PORTAL)
@require_GET
def access_list(request: AppRequest) -> HttpResponse:
    form = AccessFilterForm(request.GET or None)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    accesses = portal_access_list(
        viewer=request.user, company=request.workspace.company, query=query
    )
    page = Paginator(accesses, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    template = "portal/manage/_rows.html" if request.htmx else "portal/manage/list.html"
    company = request.workspace.company
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "portal_link": reverse("portal:home", args=[company.slug]) if company else "",
        },
    )


@require_perm(Perm.PORTAL)
@require_http_methods(["GET", "POST"])
@never_cache
def access_create(request: AppRequest) -> HttpResponse:
    company = portal_manage_company(viewer=request.user, company=request.workspace.company)
    form = AccessCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = portal_access_create(company=company, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if result.shown_password:
                return _password_shown(request, result)
            messages.success(
                request,
                _(
                    "Acceso creado para %(rfc)s. Envíale el acceso por correo para que "
                    "elija su contraseña."
                )
                % {"rfc": result.access.rfc},
            )
            return redirect("portal_manage:detail", access_id=result.access.pk)
    return render(request, "portal/manage/create.html", {"form": form})


def _detail(
    request: AppRequest,
    access: PortalAccess,
    *,
    edit: AccessEditForm | None = None,
    password: PasswordSetForm | None = None,
    send: SendForm | None = None,
    person: PortalUserForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "portal/manage/detail.html",
        {
            "access": access,
            "people": access.people.all(),
            "edit_form": edit
            or AccessEditForm(initial={"name": access.name, "email": access.email}),
            "password_form": password or PasswordSetForm(),
            "send_form": send or SendForm(),
            "person_form": person or PortalUserForm(),
        },
        status=status,
    )


@require_perm(Perm.PORTAL)
@require_http_methods(["GET", "POST"])
@never_cache
def access_detail(request: AppRequest, access_id: int) -> HttpResponse:
    access = _access(request, access_id)
    if request.method == "GET":
        return _detail(request, access)
    form = AccessEditForm(request.POST)
    if form.is_valid():
        try:
            portal_access_update(access=access, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Datos del acceso guardados."))
            return redirect("portal_manage:detail", access_id=access.pk)
    return _detail(request, access, edit=form, status=400)


@require_perm(Perm.PORTAL)
@require_POST
@never_cache
def access_password(request: AppRequest, access_id: int) -> HttpResponse:
    access = _access(request, access_id)
    form = PasswordSetForm(request.POST)
    if form.is_valid():
        try:
            result = portal_access_set_password(
                access=access, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _password_shown(request, result)
    return _detail(request, access, password=form, status=400)


@require_perm(Perm.PORTAL)
@require_POST
def access_send(request: AppRequest, access_id: int) -> HttpResponse:
    access = _access(request, access_id)
    form = SendForm(request.POST)
    if form.is_valid():
        try:
            link = portal_access_send(
                access=access, actor=request.user, email=form.cleaned_data["email"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            link.refresh_from_db()
            if link.send_error:
                messages.error(
                    request,
                    _("No se pudo enviar a %(email)s: %(error)s")
                    % {"email": link.email, "error": link.send_error},
                )
            else:
                messages.success(
                    request,
                    _("Enviamos a %(email)s el enlace para elegir contraseña (vale 72 horas).")
                    % {"email": link.email},
                )
            target = request.POST.get("next")
            if target == "list":
                return redirect("portal_manage:list")
            return redirect("portal_manage:detail", access_id=access.pk)
    if request.POST.get("next") == "list":
        for error in form.non_field_errors() + form.errors.get("email", []):
            messages.error(request, str(error))
        return redirect("portal_manage:list")
    return _detail(request, access, send=form, status=400)


@require_perm(Perm.PORTAL)
@require_POST
def access_send_many(request: AppRequest) -> HttpResponse:
    company = portal_manage_company(viewer=request.user, company=request.workspace.company)
    ids = [int(value) for value in request.POST.getlist("access") if value.isdigit()]
    accesses = [
        portal_access_for(viewer=request.user, company=company, access_id=access_id)
        for access_id in ids
    ]
    if not accesses:
        messages.error(request, _("Selección: marca al menos un acceso."))
        return redirect("portal_manage:list")
    result = portal_access_send_many(company=company, accesses=accesses, actor=request.user)
    for access, why in result.skipped:
        messages.warning(
            request, _("%(rfc)s: no enviado. %(why)s") % {"rfc": access.rfc, "why": why}
        )
    if not result.queued:  # every one skipped (the messages say why): no batch to follow
        return redirect("portal_manage:list")
    return redirect("portal_manage:batch", batch=result.batch)


@require_perm(Perm.PORTAL)
@require_GET
def batch_view(request: AppRequest, batch: UUID) -> HttpResponse:
    links = list(
        portal_batch_links(viewer=request.user, company=request.workspace.company, batch=batch)
    )
    if not links:  # unknown, or another company's: the same answer
        raise Http404(_("No existe ese envío en esta empresa."))
    return render(request, "portal/manage/batch.html", {"links": links, "batch": batch})


@require_perm(Perm.PORTAL)
@require_POST
def access_active(request: AppRequest, access_id: int) -> HttpResponse:
    access = _access(request, access_id)
    active = request.POST.get("active") == "1"
    portal_access_set_active(access=access, actor=request.user, active=active)
    messages.success(
        request,
        (_("Acceso de %(rfc)s habilitado.") if active else _("Acceso de %(rfc)s deshabilitado."))
        % {"rfc": access.rfc},
    )
    if request.POST.get("next") == "list":
        return redirect("portal_manage:list")
    return redirect("portal_manage:detail", access_id=access.pk)


@require_perm(Perm.PORTAL)
@require_POST
def person_add(request: AppRequest, access_id: int) -> HttpResponse:
    access = _access(request, access_id)
    form = PortalUserForm(request.POST)
    if form.is_valid():
        try:
            person = portal_user_add(access=access, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _(
                    "%(email)s tiene ahora usuario propio; le enviamos el enlace para "
                    "elegir contraseña."
                )
                % {"email": person.email},
            )
            return redirect("portal_manage:detail", access_id=access.pk)
    return _detail(request, access, person=form, status=400)


@require_perm(Perm.PORTAL)
@require_POST
def person_active(request: AppRequest, person_id: int) -> HttpResponse:
    person = portal_user_for(
        viewer=request.user, company=request.workspace.company, portal_user_id=person_id
    )
    active = request.POST.get("active") == "1"
    portal_user_set_active(portal_user=person, actor=request.user, active=active)
    messages.success(
        request,
        (_("%(email)s habilitado.") if active else _("%(email)s deshabilitado."))
        % {"email": person.email},
    )
    return redirect("portal_manage:detail", access_id=person.access_id)


@require_perm(Perm.PORTAL)
@require_POST
def person_send(request: AppRequest, person_id: int) -> HttpResponse:
    person = portal_user_for(
        viewer=request.user, company=request.workspace.company, portal_user_id=person_id
    )
    try:
        portal_user_send(portal_user=person, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Enviamos a %(email)s el enlace para elegir contraseña.") % {"email": person.email},
        )
    return redirect("portal_manage:detail", access_id=person.access_id)


@require_perm(Perm.PORTAL)
@require_GET
def access_history(request: AppRequest, access_id: int) -> HttpResponse:
    access = _access(request, access_id)
    events = portal_events(viewer=request.user, access=access)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/manage/history.html", {"access": access, "page": page})

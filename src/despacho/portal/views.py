"""The receivers' portal at /portal/<company-slug>/. Thin: parse, call, render.

These views never read ``request.user``: who is logged in comes only from
``portal.sessions`` (see there why staff and portal sessions are separate).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from despacho.cfdi.selectors import cfdi_xml
from despacho.http import client_ip, refused_page
from despacho.portal.archive import zip_stream
from despacho.portal.forms import (
    ChoosePasswordForm,
    LinkRequestForm,
    PortalFilterForm,
    PortalLoginForm,
)
from despacho.portal.identity import PortalIdentity
from despacho.portal.models import LinkPurpose
from despacho.portal.pdf import portal_pdf_bytes
from despacho.portal.selectors import (
    portal_cfdi_for,
    portal_cfdi_list,
    portal_cfdi_selection,
    portal_company,
)
from despacho.portal.services.receiver_actions import (
    portal_download_record,
    portal_link_for_token,
    portal_login,
    portal_login_link_request,
    portal_login_link_use,
    portal_password_choose,
)
from despacho.portal.sessions import session_end, session_identity, session_start
from despacho.tenancy.models import Company

PAGE_SIZE = 50
ZIP_MAX_DOCUMENTS = 500

View = Callable[..., HttpResponseBase]


def receiver_required(view: View) -> View:
    """Resolve the portal's company and the receiver logged in there, or go to its login."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        company = portal_company(slug)
        identity = session_identity(request, company)
        if identity is None:
            return redirect("portal:login", slug=company.slug)
        return view(request, identity, *args, **kwargs)

    return never_cache(wrapper)


def _context(company: Company, **extra: Any) -> dict[str, Any]:
    return {"company": company, **extra}


def _link_refused(request: HttpRequest, company: Company, exc: ValidationError) -> HttpResponse:
    """A portal link (login or choose a password) that no longer works: its first reason."""
    return refused_page(
        request,
        exc.messages[:1],
        status=410,
        title=_("Enlace no válido"),
        heading=_("Este enlace ya no sirve"),
        back=(reverse("portal:login", args=[company.slug]), _("Ir a la entrada del portal")),
        base="portal/base.html",
        context=_context(company),
    )


@require_http_methods(["GET", "POST"])
@never_cache
def login_view(request: HttpRequest, slug: str) -> HttpResponse:
    company = portal_company(slug)
    if request.method == "GET" and session_identity(request, company) is not None:
        return redirect("portal:home", slug=company.slug)
    form = PortalLoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            identity = portal_login(
                company=company,
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            status = 429 if exc.code == "locked_out" else 200
        else:
            session_start(request, identity)
            return redirect("portal:home", slug=company.slug)
    return render(request, "portal/login.html", _context(company, form=form), status=status)


@require_POST
def logout_view(request: HttpRequest, slug: str) -> HttpResponse:
    company = portal_company(slug)
    session_end(request, company)
    messages.success(request, _("Saliste del portal."))
    return redirect("portal:login", slug=company.slug)


@require_http_methods(["GET", "POST"])
@never_cache
def link_request_view(request: HttpRequest, slug: str) -> HttpResponse:
    company = portal_company(slug)
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        portal_login_link_request(
            company=company, email=form.cleaned_data["email"], ip=client_ip(request)
        )
        # The same answer whether the address is registered or not.
        messages.success(
            request,
            _(
                "Si ese correo está registrado en un acceso a este portal, te enviamos un "
                "enlace para entrar. Vale 30 minutos y se usa una sola vez."
            ),
        )
        return redirect("portal:login", slug=company.slug)
    return render(request, "portal/link_request.html", _context(company, form=form))


@require_http_methods(["GET", "POST"])
@never_cache
def link_login_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET shows a button; only the POST uses the link (mail scanners open links with GET)."""
    company = portal_company(slug)
    try:
        if request.method == "POST":
            identity = portal_login_link_use(company=company, token=token, ip=client_ip(request))
            session_start(request, identity)
            return redirect("portal:home", slug=company.slug)
        link = portal_link_for_token(company=company, token=token, purpose=LinkPurpose.LOGIN)
    except ValidationError as exc:
        return _link_refused(request, company, exc)
    return render(request, "portal/link_login.html", _context(company, link=link))


@require_http_methods(["GET", "POST"])
@never_cache
def password_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    company = portal_company(slug)
    try:
        link = portal_link_for_token(company=company, token=token, purpose=LinkPurpose.SET_PASSWORD)
    except ValidationError as exc:
        return _link_refused(request, company, exc)
    form = ChoosePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            portal_password_choose(
                company=company,
                token=token,
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            session_end(request, company)
            messages.success(
                request,
                _("Listo: guardamos tu contraseña. Entra con %(who)s y tu nueva contraseña.")
                % {"who": link.portal_user.email if link.portal_user else link.access.rfc},
            )
            return redirect("portal:login", slug=company.slug)
    return render(request, "portal/password.html", _context(company, form=form, link=link))


@require_GET
@receiver_required
def home_view(request: HttpRequest, identity: PortalIdentity) -> HttpResponse:
    form = PortalFilterForm(request.GET or None)
    cfdis = portal_cfdi_list(identity=identity, filters=form.filters())
    page = Paginator(cfdis, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/home.html",
        _context(
            identity.company,
            identity=identity,
            form=form,
            page=page,
            # Marked like the staff list does; the note says what the mark means.
            seal_invalid_shown=any(cfdi.seal_verified is False for cfdi in page),
            query=query.urlencode(),
            zip_max=ZIP_MAX_DOCUMENTS,
        ),
    )


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@receiver_required
def xml_view(request: HttpRequest, identity: PortalIdentity, uuid: UUID) -> HttpResponse:
    cfdi = portal_cfdi_for(identity=identity, uuid=uuid)
    data = cfdi_xml(cfdi)
    portal_download_record(identity=identity, what="xml", cfdis=[cfdi], ip=client_ip(request))
    return _attachment(HttpResponse(data, content_type="application/xml"), f"{cfdi.uuid_text}.xml")


@require_GET
@receiver_required
def pdf_view(request: HttpRequest, identity: PortalIdentity, uuid: UUID) -> HttpResponse:
    cfdi = portal_cfdi_for(identity=identity, uuid=uuid)
    data = portal_pdf_bytes(cfdi)
    portal_download_record(identity=identity, what="pdf", cfdis=[cfdi], ip=client_ip(request))
    return _attachment(HttpResponse(data, content_type="application/pdf"), f"{cfdi.uuid_text}.pdf")


@require_POST
@receiver_required
def zip_view(request: HttpRequest, identity: PortalIdentity) -> HttpResponseBase:
    company = identity.company
    uuids = request.POST.getlist("uuid")
    if not uuids:
        messages.error(request, _("Selección: marca al menos un CFDI para descargar."))
        return redirect("portal:home", slug=company.slug)
    if len(uuids) > ZIP_MAX_DOCUMENTS:
        messages.error(
            request,
            _("Selección: un ZIP lleva a lo más %(max)d CFDI; marcaste %(count)d.")
            % {"max": ZIP_MAX_DOCUMENTS, "count": len(uuids)},
        )
        return redirect("portal:home", slug=company.slug)
    cfdis = portal_cfdi_selection(identity=identity, uuids=uuids)
    if not cfdis:
        messages.error(request, _("Selección: ninguno de esos CFDI está en tu portal."))
        return redirect("portal:home", slug=company.slug)
    with_pdf = request.POST.get("with_pdf") == "1"
    portal_download_record(identity=identity, what="zip", cfdis=cfdis, ip=client_ip(request))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        zip_stream(cfdis, pdf=portal_pdf_bytes if with_pdf else None),
        content_type="application/zip",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="cfdi-{identity.access.rfc}-{stamp}.zip"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

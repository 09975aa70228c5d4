"""The Empresas workspace: every company an account manages, and the links with firms.

Thin views: each parses input, calls one service or selector, renders. The firm is
the account of the active company; a link is looked up inside the firm (or, on the
company's side, inside the accounts the viewer manages), so other tenants' ids 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from despacho.access.decisions import forget
from despacho.access.guards import MANAGERS_ONLY, manager_account
from despacho.access.selectors import CompanyNotFound
from despacho.firms.columns import workspace_columns
from despacho.firms.forms import LinkInviteForm, WorkspaceFilterForm
from despacho.firms.selectors import (
    LinkNotFound,
    account_is_firm,
    company_links,
    company_side_link_for,
    firm_invitations,
    firm_link_for,
    link_notices,
    workspace_companies,
    workspace_rows,
)
from despacho.firms.services import (
    link_for_token,
    link_invite,
    link_resend,
    link_respond,
    link_revoke,
    link_sent_message,
    link_withdraw,
    refuse_unless_company_owner,
)
from despacho.forms import form_errors_from
from despacho.http import flash_and_redirect
from despacho.members.views import invitation_refused
from despacho.names import before_period
from despacho.tenancy.models import CompanyLink, LinkStatus
from despacho.workspace.middleware import workspace_of
from despacho.workspace.request import AppRequest

PAGE_SIZE = 25
INVITATIONS_SHOWN = 50


@login_required
@require_GET
def workspace_list(request: AppRequest) -> HttpResponse:
    """Every company the active account manages, filtered, sorted and paginated."""
    workspace = workspace_of(request)
    account = workspace.account
    if account is None:
        return render(request, "firms/list.html", {"notices": _notices(request)})
    form = WorkspaceFilterForm(request.GET or None)
    companies = workspace_companies(viewer=request.user, account=account, filters=form.filters())
    page = Paginator(companies, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = workspace_rows(viewer=request.user, account=account, companies=list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "account": account,
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "is_manager": workspace.is_manager,
        "columns": workspace_columns(),
        "is_firm": workspace.is_manager and account_is_firm(account=account),
        "invitations": (
            list(firm_invitations(account=account)[:INVITATIONS_SHOWN])
            if workspace.is_manager
            else []
        ),
    }
    if request.htmx and request.htmx.target == "companies":
        return render(request, "firms/_companies.html", context)
    return render(request, "firms/list.html", {**context, "notices": _notices(request)})


def _notices(request: AppRequest) -> list[CompanyLink]:
    return list(link_notices(viewer=request.user))


@login_required
def link_invite_view(request: AppRequest) -> HttpResponse:
    firm = manager_account(request, refusal=MANAGERS_ONLY)
    form = LinkInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = link_invite(
                firm=firm,
                actor=request.user,
                rfc=form.cleaned_data["rfc"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, link_sent_message(link))
            return redirect("firm:list")
    return render(request, "firms/invite.html", {"form": form, "account": firm})


def _firm_link_act(
    request: AppRequest, link_id: int, service: Callable[..., Any], done: str
) -> HttpResponse:
    firm = manager_account(request, refusal=MANAGERS_ONLY)
    try:
        link = firm_link_for(account=firm, link_id=link_id)
    except LinkNotFound:
        raise Http404 from None
    return flash_and_redirect(
        request,
        partial(service, link=link, actor=request.user),
        done=done % {"requested": link.requested},
        to="firm:list",
    )


@login_required
@require_POST
def link_resend_view(request: AppRequest, link_id: int) -> HttpResponse:
    return _firm_link_act(
        request,
        link_id,
        link_resend,
        _(
            "Enviamos de nuevo la invitación a %(requested)s; si la empresa tiene cuenta, su "
            "propietario la verá."
        ),
    )


@login_required
@require_POST
def link_withdraw_view(request: AppRequest, link_id: int) -> HttpResponse:
    return _firm_link_act(
        request, link_id, link_withdraw, _("Retiraste la invitación a %(requested)s.")
    )


def _respond(request: AppRequest, link: CompanyLink) -> HttpResponse:
    """Accept or decline (POST ``decision``), then back to the Empresas page."""
    decision = request.POST.get("decision")
    if decision not in {"accept", "decline"}:
        return redirect(request.path)
    try:
        link = link_respond(link=link, actor=request.user, accept=decision == "accept")
    except ValidationError as exc:
        status = 403 if exc.code == "wrong_person" else 410
        return invitation_refused(request, exc, status)
    forget(request.user)
    if decision == "accept":
        messages.success(
            request,
            _("Aceptaste: %(firm)s ya administra %(company)s.")
            % {"firm": link.firm.name, "company": before_period(link.invited_company.razon_social)},
        )
    else:
        messages.info(
            request,
            _("Rechazaste la invitación de %(firm)s.") % {"firm": before_period(link.firm.name)},
        )
    return redirect("firm:list")


def _respond_page(request: AppRequest, link: CompanyLink) -> HttpResponse:
    try:
        refuse_unless_company_owner(link=link, user=request.user)
    except ValidationError as exc:
        return invitation_refused(request, exc, 403)
    if link.current_status != LinkStatus.PENDING:
        message = _("Esta invitación ya no está pendiente: está %(status)s.") % {
            "status": link.current_status_label.lower()
        }
        return invitation_refused(request, ValidationError(message, code="not_pending"), 410)
    if request.method == "POST":
        return _respond(request, link)
    return render(request, "firms/respond.html", {"link": link})


@login_required
def link_respond_view(request: AppRequest, link_id: int) -> HttpResponse:
    """The in-app notice: the company's owner answers the firm's invitation."""
    try:
        link = company_side_link_for(viewer=request.user, link_id=link_id)
    except LinkNotFound:
        raise Http404 from None
    return _respond_page(request, link)


def link_token_view(request: AppRequest, token: str) -> HttpResponse:
    """The emailed link: single-use, bound to the owner of the company's account."""
    try:
        link = link_for_token(token)
    except ValidationError as exc:
        return invitation_refused(request, exc, 410)
    if not request.user.is_authenticated:
        messages.info(request, _("Entra con tu correo y contraseña para responder la invitación."))
        return redirect_to_login(request.get_full_path())
    return _respond_page(request, link)


@login_required
@require_POST
def link_revoke_view(request: AppRequest, link_id: int) -> HttpResponse:
    try:
        link = company_side_link_for(viewer=request.user, link_id=link_id)
    except LinkNotFound:
        raise Http404 from None
    return flash_and_redirect(
        request,
        partial(link_revoke, link=link, actor=request.user),
        done=_("Revocaste el vínculo: %(firm)s ya no tiene acceso a %(company)s.")
        % {"firm": link.firm.name, "company": before_period(link.invited_company.razon_social)},
        to=reverse("firm:company_links", kwargs={"company_id": link.company_id}),
    )


@login_required
@require_GET
def company_links_view(request: AppRequest, company_id: int) -> HttpResponse:
    """The firms linked to one of the viewer's own companies, with revoke buttons."""
    try:
        company, links = company_links(viewer=request.user, company_id=company_id)
    except CompanyNotFound:
        raise Http404 from None
    return render(request, "firms/company_links.html", {"company": company, "links": list(links)})

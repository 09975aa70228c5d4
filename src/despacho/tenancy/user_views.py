"""The Users pages ("Usuarios"): people, invitations and seats of the account, for its managers.

Thin views: each parses input, calls one service or selector, and renders.
The account is the one the viewer manages through the active company; every
membership or invitation is looked up inside it, so another account's ids 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from despacho.http import AppRequest
from despacho.people.views import form_errors_from
from despacho.tenancy.members import (
    member_add,
    member_deactivate,
    member_delete,
    member_invitation_resend,
    member_invitation_revoke,
    member_reactivate,
    member_update,
    ownership_transfer,
)
from despacho.tenancy.middleware import workspace_of
from despacho.tenancy.models import Account, Membership, MembershipStatus, Role
from despacho.tenancy.seats import seat_purchase_record, seat_purchases, seat_quote, seat_summary
from despacho.tenancy.selectors import (
    MemberNotFound,
    account_companies,
    invitation_for,
    managed_accounts_of,
    member_for,
    member_invitations,
    members_list,
)
from despacho.tenancy.user_forms import (
    MemberAddForm,
    MemberEditForm,
    MemberFilterForm,
    SeatPurchaseForm,
)


def managed_account(request: AppRequest) -> Account:
    """The account whose users the viewer manages: the active company's, or their only one."""
    workspace = workspace_of(request)
    if workspace.active is not None:
        if workspace.is_manager and workspace.account is not None:
            return workspace.account
    else:
        accounts = managed_accounts_of(viewer=request.user)
        if accounts:
            return accounts[0]
    raise PermissionDenied(
        _("Solo el propietario y los administradores de la cuenta administran sus usuarios.")
    )


def _membership(account: Account, membership_id: int) -> Membership:
    try:
        return member_for(account=account, membership_id=membership_id)
    except MemberNotFound:
        raise Http404 from None


def _context(account: Account, **extra: Any) -> dict[str, Any]:
    return {"account": account, "seats": seat_summary(account=account), **extra}


@login_required
@require_GET
def user_list(request: AppRequest) -> HttpResponse:
    account = managed_account(request)
    form = MemberFilterForm(request.GET or None, account=account)
    members = members_list(account=account, filters=form.filters())
    context = _context(
        account,
        form=form,
        members=members,
        invitations=member_invitations(account=account)[:50],
        viewer_role=Membership.objects.get(account=account, user=request.user).role,
    )
    template = "tenancy/users/_members.html" if request.htmx else "tenancy/users/list.html"
    return render(request, template, context)


@login_required
def user_add(request: AppRequest) -> HttpResponse:
    account = managed_account(request)
    form = MemberAddForm(request.POST or None, account=account)
    if request.method == "GET" and "empresa" in request.GET:
        form.preselect(request.GET["empresa"])  # "Agregar usuario" from a company's row
    if request.method == "POST" and form.is_valid():
        try:
            membership = member_add(
                account=account,
                actor=request.user,
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                grants=form.grant_specs(),
            )
        except ValidationError as exc:
            form_errors_from(form, exc, {})
        else:
            if membership.status == MembershipStatus.INVITED:
                text = _("Enviamos la invitación a %(email)s; vale 72 horas.")
            else:
                text = _("%(email)s ya tenía acceso a Despacho: lo agregamos y le avisamos.")
            messages.success(request, text % {"email": membership.user.email})
            return redirect("users:list")
    return render(request, "tenancy/users/add.html", _context(account, form=form))


@login_required
def user_edit(request: AppRequest, membership_id: int) -> HttpResponse:
    account = managed_account(request)
    membership = _membership(account, membership_id)
    is_owner = membership.role == Role.OWNER
    form = MemberEditForm(
        request.POST or None,
        is_owner=is_owner,
        initial={"full_name": membership.user.full_name, "role": membership.role},
    )
    if request.method == "POST" and form.is_valid():
        try:
            member_update(
                membership=membership,
                actor=request.user,
                role=form.cleaned_data.get("role"),
                full_name=form.cleaned_data["full_name"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc, {})
        else:
            messages.success(request, _("Cambios guardados."))
            return redirect("users:list")
    grants = membership.grants.select_related("company", "profile").order_by(
        "company__razon_social"
    )
    viewer_role = Membership.objects.get(account=account, user=request.user).role
    # The permissions window is reachable from here too: one link per company, granted or not.
    granted = {grant.company_id for grant in grants}
    ungranted = [c for c in account_companies(account=account) if c.pk not in granted]
    return render(
        request,
        "tenancy/users/edit.html",
        _context(
            account,
            form=form,
            member=membership,
            grants=grants,
            ungranted=ungranted,
            viewer_role=viewer_role,
        ),
    )


def _act(
    request: AppRequest, membership_id: int, service: Callable[..., Any], done: str
) -> HttpResponse:
    account = managed_account(request)
    membership = _membership(account, membership_id)
    try:
        service(membership=membership, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done % {"name": membership.user.full_name})
    return redirect("users:list")


@login_required
@require_POST
def user_deactivate(request: AppRequest, membership_id: int) -> HttpResponse:
    return _act(
        request,
        membership_id,
        member_deactivate,
        _(
            "Se desactivó el acceso de %(name)s: ya no entra a esta cuenta y su licencia "
            "quedó libre."
        ),
    )


@login_required
@require_POST
def user_reactivate(request: AppRequest, membership_id: int) -> HttpResponse:
    return _act(request, membership_id, member_reactivate, _("Se reactivó el acceso de %(name)s."))


@login_required
def user_delete(request: AppRequest, membership_id: int) -> HttpResponse:
    if request.method == "POST":
        return _act(
            request,
            membership_id,
            member_delete,
            _("Se quitó a %(name)s de la cuenta; la bitácora conserva su historia."),
        )
    account = managed_account(request)
    membership = _membership(account, membership_id)
    return render(request, "tenancy/users/delete.html", _context(account, member=membership))


@login_required
def user_transfer(request: AppRequest, membership_id: int) -> HttpResponse:
    account = managed_account(request)
    membership = _membership(account, membership_id)
    if request.method == "POST":
        try:
            ownership_transfer(account=account, actor=request.user, new_owner=membership)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("%(name)s es ahora el propietario de la cuenta; tú quedas como administrador.")
                % {"name": membership.user.full_name},
            )
        return redirect("users:list")
    return render(request, "tenancy/users/transfer.html", _context(account, member=membership))


def _invitation_act(
    request: AppRequest, invitation_id: int, service: Callable[..., Any], done: str
) -> HttpResponse:
    account = managed_account(request)
    try:
        invitation = invitation_for(account=account, invitation_id=invitation_id)
    except MemberNotFound:
        raise Http404 from None
    try:
        service(invitation=invitation, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done % {"email": invitation.email})
    return redirect("users:list")


@login_required
@require_POST
def invitation_resend(request: AppRequest, invitation_id: int) -> HttpResponse:
    return _invitation_act(
        request,
        invitation_id,
        member_invitation_resend,
        _("Enviamos un enlace nuevo a %(email)s; el anterior ya no sirve."),
    )


@login_required
@require_POST
def invitation_revoke(request: AppRequest, invitation_id: int) -> HttpResponse:
    return _invitation_act(
        request,
        invitation_id,
        member_invitation_revoke,
        _("Revocamos la invitación de %(email)s; su licencia quedó libre."),
    )


@login_required
def seats(request: AppRequest) -> HttpResponse:
    """Seat summary, purchases, and buying more: quantity → quote → confirm."""
    account = managed_account(request)
    form = SeatPurchaseForm(request.POST or request.GET or None)
    quote = seat_quote(quantity=form.cleaned_data["quantity"]) if form.is_valid() else None
    if request.method == "POST" and quote is not None and request.POST.get("confirm") == "1":
        try:
            seat_purchase_record(account=account, actor=request.user, quantity=quote.quantity)
        except ValidationError as exc:
            form_errors_from(form, exc, {})
        else:
            messages.success(
                request,
                ngettext(
                    "Registramos %(n)d licencia más, vigente un año.",
                    "Registramos %(n)d licencias más, vigentes un año.",
                    quote.quantity,
                )
                % {"n": quote.quantity},
            )
            return redirect("users:seats")
    context = _context(
        account,
        form=form,
        quote=quote,
        purchases=seat_purchases(account=account),
        is_owner=Membership.objects.filter(
            account=account, user=request.user, role=Role.OWNER
        ).exists(),
    )
    if request.htmx and request.method == "GET":
        return render(request, "tenancy/users/_quote.html", context)
    return render(request, "tenancy/users/seats.html", context)

"""The Users pages ("Usuarios"): people, invitations and seats of the account, for its managers.

Thin views: each parses input, calls one service or selector, and renders.
The account is the one the viewer manages through the active company; every
membership or invitation is looked up inside it, so another account's ids 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from despacho.access.decisions import forget, may_manage
from despacho.access.selectors import managed_accounts_of
from despacho.forms import form_errors_from
from despacho.http import flash_and_redirect, refused_page
from despacho.members.forms import (
    InvitationAcceptForm,
    MemberAddForm,
    MemberEditForm,
    MemberFilterForm,
    SeatPurchaseForm,
)
from despacho.members.models import InvitationKind
from despacho.members.selectors import (
    MemberNotFound,
    invitation_for,
    member_for,
    member_invitations,
    members_list,
)
from despacho.members.services.invitations import (
    invitation_accept,
    invitation_for_token,
    invitation_needs_password,
    invitation_refuse_other_person,
)
from despacho.members.services.members import (
    member_add,
    member_deactivate,
    member_delete,
    member_invitation_resend,
    member_invitation_revoke,
    member_reactivate,
    member_update,
    ownership_transfer,
)
from despacho.members.services.seats import (
    seat_purchase_record,
    seat_purchases,
    seat_quote,
    seat_summary,
)
from despacho.names import before_period
from despacho.tenancy.models import Account, Membership, MembershipStatus, Role
from despacho.tenancy.selectors import account_companies
from despacho.workspace.active import workspace_enter_account
from despacho.workspace.middleware import workspace_of
from despacho.workspace.request import AppRequest


def managed_account(request: AppRequest) -> Account:
    """The account whose users the viewer manages: the active company's, or their only one."""
    workspace = workspace_of(request)
    if workspace.active is not None:
        if may_manage(request.user, workspace.account):
            return cast(Account, workspace.account)
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
    template = "members/users/_members.html" if request.htmx else "members/users/list.html"
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
            form_errors_from(form, exc)
        else:
            if membership.status == MembershipStatus.INVITED:
                text = _("Enviamos la invitación a %(email)s; vale 72 horas.")
            else:
                text = _("%(email)s ya tenía acceso a Despacho: lo agregamos y le avisamos.")
            messages.success(request, text % {"email": membership.user.email})
            return redirect("users:list")
    return render(request, "members/users/add.html", _context(account, form=form))


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
            form_errors_from(form, exc)
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
        "members/users/edit.html",
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
    return flash_and_redirect(
        request,
        partial(service, membership=membership, actor=request.user),
        done=done % {"name": membership.user.full_name},
        to="users:list",
    )


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
    return render(request, "members/users/delete.html", _context(account, member=membership))


@login_required
def user_transfer(request: AppRequest, membership_id: int) -> HttpResponse:
    account = managed_account(request)
    membership = _membership(account, membership_id)
    if request.method == "POST":
        return flash_and_redirect(
            request,
            partial(ownership_transfer, account=account, actor=request.user, new_owner=membership),
            done=_("%(name)s es ahora el propietario de la cuenta; tú quedas como administrador.")
            % {"name": membership.user.full_name},
            to="users:list",
        )
    return render(request, "members/users/transfer.html", _context(account, member=membership))


def _invitation_act(
    request: AppRequest, invitation_id: int, service: Callable[..., Any], done: str
) -> HttpResponse:
    account = managed_account(request)
    try:
        invitation = invitation_for(account=account, invitation_id=invitation_id)
    except MemberNotFound:
        raise Http404 from None
    return flash_and_redirect(
        request,
        partial(service, invitation=invitation, actor=request.user),
        done=done % {"email": invitation.email},
        to="users:list",
    )


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
            form_errors_from(form, exc)
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
        return render(request, "members/users/_quote.html", context)
    return render(request, "members/users/seats.html", context)


def invitation_refused(request: HttpRequest, exc: ValidationError, status: int) -> HttpResponse:
    """The page of an invitation link (a member's, a client's or a firm's) that can't be used."""
    return refused_page(
        request,
        exc.messages,
        status=status,
        title=_("Invitación no válida"),
        heading=_("No se puede usar esta invitación"),
    )


def invitation_accept_view(request: AppRequest, token: str) -> HttpResponse:
    """The link in an invitation email: set a password (first time) and join the account."""
    try:
        invitation = invitation_for_token(token)
        invitation_refuse_other_person(invitation=invitation, user=request.user)
    except ValidationError as exc:
        return invitation_refused(
            request, exc, 403 if getattr(exc, "code", None) == "wrong_person" else 410
        )
    needs_password = invitation_needs_password(invitation)
    if not needs_password and not request.user.is_authenticated:
        messages.info(
            request, _("Ya tienes contraseña: entra con ella para aceptar la invitación.")
        )
        return redirect_to_login(request.get_full_path())
    person = invitation.membership.user if invitation.membership else None
    activation = invitation.kind == InvitationKind.CLIENT_ACTIVATION
    # A client's account was opened with the company's name as a placeholder: ask for theirs.
    initial_name = person.full_name if person and not activation else ""
    data = request.POST if request.method == "POST" else None
    form: forms.Form = (
        InvitationAcceptForm(data, initial={"full_name": initial_name})
        if needs_password
        else forms.Form(data)
    )
    if form.is_bound and form.is_valid():
        try:
            membership = invitation_accept(
                token=token,
                user=request.user if request.user.is_authenticated else None,
                full_name=form.cleaned_data.get("full_name"),
                password=form.cleaned_data.get("password1"),
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) in {
                "unknown_token",
                "already_accepted",
                "already_revoked",
                "expired",
            }:
                return invitation_refused(request, exc, 410)
            form_errors_from(form, exc, {"password": "password1"})
        else:
            if not request.user.is_authenticated:
                login(request, membership.user, backend="despacho.people.backends.EmailBackend")
            forget(request.user)
            workspace_enter_account(request, account_id=membership.account_id)
            messages.success(
                request,
                _("Te damos la bienvenida a %(account)s.")
                % {"account": before_period(membership.account.name)},
            )
            return redirect("home")
    return render(
        request,
        "members/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "needs_password": needs_password,
            "activation": activation,
        },
    )

"""Login, logout, password change and reset (Django's auth views), and accepting invitations."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from despacho.access.decisions import forget
from despacho.audit.middleware import client_ip
from despacho.http import AppRequest
from despacho.names import before_period
from despacho.people.forms import (
    AuditedPasswordChangeForm,
    AuditedSetPasswordForm,
    EmailAuthenticationForm,
    InvitationAcceptForm,
)
from despacho.people.invitations import (
    invitation_accept,
    invitation_for_token,
    invitation_needs_password,
    invitation_refuse_other_person,
)
from despacho.people.models import InvitationKind
from despacho.security.services import password_reset_request
from despacho.tenancy.workspace import workspace_enter_account


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "people/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = AuditedPasswordChangeForm
    template_name = "people/password_change.html"
    success_url = reverse_lazy("people:password_change_done")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "people/password_reset.html"
    email_template_name = "people/email/password_reset.txt"
    html_email_template_name = "people/email/password_reset.html"
    subject_template_name = "people/email/password_reset_subject.txt"
    success_url = reverse_lazy("people:password_reset_done")

    def form_valid(self, form: forms.Form) -> HttpResponse:
        # The mail goes out from a task that looks the person up (links use SITE_URL, never
        # the request's Host): known and unknown emails get the same page after the same work,
        # throttled or not.
        password_reset_request(email=form.cleaned_data["email"], ip=client_ip(self.request))
        return redirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = AuditedSetPasswordForm
    template_name = "people/password_reset_confirm.html"
    success_url = reverse_lazy("people:password_reset_complete")
    post_reset_login = False


def form_errors_from(form: forms.Form, exc: ValidationError, rename: dict[str, str]) -> None:
    """Put a service's ValidationError on the form, field by field (unknown fields on top)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = rename.get(name, name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _refused(request: HttpRequest, exc: ValidationError, status: int) -> HttpResponse:
    return render(
        request, "people/invitation_refused.html", {"messages_list": exc.messages}, status=status
    )


def invitation_accept_view(request: AppRequest, token: str) -> HttpResponse:
    """The link in an invitation email: set a password (first time) and join the account."""
    try:
        invitation = invitation_for_token(token)
        invitation_refuse_other_person(invitation=invitation, user=request.user)
    except ValidationError as exc:
        return _refused(request, exc, 403 if getattr(exc, "code", None) == "wrong_person" else 410)
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
                return _refused(request, exc, 410)
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
        "people/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "needs_password": needs_password,
            "activation": activation,
        },
    )

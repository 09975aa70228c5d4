"""Two-factor pages: set up an authenticator, the second login step, the account policy."""

from __future__ import annotations

import base64
from base64 import b32encode
from functools import partial

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from despacho.forms import form_errors_from
from despacho.http import client_ip, flash_and_redirect
from despacho.security.forms import (
    AuditedPasswordChangeForm,
    AuditedSetPasswordForm,
    CodeForm,
    DisableForm,
    PolicyForm,
)
from despacho.security.selectors import account_policy_of, is_account_owner, second_factor_status
from despacho.security.services import (
    account_policy_set,
    owner_only_message,
    password_reset_request,
    recovery_codes_renew,
    second_factor_verify,
    second_factor_wait,
    totp_device_confirm,
    totp_device_pending,
    two_factor_disable,
)
from despacho.tenancy.models import Account
from despacho.workspace.middleware import workspace_of
from despacho.workspace.request import AppRequest


def _next_url(request: AppRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


def session_verified(request: HttpRequest) -> bool:
    """Whether django-otp's middleware marked this session verified by a device."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def _owned_account(request: AppRequest) -> Account | None:
    account = workspace_of(request).account
    if account is not None and is_account_owner(user=request.user, account=account):
        return account
    return None


@never_cache
@login_required
def setup(request: AppRequest) -> HttpResponse:
    """Security page: enrol an authenticator (QR + confirm), or see and manage the one you have."""
    status = second_factor_status(user=request.user)
    account = _owned_account(request)
    context: dict[str, object] = {
        "status": status,
        "account": account,
        "next": _next_url(request),
        "policy_form": PolicyForm(
            initial={
                "require_2fa_for_managers": account_policy_of(
                    account=account
                ).require_2fa_for_managers
            }
        )
        if account
        else None,
    }
    if status.has_device:
        context["disable_form"] = DisableForm()
        return render(request, "security/setup.html", context)
    device = totp_device_pending(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = totp_device_confirm(user=request.user, token=form.cleaned_data["code"])
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            request.session.cycle_key()
            otp_login(request, device)
            return render(
                request,
                "security/recovery_codes.html",
                {"codes": codes, "next": context["next"], "first_time": True},
            )
    context.update(
        form=form,
        qr=_qr_data_uri(device.config_url),
        secret=b32encode(device.bin_key).decode(),
    )
    return render(request, "security/setup.html", context)


@never_cache
@login_required
@require_POST
def recovery_codes(request: AppRequest) -> HttpResponse:
    try:
        codes = recovery_codes_renew(user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("security:setup")
    return render(request, "security/recovery_codes.html", {"codes": codes, "next": "/"})


@login_required
@require_POST
def disable(request: AppRequest) -> HttpResponse:
    form = DisableForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Contraseña: escríbela para desactivar la verificación."))
        return redirect("security:setup")
    return flash_and_redirect(
        request,
        partial(two_factor_disable, user=request.user, password=form.cleaned_data["password"]),
        done=_("Desactivaste la verificación en dos pasos."),
        to="security:setup",
    )


@login_required
@require_POST
def policy(request: AppRequest) -> HttpResponse:
    account = _owned_account(request)
    if account is None:
        raise PermissionDenied(owner_only_message())
    form = PolicyForm(request.POST)
    form.is_valid()
    return flash_and_redirect(
        request,
        partial(
            account_policy_set,
            account=account,
            actor=request.user,
            require_2fa_for_managers=form.cleaned_data.get("require_2fa_for_managers", False),
        ),
        done=_("Guardamos la política de seguridad de la cuenta."),
        to="security:setup",
    )


@never_cache
@login_required
def verify(request: AppRequest) -> HttpResponse:
    """The second login step: a code from the authenticator, or a recovery code."""
    target = _next_url(request)
    if session_verified(request) or not second_factor_status(user=request.user).has_device:
        return redirect(target)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = second_factor_wait(user=request.user)
        device = (
            None
            if wait
            else second_factor_verify(user=request.user, token=form.cleaned_data["code"])
        )
        if device is not None:
            request.session.cycle_key()
            otp_login(request, device)
            return redirect(target)
        if wait:
            form.add_error(
                "code",
                ValidationError(
                    _("Código: demasiados intentos; espera %(s)d segundos.") % {"s": wait},
                    code="throttled",
                ),
            )
        else:
            form.add_error(
                "code",
                ValidationError(
                    _("Código: no es válido. Usa el de tu aplicación o un código de recuperación."),
                    code="invalid_code",
                ),
            )
    return render(request, "security/verify.html", {"form": form, "next": target})


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = AuditedPasswordChangeForm
    template_name = "security/password_change.html"
    success_url = reverse_lazy("security:password_change_done")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "security/password_reset.html"
    email_template_name = "security/email/password_reset.txt"
    html_email_template_name = "security/email/password_reset.html"
    subject_template_name = "security/email/password_reset_subject.txt"
    success_url = reverse_lazy("security:password_reset_done")

    def form_valid(self, form: forms.Form) -> HttpResponse:
        # The mail goes out from a task that looks the person up (links use SITE_URL, never
        # the request's Host): known and unknown emails get the same page after the same work,
        # throttled or not.
        password_reset_request(email=form.cleaned_data["email"], ip=client_ip(self.request))
        return redirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = AuditedSetPasswordForm
    template_name = "security/password_reset_confirm.html"
    success_url = reverse_lazy("security:password_reset_complete")
    post_reset_login = False

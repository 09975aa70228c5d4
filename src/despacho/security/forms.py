from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from despacho.people.models import User
from despacho.security.services import user_password_set


class CodeForm(forms.Form):
    """A code from the authenticator app (6 digits) or a recovery code."""

    code = forms.CharField(
        label=_("Código"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        error_messages={
            "required": _("Código: escribe el código de tu aplicación."),
            "max_length": _("Código: máximo 32 caracteres."),
        },
    )


class DisableForm(forms.Form):
    password = forms.CharField(
        label=_("Tu contraseña"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PolicyForm(forms.Form):
    require_2fa_for_managers = forms.BooleanField(
        label=_("Exigir verificación en dos pasos al propietario y los administradores"),
        required=False,
    )


class AuditedPasswordChangeForm(PasswordChangeForm):
    """Django's password change form, saving through the audited service."""

    def save(self, commit: bool = True) -> User:
        return user_password_set(user=self.user, password=self.cleaned_data["new_password1"])


class AuditedSetPasswordForm(SetPasswordForm):
    """Django's form for the password reset link, saving through the audited service."""

    def save(self, commit: bool = True) -> User:
        return user_password_set(
            user=self.user, password=self.cleaned_data["new_password1"], reset=True
        )

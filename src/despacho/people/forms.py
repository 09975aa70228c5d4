from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from despacho.people.models import User
from despacho.people.services import user_password_set


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, labelled for email and in Spanish."""

    username = forms.EmailField(
        label=_("Correo electrónico"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        "invalid_login": _(
            "Correo o contraseña incorrectos. Revisa ambos; las mayúsculas de la "
            "contraseña cuentan."
        ),
        "inactive": _("Esta cuenta está inactiva."),
    }


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

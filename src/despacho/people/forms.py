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


class InvitationAcceptForm(forms.Form):
    """First visit of an invited person: confirm the name and choose a password.

    The rules (full name with a surname, Django's password validators) are the
    service's; this form only checks that both passwords match.
    """

    full_name = forms.CharField(
        label=_("Nombre completo"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text=_(
            "Al menos 10 caracteres; que no sea común, solo números ni parecida a tu correo."
        ),
    )
    password2 = forms.CharField(
        label=_("Repite la contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", _("Repite la contraseña: no coincide con la primera."))
        return data


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

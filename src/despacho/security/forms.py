from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


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

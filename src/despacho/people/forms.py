from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


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

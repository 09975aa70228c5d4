"""Forms of onboarding: one client account, and the CSV upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from despacho.tenancy.models import Plan, Sector
from despacho.tenancy.regimen import regimen_choices


class ClientAccountForm(forms.Form):
    email = forms.EmailField(label=_("Correo del cliente"), max_length=254)
    razon_social = forms.CharField(label=_("Nombre o razón social"), max_length=300)
    rfc = forms.CharField(label=_("RFC"), max_length=20)
    regimen_fiscal = forms.ChoiceField(label=_("Régimen fiscal"), choices=())
    codigo_postal = forms.CharField(label=_("Código postal"), max_length=10)
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices, initial=Sector.SERVICIOS)
    plan = forms.ChoiceField(label=_("Plan"), choices=Plan.choices, initial=Plan.EMPRENDEDOR)
    telefono = forms.CharField(label=_("Teléfono"), max_length=30, required=False)
    access = forms.ChoiceField(
        label=_("Acceso del cliente"),
        choices=[
            ("link", _("Enviarle un enlace de activación (recomendado)")),
            ("password", _("Asignarle una contraseña yo mismo")),
        ],
        initial="link",
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label=_("Contraseña"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Solo si elegiste asignarla tú; entrégasela al cliente por un medio seguro."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regimen_fiscal"].choices = [("", "—"), *regimen_choices()]  # type: ignore[attr-defined]

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("access") == "password" and not data.get("password"):
            self.add_error("password", _("Contraseña: escríbela o elige el enlace de activación."))
        if data.get("access") != "password":
            data["password"] = None
        return data


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("Archivo CSV"))

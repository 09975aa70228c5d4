"""Forms of the portal: the issuer's management pages and the receiver's pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from despacho.cfdi.models import Tipo
from despacho.datefields import FilterDateField
from despacho.portal.selectors import PortalFilters

_PORTAL_TIPOS = [("", _("Todos"))] + [(t.value, t.label) for t in Tipo if t != Tipo.NOMINA]


class _OwnIds(forms.Form):
    """The access page shows several forms with an email field: give each its own ids."""

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class AccessFilterForm(forms.Form):
    q = forms.CharField(label=_("RFC o nombre"), required=False, max_length=300)


class AccessCreateForm(forms.Form):
    rfc = forms.CharField(label=_("RFC del receptor"), max_length=20)
    name = forms.CharField(label=_("Nombre o razón social"), required=False, max_length=300)
    email = forms.CharField(
        label=_("Correo electrónico"),
        required=False,
        max_length=254,
        widget=forms.EmailInput,
        help_text=_("Opcional. A este correo se envía el acceso."),
    )
    password = forms.CharField(
        label=_("Contraseña"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Opcional. Déjala vacía para que el receptor elija la suya con el enlace."),
    )
    generate_password = forms.BooleanField(
        label=_("Generar una contraseña (se muestra una sola vez)"), required=False
    )


class AccessEditForm(_OwnIds):
    id_prefix = "edit"
    name = forms.CharField(label=_("Nombre o razón social"), required=False, max_length=300)
    email = forms.CharField(
        label=_("Correo electrónico"), required=False, max_length=254, widget=forms.EmailInput
    )


class PasswordSetForm(_OwnIds):
    id_prefix = "password"
    rfc_confirmation = forms.CharField(
        label=_("Escribe el RFC del receptor para confirmar"), max_length=20
    )
    password = forms.CharField(
        label=_("Nueva contraseña"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    generate_password = forms.BooleanField(
        label=_("Generar una contraseña (se muestra una sola vez)"), required=False
    )


class SendForm(_OwnIds):
    id_prefix = "send"
    email = forms.CharField(
        label=_("Enviar a"),
        required=False,
        max_length=254,
        widget=forms.EmailInput,
        help_text=_("Vacío: al correo registrado."),
    )


class PortalUserForm(_OwnIds):
    id_prefix = "person"
    email = forms.CharField(label=_("Correo electrónico"), max_length=254, widget=forms.EmailInput)
    name = forms.CharField(label=_("Nombre"), required=False, max_length=150)


# ---------------------------------------------------------------- the receiver's pages


class PortalLoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("RFC"),
        max_length=254,
        help_text=_("Si tienes usuario propio, escribe tu correo."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Correo registrado"),
        error_messages={"invalid": _("Correo: escribe una dirección válida.")},
    )


class ChoosePasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Repite la contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("Repite la contraseña: no coincide con la primera."))
        return data


class PortalFilterForm(forms.Form):
    since = FilterDateField(label=_("Desde"))
    until = FilterDateField(label=_("Hasta"))
    tipo = forms.ChoiceField(label=_("Tipo"), required=False, choices=_PORTAL_TIPOS)
    folio = forms.CharField(label=_("Folio"), required=False, max_length=40)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("Hasta: debe ser igual o posterior a «Desde»."))
        return data

    def filters(self) -> PortalFilters:
        if not self.is_bound:
            return PortalFilters()
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return PortalFilters(
            since=data.get("since"),
            until=data.get("until"),
            tipo=data.get("tipo") or "",
            folio=data.get("folio") or "",
        )


class DeliveryForm(forms.Form):
    """Where to send a CFDI; the rules (a valid address, a deliverable CFDI) are the service's."""

    email = forms.CharField(
        label=_("Correo del receptor"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

"""Forms of the customers' pages: they parse input; the rules live in ``services``."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from despacho.customers.selectors import Status
from despacho.forms import catalog_choices
from despacho.satcatalogs import Catalog
from despacho.tenancy.regimen import regimen_choices
from despacho.tenancy.uso_cfdi import uso_choices

STATUS_CHOICES = [
    (Status.ACTIVE, _("Activos")),
    (Status.ARCHIVED, _("Archivados")),
    (Status.ALL, _("Todos")),
]


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("RFC o nombre"), required=False, max_length=300)
    status = forms.ChoiceField(label=_("Estado"), required=False, choices=STATUS_CHOICES)


class CustomerForm(forms.Form):
    # Every field optional here: the service refuses an empty one naming the field.
    rfc = forms.CharField(
        label=_("RFC"),
        max_length=20,
        required=False,
        help_text=_("Genéricos: XAXX010101000 (público en general) y XEXX010101000 (extranjeros)."),
    )
    razon_social = forms.CharField(
        label=_("Razón social"),
        max_length=300,
        required=False,
        help_text=_("Exactamente como en la constancia de situación fiscal, sin «S.A. de C.V.»."),
    )
    regimen_fiscal = forms.ChoiceField(label=_("Régimen fiscal"), required=False)
    codigo_postal = forms.CharField(
        label=_("Código postal del domicilio fiscal"), max_length=5, required=False
    )
    uso_cfdi = forms.ChoiceField(label=_("Uso CFDI por omisión"), required=False)
    forma_pago = forms.ChoiceField(label=_("Forma de pago por omisión"), required=False)
    metodo_pago = forms.ChoiceField(label=_("Método de pago por omisión"), required=False)
    tax_id = forms.CharField(
        label=_("Número de identificación fiscal (extranjeros)"), max_length=40, required=False
    )
    pais = forms.ChoiceField(label=_("País de residencia fiscal (extranjeros)"), required=False)
    emails = forms.CharField(
        label=_("Correos electrónicos"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Uno por renglón o separados por comas; al primero se envía el acceso."),
    )
    contact_name = forms.CharField(label=_("Contacto"), max_length=150, required=False)
    contact_phone = forms.CharField(label=_("Teléfono"), max_length=30, required=False)
    notes = forms.CharField(
        label=_("Notas"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["regimen_fiscal"].choices = [("", "—"), *regimen_choices()]  # type: ignore[attr-defined]
        fields["uso_cfdi"].choices = [("", "—"), *uso_choices()]  # type: ignore[attr-defined]
        fields["forma_pago"].choices = catalog_choices(Catalog.FORMA_PAGO)  # type: ignore[attr-defined]
        fields["metodo_pago"].choices = catalog_choices(Catalog.METODO_PAGO)  # type: ignore[attr-defined]
        fields["pais"].choices = catalog_choices(Catalog.PAIS)  # type: ignore[attr-defined]
        if editing:
            del fields["rfc"]

    def clean_emails(self) -> list[str]:
        return [e for e in re.split(r"[\s,;]+", self.cleaned_data.get("emails") or "") if e]

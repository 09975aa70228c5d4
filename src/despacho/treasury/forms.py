from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from despacho.forms import catalog_choices
from despacho.satcatalogs import Catalog
from despacho.treasury.models import ColumnMapping
from despacho.treasury.statements import PRESETS


class BankAccountForm(forms.Form):
    bank_code = forms.ChoiceField(label=_("Banco"), choices=())
    name = forms.CharField(label=_("Nombre (opcional)"), max_length=80, required=False)
    number = forms.CharField(label=_("Número de cuenta"), max_length=20)
    clabe = forms.CharField(label=_("CLABE"), max_length=18, required=False)
    currency = forms.CharField(label=_("Moneda"), max_length=3, initial="MXN")
    opening_balance = forms.DecimalField(label=_("Saldo inicial"), max_digits=18, decimal_places=2)
    opening_date = forms.DateField(
        label=_("Fecha del saldo inicial"),
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_code"].choices = catalog_choices(Catalog.BANCO)  # type: ignore[attr-defined]


class StatementForm(forms.Form):
    file = forms.FileField(label=_("Archivo (OFX, MT940, CSV o Excel)"))
    layout = forms.ChoiceField(
        label=_("Banco o formato de columnas (CSV y Excel)"), required=False, choices=()
    )

    def __init__(self, *args: Any, mappings: Iterable[ColumnMapping] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["layout"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((key, layout.label) for key, layout in PRESETS.items()),
            *((f"mapping:{m.pk}", m.name) for m in mappings),
        ]


class MappingForm(forms.Form):
    name = forms.CharField(label=_("Nombre del formato"), max_length=60)
    date_column = forms.CharField(label=_("Columna de fecha"), max_length=80)
    description_column = forms.CharField(label=_("Columna de concepto"), max_length=80)
    reference_column = forms.CharField(
        label=_("Columna de referencia"), max_length=80, required=False
    )
    amount_column = forms.CharField(
        label=_("Columna de importe con signo"), max_length=80, required=False
    )
    debit_column = forms.CharField(label=_("Columna de cargos"), max_length=80, required=False)
    credit_column = forms.CharField(label=_("Columna de abonos"), max_length=80, required=False)
    balance_column = forms.CharField(label=_("Columna de saldo"), max_length=80, required=False)


class ManualMatchForm(forms.Form):
    uuids = forms.CharField(
        label=_("UUID de los CFDI (uno por línea)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

"""The accounting pages' forms: they parse; the services decide."""

from __future__ import annotations

import re
import uuid as uuid_module
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from despacho.accounting.models import Account, Nature, PolizaTipo, PostingRules
from despacho.accounting.services import RULE_FIELDS, CfdiRef, Line
from despacho.cfdi.models import Cfdi
from despacho.tenancy.models import Company

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_of(value: str) -> date | None:
    """«2026-01» → 1 January 2026; None when the text is not a month."""
    found = _MONTH.match((value or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        return None
    return date(int(found.group(1)), int(found.group(2)), 1)


class MonthField(forms.Field):
    default_error_messages = {"invalid": _("Escribe el mes como AAAA-MM (por ejemplo 2026-01).")}

    def to_python(self, value: Any) -> date | None:
        text = str(value or "").strip()
        if not text:
            return None
        month = month_of(text)
        if month is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return month


class _AccountChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Account) -> str:
        return f"{obj.code} {obj.name}"


class AccountCreateForm(forms.Form):
    code = forms.CharField(label=_("Número de cuenta"), max_length=100)
    name = forms.CharField(label=_("Nombre"), max_length=400)
    codigo_agrupador = forms.CharField(label=_("Código agrupador del SAT"), max_length=12)
    nature = forms.ChoiceField(label=_("Naturaleza"), choices=Nature.choices)
    parent = _AccountChoice(
        label=_("Cuenta padre"), queryset=Account.objects.none(), required=False
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = Account.objects.filter(company=company).order_by("code")
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]


class AccountUpdateForm(forms.Form):
    name = forms.CharField(label=_("Nombre"), max_length=400)
    codigo_agrupador = forms.CharField(label=_("Código agrupador del SAT"), max_length=12)
    nature = forms.ChoiceField(label=_("Naturaleza"), choices=Nature.choices)
    is_active = forms.BooleanField(label=_("Activa"), required=False)


class RulesForm(forms.Form):
    """One account per posting rule, among the company's."""

    def __init__(self, *args: Any, company: Company, rules: PostingRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accounts = Account.objects.filter(company=company, is_active=True).order_by("code")
        for name in RULE_FIELDS:
            model_field = PostingRules._meta.get_field(name)
            self.fields[name] = _AccountChoice(
                label=str(model_field.verbose_name).capitalize(),  # type: ignore[union-attr]
                queryset=accounts,
                initial=getattr(rules, f"{name}_id"),
            )


class PolizaForm(forms.Form):
    tipo = forms.ChoiceField(label=_("Tipo"), choices=PolizaTipo.choices)
    fecha = forms.DateField(label=_("Fecha"), widget=forms.DateInput(attrs={"type": "date"}))
    concepto = forms.CharField(label=_("Concepto"), max_length=300)


class LineForm(forms.Form):
    account = _AccountChoice(label=_("Cuenta"), queryset=Account.objects.none(), required=False)
    concepto = forms.CharField(label=_("Concepto"), max_length=300, required=False)
    debe = forms.DecimalField(
        label=_("Debe"), max_digits=20, decimal_places=2, min_value=0, required=False
    )
    haber = forms.DecimalField(
        label=_("Haber"), max_digits=20, decimal_places=2, min_value=0, required=False
    )
    uuids = forms.CharField(
        label=_("UUID de CFDI (separados por comas)"), max_length=2000, required=False
    )

    def __init__(self, *args: Any, accounts: QuerySet[Account], company: Company, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["account"].queryset = accounts  # type: ignore[attr-defined]

    def clean_uuids(self) -> list[CfdiRef]:
        texts = [t.strip() for t in self.cleaned_data.get("uuids", "").split(",") if t.strip()]
        refs = []
        for text in texts:
            try:
                value = uuid_module.UUID(text)
            except ValueError:
                raise ValidationError(
                    _("UUID: «%(text)s» no es un UUID."), params={"text": text}, code="invalid"
                ) from None
            cfdi = Cfdi.objects.filter(company=self.company, uuid=value).first()
            if cfdi is None:
                raise ValidationError(
                    _("UUID: %(uuid)s no está entre los CFDI de la empresa."),
                    params={"uuid": str(value).upper()},
                    code="not_found",
                )
            refs.append(CfdiRef.of(cfdi))
        return refs

    def line(self) -> Line | None:
        data = self.cleaned_data
        if not data or data.get("account") is None:
            return None
        return Line(
            account=data["account"],
            debe=data.get("debe") or Decimal(0),
            haber=data.get("haber") or Decimal(0),
            concepto=data.get("concepto", ""),
            cfdis=tuple(data.get("uuids") or ()),
        )


LineFormSet = forms.formset_factory(LineForm, extra=0, max_num=200, absolute_max=200)


class PeriodForm(forms.Form):
    month = MonthField(label=_("Mes (AAAA-MM)"), widget=forms.TextInput(attrs={"maxlength": 7}))
    reason = forms.CharField(label=_("Motivo"), max_length=500, required=False)


class RangeForm(forms.Form):
    desde = forms.DateField(label=_("Desde"), widget=forms.DateInput(attrs={"type": "date"}))
    hasta = forms.DateField(label=_("Hasta"), widget=forms.DateInput(attrs={"type": "date"}))
    nivel = forms.IntegerField(label=_("Nivel"), min_value=1, max_value=20, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("desde") and data.get("hasta") and data["desde"] > data["hasta"]:
            raise ValidationError(
                _("Desde: debe ser anterior o igual a Hasta."), code="range_reversed"
            )
        return data

"""Forms of the products pages: thin, the services validate SAT's rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from despacho.products.models import (
    PRICE_DIGITS,
    PRICE_PLACES,
    RATE_DIGITS,
    RATE_PLACES,
    Factor,
    LineKind,
    Tax,
    TaxScheme,
)
from despacho.products.services import LineSpec, ProductData
from despacho.products.taxrules import OBJETO_IMP_NEEDS_SCHEME
from despacho.satcatalogs import Catalog, labelled


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Descripción o clave"), required=False, max_length=300)
    archived = forms.BooleanField(label=_("Archivados"), required=False)


def _search_attrs(url: Any, datalist: str, placeholder: Any) -> dict[str, Any]:
    """An input the browser completes from a <datalist> that htmx refills as one types."""
    return {
        "list": datalist,
        "autocomplete": "off",
        "placeholder": placeholder,
        "hx-get": url,
        "hx-trigger": "input changed delay:250ms",
        "hx-target": f"#{datalist}",
        "hx-swap": "innerHTML",
    }


class ProductForm(forms.Form):
    clave_prod_serv = forms.CharField(
        label=_("Clave de producto o servicio (SAT)"),
        max_length=8,
        help_text=_("Escribe la clave o palabras («café», «consultoría») y elige de la lista."),
        widget=forms.TextInput(
            attrs=_search_attrs(
                reverse_lazy("products:product_keys"),
                "product-key-options",
                _("Buscar en el catálogo del SAT"),
            )
        ),
    )
    clave_unidad = forms.CharField(
        label=_("Clave de unidad (SAT)"),
        max_length=3,
        help_text=_("Por ejemplo H87 (pieza), E48 (unidad de servicio), KGM (kilogramo)."),
        widget=forms.TextInput(
            attrs=_search_attrs(
                reverse_lazy("products:unit_keys"), "unit-key-options", _("Buscar unidad")
            )
        ),
    )
    description = forms.CharField(
        label=_("Descripción"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    unit = forms.CharField(label=_("Unidad"), required=False, max_length=20)
    unit_price = forms.DecimalField(
        label=_("Precio unitario"),
        max_digits=PRICE_DIGITS,
        decimal_places=PRICE_PLACES,
        min_value=0,
        help_text=_("Sin impuestos; hasta 6 decimales."),
    )
    objeto_imp = forms.ChoiceField(label=_("Objeto de impuesto"), choices=())
    tax_scheme = forms.ModelChoiceField(
        label=_("Esquema de impuestos"),
        queryset=TaxScheme.objects.none(),
        required=False,
        empty_label=_("— Sin impuestos —"),
        help_text=_("Obligatorio con objeto de impuesto 02; vacío con 01, 03 y 04."),
    )

    def __init__(self, *args: Any, company: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["objeto_imp"].choices = [  # type: ignore[attr-defined]
            (code, labelled(Catalog.OBJETO_IMP, code)) for code in OBJETO_IMP_NEEDS_SCHEME
        ]
        self.fields["tax_scheme"].queryset = TaxScheme.objects.filter(  # type: ignore[attr-defined]
            company=company
        ).order_by("name")

    def data_for_service(self) -> ProductData:
        data = self.cleaned_data
        return ProductData(
            clave_prod_serv=data["clave_prod_serv"],
            clave_unidad=data["clave_unidad"],
            description=data["description"],
            unit=data["unit"],
            unit_price=data["unit_price"],
            objeto_imp=data["objeto_imp"],
            tax_scheme=data["tax_scheme"],
        )


class TaxSchemeForm(forms.Form):
    name = forms.CharField(label=_("Nombre"), max_length=120)


class TaxLineForm(forms.Form):
    """One row of the scheme's taxes; a row without impuesto is left out."""

    kind = forms.ChoiceField(label=_("Tipo"), choices=LineKind.choices)
    impuesto = forms.ChoiceField(
        label=_("Impuesto"), choices=[("", _("—")), *Tax.choices], required=False
    )
    tipo_factor = forms.ChoiceField(label=_("Tipo factor"), choices=Factor.choices)
    rate = forms.DecimalField(
        label=_("Tasa o cuota"),
        max_digits=RATE_DIGITS,
        decimal_places=RATE_PLACES,
        required=False,
        help_text=_("Como fracción: 0.160000 es 16 %."),
    )


class BaseTaxLineFormSet(forms.BaseFormSet):
    """Six rows at most; its own refusals in the app's Spanish (Django's say "usted")."""

    default_error_messages = {
        "missing_management_form": _(
            "Impuestos: faltan datos del formulario; vuelve a abrir la página e inténtalo de nuevo."
        ),
        "too_many_forms": _("Impuestos: máximo %(num)d por esquema."),
        "too_few_forms": _("Impuestos: mínimo %(num)d por esquema."),
    }


TaxLineFormSet = forms.formset_factory(
    TaxLineForm, formset=BaseTaxLineFormSet, extra=0, max_num=6, absolute_max=6
)


def line_formset(data: Any = None, *, lines: list[LineSpec] | None = None) -> Any:
    """The scheme's rows, plus empty ones up to six (no script adds rows)."""
    initial = [
        {"kind": ln.kind, "impuesto": ln.impuesto, "tipo_factor": ln.tipo_factor, "rate": ln.rate}
        for ln in lines or []
    ]
    initial += [{"kind": LineKind.TRASLADO, "tipo_factor": Factor.TASA}] * (6 - len(initial))
    return TaxLineFormSet(data, initial=initial, prefix="lines")


def lines_from(formset: Any) -> list[LineSpec]:
    return [
        LineSpec(
            kind=form.cleaned_data["kind"],
            impuesto=form.cleaned_data["impuesto"],
            tipo_factor=form.cleaned_data["tipo_factor"],
            rate=form.cleaned_data.get("rate"),
        )
        for form in formset.forms
        if form.cleaned_data.get("impuesto")
    ]

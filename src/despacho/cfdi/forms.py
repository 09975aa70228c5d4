"""Forms of the CFDI pages: upload (many files or ZIPs) and the list filters."""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from despacho.cfdi.models import Category, Listed, Status, Tipo
from despacho.cfdi.selectors import DEFAULT_SORT, LISTED_RISKY, CfdiFilters
from despacho.datefields import FilterDateField


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".xml,.zip"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if not data and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    documents = MultipleFileField(
        label=_("Archivos XML o ZIP"),
        help_text=_("Puedes elegir varios archivos XML, o un ZIP con miles de ellos."),
        error_messages={"required": _("Archivos: elige al menos un archivo XML o ZIP.")},
    )
    accept_unverified = forms.BooleanField(
        label=_("Guardar también los CFDI cuyo sello no sea válido o falte (quedarán marcados)"),
        required=False,
    )


SORT_CHOICES = [
    ("-fecha", _("Más recientes primero")),
    ("fecha", _("Más antiguos primero")),
    ("-total", _("Mayor total primero")),
    ("total", _("Menor total primero")),
    ("folio", _("Serie y folio")),
]


LISTED_CHOICES = [
    ("", _("Todos")),
    (LISTED_RISKY, _("En riesgo: 69-B definitivo o presunto, o 69")),
    *Listed.choices,
]


class CfdiFilterForm(forms.Form):
    """The list's filters; «Emisor en listas» (SAT's 69-B/69) only on Egresos, the received
    CFDIs: the emisor of the others is the company itself."""

    since = FilterDateField(label=_("Desde"))
    until = FilterDateField(label=_("Hasta"))
    counterpart = forms.CharField(label=_("RFC o nombre"), required=False, max_length=300)
    serie = forms.CharField(label=_("Serie"), required=False, max_length=25)
    folio = forms.CharField(label=_("Folio"), required=False, max_length=40)
    uuid = forms.UUIDField(
        label=_("UUID"),
        required=False,
        error_messages={"invalid": _("UUID: escribe un UUID completo (36 caracteres).")},
    )
    tipo = forms.ChoiceField(
        label=_("Tipo"), required=False, choices=[("", _("Todos")), *Tipo.choices]
    )
    status = forms.ChoiceField(
        label=_("Estado"), required=False, choices=[("", _("Todos")), *Status.choices]
    )
    total_min = forms.DecimalField(label=_("Total desde"), required=False, min_value=0)
    total_max = forms.DecimalField(label=_("Total hasta"), required=False, min_value=0)
    listed = forms.ChoiceField(
        label=_("Emisor en listas"),
        required=False,
        choices=LISTED_CHOICES,
        error_messages={
            "invalid_choice": _("Emisor en listas: elige una de las opciones (69-B o 69).")
        },
    )
    sort = forms.ChoiceField(label=_("Orden"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, category: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category = category
        if category != Category.EGRESOS:
            del self.fields["listed"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("Hasta: debe ser igual o posterior a «Desde»."))
        low, high = data.get("total_min"), data.get("total_max")
        if low is not None and high is not None and low > high:
            self.add_error("total_max", _("Total hasta: es menor que «Total desde»."))
        return data

    def rendered_fields(self) -> SafeString:
        """The fields as the list's filter bar shows them (label, widget).

        They depend only on the language and the submitted values, and the list renders
        them on every request: a form without errors is rendered once per (language,
        values) and kept (``_rendered_filter_fields``); one with errors every time.
        """
        if self.is_bound and self.errors:
            return _render_filter_fields(self)
        values = tuple((name, self.data[name]) for name in self.fields if name in self.data)
        return _rendered_filter_fields(
            translation.get_language() or "", self.category, self.is_bound, values
        )

    def active_labels(self) -> list[str]:
        """The labels of the filters in effect (valid, not empty), in the bar's order.

        The order ("Orden") sorts, it does not filter, so it is never named.
        """
        if not self.is_bound:
            return []
        self.is_valid()
        return [
            str(self.fields[name].label)
            for name, value in self.cleaned_data.items()
            if name != "sort" and name not in self.errors and value not in (None, "")
        ]

    def filters(self) -> CfdiFilters:
        """The valid filters; an invalid field is left out (its error is shown)."""
        if not self.is_bound:
            return CfdiFilters()
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return CfdiFilters(
            since=data.get("since"),
            until=data.get("until"),
            counterpart=data.get("counterpart") or "",
            serie=data.get("serie") or "",
            folio=data.get("folio") or "",
            uuid=data.get("uuid"),
            tipo=data.get("tipo") or "",
            status=data.get("status") or "",
            total_min=data.get("total_min"),
            total_max=data.get("total_max"),
            listed=data.get("listed") or "",
            sort=data.get("sort") or DEFAULT_SORT,
        )


def _render_filter_fields(form: CfdiFilterForm) -> SafeString:
    return format_html_join(
        "", "<label>{} {}</label>", ((field.label, field.as_widget()) for field in form)
    )


@functools.lru_cache(maxsize=256)
def _rendered_filter_fields(
    language: str, category: str, bound: bool, values: tuple[tuple[str, str], ...]
) -> SafeString:
    with translation.override(language or None):
        return _render_filter_fields(
            CfdiFilterForm(dict(values) if bound else None, category=category)
        )


class ReportYearForm(forms.Form):
    year = forms.IntegerField(
        label=_("Año"),
        min_value=2000,
        max_value=2100,
        error_messages={
            "invalid": _("Año: escribe un año de cuatro cifras."),
            "min_value": _("Año: debe ser 2000 o posterior."),
            "max_value": _("Año: debe ser 2100 o anterior."),
        },
    )

    def year_or(self, default: int) -> int:
        """The year asked for if valid; the default otherwise (the error is shown)."""
        if self.is_bound and self.is_valid():
            return int(self.cleaned_data["year"])
        return default

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from despacho.audit.actions import Action
from despacho.audit.selectors import AuditFilters
from despacho.datefields import FilterDateField


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Quién"), required=False, max_length=254)
    action = forms.ChoiceField(
        label=_("Acción"), required=False, choices=[("", _("Todas")), *Action.choices]
    )
    since = FilterDateField(label=_("Desde"))
    until = FilterDateField(label=_("Hasta"))

    def clean(self) -> dict:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("Hasta: debe ser igual o posterior a «Desde»."))
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return AuditFilters(
            actor=data.get("actor", ""),
            action=data.get("action", ""),
            since=data.get("since"),
            until=data.get("until"),
        )

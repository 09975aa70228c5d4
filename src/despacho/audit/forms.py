from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from despacho.audit.actions import Action
from despacho.audit.selectors import AuditFilters


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Quién"), required=False, max_length=254)
    action = forms.ChoiceField(
        label=_("Acción"), required=False, choices=[("", _("Todas")), *Action.choices]
    )
    since = forms.DateField(
        label=_("Desde"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Hasta"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

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

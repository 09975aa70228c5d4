"""Forms of the Empresas workspace: filters and the link invitation."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from despacho.firms.selectors import OWN, WORKSPACE_SORTS, WorkspaceFilters
from despacho.tenancy.models import LinkStatus


class WorkspaceFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Buscar"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Nombre o RFC"), "autocomplete": "off"}
        ),
    )
    status = forms.ChoiceField(
        label=_("Estado"),
        required=False,
        # Linked companies show once accepted; invitations have their own list.
        choices=[
            ("", _("Todos")),
            (OWN, _("Propias")),
            (LinkStatus.ACCEPTED.value, LinkStatus.ACCEPTED.label),
            (LinkStatus.REVOKED.value, LinkStatus.REVOKED.label),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Ordenar por"),
        required=False,
        choices=[
            ("razon_social", _("Nombre (A-Z)")),
            ("-razon_social", _("Nombre (Z-A)")),
            ("rfc", _("RFC")),
            ("estado", _("Estado")),
            ("alta", _("Más recientes")),
        ],
    )

    def filters(self) -> WorkspaceFilters:
        if not self.is_valid():
            return WorkspaceFilters()
        sort = self.cleaned_data.get("sort") or "razon_social"
        return WorkspaceFilters(
            q=self.cleaned_data.get("q") or "",
            status=self.cleaned_data.get("status") or "",
            sort=sort if sort in WORKSPACE_SORTS else "razon_social",
        )


class LinkInviteForm(forms.Form):
    rfc = forms.CharField(label=_("RFC de la empresa"), required=False, max_length=20)
    email = forms.CharField(
        label=_("o correo de su propietario"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if not (data.get("rfc") or "").strip() and not (data.get("email") or "").strip():
            raise forms.ValidationError(
                _("Escribe el RFC de la empresa o el correo de su propietario."), code="required"
            )
        return data

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from despacho.cancellations.models import MotivoChoice


class CancelForm(forms.Form):
    """The motive (SAT's c_MotivoCancelacion) and, for 01, the substituting CFDI's UUID."""

    motivo = forms.ChoiceField(label=_("Motivo de cancelación"), choices=MotivoChoice.choices)
    folio_sustitucion = forms.CharField(
        label=_("Folio fiscal (UUID) del CFDI que lo sustituye"),
        required=False,
        max_length=36,
        help_text=_(
            "Solo para el motivo 01: el CFDI nuevo, ya timbrado, que relaciona a este con "
            "TipoRelacion 04."
        ),
    )

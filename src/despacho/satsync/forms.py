from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ScheduleForm(forms.Form):
    daily = forms.BooleanField(label=_("Descargar cada día"), required=False)
    days = forms.IntegerField(
        label=_("Días hacia atrás"),
        required=False,
        min_value=1,
        max_value=90,
        help_text=_("Vacío: el valor del servidor."),
    )

"""The form of the "Claves de API" page: it parses input; the rules are api_key_create's."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.access.catalog import Perm
from despacho.people.models import User
from despacho.tenancy.models import Account, Membership, MembershipStatus
from despacho.tenancy.selectors import account_companies


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Nombre"),
        max_length=100,
        help_text=_("Para reconocerla: el sistema o la integración que la usará."),
    )
    membership = forms.TypedChoiceField(
        label=_("Actúa como"),
        coerce=int,
        help_text=_(
            "La clave puede hacer lo que esta persona pueda hacer en cada momento, nunca más; "
            "si se desactiva, la clave deja de funcionar."
        ),
    )
    companies = forms.TypedMultipleChoiceField(
        label=_("Solo estas empresas"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Ninguna marcada: todas las que la persona alcance en la cuenta."),
    )
    permissions = forms.MultipleChoiceField(
        label=_("Solo estos permisos"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(perm.value, perm.label) for perm in Perm],
        help_text=_(
            "Ninguno marcado: todos los de la persona. Una clave limitada no administra la "
            "cuenta (usuarios, perfiles, licencias, bitácora)."
        ),
    )
    expires_on = forms.DateField(
        label=_("Vence el"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Opcional. Deja de funcionar al terminar ese día."),
    )

    def __init__(self, *args: Any, account: Account, creator: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {
            m.pk: m
            for m in Membership.objects.filter(account=account, status=MembershipStatus.ACTIVE)
            .select_related("user")
            .order_by("user__full_name")
        }
        self.fields["membership"].choices = [  # type: ignore[attr-defined]
            (pk, f"{m.user.full_name} <{m.user.email}> · {m.get_role_display()}")
            for pk, m in self.members.items()
        ]
        # The person creating the key is the usual answer; anyone else is a deliberate choice.
        self.fields["membership"].initial = next(
            (pk for pk, m in self.members.items() if m.user_id == creator.pk), None
        )
        self.company_objects = {c.pk: c for c in account_companies(account=account)}
        self.fields["companies"].choices = [  # type: ignore[attr-defined]
            (pk, f"{c.razon_social} ({c.rfc})") for pk, c in self.company_objects.items()
        ]

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))

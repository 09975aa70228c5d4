"""Forms of the Users pages: they parse input; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from despacho.access.models import Profile
from despacho.access.selectors import profiles_for
from despacho.members.selectors import MemberFilters
from despacho.members.services.members import ASSIGNABLE_ROLES, GrantSpec
from despacho.members.services.seats import MAX_SEATS_PER_PURCHASE
from despacho.tenancy.models import Account, Company, MembershipStatus, Role
from despacho.tenancy.selectors import account_companies

# The profile a company chosen in advance starts with: the narrowest that sees everything.
PRESELECTED_PROFILE = "consulta"

_ROLE_CHOICES = [(role.value, role.label) for role in ASSIGNABLE_ROLES]


def _profile_choices(profiles: list[Profile]) -> list[Any]:
    system = [(str(p.pk), p.name) for p in profiles if p.is_system]
    own = [(str(p.pk), p.name) for p in profiles if not p.is_system]
    choices: list[Any] = [("", _("Sin acceso"))]
    choices.append((_("Perfiles del sistema"), system))
    if own:
        choices.append((_("Perfiles de la cuenta"), own))
    return choices


class MemberFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Estado"),
        required=False,
        choices=[("", _("Todos")), *MembershipStatus.choices],
    )
    company = forms.TypedChoiceField(label=_("Empresa"), required=False, coerce=int)
    profile = forms.TypedChoiceField(label=_("Perfil"), required=False, coerce=int)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = [  # type: ignore[attr-defined]
            ("", _("Todas")),
            *((c.pk, c.razon_social) for c in account_companies(account=account)),
        ]
        self.fields["profile"].choices = [  # type: ignore[attr-defined]
            ("", _("Todos")),
            *((p.pk, p.name) for p in profiles_for(account=account)),
        ]

    def filters(self) -> MemberFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return MemberFilters(
            status=data.get("status") or "",
            company_id=data.get("company") or None,
            profile_id=data.get("profile") or None,
        )


class MemberAddForm(forms.Form):
    """Name, email, role, and a profile for each company the person should reach."""

    full_name = forms.CharField(label=_("Nombre completo"), max_length=150)
    email = forms.EmailField(
        label=_("Correo electrónico"),
        error_messages={"invalid": _("Correo electrónico: escribe un correo válido.")},
    )
    role = forms.ChoiceField(
        label=_("Rol"),
        choices=_ROLE_CHOICES,
        initial=Role.MEMBER,
        help_text=_(
            "Administrador: administra usuarios, perfiles y empresas y ve todas las empresas. "
            "Usuario: solo las empresas y permisos que elijas abajo."
        ),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.companies: list[Company] = list(account_companies(account=account))
        self.profiles = {p.pk: p for p in profiles_for(account=account)}
        choices = _profile_choices(list(self.profiles.values()))
        for company in self.companies:
            self.fields[self.company_field(company)] = forms.ChoiceField(
                label=f"{company.razon_social} ({company.rfc})", choices=choices, required=False
            )

    def preselect(self, company_id: object) -> None:
        """Start with that company chosen (with the Consulta profile), when coming from it.

        An id that is not one of the account's companies is ignored, like a missing one.
        """
        company = next((c for c in self.companies if str(c.pk) == str(company_id)), None)
        default = next(
            (p for p in self.profiles.values() if p.is_system and p.code == PRESELECTED_PROFILE),
            None,
        )
        if company is not None and default is not None:
            self.fields[self.company_field(company)].initial = str(default.pk)

    @staticmethod
    def company_field(company: Company) -> str:
        return f"company_{company.pk}"

    def company_fields(self) -> list[forms.BoundField]:
        return [self[self.company_field(c)] for c in self.companies]

    def identity_fields(self) -> list[forms.BoundField]:
        return [self["full_name"], self["email"], self["role"]]

    def grant_specs(self) -> list[GrantSpec]:
        specs = []
        for company in self.companies:
            chosen = self.cleaned_data.get(self.company_field(company))
            if chosen:
                specs.append(GrantSpec(company=company, profile=self.profiles[int(chosen)]))
        return specs


class MemberEditForm(forms.Form):
    full_name = forms.CharField(
        label=_("Nombre completo"),
        max_length=150,
        help_text=_("Solo se puede cambiar mientras la persona no haya entrado a Despacho."),
    )
    role = forms.ChoiceField(label=_("Rol"), choices=_ROLE_CHOICES)

    def __init__(self, *args: Any, is_owner: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_owner:
            del self.fields["role"]


class SeatPurchaseForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Licencias a comprar"),
        min_value=1,
        max_value=MAX_SEATS_PER_PURCHASE,
        initial=1,
        error_messages={
            "required": _("Licencias a comprar: escribe cuántas."),
            "invalid": _("Licencias a comprar: escribe un número entero."),
            "min_value": _("Licencias a comprar: al menos 1."),
            "max_value": _("Licencias a comprar: como máximo %(limit_value)s por compra."),
        },
    )


class InvitationAcceptForm(forms.Form):
    """First visit of an invited person: confirm the name and choose a password.

    The rules (full name with a surname, Django's password validators) are the
    service's; this form only checks that both passwords match.
    """

    full_name = forms.CharField(
        label=_("Nombre completo"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text=_(
            "Al menos 10 caracteres; que no sea común, solo números ni parecida a tu correo."
        ),
    )
    password2 = forms.CharField(
        label=_("Repite la contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", _("Repite la contraseña: no coincide con la primera."))
        return data

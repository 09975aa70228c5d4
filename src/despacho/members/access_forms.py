"""Forms of the access pages: they parse input; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from despacho.access.catalog import Perm, PermSet, from_codes
from despacho.access.models import Profile
from despacho.tenancy.models import Company, Membership


def perm_choices() -> list[tuple[str, Any]]:
    return [(perm.value, perm.label) for perm in Perm]


class PermissionSetField(forms.MultipleChoiceField):
    """Checked permissions as a set of ``Perm`` (validity is the service's business)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", perm_choices)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Permisos"))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> PermSet:
        return from_codes(super().clean(value))


class GrantForm(forms.Form):
    profile = forms.ModelChoiceField(
        queryset=Profile.objects.none(), label=_("Perfil"), empty_label=None
    )
    perms = PermissionSetField()

    def __init__(self, *args: Any, profiles: QuerySet[Profile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = profiles  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Nombre"), max_length=80)
    perms = PermissionSetField()


class ProfileDeleteForm(forms.Form):
    replacement = forms.ModelChoiceField(
        queryset=Profile.objects.none(),
        label=_("Perfil que tomarán sus accesos"),
        required=False,
    )

    def __init__(self, *args: Any, profiles: QuerySet[Profile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replacement"].queryset = profiles  # type: ignore[attr-defined]


class WhyForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Membership.objects.none(), label=_("Usuario"))
    company = forms.ModelChoiceField(queryset=Company.objects.none(), label=_("Empresa"))
    perm = forms.ChoiceField(choices=perm_choices, label=_("Permiso"))

    def __init__(
        self,
        *args: Any,
        members: QuerySet[Membership],
        companies: QuerySet[Company],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        member_field = self.fields["member"]
        member_field.queryset = members  # type: ignore[attr-defined]
        member_field.label_from_instance = lambda m: f"{m.user.full_name} <{m.user.email}>"  # type: ignore[attr-defined]
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]

"""The Carta Porte forms: catalog codes as selects; the municipio, localidad and colonia
selects depend on the estado and the código postal (re-drawn by htmx, see views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from despacho.cartaporte.models import FigureType, LocationRole
from despacho.cartaporte.selectors import neighborhoods_of
from despacho.satcatalogs import Catalog, children, descriptions, mexican_states

EMPTY = ("", "—")
DEPENDENT_FIELDS = ("municipality", "locality", "neighborhood")


def _choices(codes: dict[str, str]) -> list[tuple[str, str]]:
    return [EMPTY, *((code, f"{code} · {name}") for code, name in codes.items())]


def _text(label: Any, max_length: int, **attrs: Any) -> forms.CharField:
    """Text the service checks (and refuses naming the field and the rule)."""
    return forms.CharField(
        label=label, max_length=max_length, required=False, widget=forms.TextInput(attrs=attrs)
    )


def _select(label: Any, choices: list[tuple[str, Any]] | None = None) -> forms.CharField:
    """A catalog code picked from a list; the service checks it against the catalog."""
    return forms.CharField(
        label=label, max_length=12, required=False, widget=forms.Select(choices=choices or [])
    )


class CartaPorteForm(forms.Form):
    """A Carta Porte form: the template draws ``dependent_fields`` in the htmx block."""

    dependent_fields: tuple[str, ...] = ()


class AddressForm(CartaPorteForm):
    """The address fields; ``codes_url`` is the view that re-draws the dependent ones."""

    dependent_fields = DEPENDENT_FIELDS

    state = _select(_("Estado"))
    postal_code = _text(_("Código postal"), 5, inputmode="numeric", autocomplete="postal-code")
    municipality = _select(_("Municipio"))
    locality = _select(_("Localidad"))
    neighborhood = _select(_("Colonia"))
    street = _text(_("Calle"), 100)
    exterior_number = _text(_("Número exterior"), 55)
    interior_number = _text(_("Número interior"), 55)
    reference = _text(_("Referencia"), 250)

    def __init__(self, *args: Any, codes_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        state = self._current("state").upper()
        postal_code = self._current("postal_code")
        self.fields["state"].widget.choices = _choices(mexican_states())
        self.fields["municipality"].widget.choices = _choices(children(Catalog.MUNICIPIO, state))
        self.fields["locality"].widget.choices = _choices(children(Catalog.LOCALIDAD, state))
        self.fields["neighborhood"].widget.choices = _choices(neighborhoods_of(postal_code))
        if codes_url:
            # Changing the estado or the CP re-draws the selects that depend on them.
            redraw = {
                "hx-get": codes_url,
                "hx-target": "#address-codes",
                "hx-swap": "outerHTML",
                "hx-include": "closest form",
            }
            self.fields["state"].widget.attrs.update(redraw, **{"hx-trigger": "change"})
            self.fields["postal_code"].widget.attrs.update(
                redraw, **{"hx-trigger": "input changed delay:400ms"}
            )

    def _current(self, name: str) -> str:
        if self.is_bound:
            value = self.data.get(self.add_prefix(name), "")
        else:
            value = self.initial.get(name, "")
        return str(value or "").strip()


class LocationForm(AddressForm):
    field_order = ["name", "location_type", "rfc", "state", "postal_code", *DEPENDENT_FIELDS]

    name = _text(_("Nombre"), 120)
    location_type = _select(_("Tipo"), [EMPTY, *LocationRole.choices])
    rfc = _text(_("RFC del remitente o destinatario"), 13, autocomplete="off")


class VehicleForm(CartaPorteForm):
    name = _text(_("Nombre (opcional)"), 120)
    configuration = _select(_("Configuración vehicular"))
    plate = _text(_("Placa"), 7, autocomplete="off")
    model_year = forms.IntegerField(
        label=_("Año modelo"), required=False, min_value=0, max_value=9999
    )
    permit_type = _select(_("Permiso SCT"))
    permit_number = _text(_("Número de permiso SCT"), 50)
    insurer = _text(_("Aseguradora de responsabilidad civil"), 50)
    policy = _text(_("Póliza de responsabilidad civil"), 30)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("codes_url", None)
        super().__init__(*args, **kwargs)
        self.fields["configuration"].widget.choices = _choices(
            descriptions(Catalog.CONFIG_AUTOTRANSPORTE)
        )
        self.fields["permit_type"].widget.choices = _choices(descriptions(Catalog.TIPO_PERMISO))


class TrailerForm(CartaPorteForm):
    name = _text(_("Nombre (opcional)"), 120)
    subtype = _select(_("Subtipo de remolque"))
    plate = _text(_("Placa"), 7, autocomplete="off")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("codes_url", None)
        super().__init__(*args, **kwargs)
        self.fields["subtype"].widget.choices = _choices(descriptions(Catalog.SUB_TIPO_REM))


class FigureForm(AddressForm):
    field_order = ["figure_type", "rfc", "name", "license", "state", "postal_code"]

    figure_type = _select(_("Tipo de figura"), [EMPTY, *FigureType.choices])
    rfc = _text(_("RFC"), 13, autocomplete="off")
    name = _text(_("Nombre"), 254)
    license = _text(_("Licencia federal (obligatoria para un operador)"), 16, autocomplete="off")

"""Carta Porte's rules on each field, checked against the SAT's catalogs.

Every function takes the submitted values (already stripped and upper-cased where codes
are) and returns the refusals as ``{field: [message, …]}``; each message names the field
and the rule in Spanish. The services turn them into one ``ValidationError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.cartaporte.models import (
    EARLIEST_MODEL_YEAR,
    LICENSE_SHAPE,
    PLATE_SHAPE,
    FigureType,
    LocationRole,
)
from despacho.satcatalogs import Catalog, description, entry, mexican_states
from despacho.tenancy.rfc import GENERIC_RFCS, validate_company_rfc

Errors = dict[str, list[ValidationError]]
ADDRESS_FIELDS = (
    "state",
    "municipality",
    "locality",
    "neighborhood",
    "postal_code",
    "street",
    "exterior_number",
    "interior_number",
    "reference",
    "country",
)
CODE_FIELDS = frozenset(
    {
        "state",
        "municipality",
        "locality",
        "neighborhood",
        "postal_code",
        "country",
        "rfc",
        "plate",
        "configuration",
        "permit_type",
        "subtype",
        "license",
    }
)


def _add(errors: Errors, field: str, message: str, code: str) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def _required(errors: Errors, values: Mapping[str, Any], field: str, label: str) -> bool:
    if values.get(field) in ("", None):
        _add(errors, field, _("%(field)s: es obligatorio.") % {"field": label}, "required")
        return False
    return True


def _in_catalog(
    errors: Errors, values: Mapping[str, Any], field: str, label: str, catalog: Catalog
) -> None:
    code = values.get(field) or ""
    if code and not description(catalog, code):
        _add(
            errors,
            field,
            _("%(field)s: %(code)s no está en el catálogo %(catalog)s del SAT.")
            % {"field": label, "code": code, "catalog": catalog.value.split("_", 1)[1]},
            "not_in_catalog",
        )


def _rfc(
    errors: Errors, values: Mapping[str, Any], field: str, label: str, *, generic: bool
) -> None:
    """An RFC with its check digit; with ``generic``, also público en general and
    extranjero (the SAT allows them for a remitente or destinatario)."""
    rfc = values.get(field) or ""
    if not _required(errors, values, field, label) or (generic and rfc in GENERIC_RFCS):
        return
    if rfc in GENERIC_RFCS:
        _add(
            errors,
            field,
            _("%(field)s: %(rfc)s es un RFC genérico; escribe el RFC de la persona.")
            % {"field": label, "rfc": rfc},
            "generic_rfc",
        )
        return
    try:
        validate_company_rfc(rfc, field=label)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.error_list)


def _plate(errors: Errors, values: Mapping[str, Any], label: str) -> None:
    plate = values.get("plate") or ""
    if _required(errors, values, "plate", label) and not re.match(PLATE_SHAPE, plate):
        _add(
            errors,
            "plate",
            _("%(field)s: de 5 a 7 letras o dígitos, sin espacios ni guiones.") % {"field": label},
            "plate_format",
        )


def address_errors(values: Mapping[str, Any], *, required: bool) -> Errors:
    """A Mexican address with SAT codes: the estado (c_Estado), its municipio
    (c_Municipio) and localidad (c_Localidad), a CP in c_CodigoPostal that matches them
    where the catalog names them, and a colonia of that CP (c_Colonia)."""
    errors: Errors = {}
    if not required and not any(values.get(f) for f in ADDRESS_FIELDS if f != "country"):
        return errors
    state = values.get("state") or ""
    cp = values.get("postal_code") or ""
    if values.get("country") not in ("", "MEX"):
        _add(errors, "country", _("País: solo domicilios en México (MEX)."), "country")
    if _required(errors, values, "state", _("Estado")) and state not in mexican_states():
        _add(
            errors,
            "state",
            _("Estado: %(code)s no es un estado de México en el catálogo c_Estado del SAT.")
            % {"code": state},
            "not_in_catalog",
        )
        state = ""
    municipality = values.get("municipality") or ""
    if municipality and state and entry(Catalog.MUNICIPIO, (municipality, state)) is None:
        _add(
            errors,
            "municipality",
            _("Municipio: %(code)s no es un municipio de %(state)s en el catálogo c_Municipio.")
            % {"code": municipality, "state": state},
            "not_in_catalog",
        )
    locality = values.get("locality") or ""
    if locality and state and entry(Catalog.LOCALIDAD, (locality, state)) is None:
        _add(
            errors,
            "locality",
            _("Localidad: %(code)s no es una localidad de %(state)s en el catálogo c_Localidad.")
            % {"code": locality, "state": state},
            "not_in_catalog",
        )
    if not _required(errors, values, "postal_code", _("Código postal")):
        return errors
    row = entry(Catalog.CODIGO_POSTAL, cp)
    if not isinstance(row, list | tuple) or len(row) < 3:
        _add(
            errors,
            "postal_code",
            _("Código postal: %(code)s no está en el catálogo c_CodigoPostal del SAT.")
            % {"code": cp},
            "not_in_catalog",
        )
        return errors
    cp_state, cp_municipality, cp_locality = (str(v or "") for v in row[:3])
    names = {"code": cp}
    if state and cp_state != state:
        _add(
            errors,
            "postal_code",
            _("Código postal: %(code)s pertenece al estado %(other)s, no a %(state)s.")
            % {**names, "other": cp_state, "state": state},
            "postal_code_state",
        )
    elif municipality and cp_municipality and cp_municipality != municipality:
        _add(
            errors,
            "postal_code",
            _("Código postal: %(code)s pertenece al municipio %(other)s, no a %(municipality)s.")
            % {**names, "other": cp_municipality, "municipality": municipality},
            "postal_code_municipality",
        )
    elif locality and cp_locality and cp_locality != locality:
        _add(
            errors,
            "postal_code",
            _("Código postal: %(code)s pertenece a la localidad %(other)s, no a %(locality)s.")
            % {**names, "other": cp_locality, "locality": locality},
            "postal_code_locality",
        )
    neighborhood = values.get("neighborhood") or ""
    if neighborhood and entry(Catalog.COLONIA, (neighborhood, cp)) is None:
        _add(
            errors,
            "neighborhood",
            _("Colonia: %(code)s no es una colonia del código postal %(cp)s (c_Colonia).")
            % {"code": neighborhood, "cp": cp},
            "not_in_catalog",
        )
    return errors


def location_errors(values: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    _required(errors, values, "name", _("Nombre"))
    location_type = values.get("location_type") or ""
    if (
        _required(errors, values, "location_type", _("Tipo"))
        and location_type not in LocationRole.values
    ):
        _add(
            errors, "location_type", _("Tipo: debe ser origen, destino o ambos."), "invalid_choice"
        )
    _rfc(errors, values, "rfc", _("RFC del remitente o destinatario"), generic=True)
    for field, messages in address_errors(values, required=True).items():
        errors.setdefault(field, []).extend(messages)
    return errors


def vehicle_errors(values: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    if _required(errors, values, "configuration", _("Configuración vehicular")):
        _in_catalog(
            errors,
            values,
            "configuration",
            _("Configuración vehicular"),
            Catalog.CONFIG_AUTOTRANSPORTE,
        )
    _plate(errors, values, _("Placa"))
    year = values.get("model_year")
    latest = timezone.localdate().year + 1
    if year in ("", None):
        _required(errors, values, "model_year", _("Año modelo"))
    elif not isinstance(year, int) or not EARLIEST_MODEL_YEAR <= year <= latest:
        _add(
            errors,
            "model_year",
            _("Año modelo: 4 dígitos, de %(earliest)d a %(latest)d.")
            % {"earliest": EARLIEST_MODEL_YEAR, "latest": latest},
            "model_year",
        )
    if _required(errors, values, "permit_type", _("Permiso SCT")):
        _in_catalog(errors, values, "permit_type", _("Permiso SCT"), Catalog.TIPO_PERMISO)
    _required(errors, values, "permit_number", _("Número de permiso SCT"))
    _required(errors, values, "insurer", _("Aseguradora de responsabilidad civil"))
    _required(errors, values, "policy", _("Póliza de responsabilidad civil"))
    return errors


def trailer_errors(values: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    if _required(errors, values, "subtype", _("Subtipo de remolque")):
        _in_catalog(errors, values, "subtype", _("Subtipo de remolque"), Catalog.SUB_TIPO_REM)
    _plate(errors, values, _("Placa"))
    return errors


def figure_errors(values: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    figure_type = values.get("figure_type") or ""
    if _required(errors, values, "figure_type", _("Tipo de figura")):
        _in_catalog(errors, values, "figure_type", _("Tipo de figura"), Catalog.FIGURA_TRANSPORTE)
    _rfc(errors, values, "rfc", _("RFC"), generic=False)
    _required(errors, values, "name", _("Nombre"))
    license_ = values.get("license") or ""
    if figure_type == FigureType.OPERATOR and not license_:
        _add(
            errors,
            "license",
            _("Licencia federal: es obligatoria para un operador."),
            "required",
        )
    elif license_ and not re.match(LICENSE_SHAPE, license_):
        _add(
            errors,
            "license",
            _("Licencia federal: de 6 a 16 letras o dígitos, sin espacios."),
            "license_format",
        )
    for field, messages in address_errors(values, required=False).items():
        errors.setdefault(field, []).extend(messages)
    return errors

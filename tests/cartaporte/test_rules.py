"""Carta Porte's data is checked against the SAT's Carta Porte 3.1 catalogs: each refusal
names the field and the rule in Spanish, and the database refuses what must never be
stored even when a write skips the services."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from despacho.audit.models import AuditEvent
from despacho.cartaporte.models import Figure, Location, Trailer, Vehicle
from despacho.cartaporte.services import item_archive, item_update
from despacho.satcatalogs import Catalog, children, description, mexican_states
from tests.cartaporte.samples import FIGURE, LOCATION, TRAILER, VEHICLE, make_item
from tests.factories import make_account, make_company, owner_of, valid_rfc

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return make_company(make_account())


def refusal(model, company, **changes) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        make_item(model, company, **changes)
    return caught.value.message_dict


def codes(model, company, **changes) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        make_item(model, company, **changes)
    return {f: [e.code for e in errors] for f, errors in caught.value.error_dict.items()}


# --- the catalogs behind the checks ---------------------------------------------------------


def test_the_catalogs_are_satcfdis_carta_porte_ones():
    assert description(Catalog.CONFIG_AUTOTRANSPORTE, "T3S2").startswith("Tractocamión")
    assert description(Catalog.TIPO_PERMISO, "TPAF01")
    assert description(Catalog.SUB_TIPO_REM, "CTR002") == "Caja"
    assert description(Catalog.FIGURA_TRANSPORTE, "01") == "Operador"
    states = mexican_states()
    assert {"JAL", "CMX", "NLE"} <= set(states) and "AK" not in states  # not Alaska
    assert children(Catalog.MUNICIPIO, "JAL")["039"] == "Guadalajara"
    assert "0003" in children(Catalog.COLONIA, "44100")


# --- locations ------------------------------------------------------------------------------


def test_a_valid_location_is_stored_with_pais_mex_and_audited(company):
    location = make_item(Location, company, owner_of(company.account))
    assert (location.country, location.state, location.postal_code) == ("MEX", "JAL", "44100")
    event = AuditEvent.objects.get(action="cartaporte.created")
    assert event.company == company and event.after["postal_code"] == "44100"


def test_codes_are_normalised_before_the_checks(company):
    location = make_item(Location, company, state=" jal ", rfc="eku9003173c9")
    assert (location.state, location.rfc) == ("JAL", "EKU9003173C9")


@pytest.mark.parametrize(
    ("changes", "field", "code", "words"),
    [
        ({"state": "XXX"}, "state", "not_in_catalog", "Estado: XXX no es un estado de México"),
        ({"state": "AK"}, "state", "not_in_catalog", "Estado: AK"),  # Alaska is in c_Estado
        ({"state": ""}, "state", "required", "Estado: es obligatorio"),
        ({"municipality": "999"}, "municipality", "not_in_catalog", "Municipio: 999"),
        ({"locality": "99"}, "locality", "not_in_catalog", "Localidad: 99"),
        ({"postal_code": "00001"}, "postal_code", "not_in_catalog", "c_CodigoPostal"),
        ({"postal_code": ""}, "postal_code", "required", "Código postal: es obligatorio"),
        ({"neighborhood": "0930"}, "neighborhood", "not_in_catalog", "Colonia: 0930"),
        ({"name": ""}, "name", "required", "Nombre: es obligatorio"),
        ({"location_type": "pickup"}, "location_type", "invalid_choice", "Tipo:"),
        ({"rfc": ""}, "rfc", "required", "RFC del remitente o destinatario: es obligatorio"),
        ({"rfc": "EKU9003173C8"}, "rfc", "rfc_check_digit", "dígito verificador"),
    ],
)
def test_a_location_is_refused_naming_the_field_and_the_rule(company, changes, field, code, words):
    with pytest.raises(ValidationError) as caught:
        make_item(Location, company, **changes)
    errors = caught.value.error_dict
    assert code in [e.code for e in errors[field]]
    assert any(words in message for message in caught.value.message_dict[field])


def test_the_postal_code_must_belong_to_the_estado_and_municipio(company):
    # 06600 is Ciudad de México's (CMX, 015): not Jalisco's.
    assert codes(Location, company, postal_code="06600", neighborhood="")["postal_code"] == [
        "postal_code_state"
    ]
    message = refusal(Location, company, postal_code="06600", neighborhood="")["postal_code"][0]
    assert message == "Código postal: 06600 pertenece al estado CMX, no a JAL."
    # 45010 is Jalisco's but Zapopan's (120), not Guadalajara's (039).
    assert codes(Location, company, postal_code="45010", neighborhood="", locality="")[
        "postal_code"
    ] == ["postal_code_municipality"]


def test_the_colonia_must_be_one_of_the_postal_codes(company):
    location = make_item(Location, company, neighborhood="")
    assert location.neighborhood == ""  # optional
    with pytest.raises(ValidationError) as caught:
        make_item(Location, company, name="Otra", neighborhood="0001")
    assert "del código postal 44100" in caught.value.message_dict["neighborhood"][0]


def test_generic_rfcs_may_be_a_remitente_or_destinatario(company):
    assert make_item(Location, company, rfc="XEXX010101000").rfc == "XEXX010101000"


def test_two_active_locations_may_not_share_a_name_until_one_is_archived(company):
    first = make_item(Location, company)
    assert codes(Location, company)["name"] == ["duplicate"]
    with transaction.atomic():
        item_archive(item=first, actor=owner_of(company.account))
    assert make_item(Location, company).pk != first.pk


# --- vehicles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"configuration": "T9S9"}, "configuration", "not_in_catalog"),
        ({"configuration": ""}, "configuration", "required"),
        ({"plate": "AB-123"}, "plate", "plate_format"),
        ({"plate": "AB 12"}, "plate", "plate_format"),  # spaces are squeezed out: 4 chars
        ({"plate": "ABCD12345"}, "plate", "plate_format"),
        ({"plate": ""}, "plate", "required"),
        ({"model_year": 1899}, "model_year", "model_year"),
        ({"model_year": None}, "model_year", "required"),
        ({"permit_type": "TPXX99"}, "permit_type", "not_in_catalog"),
        ({"permit_number": ""}, "permit_number", "required"),
        ({"insurer": ""}, "insurer", "required"),
        ({"policy": " "}, "policy", "required"),
    ],
)
def test_a_vehicle_is_refused_naming_the_field_and_the_rule(company, changes, field, code):
    assert code in codes(Vehicle, company, **changes)[field]


def test_the_model_year_may_be_next_years_but_not_later(company):
    next_year = date.today().year + 1
    assert make_item(Vehicle, company, model_year=next_year).model_year == next_year
    message = refusal(Vehicle, company, plate="OTR001", model_year=next_year + 1)["model_year"]
    assert message == [f"Año modelo: 4 dígitos, de 1900 a {next_year}."]


def test_every_vehicle_refusal_is_reported_at_once(company):
    errors = codes(Vehicle, company, configuration="X", plate="-", permit_type="Y")
    assert set(errors) == {"configuration", "plate", "permit_type"}


def test_two_active_vehicles_may_not_share_a_plate(company):
    make_item(Vehicle, company)
    assert refusal(Vehicle, company, plate="abc1234")["plate"] == [
        "Placa: ya hay un vehículo activo con esa placa."
    ]
    # Another company may have the same plate.
    assert make_item(Vehicle, make_company(make_account())).plate == "ABC1234"


# --- trailers -------------------------------------------------------------------------------


def test_a_trailer_needs_a_subtype_of_c_subtiporem_and_a_plate(company):
    assert make_item(Trailer, company).subtype == "CTR002"
    assert codes(Trailer, company, subtype="CTR999", plate="A1") == {
        "subtype": ["not_in_catalog"],
        "plate": ["plate_format"],
    }
    message = refusal(Trailer, company, subtype="CTR999")["subtype"][0]
    assert message == "Subtipo de remolque: CTR999 no está en el catálogo c_SubTipoRem del SAT."


# --- figures --------------------------------------------------------------------------------


def test_an_operator_needs_a_federal_licence(company):
    assert refusal(Figure, company, license="")["license"] == [
        "Licencia federal: es obligatoria para un operador."
    ]
    owner = make_item(Figure, company, figure_type="02", license="")
    assert owner.license == ""


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"figure_type": "09"}, "figure_type", "not_in_catalog"),
        ({"rfc": "EKU9003173C8"}, "rfc", "rfc_check_digit"),
        ({"rfc": "XAXX010101000"}, "rfc", "generic_rfc"),
        ({"rfc": ""}, "rfc", "required"),
        ({"name": ""}, "name", "required"),
        ({"license": "LIC 1"}, "license", "license_format"),
        ({"state": "JAL"}, "postal_code", "required"),  # an address, once begun, is whole
        ({"postal_code": "44100", "state": "NLE"}, "postal_code", "postal_code_state"),
    ],
)
def test_a_figure_is_refused_naming_the_field_and_the_rule(company, changes, field, code):
    assert code in codes(Figure, company, **changes)[field]


def test_a_figure_may_have_an_address_with_sat_codes(company):
    figure = make_item(
        Figure, company, rfc=valid_rfc(moral=False), state="AGU", postal_code="20000"
    )
    assert (figure.country, figure.state) == ("MEX", "AGU")
    assert make_item(Figure, company, figure_type="02", license="").country == ""


# --- updates and archiving ------------------------------------------------------------------


def test_an_update_checks_every_rule_again_and_records_only_what_changed(company):
    actor = owner_of(company.account)
    vehicle = make_item(Vehicle, company, actor)
    with pytest.raises(ValidationError), transaction.atomic():
        item_update(item=vehicle, actor=actor, values={**VEHICLE, "permit_type": "NOPE01"})
    with transaction.atomic():
        item_update(item=vehicle, actor=actor, values={**VEHICLE, "policy": "POL-999"})
    event = AuditEvent.objects.get(action="cartaporte.updated")
    assert (event.before, event.after) == ({"policy": "POL-123"}, {"policy": "POL-999"})


def test_archiving_is_recorded_once(company):
    actor = owner_of(company.account)
    trailer = make_item(Trailer, company, actor)
    for _ in range(2):
        with transaction.atomic():
            trailer = item_archive(item=trailer, actor=actor)
    assert trailer.is_archived
    assert AuditEvent.objects.filter(action="cartaporte.archived").count() == 1


# --- the database's own refusals ------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "values", "constraint"),
    [
        (Location, {**LOCATION, "country": "USA"}, "cartaporte_location_address_required"),
        (Location, {**LOCATION, "country": "MEX", "state": ""}, "address_required"),
        (Location, {**LOCATION, "country": "MEX", "postal_code": "4410"}, "postal_code"),
        (Location, {**LOCATION, "country": "MEX", "rfc": "NOT-AN-RFC"}, "rfc_shape"),
        (Vehicle, {**VEHICLE, "plate": "AB-12"}, "plate_shape"),
        (Vehicle, {**VEHICLE, "model_year": 20}, "model_year"),
        (Trailer, {**TRAILER, "subtype": "XX"}, "subtype_shape"),
        (Figure, {**FIGURE, "license": ""}, "operator_license"),
    ],
)
def test_the_database_refuses_what_must_never_be_stored(company, model, values, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        model.objects.create(company=company, **values)

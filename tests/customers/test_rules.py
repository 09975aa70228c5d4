"""Registering a customer: SAT's rules against SAT's catalogs, each refusal naming the field
and the rule in Spanish; the database refuses what must never be stored."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from despacho.audit.models import AuditEvent
from despacho.customers.models import Customer
from despacho.customers.services import customer_checked, customer_set_active, customer_update
from despacho.satcatalogs import Catalog, descriptions
from despacho.tenancy.regimen import regimenes
from despacho.tenancy.rfc import PersonaType
from despacho.tenancy.uso_cfdi import uso_regimenes
from tests.customers.helpers import fisica_fields, moral_fields, real_rfc, register
from tests.factories import make_account, make_company, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return make_company(make_account())


def refusal(company, **fields) -> tuple[str, str, str]:
    """(field, code, message) of the one refusal of registering these fields."""
    with pytest.raises(ValidationError) as caught:
        register(company, **fields)
    [(field, errors)] = caught.value.error_dict.items()
    return field, errors[0].code, errors[0].messages[0]


def test_a_persona_moral_is_registered_with_its_sat_data_and_audited(company):
    customer = register(
        company, **moral_fields(emails=["A@Norte.example.mx", "b@norte.example.mx"])
    )
    assert (customer.regimen_fiscal, customer.uso_cfdi, customer.codigo_postal) == (
        "601",
        "G03",
        "06600",
    )
    assert customer.emails == ["a@norte.example.mx", "b@norte.example.mx"]
    event = AuditEvent.objects.get(action="customer.created", company=company)
    assert event.after["rfc"] == customer.rfc


def test_a_persona_fisica_is_registered_with_a_fisica_regimen(company):
    customer = register(company, **fisica_fields())
    assert len(customer.rfc) == 13
    assert customer.razon_social == "MARÍA GUADALUPE PÉREZ LÓPEZ"


@pytest.mark.parametrize(
    ("fields", "field", "code", "words"),
    [
        ({"rfc": "ABC"}, "rfc", "rfc_length", "RFC: debe tener 12"),
        ({"rfc": "EKU9003173C8"}, "rfc", "rfc_check_digit", "dígito verificador"),
        ({"rfc": " "}, "rfc", "required", "RFC: escribe el RFC"),
        ({"razon_social": "  "}, "razon_social", "required", "Razón social"),
        ({"regimen_fiscal": ""}, "regimen_fiscal", "required", "Régimen fiscal: elige"),
        ({"uso_cfdi": ""}, "uso_cfdi", "required", "Uso CFDI: elige"),
        ({"codigo_postal": ""}, "codigo_postal", "required", "Código postal: escribe"),
        (
            {"razon_social": "COMERCIALIZADORA DEL NORTE, S.A. DE C.V."},
            "razon_social",
            "regimen_capital",
            "sin el régimen de capital",
        ),
        ({"regimen_fiscal": "999"}, "regimen_fiscal", "regimen_unknown", "c_RegimenFiscal"),
        ({"regimen_fiscal": "612"}, "regimen_fiscal", "regimen_persona_mismatch", "morales"),
        ({"uso_cfdi": "ZZZ"}, "uso_cfdi", "uso_unknown", "c_UsoCFDI"),
        ({"uso_cfdi": "D01"}, "uso_cfdi", "uso_regimen_mismatch", "Régimen Fiscal Receptor"),
        ({"uso_cfdi": "P01"}, "uso_cfdi", "uso_regimen_mismatch", "601"),
        ({"codigo_postal": "00001"}, "codigo_postal", "cp_unknown", "c_CodigoPostal"),
        ({"codigo_postal": "0660"}, "codigo_postal", "cp_unknown", "Código postal"),
        ({"forma_pago": "77"}, "forma_pago", "forma_pago_unknown", "c_FormaPago"),
        ({"metodo_pago": "XYZ"}, "metodo_pago", "metodo_pago_unknown", "c_MetodoPago"),
        ({"emails": ["no-es-correo"]}, "emails", "invalid_email", "no-es-correo"),
        ({"tax_id": "123456789"}, "tax_id", "tax_id_not_foreign", "extranjeros"),
        ({"contact_name": "Ana\u202eLópez"}, "contact_name", "forbidden_characters", "Contacto"),
        ({"razon_social": "A" * 301}, "razon_social", "razon_social_length", "300"),
        ({"contact_phone": "5" * 31}, "contact_phone", "contact_phone_length", "Teléfono"),
        ({"notes": "x" * 2001}, "notes", "notes_length", "Notas: máximo 2000"),
        (
            {"emails": [f"c{n}@example.mx" for n in range(11)]},
            "emails",
            "too_many_emails",
            "Correos: máximo 10",
        ),
    ],
)
def test_each_rule_is_refused_naming_the_field_and_the_rule(company, fields, field, code, words):
    got_field, got_code, message = refusal(company, **moral_fields(**fields))
    assert (got_field, got_code) == (field, code)
    assert words in message


def test_a_fisica_regimen_refused_for_a_moral_says_so(company):
    _field, _code, message = refusal(company, **moral_fields(regimen_fiscal="612"))
    assert message.startswith("Régimen fiscal:")
    assert "no aplica a personas morales" in message


def test_deductions_are_refused_to_a_company_and_accepted_for_a_person(company):
    assert refusal(company, **moral_fields(uso_cfdi="D01"))[1] == "uso_regimen_mismatch"
    assert register(company, **fisica_fields(uso_cfdi="D01")).uso_cfdi == "D01"


def test_the_same_rfc_twice_in_a_company_is_refused_but_another_company_may_have_it(company):
    rfc = real_rfc()
    register(company, rfc=rfc)
    field, code, message = refusal(company, rfc=rfc)
    assert (field, code) == ("rfc", "duplicate_rfc")
    assert "ya es cliente" in message
    other = make_company(make_account())
    assert register(other, rfc=rfc).rfc == rfc


# --- generic RFCs ----------------------------------------------------------------------


def test_publico_en_general_takes_the_name_sat_requires(company):
    customer = register(
        company,
        rfc="xaxx010101000",
        razon_social="Público en general",
        regimen_fiscal="616",
        uso_cfdi="S01",
    )
    assert (customer.rfc, customer.razon_social) == ("XAXX010101000", "PUBLICO EN GENERAL")


def test_publico_en_general_with_another_name_or_regimen_is_refused(company):
    generic = {"rfc": "XAXX010101000", "regimen_fiscal": "616", "uso_cfdi": "S01"}
    assert refusal(company, **moral_fields(**generic, razon_social="JUAN"))[:2] == (
        "razon_social",
        "publico_en_general_name",
    )
    assert refusal(
        company, **moral_fields(**{**generic, "regimen_fiscal": "612"}, razon_social="")
    )[:2] == ("regimen_fiscal", "generic_regimen")


def foreigner(**overrides):
    return moral_fields(
        **{
            "rfc": "XEXX010101000",
            "razon_social": "ACME TRADING LLC",
            "regimen_fiscal": "616",
            "uso_cfdi": "S01",
            "tax_id": "98-7654321",
            "pais": "USA",
            **overrides,
        }
    )


def test_foreigners_share_xexx_and_are_told_apart_by_their_tax_id(company):
    first = register(company, **foreigner())
    second = register(company, **foreigner(razon_social="GLOBEX GMBH", tax_id="DE123", pais="DEU"))
    assert first.rfc == second.rfc == "XEXX010101000"
    field, code, message = refusal(company, **foreigner(razon_social="OTRA"))
    assert (field, code) == ("tax_id", "duplicate_tax_id")
    assert "98-7654321" in message


def test_a_foreigner_needs_a_tax_id_and_a_foreign_country(company):
    assert refusal(company, **foreigner(tax_id=""))[:2] == ("tax_id", "tax_id_required")
    assert refusal(company, **foreigner(pais=""))[:2] == ("pais", "pais_invalid")
    assert refusal(company, **foreigner(pais="MEX"))[:2] == ("pais", "pais_invalid")
    assert refusal(company, **foreigner(pais="QQQ"))[:2] == ("pais", "pais_invalid")


# --- the database ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "broken",
    [
        {"rfc": "NO ES RFC"},
        {"rfc": "XEXX010101000", "tax_id": "", "pais": ""},
        {"rfc": "XAXX010101000", "razon_social": "OTRO NOMBRE", "regimen_fiscal": "616"},
        {"rfc": "XAXX010101000", "razon_social": "PUBLICO EN GENERAL"},  # régimen 601
        {"tax_id": "123", "pais": "USA"},  # a Mexican RFC with a foreign tax id
        {"codigo_postal": "ABCDE"},
        {"metodo_pago": "XXX"},
        {"razon_social": ""},
    ],
)
def test_the_database_refuses_what_must_never_be_stored(company, broken):
    fields = {**moral_fields(), **broken}
    fields.pop("emails")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(company=company, **fields)


def test_the_database_refuses_a_second_customer_with_one_rfc(company):
    customer = register(company)
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(
            company=company,
            rfc=customer.rfc,
            razon_social="OTRO",
            regimen_fiscal="601",
            codigo_postal="06600",
            uso_cfdi="G03",
        )


# --- edit, archive -------------------------------------------------------------------------


def test_editing_checks_the_same_rules_and_audits_before_and_after(company):
    customer = register(company)
    owner = owner_of(company.account)
    with pytest.raises(ValidationError) as caught:
        customer_update(customer=customer, actor=owner, uso_cfdi="D01")
    assert caught.value.error_dict["uso_cfdi"][0].code == "uso_regimen_mismatch"
    customer = customer_update(
        customer=customer, actor=owner, uso_cfdi="I04", notes="Paga a 30 días"
    )
    assert (customer.uso_cfdi, customer.notes) == ("I04", "Paga a 30 días")
    event = AuditEvent.objects.get(action="customer.updated")
    assert (event.before["uso_cfdi"], event.after["uso_cfdi"]) == ("G03", "I04")


def test_archiving_and_restoring_are_audited(company):
    customer = register(company)
    owner = owner_of(company.account)
    assert not customer_set_active(customer=customer, actor=owner, active=False).is_active
    assert customer_set_active(customer=customer, actor=owner, active=True).is_active
    actions = list(
        AuditEvent.objects.filter(action__startswith="customer.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["customer.archived", "customer.created", "customer.restored"]


# --- uso CFDI × régimen, drawn from SAT's catalogs themselves ---------------------------------

USOS = sorted(descriptions(Catalog.USO_CFDI))
REGIMENES = sorted(regimenes())


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(uso=st.sampled_from(USOS), regimen=st.sampled_from(REGIMENES))
def test_a_uso_is_accepted_exactly_when_the_catalog_allows_it_for_the_regimen(uso, regimen):
    """Every (uso, régimen) of c_UsoCFDI × c_RegimenFiscal: accepted iff the régimen is in
    the uso's "Régimen Fiscal Receptor" column, for an RFC of a persona the régimen fits."""
    fits = regimenes()[regimen]
    fields = moral_fields() if fits.applies_to(PersonaType.MORAL) else fisica_fields()
    fields = {k: v for k, v in fields.items() if k != "rfc"}
    fields.update(regimen_fiscal=regimen, uso_cfdi=uso)
    rfc = real_rfc(moral=fits.applies_to(PersonaType.MORAL))
    if regimen in uso_regimenes(uso):
        assert customer_checked(rfc=rfc, **fields).uso_cfdi == uso
    else:
        with pytest.raises(ValidationError) as caught:
            customer_checked(rfc=rfc, **fields)
        [error] = caught.value.error_dict["uso_cfdi"]
        assert error.code == "uso_regimen_mismatch"
        assert error.messages[0].startswith("Uso CFDI:")


def test_every_uso_of_cfdi_4_allows_some_regimen_and_p01_none():
    assert {uso for uso in USOS if not uso_regimenes(uso)} == {"P01"}
    assert all(uso_regimenes(uso) <= set(REGIMENES) for uso in USOS)


def test_a_concurrent_registration_of_the_same_rfc_is_refused_not_an_error(company):
    """The check before the insert passed, then another request stored the RFC: the
    unique constraint decides and the loser gets the same refusal."""
    from unittest import mock

    from despacho.customers import services

    existing = register(company)
    real_check = services._duplicate_check
    calls = iter([lambda *args, **kw: None, real_check])
    with mock.patch.object(
        services, "_duplicate_check", side_effect=lambda *a, **kw: next(calls)(*a, **kw)
    ):
        field, code, _message = refusal(company, rfc=existing.rfc)
    assert (field, code) == ("rfc", "duplicate_rfc")
    assert Customer.objects.filter(company=company).count() == 1


def test_the_bitacora_tells_a_customers_change_in_spanish_with_sat_names(company):
    from despacho.audit.describe import event_changes, event_sentence

    customer = register(company)
    customer_update(customer=customer, actor=owner_of(company.account), uso_cfdi="I04")
    event = AuditEvent.objects.get(action="customer.updated")
    assert "modificó los datos del cliente COMERCIALIZADORA DEL NORTE" in event_sentence(event)
    [change] = event_changes(event)
    assert (change.label, change.before, change.after) == (
        "Uso CFDI",
        "G03 — Gastos en general",
        "I04 — Equipo de computo y accesorios",
    )

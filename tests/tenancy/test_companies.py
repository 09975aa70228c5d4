"""Registering a company: every field rule refused with a Spanish message naming the field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.members.services.accounts import company_create
from despacho.tenancy.models import Company
from despacho.tenancy.regimen import regimenes, validate_regimen
from despacho.tenancy.rfc import PersonaType
from tests.factories import make_account, make_company, owner_of, valid_rfc

pytestmark = pytest.mark.django_db

MORAL = "EKU9003173C9"
FISICA = "CACX7605101P8"


def register(**fields) -> Company:
    account = fields.pop("account", None) or make_account()
    data = {
        "rfc": MORAL,
        "razon_social": "ESCUELA KEMPER URGATE",
        "regimen_fiscal": "601",
        "codigo_postal": "26015",
    }
    data.update(fields)
    return company_create(account=account, actor=owner_of(account), **data)


def refusal(**fields) -> dict[str, list[tuple[str, str]]]:
    """{field: [(code, message), ...]} of the refused registration."""
    with pytest.raises(ValidationError) as caught:
        register(**fields)
    return {
        field: [(e.code, e.messages[0]) for e in errors]
        for field, errors in caught.value.error_dict.items()
    }


def test_a_valid_company_is_registered_with_its_rfc_normalised():
    company = register(rfc="eku-900317-3c9", razon_social="  ESCUELA   KEMPER URGATE ")
    assert company.rfc == "EKU9003173C9"
    assert company.razon_social == "ESCUELA KEMPER URGATE"
    assert company.persona is PersonaType.MORAL
    assert company.slug == "escuela-kemper-urgate"


def test_a_persona_fisica_company_is_registered_with_a_fisica_regimen():
    company = register(rfc=FISICA, razon_social="XOCHITL CASAS CHAVEZ", regimen_fiscal="612")
    assert company.persona is PersonaType.FISICA


def test_an_rfc_already_registered_is_refused():
    register()
    errors = refusal(rfc=MORAL.lower())
    assert errors["rfc"] == [("rfc_taken", "RFC: EKU9003173C9 ya está registrado en Despacho.")]


def test_a_generic_rfc_is_refused_as_a_company():
    errors = refusal(rfc="XAXX010101000", regimen_fiscal="616")
    assert [code for code, _ in errors["rfc"]] == ["generic_rfc"]


def test_every_broken_rule_is_reported_at_once_each_naming_its_field():
    errors = refusal(rfc="", razon_social=" ", regimen_fiscal="999", codigo_postal="")
    assert set(errors) == {"rfc", "razon_social", "regimen_fiscal", "codigo_postal"}
    assert errors["rfc"] == [("required", "RFC: escribe el RFC.")]
    assert errors["razon_social"] == [("required", "Razón social: escribe la razón social.")]
    assert errors["regimen_fiscal"][0][0] == "regimen_unknown"
    assert errors["codigo_postal"][0] == (
        "codigo_postal_format",
        "Código postal: deben ser 5 dígitos.",
    )


def test_a_company_rfc_longer_than_13_after_removing_separators_gets_our_message_only():
    errors = refusal(rfc="EKU9003173C9XYZ")
    assert errors["rfc"] == [
        (
            "rfc_length",
            "RFC: debe tener 12 caracteres (persona moral) o 13 (persona física); tiene 15.",
        )
    ]


# --- régimen fiscal ------------------------------------------------------------------


def test_an_unknown_regimen_is_refused_naming_the_sat_catalog():
    errors = refusal(regimen_fiscal="600")
    assert errors["regimen_fiscal"] == [
        ("regimen_unknown", "Régimen fiscal: 600 no está en el catálogo c_RegimenFiscal del SAT.")
    ]


def test_regimen_601_is_only_for_personas_morales():
    errors = refusal(rfc=FISICA, regimen_fiscal="601")
    assert errors["regimen_fiscal"][0][0] == "regimen_persona_mismatch"
    assert errors["regimen_fiscal"][0][1].startswith("Régimen fiscal: 601 — ")
    assert errors["regimen_fiscal"][0][1].endswith("no aplica a personas físicas.")


@pytest.mark.parametrize("code", ["605", "612"])
def test_regimenes_605_and_612_are_only_for_personas_fisicas(code):
    errors = refusal(rfc=MORAL, regimen_fiscal=code)
    assert errors["regimen_fiscal"][0][0] == "regimen_persona_mismatch"
    assert errors["regimen_fiscal"][0][1].endswith("no aplica a personas morales.")
    assert validate_regimen(code, persona=PersonaType.FISICA).code == code


@pytest.mark.parametrize("rfc", [MORAL, FISICA])
def test_regimen_626_resico_applies_to_both(rfc):
    assert register(rfc=rfc, regimen_fiscal="626").regimen_fiscal == "626"


def test_the_regimen_catalog_has_names_from_the_sat_and_every_code_a_persona_type():
    catalog = regimenes()
    assert {"601", "603", "605", "606", "612", "616", "621", "625", "626"} <= set(catalog)
    assert "General de Ley Personas Morales" in catalog["601"].name
    assert all(r.fisica or r.moral for r in catalog.values())


# --- código postal --------------------------------------------------------------------


@pytest.mark.parametrize("cp", ["", "1234", "123456", "06 00", "abcde", "١٢٣٤٥"])
def test_codigo_postal_must_be_five_digits(cp):
    errors = refusal(codigo_postal=cp)
    assert errors["codigo_postal"] == [
        ("codigo_postal_format", "Código postal: deben ser 5 dígitos.")
    ]


def test_codigo_postal_with_surrounding_blanks_is_trimmed():
    assert register(codigo_postal=" 03100 ").codigo_postal == "03100"


@pytest.mark.parametrize("cp", ["1234", "12a45", "123456"])
def test_the_database_refuses_a_codigo_postal_that_is_not_five_digits(cp):
    company = make_company(make_account())
    # PostgreSQL refuses "123456" already for its length (DataError); both are refusals.
    with pytest.raises(DatabaseError), transaction.atomic():
        Company.objects.filter(pk=company.pk).update(codigo_postal=cp)


@pytest.mark.parametrize("rfc", ["XAXX010101000", "eku9003173c9", "EKU-9003173C"])
def test_the_database_refuses_generic_or_malformed_rfcs(rfc):
    company = make_company(make_account())
    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.filter(pk=company.pk).update(rfc=rfc)


# --- audit ------------------------------------------------------------------------------


def test_registering_a_company_writes_its_audit_event():
    account = make_account()
    rfc = valid_rfc()
    company = register(account=account, rfc=rfc)
    event = AuditEvent.objects.get(action=Action.COMPANY_CREATED, company=company)
    assert event.account == account
    assert event.actor == owner_of(account)
    assert event.after["rfc"] == rfc
    assert event.before is None


def test_a_refused_company_leaves_neither_company_nor_event():
    account = make_account()
    before = AuditEvent.objects.count()
    refusal(account=account, codigo_postal="1")
    assert not Company.objects.exists()
    assert AuditEvent.objects.count() == before

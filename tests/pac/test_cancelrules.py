"""SAT's cancellation rules: the motives and when the receiver must accept (regla 2.7.1.35)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from despacho.pac.cancelrules import (
    AMOUNT_LIMIT_MXN,
    Motivo,
    cancellation_path,
    next_business_day_end,
    total_in_mxn,
    validate_motivo,
)

# Monday 1 December 2025, 10:00 in Mexico City.
ISSUED = datetime(2025, 12, 1, 16, 0, tzinfo=UTC)
WEEK_LATER = ISSUED + timedelta(days=7)
RFC = "URE180429TM6"

money = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False)
late = st.timedeltas(min_value=timedelta(days=4), max_value=timedelta(days=400))


def path(**overrides):
    facts = {
        "tipo": "I",
        "total_mxn": Decimal("5000.00"),
        "receptor_rfc": RFC,
        "fecha_timbrado": ISSUED,
        "now": WEEK_LATER,
    }
    return cancellation_path(**{**facts, **overrides})


def test_an_invoice_above_1000_pesos_to_a_company_a_week_later_needs_acceptance():
    answer = path()
    assert answer.needs_acceptance
    assert "El receptor debe aceptar la cancelación" in answer.reasons[0]


@pytest.mark.parametrize(
    ("overrides", "fraccion"),
    [
        ({"total_mxn": Decimal("1000.00")}, "fracción I"),
        ({"tipo": "N"}, "fracción II"),
        ({"tipo": "E"}, "fracción III"),
        ({"tipo": "T"}, "fracción IV"),
        ({"receptor_regimen": "621"}, "fracción V"),
        ({"retenciones": True}, "fracción VI"),
        ({"receptor_rfc": "XAXX010101000"}, "fracción VII"),
        ({"receptor_rfc": "XEXX010101000"}, "fracción VIII"),
        ({"now": ISSUED + timedelta(hours=20)}, "fracción IX"),
        ({"emisor_pcgcfdisp": True}, "fracción X"),
        ({"emisor_sistema_financiero": True}, "fracción XI"),
        ({"emisor_federacion": True}, "fracción XII"),
    ],
)
def test_each_case_of_the_rule_cancels_without_acceptance_and_says_which(overrides, fraccion):
    answer = path(**overrides)
    assert not answer.needs_acceptance
    assert any(fraccion + ")" in reason for reason in answer.reasons)


def test_a_payment_complement_is_not_cancelled_without_acceptance_for_its_zero_total():
    assert path(tipo="P", total_mxn=Decimal("0")).needs_acceptance


def test_a_carta_porte_moving_fuel_needs_acceptance():
    assert path(tipo="T", fuel_carta_porte=True).needs_acceptance


def test_the_next_business_day_after_a_friday_is_monday():
    friday_evening = datetime(2025, 12, 5, 23, 0, tzinfo=UTC)  # 17:00 in Mexico City
    assert next_business_day_end(friday_evening) == datetime(2025, 12, 9, 6, 0, tzinfo=UTC)


def test_a_foreign_currency_total_is_compared_in_pesos():
    in_pesos = total_in_mxn(Decimal("60.00"), moneda="USD", tipo_cambio=Decimal("18.50"))
    assert in_pesos == Decimal("1110.00")
    assert path(total_mxn=in_pesos).needs_acceptance


@given(total=money, tipo=st.sampled_from("NET"), delay=late)
def test_nomina_egresos_and_traslados_never_need_acceptance(total, tipo, delay):
    answer = path(tipo=tipo, total_mxn=total, now=ISSUED + delay)
    assert not answer.needs_acceptance
    assert answer.reasons


@given(total=money, delay=late)
def test_an_invoice_to_a_company_needs_acceptance_exactly_above_1000_pesos(total, delay):
    answer = path(total_mxn=total, now=ISSUED + delay)
    assert answer.needs_acceptance == (total > AMOUNT_LIMIT_MXN)


@given(
    total=money,
    tipo=st.sampled_from("IEN"),
    delay=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=24)),
)
def test_within_the_first_day_nothing_needs_acceptance(total, tipo, delay):
    assert not path(tipo=tipo, total_mxn=total, now=ISSUED + delay).needs_acceptance


@given(total=money, lower=money, delay=late, rfc=st.sampled_from([RFC, "XAXX010101000"]))
def test_a_smaller_total_never_makes_acceptance_necessary(total, lower, delay, rfc):
    smaller = min(total, lower)
    bigger = path(total_mxn=total, now=ISSUED + delay, receptor_rfc=rfc)
    less = path(total_mxn=smaller, now=ISSUED + delay, receptor_rfc=rfc)
    assert not (less.needs_acceptance and not bigger.needs_acceptance)


@given(total=money, delay=late, tipo=st.sampled_from("IEPNT"))
def test_there_is_always_a_spanish_reason_to_show(total, delay, tipo):
    assert path(tipo=tipo, total_mxn=total, now=ISSUED + delay).reasons


def test_motive_01_requires_the_substituting_uuid():
    with pytest.raises(ValidationError) as caught:
        validate_motivo(motivo="01")
    assert caught.value.error_dict["folio_sustitucion"][0].code == "folio_sustitucion_required"
    assert "UUID" in caught.value.messages[0]
    substitute = "5b64ada3-aa4c-40b4-a2f5-572ced52be31"
    assert validate_motivo(motivo="01", folio_sustitucion=substitute) is Motivo.ERRORES_CON_RELACION


@pytest.mark.parametrize("motivo", ["02", "03", "04"])
def test_other_motives_take_no_substitute(motivo):
    assert validate_motivo(motivo=motivo) == Motivo(motivo)
    with pytest.raises(ValidationError) as caught:
        validate_motivo(motivo=motivo, folio_sustitucion="5b64ada3-aa4c-40b4-a2f5-572ced52be31")
    assert caught.value.error_dict["folio_sustitucion"][0].code == "folio_sustitucion_not_allowed"


def test_an_unknown_motive_is_refused_naming_the_catalog():
    with pytest.raises(ValidationError) as caught:
        validate_motivo(motivo="05")
    assert "c_MotivoCancelacion" in caught.value.messages[0]


def test_a_cfdi_cannot_substitute_itself():
    uuid = "5b64ada3-aa4c-40b4-a2f5-572ced52be31"
    with pytest.raises(ValidationError) as caught:
        validate_motivo(motivo="01", folio_sustitucion=uuid.upper(), uuid=uuid)
    assert caught.value.error_dict["folio_sustitucion"][0].code == "folio_sustitucion_self"

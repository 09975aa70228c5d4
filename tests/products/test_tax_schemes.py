"""Tax schemes are data: lines of traslados and retenciones that SAT's c_TasaOCuota admits,
presets every company gets once, and refusals that name the field and the rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.products.models import Factor, LineKind, Tax, TaxLine, TaxScheme
from despacho.products.services import (
    LineSpec,
    lines_checked,
    tax_scheme_create,
    tax_scheme_presets_ensure,
    tax_scheme_update,
)
from despacho.products.taxrules import PRESETS, line_refusal
from tests.factories import make_account, make_company, owner_of
from tests.products.factories import IVA16, make_scheme

T, R = LineKind.TRASLADO, LineKind.RETENCION


def line(kind, tax, factor, rate):
    return LineSpec(kind, tax, factor, None if rate is None else Decimal(rate))


def refusal_of(*lines):
    with pytest.raises(ValidationError) as caught:
        lines_checked(list(lines))
    (message,) = caught.value.message_dict["lines"]
    return message


# --- the rules (no database) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "tax", "factor", "rate"),
    [
        (T, Tax.IVA, Factor.TASA, "0.160000"),
        (T, Tax.IVA, Factor.TASA, "0.16"),  # the same value, fewer decimals
        (T, Tax.IVA, Factor.TASA, "0.080000"),
        (T, Tax.IVA, Factor.TASA, "0.000000"),
        (T, Tax.IVA, Factor.EXENTO, None),
        (T, Tax.IEPS, Factor.EXENTO, None),
        (T, Tax.IEPS, Factor.TASA, "0.265000"),
        (T, Tax.IEPS, Factor.CUOTA, "8.000000"),
        (R, Tax.IVA, Factor.TASA, "0.106667"),
        (R, Tax.IVA, Factor.TASA, "0.040000"),
        (R, Tax.ISR, Factor.TASA, "0.100000"),
        (R, Tax.ISR, Factor.TASA, "0.012500"),
        (R, Tax.IEPS, Factor.TASA, "0.030000"),
    ],
)
def test_sat_admits(kind, tax, factor, rate):
    assert line_refusal(kind, tax, factor, None if rate is None else Decimal(rate)) is None


@pytest.mark.parametrize(
    ("kind", "tax", "factor", "rate", "says"),
    [
        (T, Tax.IVA, Factor.TASA, "0.150000", "0.150000 no está en el catálogo c_TasaOCuota"),
        (T, Tax.IVA, Factor.TASA, "0.106667", "valores permitidos: 0.000000, 0.160000, 0.080000"),
        (R, Tax.IVA, Factor.TASA, "0.170000", "de 0.000000 a 0.160000"),
        (R, Tax.ISR, Factor.TASA, "0.400000", "de 0.000000 a 0.350000"),
        (T, Tax.ISR, Factor.TASA, "0.100000", "el ISR solo se retiene"),
        (R, Tax.IVA, Factor.EXENTO, None, "«Exento» solo aplica a traslados"),
        (T, Tax.IVA, Factor.EXENTO, "0.000000", "un impuesto exento no lleva tasa"),
        (T, Tax.IVA, Factor.TASA, None, "Tasa o cuota: es obligatoria"),
        (T, Tax.IVA, Factor.CUOTA, "1.000000", "no admite Cuota para traslado de IVA"),
        (T, Tax.IVA, Factor.TASA, "0.1600001", "máximo 6 decimales"),
        (T, Tax.IEPS, Factor.TASA, "0.030000", "valores permitidos"),  # 3 % is withheld only
    ],
)
def test_sat_refuses_naming_the_rule(kind, tax, factor, rate, says):
    refusal = line_refusal(kind, tax, factor, None if rate is None else Decimal(rate))
    assert refusal is not None
    assert says in refusal


@given(st.decimals(min_value=0, max_value=1, places=6))
@hypothesis_settings(max_examples=200)
def test_an_iva_traslado_rate_is_one_of_the_three_the_catalog_fixes(rate):
    admitted = line_refusal(T, Tax.IVA, Factor.TASA, rate) is None
    assert admitted == (rate in {Decimal("0.16"), Decimal("0.08"), Decimal("0")})


@given(st.decimals(min_value=0, max_value=1, places=6))
@hypothesis_settings(max_examples=200)
def test_an_iva_retention_is_any_rate_up_to_sixteen_percent(rate):
    assert (line_refusal(R, Tax.IVA, Factor.TASA, rate) is None) == (rate <= Decimal("0.16"))


def test_every_preset_passes_the_rules_it_is_checked_by():
    for preset in PRESETS:
        lines_checked([LineSpec(p.kind, p.impuesto, p.factor, p.rate) for p in preset.lines])


def test_a_scheme_needs_a_line_at_most_six_and_each_tax_once_per_kind():
    assert "al menos un impuesto" in refusal_of()
    assert "máximo 6" in refusal_of(*[IVA16] * 7)
    assert refusal_of(IVA16, line(T, Tax.IVA, Factor.TASA, "0.08")).startswith(
        "Impuesto 2: Impuesto: el esquema ya tiene ese traslado de IVA"
    )
    # The line's number leads, so the person finds the row.
    assert refusal_of(IVA16, line(R, Tax.ISR, Factor.TASA, "0.5")).startswith("Impuesto 2: ")


# --- presets and writes ----------------------------------------------------------------------


@pytest.mark.django_db
def test_presets_are_created_once_per_company_with_one_audit_event():
    company = make_company(make_account())
    assert tax_scheme_presets_ensure(company=company) == len(PRESETS)
    assert tax_scheme_presets_ensure(company=company) == 0
    schemes = {s.name: s for s in TaxScheme.objects.filter(company=company)}
    assert {
        "IVA 16 %",
        "IVA 8 % (región fronteriza)",
        "IVA 0 %",
        "IVA exento",
        "IEPS 8 % e IVA 16 %",
        "IVA 16 % con retención de IVA 10.6667 %",
        "IVA 16 % con retención de ISR 10 %",
        "RESICO: IVA 16 % con retención de ISR 1.25 %",
    } <= set(schemes)
    resico = schemes["RESICO: IVA 16 % con retención de ISR 1.25 %"]
    assert [(ln.kind, ln.impuesto, ln.rate) for ln in resico.lines.all()] == [
        (T, Tax.IVA, Decimal("0.160000")),
        (R, Tax.ISR, Decimal("0.012500")),
    ]
    assert schemes["IVA exento"].lines.get().rate is None
    events = AuditEvent.objects.filter(company=company, action=Action.TAX_SCHEMES_PRESET)
    assert events.count() == 1
    # Another company gets its own.
    other = make_company(make_account())
    assert tax_scheme_presets_ensure(company=other) == len(PRESETS)


@pytest.mark.django_db
def test_a_preset_name_the_company_already_uses_is_kept_apart():
    company = make_company(make_account())
    make_scheme(company, name="IVA 16 %")
    tax_scheme_presets_ensure(company=company)
    assert (
        TaxScheme.objects.get(company=company, preset="iva16").name == "IVA 16 % (predeterminado)"
    )


@pytest.mark.django_db
def test_creating_and_editing_a_scheme_is_audited_with_its_lines():
    company = make_company(make_account())
    owner = owner_of(company.account)
    with transaction.atomic():
        scheme = tax_scheme_create(
            company=company,
            actor=owner,
            name="  Servicios   profesionales ",
            lines=[IVA16, line(R, Tax.IVA, Factor.TASA, "0.106667")],
        )
    assert scheme.name == "Servicios profesionales"
    created = AuditEvent.objects.get(action=Action.TAX_SCHEME_CREATED)
    assert created.after["lines"][1] == {
        "tax_kind": "retencion",
        "impuesto": "002",
        "tipo_factor": "Tasa",
        "rate": "0.106667",
    }
    with transaction.atomic():
        tax_scheme_update(
            scheme=scheme,
            actor=owner,
            name="Honorarios",
            lines=[IVA16, line(R, Tax.ISR, Factor.TASA, "0.10")],
        )
    scheme.refresh_from_db()
    assert [ln.impuesto for ln in scheme.lines.all()] == ["002", "001"]
    updated = AuditEvent.objects.get(action=Action.TAX_SCHEME_UPDATED)
    assert (updated.before["name"], updated.after["name"]) == (
        "Servicios profesionales",
        "Honorarios",
    )


@pytest.mark.django_db
def test_names_are_unique_in_the_company_and_refused_by_name():
    company = make_company(make_account())
    make_scheme(company, name="Mi IVA")
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        tax_scheme_create(company=company, actor=None, name="mi iva", lines=[IVA16])
    assert caught.value.message_dict["name"] == [
        "Nombre: ya hay un esquema «mi iva» en esta empresa."
    ]
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        tax_scheme_create(company=company, actor=None, name="   ", lines=[IVA16])
    assert "Nombre: escribe un nombre" in caught.value.message_dict["name"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "tax", "factor", "rate"),
    [
        (T, Tax.ISR, Factor.TASA, "0.10"),  # ISR is only withheld
        (R, Tax.IVA, Factor.EXENTO, None),  # Exento only in traslados
        (T, Tax.IVA, Factor.EXENTO, "0.16"),  # Exento carries no rate
        (T, Tax.IVA, Factor.TASA, None),  # Tasa carries one
        (T, Tax.IVA, Factor.TASA, "-0.16"),
        (T, "004", Factor.TASA, "0.16"),
    ],
)
def test_the_database_refuses_a_line_no_service_would_write(kind, tax, factor, rate):
    scheme = make_scheme(make_company(make_account()))
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxLine.objects.create(
            scheme=scheme,
            kind=kind,
            impuesto=tax,
            tipo_factor=factor,
            rate=None if rate is None else Decimal(rate),
        )


@pytest.mark.django_db
def test_the_bitacora_reads_a_scheme_and_a_product_in_spanish():
    from despacho.audit.describe import event_changes, event_sentence
    from tests.products.factories import make_product

    company = make_company(make_account(), razon_social="TOSTADORES DEL SUR")
    owner = owner_of(company.account)
    with transaction.atomic():
        scheme = tax_scheme_create(
            company=company,
            actor=owner,
            name="Honorarios",
            lines=[IVA16, line(R, Tax.ISR, Factor.TASA, "0.10")],
        )
    event = AuditEvent.objects.get(action=Action.TAX_SCHEME_CREATED)
    assert event_sentence(event).endswith("creó el esquema de impuestos «Honorarios».")
    (lines,) = [c for c in event_changes(event) if c.label == "Impuestos"]
    iva, isr = lines.after.split(", ")  # one line each; PostgreSQL's jsonb orders their keys
    assert set(iva.split("; ")) == {
        "Traslado o retención: Traslado",
        "Impuesto: IVA",
        "Tipo factor: Tasa",
        "Tasa o cuota: 0.160000",
    }
    assert set(isr.split("; ")) == {
        "Traslado o retención: Retención",
        "Impuesto: ISR",
        "Tipo factor: Tasa",
        "Tasa o cuota: 0.100000",
    }
    make_product(company, description="Asesoría", scheme=scheme)
    created = AuditEvent.objects.get(action=Action.PRODUCT_CREATED)
    assert event_sentence(created).endswith("dio de alta el producto «Asesoría».")
    labels = {c.label: c.after for c in event_changes(created)}
    assert labels["Objeto de impuesto"] == "02 · Sí objeto de impuesto"
    assert labels["Clave de unidad"] == "H87"
    tax_scheme_presets_ensure(company=company)
    presets = AuditEvent.objects.get(action=Action.TAX_SCHEMES_PRESET)
    assert "predeterminados de TOSTADORES DEL SUR" in event_sentence(presets)

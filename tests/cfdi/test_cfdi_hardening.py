"""Real CFDIs that broke ingestion (issue 12), as the rules ingestion now follows.

The documents are the project's real samples, mutated the way files found in the
wild are (attributes removed, namespaces swapped, versions changed, bytes flipped),
and synthetic CFDI 3.2/3.3 documents.
"""

from __future__ import annotations

import io
import re
import uuid as uuid_module
from decimal import Decimal

import pytest
from cfdi_samples import (
    INGRESO_REAL,
    NOMINA_EKU,
    PAGO_EKU,
    SAMPLE_UUIDS,
    any_rfc,
    cfdi_xml,
    company_with_rfc,
    nomina_xml,
    sample,
)
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from tests.factories import make_account, owner_of

from despacho.cfdi.models import Cfdi
from despacho.cfdi.refusals import RefusalCode
from despacho.cfdi.reports import cfdi_report
from despacho.cfdi.services import Outcome, cfdi_ingest, cfdi_ingest_files

# The seal rules are part of what is tested here: verification on, as in production.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("verify_seals")]

EKU = "EKU9003173C9"  # emisor of PAGO_EKU and NOMINA_EKU, both with seals that verify
CFDI3_NS = b"http://www.sat.gob.mx/cfd/3"
CFDI4_NS = b"http://www.sat.gob.mx/cfd/4"
_TFD_UUID = re.compile(rb'(<tfd:TimbreFiscalDigital[^>]*?\sUUID=")([^"]+)(")', re.DOTALL)
_TIMBRE = re.compile(rb"(<tfd:TimbreFiscalDigital.*?/>)", re.DOTALL)
_ATTRIBUTE = re.compile(rb'\s[A-Za-z_:][\w:.-]*="[^"]*"')


def _batch(company, documents: list[bytes], **kwargs):
    files = [(f"{n}.xml", io.BytesIO(data)) for n, data in enumerate(documents)]
    return cfdi_ingest_files(company=company, files=files, **kwargs).outcomes


def _restamped(data: bytes) -> tuple[bytes, str]:
    """The same sealed document under a new timbre UUID (the seal does not cover the timbre)."""
    new = str(uuid_module.uuid4())
    return _TFD_UUID.sub(lambda m: m.group(1) + new.encode() + m.group(3), data, count=1), new


# --- 1. one bad document never stops its batch ------------------------------------------


def test_a_version_4_0_in_the_cfdi_3_namespace_is_refused_and_the_batch_goes_on():
    company = company_with_rfc(EKU)
    mixed = sample(NOMINA_EKU).replace(CFDI4_NS, CFDI3_NS)  # still says Version="4.0"
    first, second = _batch(company, [mixed, sample(PAGO_EKU)])
    assert first.code == RefusalCode.NOT_CFDI
    assert "4.0" in first.message
    assert second.status == Outcome.ACCEPTED
    assert [
        str(u) for u in Cfdi.objects.filter(company=company).values_list("uuid", flat=True)
    ] == [SAMPLE_UUIDS[PAGO_EKU]]


def test_a_3_3_version_in_the_cfdi_4_namespace_is_refused_too():
    company = company_with_rfc(EKU)
    mixed = sample(PAGO_EKU).replace(b'Version="4.0"', b'Version="3.3"', 1)
    (outcome,) = _batch(company, [mixed])
    assert outcome.code == RefusalCode.NOT_CFDI
    assert "3.3" in outcome.message


def test_an_unforeseen_failure_reading_one_document_is_that_documents_refusal(monkeypatch):
    import despacho.cfdi.services as services

    real_read_index = services.read_index

    def read_index(root):
        if root.get("TipoDeComprobante") == "N":
            raise KeyError("no rule foresaw this")
        return real_read_index(root)

    monkeypatch.setattr(services, "read_index", read_index)
    company = company_with_rfc(EKU)
    broken, fine = _batch(company, [sample(NOMINA_EKU), sample(PAGO_EKU)])
    assert broken.code == RefusalCode.UNREADABLE
    assert "no se guardó" in broken.message
    assert fine.status == Outcome.ACCEPTED


def test_a_refused_copy_does_not_make_the_good_document_after_it_a_duplicate():
    company = company_with_rfc(EKU)
    tampered = sample(PAGO_EKU).replace(b'Folio="Folio"', b'Folio="Otro"', 1)  # seal breaks
    first, second = _batch(company, [tampered, sample(PAGO_EKU)])
    assert first.code == RefusalCode.SEAL_INVALID
    assert second.status == Outcome.ACCEPTED


def _remove_attribute(data: bytes, pick: int) -> bytes:
    found = list(_ATTRIBUTE.finditer(data))
    if not found:
        return data
    match = found[pick % len(found)]
    return data[: match.start()] + data[match.end() :]


def _flip_byte(data: bytes, position: int, mask: int) -> bytes:
    if not data:
        return data
    position %= len(data)
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


_MUTATIONS = st.one_of(
    st.integers(0, 10_000).map(lambda pick: lambda d: _remove_attribute(d, pick)),
    st.sampled_from(
        [
            lambda d: d.replace(CFDI4_NS, CFDI3_NS),
            lambda d: d.replace(CFDI3_NS, CFDI4_NS),
            lambda d: d.replace(b'TimbreFiscalDigital"', b'TimbreFiscalDigitalX"'),
            lambda d: d.replace(b"http://www.sat.gob.mx/nomina12", b"http://www.sat.gob.mx/nomina"),
            lambda d: b"\r\n  " + d,
            lambda d: _TIMBRE.sub(rb"\1\1", d, count=1),  # the timbre twice
        ]
    ),
    st.sampled_from(["3.2", "3.3", "4.0", "1.0", "", "4.0 "]).map(
        lambda v: lambda d: d.replace(b'Version="4.0"', f'Version="{v}"'.encode(), 1)
    ),
    st.tuples(st.integers(0, 100_000), st.integers(1, 255)).map(
        lambda pm: lambda d: _flip_byte(d, pm[0], pm[1])
    ),
    st.integers(0, 100_000).map(lambda cut: lambda d: d[: cut % (len(d) + 1)]),
)
_MUTANTS = st.tuples(
    st.sampled_from([NOMINA_EKU, PAGO_EKU]), st.lists(_MUTATIONS, min_size=1, max_size=3)
).map(lambda pair: _apply(sample(pair[0]), pair[1]))


def _apply(data: bytes, mutations) -> bytes:
    for mutate in mutations:
        data = mutate(data)
    return data


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mutants=st.lists(_MUTANTS, min_size=1, max_size=4),
    valid=st.lists(st.sampled_from([NOMINA_EKU, PAGO_EKU]), min_size=1, max_size=3),
    order=st.randoms(use_true_random=False),
)
def test_mutated_real_cfdis_never_stop_a_batch_and_every_valid_one_is_stored(mutants, valid, order):
    with transaction.atomic():
        company = company_with_rfc(EKU)
        restamped = [_restamped(sample(name)) for name in valid]
        documents = [data for data, _uuid in restamped] + mutants
        order.shuffle(documents)
        outcomes = _batch(company, documents)  # no exception escapes

        assert len(outcomes) == len(documents)
        for outcome in outcomes:
            if outcome.status == Outcome.REFUSED:
                assert outcome.code in set(RefusalCode)
                assert outcome.message
        stored = {
            str(u): verified
            for u, verified in Cfdi.objects.filter(company=company).values_list(
                "uuid", "seal_verified"
            )
        }
        for _data, valid_uuid in restamped:
            assert stored[valid_uuid] is True
        # Nothing was confirmed: whatever got stored carries a seal that verifies.
        assert set(stored.values()) == {True}
        transaction.set_rollback(True)


# --- 2. no seal is not a pass ---------------------------------------------------------


def _without(data: bytes, *names: str) -> bytes:
    """The document with these attributes of the Comprobante removed."""
    head, rest = data.split(b"<cfdi:Comprobante", 1)
    tag, body = rest.split(b">", 1)
    for name in names:
        tag, count = re.subn(rb"\s" + name.encode() + rb'="[^"]*"', b"", tag)
        assert count == 1, name
    return head + b"<cfdi:Comprobante" + tag + b">" + body


@pytest.mark.parametrize(
    "removed", [("Sello",), ("Certificado",), ("Sello", "Certificado", "NoCertificado")]
)
def test_a_stamped_cfdi_without_its_seal_needs_the_same_confirmation_as_an_invalid_seal(
    removed,
):
    company = company_with_rfc("ISD950921HE5")
    unsealed = _without(sample(INGRESO_REAL), *removed)

    report = cfdi_ingest_files(company=company, files=[("sin-sello.xml", io.BytesIO(unsealed))])
    (refused,) = report.outcomes
    assert refused.status == Outcome.REFUSED
    assert refused.code == RefusalCode.SEAL_MISSING
    assert "Sello y Certificado" in refused.message
    assert "confirmas" in refused.message
    assert report.needs_confirmation == [refused]
    assert not Cfdi.objects.filter(company=company).exists()

    confirmed = cfdi_ingest(company=company, data=unsealed, accept_unverified=True)
    assert confirmed.status == Outcome.ACCEPTED
    assert confirmed.seal_verified is False
    assert Cfdi.objects.get(company=company).seal_verified is False


def test_a_document_with_a_tampered_total_and_no_seal_is_not_stored_unconfirmed():
    company = company_with_rfc("ISD950921HE5")
    tampered = sample(INGRESO_REAL).replace(b'Total="1000.00"', b'Total="10.00"')
    assert cfdi_ingest(company=company, data=tampered).code == RefusalCode.SEAL_INVALID
    unsealed = _without(tampered, "Sello", "Certificado")
    assert cfdi_ingest(company=company, data=unsealed).code == RefusalCode.SEAL_MISSING
    assert not Cfdi.objects.filter(company=company).exists()


def test_a_synthetic_cfdi_without_certificate_needs_confirmation_too():
    company = company_with_rfc(any_rfc())
    data = cfdi_xml(emisor=company.rfc, receptor=any_rfc())
    assert cfdi_ingest(company=company, data=data).code == RefusalCode.SEAL_MISSING
    assert cfdi_ingest(company=company, data=data, accept_unverified=True).seal_verified is False


# --- 3. CFDI 3.2 free text -------------------------------------------------------------


def cfdi32_xml(
    *,
    emisor: str,
    receptor: str,
    moneda: str | None = "MXN",
    forma: str = "PAGO EN UNA SOLA EXHIBICION",
    tipo: str = "ingreso",
    total: str = "116.00",
    complement: str = "",
    uuid: str | None = None,
) -> bytes:
    """A minimal stamped CFDI 3.2 (lower-case attributes, free-text Moneda, no seal)."""
    moneda_attr = f'Moneda="{moneda}" ' if moneda is not None else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" version="3.2" serie="B" '
        f'folio="7" fecha="2016-05-01T09:00:00" subTotal="100.00" total="{total}" '
        f'{moneda_attr}tipoDeComprobante="{tipo}" formaDePago="{forma}" '
        'metodoDePago="Transferencia electrónica de fondos" LugarExpedicion="06000">'
        f'<cfdi:Emisor rfc="{emisor}" nombre="EMISOR"/>'
        f'<cfdi:Receptor rfc="{receptor}" nombre="RECEPTOR"/>'
        "<cfdi:Conceptos/><cfdi:Complemento>"
        '<tfd:TimbreFiscalDigital xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital" '
        f'version="1.0" UUID="{uuid or uuid_module.uuid4()}" '
        'FechaTimbrado="2016-05-01T09:01:00" selloCFD="x" noCertificadoSAT="1" selloSAT="x"/>'
        f"{complement}</cfdi:Complemento></cfdi:Comprobante>"
    ).encode()


def _stored32(company, **kwargs):
    data = cfdi32_xml(emisor=company.rfc, receptor=any_rfc(), **kwargs)
    outcome = cfdi_ingest(company=company, data=data, accept_unverified=True)
    assert outcome.status == Outcome.ACCEPTED, outcome.message
    return Cfdi.objects.get(company=company, uuid=outcome.uuid)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Pesos", "MXN"),
        ("PESOS", "MXN"),
        ("pesos mexicanos", "MXN"),
        ("Peso Mexicano", "MXN"),
        ("MN", "MXN"),
        ("M.N.", "MXN"),
        ("MXP", "MXN"),
        ("Moneda Nacional", "MXN"),
        ("Dólares", "USD"),
        ("Dolares", "USD"),
        ("DÓLARES AMERICANOS", "USD"),
        ("US$", "USD"),
        ("Euros", "EUR"),
        ("euro", "EUR"),
    ],
)
def test_a_cfdi_3_2_free_text_currency_is_stored_as_its_iso_code_keeping_the_text(written, code):
    cfdi = _stored32(company_with_rfc(any_rfc()), moneda=written)
    assert cfdi.moneda == code
    assert cfdi.moneda_original == written


@pytest.mark.parametrize("code", ["MXN", "USD", "EUR", "CAD"])
def test_a_currency_written_as_its_code_is_kept_as_is(code):
    cfdi = _stored32(company_with_rfc(any_rfc()), moneda=code)
    assert (cfdi.moneda, cfdi.moneda_original) == (code, "")


def test_an_unknown_free_text_currency_gets_no_code_and_keeps_its_text_whole():
    cfdi = _stored32(company_with_rfc(any_rfc()), moneda="Pesos oro de ley")
    assert (cfdi.moneda, cfdi.moneda_original) == ("", "Pesos oro de ley")


def test_cfdi_3_2_forma_de_pago_and_metodo_de_pago_are_kept_whole():
    forma = "PAGO EN UNA SOLA EXHIBICION (NO APLICA PARCIALIDADES)"
    cfdi = _stored32(company_with_rfc(any_rfc()), forma=forma)
    assert cfdi.forma_pago == forma
    assert cfdi.metodo_pago == "Transferencia electrónica de fondos"


def test_the_detail_shows_the_currency_text_of_the_xml(client):
    account = make_account()
    company = company_with_rfc(any_rfc(), account)
    known = _stored32(company, moneda="Pesos")
    unknown = _stored32(company, moneda="Pesos oro de ley")
    client.force_login(owner_of(account))
    body = client.get(reverse("cfdi:detail", args=[known.uuid])).content.decode()
    assert "MXN · Peso Mexicano (en el XML: «Pesos»)" in body
    body = client.get(reverse("cfdi:detail", args=[unknown.uuid])).content.decode()
    assert "«Pesos oro de ley», que no es una moneda del catálogo del SAT" in body


def test_pesos_in_a_cfdi_3_2_count_as_mxn_in_the_report_and_unknown_text_is_noted():
    company = company_with_rfc(any_rfc())
    _stored32(company, moneda="Pesos")
    report = cfdi_report(
        viewer=owner_of(company.account), company=company, category="ventas", year=2016
    )
    assert report.totals["total"] == Decimal("116.00")
    assert not any("otra moneda no traen tipo de cambio" in note for note in report.notes)
    _stored32(company, moneda="Pesos oro de ley")
    report = cfdi_report(
        viewer=owner_of(company.account), company=company, category="ventas", year=2016
    )
    assert any(note.startswith("1 CFDI escriben su moneda con un texto") for note in report.notes)


def test_the_reindex_command_fixes_cfdi_3_2_rows_stored_cut():
    company = company_with_rfc(any_rfc())
    cfdi = _stored32(company, moneda="Pesos")
    # As stored before: the text cut to three characters, formaDePago to twenty.
    Cfdi.objects.filter(pk=cfdi.pk).update(
        moneda="Pes", moneda_original="", forma_pago="PAGO EN UNA SOLA EXH"
    )
    call_command("cfdi_reindex", stdout=io.StringIO())
    cfdi.refresh_from_db()
    assert (cfdi.moneda, cfdi.moneda_original) == ("MXN", "Pesos")
    assert cfdi.forma_pago == "PAGO EN UNA SOLA EXHIBICION"


# --- 4. Nómina amounts ----------------------------------------------------------------

NOMINA11 = (
    '<nomina:Nomina xmlns:nomina="http://www.sat.gob.mx/nomina" Version="1.1" '
    'NumEmpleado="7" CURP="XOJI740919HDFLRS08" TipoRegimen="2" FechaPago="2016-05-15" '
    'FechaInicialPago="2016-05-01" FechaFinalPago="2016-05-15" NumDiasPagados="15" '
    'PeriodicidadPago="QUINCENAL">'
    '<nomina:Percepciones TotalGravado="1000.00" TotalExento="200.50">'
    '<nomina:Percepcion TipoPercepcion="001" Clave="001" Concepto="Sueldo" '
    'ImporteGravado="1000.00" ImporteExento="200.50"/></nomina:Percepciones>'
    '<nomina:Deducciones TotalGravado="150.00" TotalExento="50.25">'
    '<nomina:Deduccion TipoDeduccion="002" Clave="002" Concepto="ISR" '
    'ImporteGravado="150.00" ImporteExento="50.25"/></nomina:Deducciones>'
    "</nomina:Nomina>"
)


def test_nomina_1_1_totals_come_from_its_percepciones_and_deducciones_nodes():
    company = company_with_rfc(any_rfc())
    cfdi = _stored32(company, tipo="egreso", total="1000.25", complement=NOMINA11)
    assert cfdi.tipo == "N"
    assert cfdi.total_percepciones == Decimal("1200.50")
    assert cfdi.total_deducciones == Decimal("200.25")
    assert cfdi.total_otros_pagos == Decimal("0")


def test_several_nomina_complements_in_one_cfdi_are_summed(client):
    account = make_account()
    company = company_with_rfc(any_rfc(), account)
    two = nomina_xml(percepciones="1000.00", deducciones="100.00", otros_pagos="10.00")
    two += nomina_xml(percepciones="500.00", deducciones="50.00")
    data = cfdi_xml(emisor=company.rfc, receptor=any_rfc(), tipo="N", total="0", complement=two)
    outcome = cfdi_ingest(company=company, data=data, accept_unverified=True)
    cfdi = Cfdi.objects.get(company=company)
    assert (cfdi.total_percepciones, cfdi.total_deducciones, cfdi.total_otros_pagos) == (
        Decimal("1500.00"),
        Decimal("150.00"),
        Decimal("10.00"),
    )
    client.force_login(owner_of(account))
    body = client.get(reverse("cfdi:detail", args=[outcome.uuid])).content.decode()
    assert "1,500.00" in body


def test_the_reindex_command_fixes_nomina_1_1_totals_stored_as_zero():
    company = company_with_rfc(any_rfc())
    cfdi = _stored32(company, tipo="egreso", total="1000.25", complement=NOMINA11)
    Cfdi.objects.filter(pk=cfdi.pk).update(total_percepciones=0, total_deducciones=0)
    call_command("cfdi_reindex", stdout=io.StringIO())
    cfdi.refresh_from_db()
    assert (cfdi.total_percepciones, cfdi.total_deducciones) == (
        Decimal("1200.50"),
        Decimal("200.25"),
    )


# --- 5. two timbres ---------------------------------------------------------------------


def test_a_cfdi_with_two_timbres_fiscales_is_refused_naming_both_uuids():
    company = company_with_rfc(EKU)
    original = sample(PAGO_EKU)
    timbre = re.search(rb"<tfd:TimbreFiscalDigital.*?/>", original, re.DOTALL).group(0)
    other = str(uuid_module.uuid4())
    second = _TFD_UUID.sub(lambda m: m.group(1) + other.encode() + m.group(3), timbre)
    doubled = original.replace(timbre, timbre + second)
    outcome = cfdi_ingest(company=company, data=doubled, accept_unverified=True)
    assert outcome.status == Outcome.REFUSED
    assert outcome.code == RefusalCode.MULTIPLE_TIMBRES
    assert "2 Timbres Fiscales Digitales" in outcome.message
    assert SAMPLE_UUIDS[PAGO_EKU] in outcome.message and other in outcome.message
    assert not Cfdi.objects.filter(company=company).exists()


def test_two_timbres_in_separate_complemento_nodes_are_refused_too():
    company = company_with_rfc(any_rfc())
    data = cfdi_xml(emisor=company.rfc, receptor=any_rfc())
    complemento = re.search(rb"<cfdi:Complemento>.*</cfdi:Complemento>", data).group(0)
    other = _TFD_UUID.sub(
        lambda m: m.group(1) + str(uuid_module.uuid4()).encode() + m.group(3), complemento
    )
    outcome = cfdi_ingest(
        company=company, data=data.replace(complemento, complemento + other), accept_unverified=True
    )
    assert outcome.code == RefusalCode.MULTIPLE_TIMBRES


# --- 6. blanks before the XML declaration ------------------------------------------------


@pytest.mark.parametrize(
    "prefix", [b"\n", b"  \r\n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b"\r\n\xef\xbb\xbf"]
)
def test_blanks_or_a_bom_before_the_xml_declaration_are_accepted_and_the_original_kept(
    prefix, client
):
    from despacho.cfdi.selectors import cfdi_xml as stored_xml

    account = make_account()
    company = company_with_rfc(EKU, account)
    data = prefix + sample(PAGO_EKU)
    outcome = cfdi_ingest(company=company, data=data)
    assert outcome.status == Outcome.ACCEPTED, outcome.message
    cfdi = Cfdi.objects.get(company=company)
    assert cfdi.seal_verified is True
    assert stored_xml(cfdi) == data  # byte-identical, blanks included
    client.force_login(owner_of(account))
    assert client.get(reverse("cfdi:detail", args=[outcome.uuid])).status_code == 200
    pdf = client.get(reverse("cfdi:pdf", args=[outcome.uuid]))
    assert pdf.status_code == 200


def test_text_before_the_xml_declaration_is_still_not_xml():
    company = company_with_rfc(EKU)
    outcome = cfdi_ingest(company=company, data=b"hola\n" + sample(PAGO_EKU))
    assert outcome.code == RefusalCode.NOT_XML


def test_migration_0005_refills_the_cfdi_3_2_rows_already_stored():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("despacho.cfdi.migrations.0005_free_text_fields")
    company = company_with_rfc(any_rfc())
    cfdi = _stored32(company, moneda="Pesos", tipo="egreso", total="1000.25", complement=NOMINA11)
    Cfdi.objects.filter(pk=cfdi.pk).update(moneda="Pes", moneda_original="", total_percepciones=0)
    migration.refill_cfdi_32(apps, None)
    cfdi.refresh_from_db()
    assert (cfdi.moneda, cfdi.moneda_original) == ("MXN", "Pesos")
    assert cfdi.total_percepciones == Decimal("1200.50")

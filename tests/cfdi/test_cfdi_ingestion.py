"""Ingestion: real samples are stored and classified; duplicates, batches, storage, sealing."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from cfdi_samples import (
    INGRESO_HE,
    INGRESO_REAL,
    NOMINA_EKU,
    PAGO_EKU,
    PAGO_HE,
    SAMPLE_UUIDS,
    SAMPLES_DIR,
    any_rfc,
    cfdi_xml,
    company_with_rfc,
    sample,
    zip_of,
)
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import IntegrityError
from tests.factories import make_account, make_grant, make_membership

from despacho.audit.models import AuditEvent
from despacho.cfdi.models import Category, Cfdi, Direction, storage_key
from despacho.cfdi.refusals import RefusalCode
from despacho.cfdi.selectors import cfdi_xml as stored_xml
from despacho.cfdi.services import Outcome, cfdi_ingest, cfdi_ingest_files

pytestmark = pytest.mark.django_db

MEXICO = ZoneInfo("America/Mexico_City")


@pytest.mark.parametrize(
    ("name", "company_rfc", "direction", "category", "tipo", "total"),
    [
        (INGRESO_REAL, "ISD950921HE5", Direction.EMITIDO, Category.VENTAS, "I", "1000.00"),
        (INGRESO_REAL, "COSC8001137NA", Direction.RECIBIDO, Category.EGRESOS, "I", "1000.00"),
        (INGRESO_HE, "H&E951128469", Direction.EMITIDO, Category.VENTAS, "I", "17852.75"),
        (INGRESO_HE, "KIJ0906199R1", Direction.RECIBIDO, Category.EGRESOS, "I", "17852.75"),
        (PAGO_EKU, "EKU9003173C9", Direction.EMITIDO, Category.VENTAS, "P", "0"),
        (PAGO_EKU, "URE180429TM6", Direction.RECIBIDO, Category.EGRESOS, "P", "0"),
        (NOMINA_EKU, "EKU9003173C9", Direction.EMITIDO, Category.NOMINA, "N", "4700"),
        (NOMINA_EKU, "XOJI740919U48", Direction.RECIBIDO, Category.EGRESOS, "N", "4700"),
    ],
)
@pytest.mark.usefixtures("verify_seals")
def test_each_real_sample_is_stored_and_classified_by_the_company_rfc(
    name, company_rfc, direction, category, tipo, total
):
    company = company_with_rfc(company_rfc)
    outcome = cfdi_ingest(company=company, data=sample(name), name=name)
    assert outcome.status == Outcome.ACCEPTED, outcome.message
    cfdi = Cfdi.objects.get(company=company)
    assert str(cfdi.uuid) == SAMPLE_UUIDS[name]
    assert (cfdi.direction, cfdi.category, cfdi.tipo) == (direction, category, tipo)
    assert cfdi.total == Decimal(total)
    assert cfdi.seal_verified is True
    assert cfdi.version == "4.0"


def test_the_h_and_e_rfc_with_an_escaped_ampersand_is_read_as_the_company():
    company = company_with_rfc("H&E951128469")
    cfdi_ingest(company=company, data=sample(INGRESO_HE))
    cfdi = Cfdi.objects.get(company=company)
    assert cfdi.emisor_rfc == "H&E951128469"
    assert cfdi.emisor_nombre == "HERRERIA & ELECTRICOS S DE CV"
    assert cfdi.receptor_rfc == "KIJ0906199R1"


def test_index_fields_are_read_from_the_real_invoice():
    company = company_with_rfc("ISD950921HE5")
    cfdi_ingest(company=company, data=sample(INGRESO_REAL))
    cfdi = Cfdi.objects.get(company=company)
    assert (cfdi.serie, cfdi.folio) == ("O", "52375239")
    assert (cfdi.subtotal, cfdi.total, cfdi.moneda) == (Decimal("862.07"), Decimal("1000"), "MXN")
    assert cfdi.tipo_cambio == Decimal("1")
    assert (cfdi.forma_pago, cfdi.metodo_pago, cfdi.uso_cfdi) == ("04", "PUE", "G03")
    assert cfdi.receptor_nombre == "CARLOS CORTES SOTO"


def test_fecha_keeps_the_wall_clock_time_of_the_xml_in_mexico_city():
    company = company_with_rfc("ISD950921HE5")
    cfdi_ingest(company=company, data=sample(INGRESO_REAL))
    cfdi = Cfdi.objects.get(company=company)
    assert cfdi.fecha.astimezone(MEXICO).replace(tzinfo=None) == datetime(2025, 1, 24, 10, 10, 41)
    assert cfdi.fecha_timbrado.astimezone(MEXICO).replace(tzinfo=None) == datetime(
        2025, 1, 24, 10, 10, 42
    )


def test_the_original_is_stored_byte_identical_under_company_and_uuid():
    company = company_with_rfc("EKU9003173C9")
    data = sample(NOMINA_EKU)
    cfdi_ingest(company=company, data=data)
    cfdi = Cfdi.objects.get(company=company)
    assert cfdi.xml_path == storage_key(company.pk, SAMPLE_UUIDS[NOMINA_EKU])
    assert cfdi.xml_path == f"cfdi/{company.pk}/{SAMPLE_UUIDS[NOMINA_EKU]}.xml"
    assert stored_xml(cfdi) == data
    assert cfdi.size == len(data)
    assert cfdi.sha256 == hashlib.sha256(data).hexdigest()


def test_emisor_and_receptor_companies_each_store_the_same_uuid():
    emisor = company_with_rfc("H&E951128469")
    receptor = company_with_rfc("KIJ0906199R1")
    data = sample(INGRESO_HE)
    assert cfdi_ingest(company=emisor, data=data).status == Outcome.ACCEPTED
    assert cfdi_ingest(company=receptor, data=data).status == Outcome.ACCEPTED
    rows = Cfdi.objects.filter(uuid=SAMPLE_UUIDS[INGRESO_HE])
    assert sorted(rows.values_list("direction", flat=True)) == ["emitido", "recibido"]


def test_a_duplicate_uuid_is_reported_as_already_stored_not_as_an_error():
    company = company_with_rfc("ISD950921HE5")
    data = sample(INGRESO_REAL)
    cfdi_ingest(company=company, data=data)
    again = cfdi_ingest(company=company, data=data)
    assert again.status == Outcome.DUPLICATE
    assert again.code == ""
    assert again.message == "Ya estaba guardado."
    assert Cfdi.objects.filter(company=company).count() == 1


def test_the_database_refuses_a_second_row_for_the_same_company_and_uuid():
    company = company_with_rfc("ISD950921HE5")
    cfdi_ingest(company=company, data=sample(INGRESO_REAL))
    row = Cfdi.objects.get(company=company)
    row.pk = None
    with pytest.raises(IntegrityError):
        Cfdi.objects.create(**{f.attname: getattr(row, f.attname) for f in Cfdi._meta.fields})


def test_a_batch_reports_every_file_in_order():
    company = company_with_rfc("EKU9003173C9")
    files = [
        ("nomina.xml", io.BytesIO(sample(NOMINA_EKU))),
        ("pago.xml", io.BytesIO(sample(PAGO_EKU))),
        ("otra.xml", io.BytesIO(sample(INGRESO_REAL))),
        ("roto.xml", io.BytesIO(b"no soy xml")),
        ("nomina-otra-vez.xml", io.BytesIO(sample(NOMINA_EKU))),
    ]
    report = cfdi_ingest_files(company=company, files=files)
    assert [(o.name, o.status, o.code) for o in report.outcomes] == [
        ("nomina.xml", Outcome.ACCEPTED, ""),
        ("pago.xml", Outcome.ACCEPTED, ""),
        ("otra.xml", Outcome.REFUSED, RefusalCode.NOT_PARTY),
        ("roto.xml", Outcome.REFUSED, RefusalCode.NOT_XML),
        ("nomina-otra-vez.xml", Outcome.DUPLICATE, ""),
    ]
    assert report.counts == {"accepted": 2, "duplicate": 1, "refused": 2}


def test_a_zip_batch_reports_each_member_with_the_zip_name():
    company = company_with_rfc("EKU9003173C9")
    archive = zip_of({"a/nomina.xml": sample(NOMINA_EKU), "b/pago.xml": sample(PAGO_EKU)})
    report = cfdi_ingest_files(company=company, files=[("lote.zip", io.BytesIO(archive))])
    assert [(o.name, o.status) for o in report.outcomes] == [
        ("lote.zip/a/nomina.xml", Outcome.ACCEPTED),
        ("lote.zip/b/pago.xml", Outcome.ACCEPTED),
    ]


def test_a_batch_writes_one_audit_event_with_its_counts():
    company = company_with_rfc("EKU9003173C9")
    files = [("n.xml", io.BytesIO(sample(NOMINA_EKU))), ("x.xml", io.BytesIO(b"x"))]
    cfdi_ingest_files(company=company, files=files)
    event = AuditEvent.objects.get(action="cfdi.ingested", company=company)
    assert event.after["accepted"] == 1
    assert event.after["refused"] == 1


def test_when_the_rows_cannot_be_written_the_stored_files_are_removed(monkeypatch):
    company = company_with_rfc("EKU9003173C9")

    def broken_bulk_create(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Cfdi.objects, "bulk_create", broken_bulk_create)
    with pytest.raises(RuntimeError):
        cfdi_ingest(company=company, data=sample(NOMINA_EKU))
    assert not default_storage.exists(storage_key(company.pk, SAMPLE_UUIDS[NOMINA_EKU]))
    assert not default_storage.listdir(f"cfdi/{company.pk}")[1]
    assert not Cfdi.objects.filter(company=company).exists()


def test_when_one_original_cannot_be_written_the_batch_stores_none_and_leaves_no_file(
    monkeypatch,
):
    company = company_with_rfc(any_rfc())
    files = [
        (f"{i}.xml", io.BytesIO(cfdi_xml(emisor=company.rfc, receptor="XAXX010101000")))
        for i in range(6)
    ]
    real_save = default_storage.save
    calls = []

    def disk_full_on_the_fourth(name, content, *args, **kwargs):
        calls.append(name)
        if len(calls) == 4:
            raise OSError("No space left on device")
        return real_save(name, content, *args, **kwargs)

    monkeypatch.setattr(default_storage, "save", disk_full_on_the_fourth)
    with pytest.raises(OSError):
        cfdi_ingest_files(company=company, files=files, verify_seals=False)
    assert len(calls) == 6  # the chunk's files were written together
    assert (
        not default_storage.exists(f"cfdi/{company.pk}")
        or not default_storage.listdir(f"cfdi/{company.pk}")[1]
    )
    assert not Cfdi.objects.filter(company=company).exists()


def test_a_uuid_stored_concurrently_is_reported_as_duplicate_and_leaves_one_file(monkeypatch):
    from despacho.cfdi import services

    company = company_with_rfc("EKU9003173C9")
    data = sample(NOMINA_EKU)
    real_check = services.seal_check

    def another_process_stores_it_meanwhile(root, index):
        monkeypatch.setattr(services, "seal_check", real_check)
        cfdi_ingest(company=company, data=data, name="otro-proceso.xml", verify_seals=True)
        return real_check(root, index)

    monkeypatch.setattr(services, "seal_check", another_process_stores_it_meanwhile)
    outcome = cfdi_ingest(company=company, data=data, verify_seals=True)
    assert outcome.status == Outcome.DUPLICATE
    cfdi = Cfdi.objects.get(company=company)
    assert default_storage.listdir(f"cfdi/{company.pk}")[1] == [cfdi.xml_path.rsplit("/", 1)[1]]
    assert stored_xml(cfdi) == data


def test_a_uuid_stored_concurrently_in_a_batch_is_the_only_duplicate_of_its_chunk(monkeypatch):
    # A batch's rows go in with one insert per chunk (COPY on PostgreSQL): a UUID another
    # process stored meanwhile fails that insert, and each document is then stored alone.
    from despacho.cfdi import services

    company = company_with_rfc("EKU9003173C9")
    nomina, pago = sample(NOMINA_EKU), sample(PAGO_EKU)
    real_check = services.seal_check

    def another_process_stores_the_nomina_meanwhile(root, index):
        monkeypatch.setattr(services, "seal_check", real_check)
        cfdi_ingest(company=company, data=nomina, name="otro-proceso.xml", verify_seals=True)
        return real_check(root, index)

    monkeypatch.setattr(services, "seal_check", another_process_stores_the_nomina_meanwhile)
    files = [("nomina.xml", io.BytesIO(nomina)), ("pago.xml", io.BytesIO(pago))]
    report = cfdi_ingest_files(company=company, files=files, verify_seals=True)
    assert [o.status for o in report.outcomes] == [Outcome.DUPLICATE, Outcome.ACCEPTED]
    rows = Cfdi.objects.filter(company=company).order_by("xml_path")
    assert sorted(str(row.uuid).upper() for row in rows) == sorted(
        [SAMPLE_UUIDS[NOMINA_EKU].upper(), SAMPLE_UUIDS[PAGO_EKU].upper()]
    )
    assert sorted(default_storage.listdir(f"cfdi/{company.pk}")[1]) == [
        row.xml_path.rsplit("/", 1)[1] for row in rows
    ]
    assert [stored_xml(row) for row in rows if row.tipo == "P"] == [pago]


def test_the_rows_of_a_batch_get_their_own_relations_and_are_announced_with_their_keys():
    # The rows inserted together (COPY on PostgreSQL) must come back with their own keys:
    # the relations and the apps told of the new rows (``cfdi_stored``) use them.
    from despacho.cfdi.models import CfdiRelation
    from despacho.cfdi.signals import cfdi_stored

    announced: list[tuple[int | None, str]] = []

    def receiver(sender, *, company, rows, **kwargs):
        announced.extend((row.pk, str(row.uuid).upper()) for row in rows)

    cfdi_stored.connect(receiver, weak=False, dispatch_uid="test-announced-keys")
    company = company_with_rfc("EKU9003173C9")
    files = [
        ("nomina.xml", io.BytesIO(sample(NOMINA_EKU))),
        ("pago.xml", io.BytesIO(sample(PAGO_EKU))),
    ]
    try:
        report = cfdi_ingest_files(company=company, files=files, verify_seals=True)
    finally:
        cfdi_stored.disconnect(dispatch_uid="test-announced-keys")
    assert [o.status for o in report.outcomes] == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    pago = Cfdi.objects.get(company=company, tipo="P")
    nomina = Cfdi.objects.get(company=company, tipo="N")
    assert CfdiRelation.objects.filter(cfdi=pago).exists()
    assert not CfdiRelation.objects.filter(cfdi=nomina).exists()
    assert announced == [
        (nomina.pk, str(nomina.uuid).upper()),
        (pago.pk, str(pago.uuid).upper()),
    ]
    assert pago.seal_verified is True and nomina.seal_verified is True


def test_the_same_uuid_twice_in_one_batch_is_stored_once():
    company = company_with_rfc("EKU9003173C9")
    files = [("a.xml", io.BytesIO(sample(NOMINA_EKU))), ("b.xml", io.BytesIO(sample(NOMINA_EKU)))]
    report = cfdi_ingest_files(company=company, files=files)
    assert [o.status for o in report.outcomes] == [Outcome.ACCEPTED, Outcome.DUPLICATE]


@pytest.mark.usefixtures("verify_seals")
def test_a_timbre_that_belongs_to_another_comprobante_is_stored_only_when_confirmed():
    # The sample's SelloCFD is the Ingreso's seal, not this Pago's: the seal does not verify.
    company = company_with_rfc("H&E951128469")
    refused = cfdi_ingest(company=company, data=sample(PAGO_HE))
    assert refused.status == Outcome.REFUSED
    assert refused.code == RefusalCode.SEAL_INVALID
    assert "confirmas" in refused.message
    assert not Cfdi.objects.filter(company=company).exists()

    confirmed = cfdi_ingest(company=company, data=sample(PAGO_HE), accept_unverified=True)
    assert confirmed.status == Outcome.ACCEPTED
    assert Cfdi.objects.get(company=company).seal_verified is False


@pytest.mark.usefixtures("verify_seals")
def test_a_tampered_total_breaks_the_seal():
    company = company_with_rfc("ISD950921HE5")
    tampered = sample(INGRESO_REAL).replace(b'Total="1000.00"', b'Total="10.00"')
    outcome = cfdi_ingest(company=company, data=tampered)
    assert outcome.code == RefusalCode.SEAL_INVALID


def test_with_verification_off_the_seal_flag_stays_unknown():
    company = company_with_rfc("H&E951128469")
    outcome = cfdi_ingest(company=company, data=sample(PAGO_HE), verify_seals=False)
    assert outcome.status == Outcome.ACCEPTED
    assert Cfdi.objects.get(company=company).seal_verified is None


def test_a_user_may_only_store_the_categories_their_grant_opens():
    account = make_account()
    company = company_with_rfc("EKU9003173C9", account)
    member = make_membership(account)
    make_grant(member, company, "auxiliar_ventas")  # ventas, no nómina
    nomina = cfdi_ingest(company=company, data=sample(NOMINA_EKU), ingested_by=member.user)
    pago = cfdi_ingest(company=company, data=sample(PAGO_EKU), ingested_by=member.user)
    assert nomina.code == RefusalCode.NOT_PERMITTED
    assert "Nómina" in nomina.message
    assert pago.status == Outcome.ACCEPTED
    assert Cfdi.objects.get(company=company).ingested_by == member.user


def test_cfdi_3_3_and_3_2_documents_are_read():
    company = company_with_rfc(any_rfc())
    other = any_rfc()
    v33 = (
        cfdi_xml(emisor=company.rfc, receptor=other)
        .replace(b"http://www.sat.gob.mx/cfd/4", b"http://www.sat.gob.mx/cfd/3")
        .replace(b'Version="4.0"', b'Version="3.3"')
    )
    v32 = (
        '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" version="3.2" serie="B" '
        'folio="7" fecha="2016-05-01T09:00:00" subTotal="50.00" total="58.00" Moneda="MXN" '
        'tipoDeComprobante="egreso" formaDePago="PAGO EN UNA SOLA EXHIBICION" '
        'metodoDePago="Transferencia">'
        f'<cfdi:Emisor rfc="{company.rfc}" nombre="EMISOR"/>'
        f'<cfdi:Receptor rfc="{other}" nombre="R"/>'
        "<cfdi:Conceptos/><cfdi:Complemento>"
        '<tfd:TimbreFiscalDigital xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital" '
        'version="1.0" UUID="11111111-2222-3333-4444-555555555555" '
        'FechaTimbrado="2016-05-01T09:01:00" selloCFD="x" noCertificadoSAT="1" selloSAT="x"/>'
        "</cfdi:Complemento></cfdi:Comprobante>"
    ).encode()
    assert cfdi_ingest(company=company, data=v33).status == Outcome.ACCEPTED
    assert cfdi_ingest(company=company, data=v32).status == Outcome.ACCEPTED
    old = Cfdi.objects.get(company=company, version="3.2")
    assert (old.tipo, old.serie, old.folio, old.total) == ("E", "B", "7", Decimal("58"))
    assert old.metodo_pago == "Transferencia"


def test_the_ingest_command_reports_each_file_of_a_folder(tmp_path):
    company_with_rfc("EKU9003173C9")
    out = io.StringIO()
    call_command("ingest_cfdi", str(SAMPLES_DIR), company="eku9003173c9", stdout=out)
    text = out.getvalue()
    assert "Guardado: nomina12_swsapien_nomina12_40.xml" in text
    assert "[not_party]" in text
    assert "Guardados: 2, ya estaban guardados: 0, rechazados: 5." in text
    out = io.StringIO()
    call_command("ingest_cfdi", str(SAMPLES_DIR), company="EKU9003173C9", stdout=out)
    assert "Guardados: 0, ya estaban guardados: 2, rechazados: 5." in out.getvalue()


def test_the_demo_loads_the_samples_for_the_demo_companies_idempotently():
    from despacho.cfdi.demo import load_demo_cfdis

    for rfc in ("EKU9003173C9", "H&E951128469", "ISD950921HE5"):
        company_with_rfc(rfc)
    assert load_demo_cfdis() == 5
    assert load_demo_cfdis() == 0
    assert Cfdi.objects.count() == 5

"""Importing customers from a CSV or XLSX file at Clientes: every row checked by the customer
form's rules before anything is created, a preview, one confirmation, a result file, a
portal access per new customer with a real RFC, and a re-upload that adds nothing."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from despacho.audit.models import AuditEvent
from despacho.customers.models import Customer
from despacho.onboarding import engine
from despacho.onboarding.models import ImportJob, ImportStatus
from despacho.onboarding.rows import EXAMPLE_RFC
from despacho.portal.models import Origin, PortalAccess
from tests.customers.helpers import real_rfc, register
from tests.factories import make_account, make_company, make_grant, make_membership, owner_of
from tests.import_files import confirm, csv_upload, upload, xlsx_upload

pytestmark = pytest.mark.django_db

HEADER = ["rfc", "razon_social", "regimen_fiscal", "codigo_postal", "uso_cfdi", "correos"]


@pytest.fixture
def company():
    return make_company(make_account())


@pytest.fixture
def client(company):
    client = Client()
    client.force_login(owner_of(company.account))
    return client


def _csv(rows, *, header=HEADER):
    return csv_upload(header, rows, name="clientes.csv")


def _upload(client, file, capture):
    return upload(client, "customers", file, capture)


def _confirm(client, job, capture):
    return confirm(client, "customers", job, capture)


def _good(rfc=None, name="COMERCIALIZADORA DEL NORTE", email="compras@norte.example.mx"):
    return [rfc or real_rfc(), name, "601", "06600", "G03", email]


def test_a_file_with_good_and_bad_rows_previews_every_error_then_creates_only_the_good(
    client, company, django_capture_on_commit_callbacks
):
    good = _good()
    fisica = [real_rfc(moral=False), "MARÍA PÉREZ LÓPEZ", "612", "37000", "D01", ""]
    rows = [
        good,
        fisica,
        ["AAA010101AAB", "CHECK DIGIT MALO", "601", "06600", "G03", ""],  # bad check digit
        [real_rfc(), "MORAL CON REGIMEN DE FISICA", "612", "06600", "G03", ""],
        [real_rfc(), "USO NO PERMITIDO", "601", "06600", "D01", ""],
        [real_rfc(), "CP INEXISTENTE", "601", "00001", "G03", ""],
        [real_rfc(), "CORREO MALO", "601", "06600", "G03", "no-es-correo"],
        [good[0], "DUPLICADO EN EL ARCHIVO", "601", "06600", "G03", ""],
        ["XAXX010101000", "PUBLICO EN GENERAL", "601", "06600", "S01", ""],  # needs 616
        [EXAMPLE_RFC, "EJEMPLO COMERCIAL", "601", "06000", "G03", ""],
    ]
    job = _upload(client, _csv(rows), django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.READY
    assert (job.valid_rows, job.invalid_rows) == (2, 8)
    codes = {row["line"]: [e["code"] for e in row["errors"]] for row in job.rows}
    assert codes[2] == [] and codes[3] == []
    assert codes[5] == ["regimen_persona_mismatch"]
    assert codes[6] == ["uso_regimen_mismatch"]
    assert codes[7] == ["cp_unknown"]
    assert codes[10] == ["generic_regimen"]
    assert codes[9] == ["duplicate_rfc"]
    assert codes[11] == ["example_row"]
    page = client.get(reverse("customers:import_job", args=[job.pk])).content.decode()
    assert "homoclave AAB" in page
    assert "c_CodigoPostal" in page
    assert "Correos: no-es-correo no es una dirección válida." in page
    assert "ya aparece en la fila 2 del archivo" in page
    assert "616" in page
    # Nothing exists before the confirmation.
    assert not Customer.objects.filter(company=company).exists()

    job = _confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE
    assert (job.created_rows, job.skipped_rows) == (2, 8)
    created = Customer.objects.get(company=company, rfc=good[0])
    assert created.emails == ["compras@norte.example.mx"]
    assert created.name_folded == "comercializadora del norte"
    report = client.get(reverse("customers:import_report", args=[job.pk])).content.decode()
    lines = list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))
    assert lines[0] == ["fila", "rfc", "razón social", "correos", "resultado", "motivo"]
    outcomes = {int(line[0]): line[4] for line in lines[1:]}
    assert outcomes[2] == "creado" and outcomes[4] == "omitido"
    summary = AuditEvent.objects.filter(company=company, action="customers.imported")
    assert summary.count() == 1
    assert summary.get().after["created"] == 2


def test_each_imported_customer_gets_its_portal_access_but_never_a_generic_rfc(
    client, company, django_capture_on_commit_callbacks
):
    rfc = real_rfc()
    rows = [
        _good(rfc, email="pagos@norte.example.mx"),
        ["XAXX010101000", "PUBLICO EN GENERAL", "616", "06600", "S01", ""],
        ["XEXX010101000", "ACME CORPORATION", "616", "06600", "S01", ""],
    ]
    header = [*HEADER, "tax_id", "pais"]
    rows[2] += ["123456789", "USA"]
    rows[0] += ["", ""]
    rows[1] += ["", ""]
    job = _upload(client, _csv(rows, header=header), django_capture_on_commit_callbacks)
    assert job.valid_rows == 3, job.rows
    _confirm(client, job, django_capture_on_commit_callbacks)
    assert Customer.objects.filter(company=company).count() == 3
    access = PortalAccess.objects.get(company=company)
    assert (access.rfc, access.email, access.origin) == (rfc, "pagos@norte.example.mx", Origin.AUTO)


def test_re_uploading_the_same_file_adds_nothing(
    client, company, django_capture_on_commit_callbacks
):
    existing = register(company, razon_social="CLIENTE DE ANTES")
    upload = [_good(), _good(existing.rfc, name="NOMBRE NUEVO")]
    job = _upload(client, _csv(upload), django_capture_on_commit_callbacks)
    assert [e["code"] for e in job.rows[1]["errors"]] == ["already_customer"]
    _confirm(client, job, django_capture_on_commit_callbacks)
    before = (Customer.objects.count(), PortalAccess.objects.count(), AuditEvent.objects.count())
    again = _upload(client, _csv(upload), django_capture_on_commit_callbacks)
    assert (again.valid_rows, again.invalid_rows) == (0, 2)
    response = client.post(reverse("customers:import_confirm", args=[again.pk]))
    assert response.status_code == 302
    assert Customer.objects.get(pk=existing.pk).razon_social == "CLIENTE DE ANTES"
    assert before == (
        Customer.objects.count(),
        PortalAccess.objects.count(),
        AuditEvent.objects.count(),
    )


def test_an_xlsx_file_imports_like_a_csv_and_keeps_the_cps_leading_zero(
    client, company, django_capture_on_commit_callbacks
):
    rfc = real_rfc()
    row = [rfc, "DISTRIBUIDORA DEL CENTRO", 601, 6600, "G03", "ventas@centro.example.mx"]
    job = _upload(client, xlsx_upload(HEADER, [row]), django_capture_on_commit_callbacks)
    assert job.encoding == "xlsx"
    assert job.rows[0]["errors"] == []
    assert job.rows[0]["values"]["codigo_postal"] == "06600"
    _confirm(client, job, django_capture_on_commit_callbacks)
    assert Customer.objects.get(company=company, rfc=rfc).codigo_postal == "06600"


def test_an_unreadable_workbook_gets_one_clear_message(client, company):
    upload = SimpleUploadedFile("clientes.xlsx", b"PK\x03\x04 not really a workbook")
    response = client.post(reverse("customers:import_start"), {"file": upload})
    assert response.status_code == 400
    assert "No pudimos leer el libro de Excel" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_template_downloads_as_csv_and_as_xlsx(client):
    csv_template = client.get(reverse("customers:import_template"))
    assert csv_template.status_code == 200
    assert csv_template.content.decode("utf-8-sig").startswith("rfc,razon_social,regimen_fiscal")
    xlsx = client.get(reverse("customers:import_template_xlsx"))
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 1).value == "rfc"
    assert sheet.cell(2, 1).value == EXAMPLE_RFC


def test_another_companys_import_is_not_found(client, company, django_capture_on_commit_callbacks):
    other = make_company(make_account())
    foreign = Client()
    foreign.force_login(owner_of(other.account))
    job = _upload(foreign, _csv([_good()]), django_capture_on_commit_callbacks)
    for name in ("customers:import_job", "customers:import_report"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("customers:import_confirm", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.READY
    assert client.get(reverse("onboarding:import_job", args=[job.pk])).status_code in (403, 404)


def test_without_datos_maestros_the_import_is_refused(company):
    member = make_membership(company.account)
    make_grant(member, company, "consulta")
    client = Client()
    client.force_login(member.user)
    for name in ("customers:import_start", "customers:import_template"):
        assert client.get(reverse(name)).status_code == 403
    response = client.post(reverse("customers:import_start"), {"file": _csv([_good()])})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_a_customer_registered_between_review_and_confirmation_is_skipped_not_doubled(
    client, company, django_capture_on_commit_callbacks
):
    rfc = real_rfc()
    job = _upload(client, _csv([_good(rfc), _good()]), django_capture_on_commit_callbacks)
    assert job.valid_rows == 2
    register(company, rfc=rfc, razon_social="REGISTRADO A MANO")
    job = _confirm(client, job, django_capture_on_commit_callbacks)
    assert (job.created_rows, job.skipped_rows) == (1, 1)
    assert job.report[0]["outcome"] == "skipped"
    assert "ya es cliente de esta empresa" in job.report[0]["reason"]
    assert Customer.objects.get(company=company, rfc=rfc).razon_social == "REGISTRADO A MANO"


def test_checking_and_creating_take_the_same_queries_for_5_rows_as_for_50(company):
    kind = engine.import_kind("customers")
    actor = owner_of(company.account)

    def run(n):
        lines = "".join(
            f"{real_rfc()},CLIENTE {n}-{i},601,06600,G03,c{n}-{i}@x.mx\r\n" for i in range(n)
        )
        data = (",".join(HEADER) + "\r\n" + lines).encode()
        job = engine.import_start(
            kind=kind,
            firm=company.account,
            company=company,
            actor=actor,
            file_name="c.csv",
            data=data,
        )
        with CaptureQueriesContext(connection) as validating:
            engine.import_validate(job_id=job.pk)
        engine.import_confirm(job=job, actor=actor)
        with CaptureQueriesContext(connection) as creating:
            job = engine.import_create(job_id=job.pk)
        assert job.created_rows == n
        return len(validating), len(creating)

    assert run(5) == run(50)

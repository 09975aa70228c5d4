"""Importing products from a CSV or XLSX file at Productos: SAT keys checked against the
tables in the database, the price as a Decimal, objeto de impuesto, the tax scheme by name
or the company's default, duplicates by clave and description, idempotent re-uploads."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from despacho.audit.models import AuditEvent
from despacho.onboarding.models import ImportStatus
from despacho.products.models import Product
from tests.factories import make_account, make_company, make_grant, make_membership, owner_of
from tests.import_files import confirm, csv_upload, upload, xlsx_upload
from tests.products.factories import make_product, make_scheme

pytestmark = pytest.mark.django_db

HEADER = ["clave_prod_serv", "clave_unidad", "descripcion", "precio", "objeto_imp", "esquema"]


@pytest.fixture
def company():
    return make_company(make_account())


@pytest.fixture
def client(company):
    client = Client()
    client.force_login(owner_of(company.account))
    return client


def _csv(rows):
    return csv_upload(HEADER, rows, name="productos.csv", delimiter=";", encoding="cp1252")


def _upload(client, file, capture):
    return upload(client, "products", file, capture)


def _confirm(client, job, capture):
    return confirm(client, "products", job, capture)


def test_good_rows_are_created_and_bad_ones_say_which_field_breaks_which_rule(
    client, company, django_capture_on_commit_callbacks
):
    make_scheme(company, name="Retención honorarios")
    rows = [
        ["50201706", "H87", "Café de grano", "$1,250.50", "", ""],  # default IVA 16 %
        ["84111506", "E48", "Asesoría contable", "5000", "02", "retencion HONORARIOS"],
        ["01010101", "H87", "Exento de impuestos", "10", "01", ""],
        ["99999999", "H87", "Clave que no existe", "10", "02", ""],
        ["50201706", "XXX", "Unidad que no existe", "10", "02", ""],
        ["50201706", "H87", "Precio raro", "diez pesos", "02", ""],
        ["50201706", "H87", "Demasiados decimales", "1.1234567", "02", ""],
        ["50201706", "H87", "Objeto inexistente", "1", "09", ""],
        ["50201706", "H87", "Esquema ajeno", "1", "02", "No existe"],
        ["01010101", "H87", "Objeto 01 con esquema", "1", "01", "IVA 16 %"],
        ["50201706", "H87", "CAFÉ DE GRANO", "99", "", ""],  # same key as row 2
    ]
    job = _upload(client, _csv(rows), django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.READY
    codes = {row["line"]: [e["code"] for e in row["errors"]] for row in job.rows}
    assert codes == {
        2: [],
        3: [],
        4: [],
        5: ["unknown_product_key"],
        6: ["unknown_unit_key"],
        7: ["invalid"],
        8: ["too_many_decimals"],
        9: ["unknown_objeto_imp"],
        10: ["unknown_tax_scheme"],
        11: ["scheme_not_allowed"],
        12: ["duplicate"],
    }
    page = client.get(reverse("products:import_job", args=[job.pk])).content.decode()
    assert "c_ClaveProdServ" in page and "c_ClaveUnidad" in page
    assert "ya aparece en la fila 2 del archivo" in page

    job = _confirm(client, job, django_capture_on_commit_callbacks)
    assert (job.created_rows, job.skipped_rows) == (3, 8)
    cafe = Product.objects.get(company=company, description="Café de grano")
    assert cafe.unit_price == Decimal("1250.50")
    assert cafe.tax_scheme is not None and cafe.tax_scheme.preset == "iva16"
    asesoria = Product.objects.get(company=company, description="Asesoría contable")
    assert asesoria.tax_scheme.name == "Retención honorarios"
    assert Product.objects.get(description="Exento de impuestos").tax_scheme is None
    assert AuditEvent.objects.filter(company=company, action="products.imported").count() == 1


def test_re_uploading_the_same_file_adds_nothing_and_existing_products_are_kept(
    client, company, django_capture_on_commit_callbacks
):
    make_product(company, description="Café de grano tostado")
    rows = [
        ["50201706", "H87", "café de grano TOSTADO", "1", "02", ""],
        ["50201706", "H87", "Té verde", "80", "02", ""],
    ]
    job = _upload(client, _csv(rows), django_capture_on_commit_callbacks)
    assert [e["code"] for e in job.rows[0]["errors"]] == ["already_product"]
    _confirm(client, job, django_capture_on_commit_callbacks)
    count = Product.objects.filter(company=company).count()
    again = _upload(client, _csv(rows), django_capture_on_commit_callbacks)
    assert (again.valid_rows, again.invalid_rows) == (0, 2)
    assert Product.objects.filter(company=company).count() == count == 2


def test_an_xlsx_file_keeps_the_keys_leading_zeros(
    client, company, django_capture_on_commit_callbacks
):
    job = _upload(
        client,
        xlsx_upload(HEADER, [[1010101, "H87", "Producto", 12.5, 1, None]]),
        django_capture_on_commit_callbacks,
    )
    assert job.rows[0]["errors"] == [], job.rows
    assert job.rows[0]["values"]["clave_prod_serv"] == "01010101"
    assert job.rows[0]["values"]["precio"] == "12.5"


def test_validation_queries_do_not_grow_with_the_rows(company, django_capture_on_commit_callbacks):
    from despacho.onboarding import engine

    kind = engine.import_kind("products")

    def validate(n):
        lines = "".join(f"50201706,H87,Producto {company.pk}-{n}-{i},10,02,\r\n" for i in range(n))
        data = "clave_prod_serv,clave_unidad,descripcion,precio,objeto_imp,esquema\r\n" + lines
        job = engine.import_start(
            kind=kind,
            firm=company.account,
            company=company,
            actor=owner_of(company.account),
            file_name="p.csv",
            data=data.encode(),
        )
        with CaptureQueriesContext(connection) as queries:
            engine.import_validate(job_id=job.pk)
        return len(queries)

    validate(1)  # the presets are created the first time
    assert validate(5) == validate(50)


def test_without_datos_maestros_the_import_is_refused_and_another_companys_job_is_404(
    client, company, django_capture_on_commit_callbacks
):
    other = make_company(make_account())
    foreign = Client()
    foreign.force_login(owner_of(other.account))
    rows = [["50201706", "H87", "Producto", "1", "02", ""]]
    job = _upload(foreign, _csv(rows), django_capture_on_commit_callbacks)
    assert client.get(reverse("products:import_job", args=[job.pk])).status_code == 404
    assert client.post(reverse("products:import_confirm", args=[job.pk])).status_code == 404
    member = make_membership(company.account)
    make_grant(member, company, "consulta")
    refused = Client()
    refused.force_login(member.user)
    assert refused.get(reverse("products:import_start")).status_code == 403
    assert refused.get(reverse("products:import_template_xlsx")).status_code == 403

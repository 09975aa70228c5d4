"""Bulk onboarding: upload, preview every row, confirm, result; idempotent, isolated, whole rows."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from despacho.audit.models import AuditEvent
from despacho.members.models import Invitation
from despacho.onboarding import services
from despacho.onboarding.models import ImportJob, ImportStatus
from despacho.onboarding.rows import EXAMPLE_RFC
from despacho.people.models import User
from despacho.tenancy.models import Account, Company, CompanyLink, LinkStatus, Membership
from tests.factories import (
    make_account,
    make_client_of,
    make_company,
    make_membership,
    make_user,
    owner_of,
    valid_rfc,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    account = make_account(name="Méndez Ríos Contadores")
    make_company(account)
    return account


def _file(rows, *, delimiter=",", encoding="utf-8-sig", name="clientes.csv"):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["nombre", "rfc", "telefono", "email", "codigo_postal"])
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")


def _upload(client, upload, capture):
    with capture(execute=True):
        response = client.post(reverse("onboarding:import_start"), {"file": upload})
    assert response.status_code == 302, response.content.decode()
    return ImportJob.objects.latest("pk")


def _confirm(client, job, capture):
    with capture(execute=True):
        response = client.post(reverse("onboarding:import_confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def test_the_template_has_the_columns_and_an_example_row(client, firm):
    client.force_login(owner_of(firm))
    response = client.get(reverse("onboarding:import_template"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, example = list(csv.reader(io.StringIO(text)))
    assert header[:4] == ["nombre", "rfc", "telefono", "email"]
    assert EXAMPLE_RFC in example
    page = client.get(reverse("onboarding:import_start")).content.decode()
    assert "601 para personas morales y 612 para físicas" in page


def test_the_preview_shows_each_row_valid_or_with_its_errors_in_spanish(
    client, firm, django_capture_on_commit_callbacks
):
    managed = make_client_of(firm)
    elsewhere = make_company(make_account())
    make_user(email="ya@existe.mx")
    good = valid_rfc()
    rows = [
        ["BUENA SA DE CV", good, "55 1234 5678", "dueno@buena.mx", "06000"],
        ["REPETIDA SA", good, "", "", "06000"],
        ["PUBLICO EN GENERAL", "XAXX010101000", "", "", "06000"],
        ["MAL TELEFONO SA", valid_rfc(), "123", "", "06000"],
        ["MAL CORREO SA", valid_rfc(), "", "no-es-correo", "06000"],
        ["YA MIA SA", managed.rfc, "", "", "06000"],
        ["DE OTRO SA", elsewhere.rfc, "", "", "06000"],
        ["PERSONA CON CUENTA SA", valid_rfc(), "", "ya@existe.mx", "06000"],
        ["EJEMPLO COMERCIAL SA DE CV", EXAMPLE_RFC, "", "", "06000"],
        ["SIN CP SA", valid_rfc(), "", "", ""],
    ]
    client.force_login(owner_of(firm))
    job = _upload(client, _file(rows), django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.READY
    assert (job.valid_rows, job.invalid_rows) == (3, 7)
    codes = {row["line"]: [e["code"] for e in row["errors"]] for row in job.rows}
    assert codes == {
        2: [],
        3: ["duplicate_rfc"],
        4: ["generic_rfc"],
        5: ["phone_invalid"],
        6: ["invalid_email"],
        7: ["already_managed"],
        8: [],  # another account's RFC: nothing tells the firm (it becomes an invitation)
        9: [],  # an email with a login: likewise
        10: ["example_row"],
        11: ["codigo_postal_format"],
    }
    body = client.get(reverse("onboarding:import_job", args=[job.pk])).content.decode()
    for message in (
        "ya aparece en la fila 2 del archivo",
        "es un RFC genérico",
        "no es un teléfono de México de 10 dígitos",
        "no es un correo válido",
        "ya administras",
        "fila de ejemplo de la plantilla",
        "Crear 3 empresas",
        "en lugar de crearla invitaremos a su propietario",
    ):
        assert message in body, message
    assert "ya tiene cuenta en Despacho. No se crea" not in body
    assert "ya tiene acceso" not in body
    assert not Company.objects.filter(rfc=good).exists()  # nothing written before confirming


def test_the_start_page_says_what_the_review_does_with_the_example_row(
    client, firm, django_capture_on_commit_callbacks
):
    client.force_login(owner_of(firm))
    page = client.get(reverse("onboarding:import_start")).content.decode()
    assert "la revisión la lista entre las filas con errores, con el motivo" in page
    assert "se omite sola" not in page  # the review does list it
    rows = [["EJEMPLO COMERCIAL SA DE CV", EXAMPLE_RFC, "", "", "06000"]]
    job = _upload(client, _file(rows), django_capture_on_commit_callbacks)
    assert job.invalid_rows == 1
    review = client.get(reverse("onboarding:import_job", args=[job.pk])).content.decode()
    assert 'data-code="example_row"' in review


def test_rows_naming_someone_elses_rfc_or_email_read_and_end_like_any_row_and_invite_the_owner(
    client, firm, django_capture_on_commit_callbacks
):
    elsewhere = make_company(make_account(), razon_social="VECINA DISCRETA SA DE CV")
    person = make_user(email="ya@existe.mx")
    other = make_account(owner=person)
    persons_company = make_company(other, razon_social="DE QUIEN YA EXISTE SA")
    fresh = valid_rfc()
    rows = [
        ["DE OTRO SA", elsewhere.rfc, "", "", "06000"],
        ["PERSONA CON CUENTA SA", valid_rfc(), "", "ya@existe.mx", "06000"],
        ["NUEVA SA", fresh, "", "nueva@example.mx", "06000"],
    ]
    capture = django_capture_on_commit_callbacks
    client.force_login(owner_of(firm))
    job = _upload(client, _file(rows), capture)
    review = [(row["errors"], sorted(row["values"])) for row in job.rows]
    assert review[0] == review[1] == review[2]  # three rows, one answer
    job = _confirm(client, job, capture)
    assert [item["outcome"] for item in job.report] == ["created"] * 3
    assert len({item["reason"] for item in job.report}) == 1
    page = client.get(reverse("onboarding:import_job", args=[job.pk])).content.decode()
    assert page.count("Creada o invitada") == 3
    for secret in (elsewhere.razon_social, persons_company.razon_social):
        assert secret not in page
    # The owners were invited (they decide); the new client was created.
    assert CompanyLink.objects.get(firm=firm, company=elsewhere).status == LinkStatus.PENDING
    assert CompanyLink.objects.get(firm=firm, company=persons_company).status == "pending"
    assert Company.objects.filter(rfc=fresh).exists()
    assert Company.objects.filter(rfc=elsewhere.rfc).count() == 1


def test_confirming_creates_each_company_with_its_own_account_managed_by_the_firm(
    client, firm, smtp_inbox, django_capture_on_commit_callbacks
):
    with_email, without_email = valid_rfc(), valid_rfc(moral=False)
    rows = [
        ["COMERCIAL PÉREZ SA DE CV", with_email, "+52 55-1234-5678", "perez@example.mx", "06000"],
        ["JUAN LÓPEZ GARCÍA", without_email, "(33) 1234 5678", "", "44100"],
    ]
    client.force_login(owner_of(firm))
    job = _confirm(
        client,
        _upload(client, _file(rows), django_capture_on_commit_callbacks),
        django_capture_on_commit_callbacks,
    )
    assert job.status == ImportStatus.DONE
    assert (job.created_rows, job.skipped_rows) == (2, 0)

    perez = Company.objects.get(rfc=with_email)
    assert (perez.telefono, perez.regimen_fiscal) == ("5512345678", "601")
    lopez = Company.objects.get(rfc=without_email)
    assert lopez.regimen_fiscal == "612"  # persona física
    for company in (perez, lopez):
        assert company.account != firm
        link = CompanyLink.objects.get(firm=firm, company=company)
        assert link.status == LinkStatus.ACCEPTED
    owner = Membership.objects.get(account=perez.account, role="owner").user
    assert owner.email == "perez@example.mx" and not owner.has_usable_password()
    assert not Membership.objects.filter(account=lopez.account).exists()  # firm-managed
    (message,) = smtp_inbox.to("perez@example.mx")
    assert "COMERCIAL PÉREZ SA DE CV" in message["Subject"]
    assert len(smtp_inbox.messages) == 1
    assert AuditEvent.objects.filter(account=firm, action="import.completed").count() == 1
    assert AuditEvent.objects.filter(action="client_account.created").count() == 2
    assert perez.search_text == "comercial perez sa de cv " + with_email.lower()


def test_re_uploading_the_same_file_creates_nothing_twice(
    client, firm, django_capture_on_commit_callbacks
):
    rows = [
        ["UNO SA", valid_rfc(), "", "uno@example.mx", "06000"],
        ["DOS SA", valid_rfc(), "", "", "06000"],
    ]
    client.force_login(owner_of(firm))
    capture = django_capture_on_commit_callbacks
    _confirm(client, _upload(client, _file(rows), capture), capture)
    counts = (Company.objects.count(), Account.objects.count(), User.objects.count())
    again = _upload(client, _file(rows), capture)
    assert (again.valid_rows, again.invalid_rows) == (0, 2)
    assert {e["code"] for r in again.rows for e in r["errors"]} == {"already_managed"}
    response = client.post(reverse("onboarding:import_confirm", args=[again.pk]), follow=True)
    assert "no tiene filas por crear" in response.content.decode()
    assert (Company.objects.count(), Account.objects.count(), User.objects.count()) == counts


def test_a_second_confirmation_changes_nothing(client, firm, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    client.force_login(owner_of(firm))
    job = _confirm(
        client, _upload(client, _file([["A SA", valid_rfc(), "", "", "06000"]]), capture), capture
    )
    before = Company.objects.count()
    _confirm(client, job, capture)
    assert Company.objects.count() == before


def test_the_result_csv_lists_created_and_skipped_rows_with_formulas_neutralised(
    client, firm, django_capture_on_commit_callbacks
):
    rows = [
        ['=HYPERLINK("http://mal.example","clic")', "XAXX010101000", "", "", "06000"],
        ["+SUMA SA", valid_rfc(), "", "", "06000"],
    ]
    capture = django_capture_on_commit_callbacks
    client.force_login(owner_of(firm))
    job = _confirm(client, _upload(client, _file(rows), capture), capture)
    response = client.get(reverse("onboarding:import_report", args=[job.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["fila", "nombre", "rfc", "email", "resultado", "motivo"]
    assert lines[1][1].startswith("'=HYPERLINK")
    assert lines[1][4] == "omitida" and "genérico" in lines[1][5]
    assert lines[2][1] == "'+SUMA SA" and lines[2][4] == "creada o invitada"


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "cp1252"), ("\t", "utf-16"), (",", "utf-8"), (";", "utf-8-sig")],
)
def test_files_from_any_spreadsheet_import(
    client, firm, delimiter, encoding, django_capture_on_commit_callbacks
):
    rfc = valid_rfc()
    upload = _file([["CAFÉ AÑIL SA", rfc, "", "", "06000"]], delimiter=delimiter, encoding=encoding)
    client.force_login(owner_of(firm))
    job = _upload(client, upload, django_capture_on_commit_callbacks)
    assert job.valid_rows == 1
    assert job.rows[0]["values"]["nombre"] == "CAFÉ AÑIL SA"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "El archivo está vacío."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "no parece un archivo de texto"),
        (b"PK\x03\x04\x14\x00\x06\x00", "libro de Excel"),
    ],
)
def test_an_unreadable_file_gets_one_clear_message(client, firm, content, message):
    client.force_login(owner_of(firm))
    upload = SimpleUploadedFile("clientes.csv", content or b" ", content_type="text/csv")
    if not content:
        upload = SimpleUploadedFile("clientes.csv", b"\n\n", content_type="text/csv")
    response = client.post(reverse("onboarding:import_start"), {"file": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_files_above_the_size_limit_are_refused(client, firm, settings):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(owner_of(firm))
    upload = _file([["A SA", valid_rfc(), "", "", "06000"]] * 10)
    response = client.post(reverse("onboarding:import_start"), {"file": upload})
    assert response.status_code == 400
    assert "el máximo es" in response.content.decode()


def test_a_file_over_the_limit_is_told_its_real_size_not_the_limits(client, firm, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024  # 1 MB
    client.force_login(owner_of(firm))
    big = SimpleUploadedFile(
        "clientes.csv", b"nombre,rfc\n" + b"x" * (3 * 1024 * 1024 + 600 * 1024), "text/csv"
    )
    response = client.post(reverse("onboarding:import_start"), {"file": big})
    assert response.status_code == 400
    assert "El archivo pesa 3.6 MB; el máximo es 1 MB." in response.content.decode()


def _rows(n, tag="c"):
    return [
        [f"EMPRESA {i} SA", valid_rfc(), "5512345678", f"{tag}{i}@example.mx", "06000"]
        for i in range(n)
    ]


def _creation_queries(firm, n, tag):
    from django.db import transaction

    actor = owner_of(firm)
    data = _csv_bytes(_rows(n, tag))
    job = services.import_start(firm=firm, actor=actor, file_name="x.csv", data=data)
    services.import_validate(job_id=job.pk)
    with transaction.atomic():
        services.import_confirm(job=job, actor=actor)
    with CaptureQueriesContext(connection) as creation:
        services.import_create(job_id=job.pk)
    assert ImportJob.objects.get(pk=job.pk).created_rows == n
    return len(creation)


def _csv_bytes(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["nombre", "rfc", "telefono", "email", "codigo_postal"])
    writer.writerows(rows)
    return out.getvalue().encode()


def test_creation_makes_the_same_number_of_queries_for_5_rows_and_for_60(firm):
    firm_b = make_account()
    make_company(firm_b)
    assert _creation_queries(firm, 5, "a") == _creation_queries(firm_b, 60, "b")


def test_validation_makes_the_same_number_of_queries_for_5_rows_and_for_60(firm):
    actor = owner_of(firm)
    counts = []
    for n in (5, 60):
        job = services.import_start(
            firm=firm, actor=actor, file_name="x.csv", data=_csv_bytes(_rows(n))
        )
        with CaptureQueriesContext(connection) as captured:
            services.import_validate(job_id=job.pk)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_failing_import_leaves_whole_rows_and_a_report_that_says_which(firm, monkeypatch):
    actor = owner_of(firm)
    monkeypatch.setattr(services, "CREATE_CHUNK", 2)
    rows = _rows(5)
    job = services.import_start(firm=firm, actor=actor, file_name="x.csv", data=_csv_bytes(rows))
    services.import_validate(job_id=job.pk)
    from django.db import transaction

    with transaction.atomic():
        services.import_confirm(job=job, actor=actor)
    calls = {"n": 0}

    def writer(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            services.clients_write(**kwargs)  # writes, then the run dies mid-chunk
            raise RuntimeError("el disco se llenó")
        return services.clients_write(**kwargs)

    job = services.import_create(job_id=job.pk, writer=writer)
    assert job.status == ImportStatus.FAILED
    assert "Las filas marcadas como creadas sí se crearon completas" in job.error
    outcomes = {item["line"]: item["outcome"] for item in job.report}
    assert outcomes == {
        2: "created",
        3: "created",
        4: "not_created",
        5: "not_created",
        6: "not_created",
    }
    created_rfcs = {rows[0][1], rows[1][1]}
    assert (
        set(
            Company.objects.filter(account__company_links__isnull=True)
            .exclude(account=firm)
            .values_list("rfc", flat=True)
        )
        == created_rfcs
    )
    # Every created row is whole; the rolled-back chunk left nothing behind.
    assert User.objects.filter(email__in=["c0@example.mx", "c1@example.mx"]).count() == 2
    assert not User.objects.filter(email="c2@example.mx").exists()
    assert Invitation.objects.filter(kind="client_activation").count() == 2


def test_another_firm_gets_404_for_these_imports(client, firm, django_capture_on_commit_callbacks):
    client.force_login(owner_of(firm))
    job = _upload(
        client, _file([["A SA", valid_rfc(), "", "", "06000"]]), django_capture_on_commit_callbacks
    )
    other = make_account(name="Otro Despacho")
    make_company(other)
    client.force_login(owner_of(other))
    for name, method in (
        ("onboarding:import_job", "get"),
        ("onboarding:import_report", "get"),
        ("onboarding:import_confirm", "post"),
    ):
        assert getattr(client, method)(reverse(name, args=[job.pk])).status_code == 404
    assert "clientes.csv" not in client.get(reverse("onboarding:import_start")).content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


def test_members_cannot_import(client, firm):
    member = make_membership(firm)
    from tests.factories import make_grant

    make_grant(member, firm.companies.get())
    client.force_login(member.user)
    assert client.get(reverse("onboarding:import_start")).status_code == 403


def test_the_page_polls_while_the_import_runs(client, firm):
    job = ImportJob.objects.create(
        firm=firm,
        file_name="grande.csv",
        file_sha256="0" * 64,
        total_rows=10_000,
        processed_rows=2500,
    )
    client.force_login(owner_of(firm))
    body = client.get(reverse("onboarding:import_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert "2500 de 10000 filas procesadas" in body
    job.status = ImportStatus.DONE
    job.save()
    fragment = client.get(reverse("onboarding:import_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "every 1s" not in fragment.content.decode()

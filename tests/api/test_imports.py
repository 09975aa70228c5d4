"""CSV onboarding through the API: upload (validated by the background task), review the
rows, confirm (the valid rows are created by the background task), list."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from despacho.onboarding.models import ImportJob
from despacho.tenancy.models import Company
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, make_tenant
from tests.factories import valid_rfc

pytestmark = pytest.mark.django_db

HEADER = "nombre,rfc,telefono,email,codigo_postal\r\n"


def _csv(*rows: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("clientes.csv", (HEADER + "".join(rows)).encode(), "text/csv")


def _good(name: str = "FERRETERIA EL CLAVO SA DE CV") -> str:
    return f"{name},{valid_rfc()},5555555555,{valid_rfc().lower()}@example.mx,06600\r\n"


def test_an_upload_is_validated_row_by_row_then_confirmed(django_capture_on_commit_callbacks):
    tenant = make_tenant()
    api = api_as(tenant.token)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.multipart("/imports", {"file": _csv(_good(), "SIN RFC,,,,06600\r\n")})
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["file_name"] == "clientes.csv"
    job = api.get(f"/imports/{job['id']}").json()
    assert job["status"] == "ready"
    assert (job["total_rows"], job["valid_rows"], job["invalid_rows"]) == (2, 1, 1)
    valid, invalid = job["rows"]
    assert (valid["line"], valid["outcome"], valid["errors"]) == (2, "valid", [])
    assert invalid["outcome"] == "invalid"
    assert {"field": "rfc"}.items() <= invalid["errors"][0].items()

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = api.post(f"/imports/{job['id']}/confirm")
    assert confirmed.status_code == 200
    done = api.get(f"/imports/{job['id']}").json()
    assert done["status"] == "done" and done["created_rows"] == 1
    assert [row["outcome"] for row in done["rows"]] == ["created", "skipped"]
    assert Company.objects.filter(rfc=valid["rfc"]).exists()

    again = api.post(f"/imports/{job['id']}/confirm")
    assert again.status_code == 409
    assert error_of(again)["code"] == "not_ready"


def test_while_validating_the_rows_are_not_reported_yet():
    tenant = make_tenant()
    response = api_as(tenant.token).multipart("/imports", {"file": _csv(_good())})
    body = response.json()
    assert body["status"] == "validating" and body["rows"] == []


def test_an_unreadable_file_is_422_on_the_file_field():
    tenant = make_tenant()
    api = api_as(tenant.token)
    empty = SimpleUploadedFile("vacio.csv", b"", "text/csv")
    response = api.multipart("/imports", {"file": empty})
    assert response.status_code == 422
    error = error_of(response)
    assert error["fields"][0]["field"] == "file"
    assert error["fields"][0]["code"] == error["code"]
    missing = api.multipart("/imports", {})
    assert missing.status_code == 422
    assert error_of(missing)["fields"][0]["field"] == "file"
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_refused_without_reading_it_all(settings):
    settings.IMPORT_MAX_BYTES = 100
    tenant = make_tenant()
    response = api_as(tenant.token).multipart("/imports", {"file": _csv(*[_good()] * 5)})
    assert response.status_code == 422
    assert error_of(response)["code"] == "too_large"


def test_a_file_over_the_limit_is_told_its_real_size(settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    tenant = make_tenant()
    big = b"nombre,rfc\n" + b"x" * (31 * 1024 * 1024)
    upload = SimpleUploadedFile("clientes.csv", big, "text/csv")
    response = api_as(tenant.token).multipart("/imports", {"file": upload})
    assert response.status_code == 422
    assert error_of(response)["message"].startswith("El archivo pesa 31.0 MB; el máximo es 1 MB.")


def test_members_cannot_import():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    response = api_as(make_key(member)).multipart("/imports", {"file": _csv(_good())})
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_manager"
    assert not ImportJob.objects.exists()


def test_another_firms_import_is_404():
    mine, theirs = make_tenant(), make_tenant()
    job = api_as(theirs.token).multipart("/imports", {"file": _csv(_good())}).json()
    api = api_as(mine.token)
    for response in (api.get(f"/imports/{job['id']}"), api.post(f"/imports/{job['id']}/confirm")):
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert api.get("/imports").json()["items"] == []


def test_an_upload_retried_with_its_idempotency_key_creates_one_import():
    tenant = make_tenant()
    api = api_as(tenant.token)
    headers = {"Idempotency-Key": "importacion-1"}
    row = _good()
    first = api.multipart("/imports", {"file": _csv(row)}, headers=headers)
    again = api.multipart("/imports", {"file": _csv(row)}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ImportJob.objects.filter(firm=tenant.account).count() == 1


def test_imports_list_newest_first_in_pages():
    tenant = make_tenant()
    api = api_as(tenant.token)
    ids = [api.multipart("/imports", {"file": _csv(_good())}).json()["id"] for _ in range(3)]
    first = api.get("/imports", {"limit": 2}).json()
    second = api.get("/imports", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [j["id"] for j in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None
    assert "rows" not in first["items"][0]

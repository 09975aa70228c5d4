"""Tesorería through the API: accounts, statement upload, movements, matches."""

from __future__ import annotations

import pytest
from django.test import Client

from despacho.treasury.models import MatchStatus
from tests.api.factories import active_member, make_key, owner_membership
from tests.cfdi.cfdi_samples import any_rfc, cfdi_xml, nomina_xml
from tests.treasury.conftest import BBVA_CLABE, sample

pytestmark = pytest.mark.django_db


def _client(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def api(company):
    return _client(make_key(owner_membership(company.account)))


def _account(api, company, **changes):
    body = {
        "company": str(company.pk),
        "bank": "012",
        "number": "0123456789",
        "clabe": BBVA_CLABE,
        "opening_balance": "100000.00",
        "opening_date": "2026-01-01",
        **changes,
    }
    return api.post("/api/v1/bank-accounts", body, content_type="application/json")


def test_an_account_is_created_and_a_statement_uploaded(api, company):
    created = _account(api, company)
    assert created.status_code == 201, created.json()
    account = created.json()
    assert account["bank_name"] == "BBVA BANCOMER" and account["balance"] == "100000.00"
    url = f"/api/v1/bank-accounts/{account['id']}/statements?company={company.pk}"
    upload = api.post(url, {"file": _file("bbva-enero-2026.ofx")})
    assert upload.status_code == 201, upload.json()
    assert upload.json()["added"] == 2
    again = api.post(url, {"file": _file("bbva-enero-2026.ofx")})
    assert again.json()["added"] == 0
    movements = api.get(f"/api/v1/bank-movements?company={company.pk}&pending=true").json()
    assert [m["amount"] for m in movements["items"]] == ["-2320.50", "11600.00"]


def _file(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, sample(name))


def test_a_wrong_clabe_is_422_on_its_field(api, company):
    response = _account(api, company, bank="002")
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert [(f["field"], f["code"]) for f in fields] == [("clabe", "clabe_bank_mismatch")]


def test_bad_lines_come_back_one_field_each(api, company):
    account = _account(api, company).json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("m.csv", b"Fecha,Concepto,Cargo,Abono\r\n99/01/2026,X,,1.00\r\n")
    response = api.post(
        f"/api/v1/bank-accounts/{account['id']}/statements?company={company.pk}",
        {"file": bad, "layout": "bbva"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    assert error["fields"][0]["field"] == "line 2: fecha"


def test_matches_hide_payroll_documents_from_a_key_without_nomina(company, owner):
    from despacho.access.catalog import Perm
    from despacho.cfdi.services import cfdi_ingest
    from despacho.treasury.services import statement_import
    from despacho.treasury.statements import PRESETS
    from tests.factories import make_grant, make_membership
    from tests.treasury.conftest import make_bank_account

    cfdi_ingest(
        company=company,
        data=cfdi_xml(emisor=company.rfc, receptor=any_rfc(), tipo="N", total="900.00",
                      subtotal="900.00", complement=nomina_xml(percepciones="900.00")),
    )  # fmt: skip
    account = make_bank_account(company, owner, opening="0")
    statement_import(
        account=account,
        actor=owner,
        file_name="m.csv",
        data=b'Fecha,Descripcion,Importe\r\n15/01/2026,NOMINA,"-900.00"\r\n',
        layout=PRESETS["hsbc"],
    )
    membership = make_membership(company.account)
    make_grant(membership, company, "contador", remove=[Perm.NOMINA])
    api = _client(make_key(membership))
    refreshed = api.post(f"/api/v1/bank-matches/refresh?company={company.pk}")
    assert refreshed.json() == {"suggestions": 1}
    (match,) = api.get(f"/api/v1/bank-matches?company={company.pk}").json()["items"]
    assert match["cfdis"] == [{"uuid": None, "label": "Nómina del periodo", "amount": "900.00"}]
    confirmed = api.post(f"/api/v1/bank-matches/{match['id']}/confirm?company={company.pk}")
    assert confirmed.json()["status"] == MatchStatus.CONFIRMED
    twice = api.post(f"/api/v1/bank-matches/{match['id']}/confirm?company={company.pk}")
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "not_pending")


def test_without_tesoreria_the_api_answers_403(company):
    member = active_member(company.account, [company])
    response = _client(make_key(member)).get(f"/api/v1/bank-accounts?company={company.pk}")
    assert response.status_code == 403

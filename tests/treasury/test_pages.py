"""Tesorería's pages: registering an account, importing a statement (refusals by line),
reconciling; without Tesorería every page is the 403 that says why."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from despacho.treasury.models import BankAccount, Match, MatchStatus, Movement
from despacho.workspace.active import SESSION_KEY as ACTIVE_COMPANY
from tests.treasury.conftest import BBVA_CLABE, make_bank_account, sample
from tests.treasury.test_reconciliation import CUSTOMER, issue

pytestmark = pytest.mark.django_db


def _login(client, user, company):
    client.force_login(user)
    session = client.session
    session[ACTIVE_COMPANY] = company.pk
    session.save()


def test_a_treasurer_registers_an_account_from_the_page(client, company, treasurer):
    _login(client, treasurer, company)
    page = client.get(reverse("treasury:home"))
    assert page.status_code == 200
    assert "BBVA BANCOMER" in page.content.decode()
    response = client.post(
        reverse("treasury:account_create"),
        {
            "bank_code": "012",
            "number": "0123456789",
            "clabe": BBVA_CLABE,
            "currency": "MXN",
            "opening_balance": "100000.00",
            "opening_date": "2026-01-01",
        },
    )
    account = BankAccount.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("treasury:account", args=[account.pk])


def test_a_wrong_clabe_is_named_on_the_page(client, company, treasurer):
    _login(client, treasurer, company)
    response = client.post(
        reverse("treasury:account_create"),
        {
            "bank_code": "002",
            "number": "0123456789",
            "clabe": BBVA_CLABE,
            "currency": "MXN",
            "opening_balance": "0",
            "opening_date": "2026-01-01",
        },
    )
    assert response.status_code == 422
    assert "no es el banco elegido" in response.content.decode()
    assert not BankAccount.objects.exists()


def test_importing_a_statement_shows_the_balance_chart(client, company, treasurer):
    account = make_bank_account(company, treasurer)
    _login(client, treasurer, company)
    response = client.post(
        reverse("treasury:statement_upload", args=[account.pk]),
        {"file": SimpleUploadedFile("enero.ofx", sample("bbva-enero-2026.ofx")), "layout": ""},
    )
    assert response.status_code == 302
    page = client.get(reverse("treasury:account", args=[account.pk])).content.decode()
    assert "<svg" in page and "109,279.50" in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_a_refused_statement_lists_its_bad_lines(client, company, treasurer):
    account = make_bank_account(company, treasurer)
    _login(client, treasurer, company)
    bad = b"Fecha,Concepto,Cargo,Abono\r\n99/01/2026,X,,1.00\r\n"
    response = client.post(
        reverse("treasury:statement_upload", args=[account.pk]),
        {"file": SimpleUploadedFile("malo.csv", bad), "layout": "bbva"},
    )
    assert response.status_code == 422
    assert "Fila 2 (fecha)" in response.content.decode()
    assert not Movement.objects.exists()


def test_reconciling_from_the_page(client, company, owner):
    issue(company, total="11600.00")
    account = make_bank_account(company, owner, opening="0")
    from despacho.treasury.services import statement_import
    from despacho.treasury.statements import PRESETS

    statement_import(
        account=account,
        actor=owner,
        file_name="m.csv",
        data=f'Fecha,Descripción,Importe\r\n12/01/2026,SPEI {CUSTOMER},"11,600.00"\r\n'.encode(),
        layout=PRESETS["hsbc"],
    )
    _login(client, owner, company)
    client.post(reverse("treasury:suggest"))
    match = Match.objects.get(status=MatchStatus.SUGGESTED)
    page = client.get(reverse("treasury:reconcile")).content.decode()
    assert f'data-match="{match.pk}"' in page
    client.post(reverse("treasury:confirm", args=[match.pk]))
    match.refresh_from_db()
    assert match.status == MatchStatus.CONFIRMED
    assert client.get(reverse("home")).status_code == 200
    month_chart = client.get(reverse("treasury:home")).content.decode()
    assert "1 conciliados, 0 pendientes" in month_chart
    assert Movement.objects.get().amount == Decimal("11600.00")


def test_without_tesoreria_the_page_says_why(client, company, seller):
    _login(client, seller, company)
    response = client.get(reverse("treasury:home"))
    assert response.status_code == 403
    assert "Tesorería" in response.content.decode()
    nav = client.get(reverse("home")).content.decode()
    assert reverse("treasury:home") not in nav

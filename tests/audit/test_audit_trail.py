"""The audit trail: written with the change or not at all, read by owners and admins only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.audit.services import audit_record
from despacho.members.services.accounts import account_create, company_create
from despacho.tenancy.models import Account, Role
from tests.factories import (
    make_account,
    make_company,
    make_grant,
    make_membership,
    make_user,
    owner_of,
)

pytestmark = pytest.mark.django_db

AUDIT = reverse("audit:list")
EXPORT = reverse("audit:export")


def test_a_service_writes_its_event_with_actor_account_company_and_after(client):
    owner = make_user(email="dueno@example.mx")
    account = account_create(name="Despacho Uno", owner=owner)
    company = company_create(
        account=account,
        actor=owner,
        rfc="EKU9003173C9",
        razon_social="ESCUELA KEMPER URGATE",
        regimen_fiscal="601",
        codigo_postal="26015",
    )
    event = AuditEvent.objects.get(action=Action.COMPANY_CREATED)
    assert (event.actor, event.actor_label) == (owner, "dueno@example.mx")
    assert (event.account, event.company) == (account, company)
    assert event.target_type == "tenancy.company"
    assert event.target_id == str(company.pk)
    assert event.after["razon_social"] == "ESCUELA KEMPER URGATE"
    assert event.occurred_at <= timezone.now()


def test_a_service_that_fails_after_writing_leaves_no_event(monkeypatch):
    owner = make_user()

    def broken_membership(**kwargs):
        raise RuntimeError("disk full")

    # The account row is written, then the owner's membership fails: nothing stays.
    monkeypatch.setattr(
        "despacho.members.services.accounts.Membership.objects.create", broken_membership
    )
    with pytest.raises(RuntimeError):
        account_create(name="A medias", owner=owner)
    assert not Account.objects.filter(name="A medias").exists()
    assert not AuditEvent.objects.filter(action=Action.ACCOUNT_CREATED).exists()


def test_a_refused_service_leaves_no_event():
    account = make_account()
    count = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        company_create(
            account=account,
            actor=owner_of(account),
            rfc="EKU9003173C9",
            razon_social="X",
            regimen_fiscal="612",
            codigo_postal="26015",
        )
    assert AuditEvent.objects.count() == count


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_write_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit_record(actor=None, action=Action.ACCOUNT_CREATED)


def test_the_client_ip_of_the_request_is_recorded(client):
    user = make_user()
    client.force_login(user)
    new = "Otra.Clave.Nueva.77"
    client.post(
        reverse("security:password_change"),
        {"old_password": "Clave.Segura.2026", "new_password1": new, "new_password2": new},
        REMOTE_ADDR="203.0.113.7",
    )
    event = AuditEvent.objects.get(action=Action.USER_PASSWORD_CHANGED)
    assert event.ip == "203.0.113.7"


def test_events_cannot_be_updated_or_deleted_through_the_orm():
    make_account()
    event = AuditEvent.objects.first()
    assert event is not None
    event.action = "tampered"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.all().delete()
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == Action.ACCOUNT_CREATED


# --- the page ----------------------------------------------------------------------------


def _account_with_history():
    account = make_account(name="Despacho Bitácora")
    make_company(account, razon_social="EMPRESA AUDITADA")
    return account


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_see_their_accounts_events(client, role):
    account = _account_with_history()
    user = owner_of(account) if role == Role.OWNER else make_membership(account, role=role).user
    client.force_login(user)
    response = client.get(AUDIT)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bitácora de Despacho Bitácora" in page
    assert "Empresa creada" in page
    assert "Cuenta creada" in page


def test_members_are_refused_the_audit_page_and_export(client):
    account = _account_with_history()
    member = make_membership(account)
    make_grant(member, account.companies.get())
    client.force_login(member.user)
    refused = client.get(AUDIT)
    assert refused.status_code == 403
    assert "Solo el propietario y los administradores ven la bitácora." in refused.content.decode()
    assert client.get(EXPORT).status_code == 403
    assert f'href="{AUDIT}"' not in client.get(reverse("home")).content.decode()


def test_the_page_never_shows_another_accounts_events(client):
    account = _account_with_history()
    make_company(make_account(name="Otra Cuenta"), razon_social="EMPRESA AJENA")
    client.force_login(owner_of(account))
    page = client.get(AUDIT).content.decode()
    assert "EMPRESA AJENA" not in page
    assert "Otra Cuenta" not in page


def test_filters_by_who_what_and_when(client):
    account = _account_with_history()
    owner = owner_of(account)
    admin = make_membership(account, role=Role.ADMIN, user=make_user(email="admin@example.mx"))
    company_create(
        account=account,
        actor=admin.user,
        rfc="H&E951128469",
        razon_social="HERRERIA POR ADMIN",
        regimen_fiscal="601",
        codigo_postal="59820",
    )
    client.force_login(owner)

    def events(**filters) -> str:
        return client.get(AUDIT, filters, HTTP_HX_REQUEST="true").content.decode()

    by_admin = events(actor="admin@")
    assert "HERRERIA POR ADMIN" in by_admin
    assert "EMPRESA AUDITADA" not in by_admin

    accounts_only = events(action=Action.ACCOUNT_CREATED)
    assert "creó la cuenta" in accounts_only
    assert "HERRERIA POR ADMIN" not in accounts_only

    today = timezone.localdate()
    assert "HERRERIA POR ADMIN" in events(since=today)
    tomorrow = (today + timedelta(days=1)).isoformat()
    future = events(since=tomorrow)
    assert "No hay eventos con esos filtros." in future
    yesterday = (today - timedelta(days=1)).isoformat()
    past = events(until=yesterday)
    assert "No hay eventos con esos filtros." in past


def test_an_inverted_date_range_is_refused_with_a_message(client):
    account = _account_with_history()
    client.force_login(owner_of(account))
    page = client.get(AUDIT, {"since": "2026-05-02", "until": "2026-05-01"}).content.decode()
    assert "Hasta: debe ser igual o posterior a «Desde»." in page


def test_htmx_filtering_returns_only_the_events_fragment(client):
    account = _account_with_history()
    client.force_login(owner_of(account))
    fragment = client.get(AUDIT, {"actor": ""}, HTTP_HX_REQUEST="true").content.decode()
    assert "<table" in fragment
    assert "<html" not in fragment


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def test_the_export_is_a_csv_of_the_filtered_events(client):
    account = _account_with_history()
    client.force_login(owner_of(account))
    response = client.get(EXPORT, {"action": Action.COMPANY_CREATED})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="bitacora-')
    header, *rows = _csv(response)
    assert header == [
        "Fecha",
        "Quién",
        "Acción",
        "Empresa",
        "Objeto",
        "Qué pasó",
        "Antes",
        "Después",
        "IP",
    ]
    assert len(rows) == 1
    assert rows[0][2] == "Empresa creada"
    assert "registró la empresa EMPRESA AUDITADA (" in rows[0][5]
    assert "Razón social: EMPRESA AUDITADA." in rows[0][5]
    assert '"razon_social": "EMPRESA AUDITADA"' in rows[0][7]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(client, start):
    account = make_account()
    make_company(account, razon_social=f'{start}HYPERLINK("http://evil.example","x")')
    client.force_login(owner_of(account))
    _, *rows = _csv(client.get(EXPORT, {"action": Action.COMPANY_CREATED}))
    target = rows[0][4]
    assert target.startswith("'" + start)

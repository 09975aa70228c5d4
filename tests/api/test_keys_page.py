"""The "Claves de API" page and the create_api_key command."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from despacho.api.models import ApiKey
from despacho.audit.models import AuditEvent
from tests.api.conftest import api_as
from tests.api.factories import active_member, make_key, make_tenant

pytestmark = pytest.mark.django_db


def _client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_owner_creates_a_key_sees_the_secret_once_and_it_works():
    tenant = make_tenant()
    client = _client_of(tenant.owner.user)
    response = client.post(
        "/claves-api/",
        {"name": "ERP", "membership": tenant.owner.pk, "permissions": ["ventas", "egresos"]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    token = re.search(r'id="new-key-token">([^<]+)<', html).group(1)
    key = ApiKey.objects.get(name="ERP")
    assert token.startswith(key.prefix + "_")
    assert api_as(token).get("/companies").status_code == 200
    listing = client.get("/claves-api/").content.decode()
    assert token not in listing  # shown once
    assert key.prefix in listing
    assert AuditEvent.objects.filter(action="api_key.created", target_id=str(key.pk)).exists()


def test_revoking_from_the_page_stops_the_key():
    tenant = make_tenant()
    key = ApiKey.objects.get(account=tenant.account)
    response = _client_of(tenant.owner.user).post(f"/claves-api/{key.pk}/revocar/")
    assert response.status_code == 302
    assert api_as(tenant.token).get("/companies").status_code == 401


def test_another_accounts_key_cannot_be_revoked_from_here():
    tenant, other = make_tenant(), make_tenant()
    key = ApiKey.objects.get(account=other.account)
    response = _client_of(tenant.owner.user).post(f"/claves-api/{key.pk}/revocar/")
    assert response.status_code == 404
    assert api_as(other.token).get("/companies").status_code == 200


def test_members_cannot_open_the_page():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    member.user.set_password("Clave.Segura.2026")
    member.user.save()
    assert _client_of(member.user).get("/claves-api/").status_code == 403


def test_the_new_key_acts_as_the_person_creating_it_unless_they_choose_someone_else():
    tenant = make_tenant()  # the owner is "Juan Pérez López"
    active_member(tenant.account, [tenant.company], full_name="Abel Acosta Alba")
    admin = active_member(tenant.account, [], role="admin", full_name="Zoe Zamora Zapata")
    html = _client_of(admin.user).get("/claves-api/").content.decode()
    select = re.search(r'<select name="membership".*?</select>', html, re.S).group(0)
    selected = re.findall(r'<option value="(\d+)"[^>]*selected', select)
    assert selected == [str(admin.pk)]


def test_an_admin_cannot_make_a_key_acting_as_the_owner():
    tenant = make_tenant()
    admin = active_member(tenant.account, [], role="admin")
    response = _client_of(admin.user).post(
        "/claves-api/", {"name": "Como el dueño", "membership": tenant.owner.pk}
    )
    assert "solo puedes crear claves para ti" in response.content.decode()
    assert not ApiKey.objects.filter(name="Como el dueño").exists()


def test_the_command_prints_a_key_for_a_member_found_by_rfc():
    tenant = make_tenant()
    out = io.StringIO()
    call_command(
        "create_api_key",
        "--email",
        tenant.owner.user.email.upper(),
        "--account",
        tenant.company.rfc.lower(),
        stdout=out,
    )
    token = out.getvalue().strip()
    assert api_as(token).get("/companies").status_code == 200


def test_the_command_refuses_someone_outside_the_account():
    tenant = make_tenant()
    stranger = make_tenant()
    with pytest.raises(CommandError, match="not a member"):
        call_command(
            "create_api_key",
            "--email",
            stranger.owner.user.email,
            "--account",
            str(tenant.account.pk),
        )


def test_keys_listed_on_the_page_belong_to_the_account_only():
    tenant, other = make_tenant(), make_tenant()
    make_key(tenant.owner, name="Propia")
    make_key(other.owner, name="Ajena")
    html = _client_of(tenant.owner.user).get("/claves-api/").content.decode()
    assert "Propia" in html
    assert "Ajena" not in html

"""TOTP two-factor authentication (django-otp): enrolment, the second login step, recovery
codes, throttling, and the account policy that makes it mandatory for owners and admins."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.security.models import AccountSecurityPolicy
from despacho.tenancy.models import Role
from tests.factories import (
    PASSWORD,
    make_account,
    make_company,
    make_grant,
    make_membership,
    make_user,
    owner_of,
)
from tests.security.conftest import log_in

pytestmark = pytest.mark.django_db

HOME = reverse("home")
SETUP = reverse("security:setup")
VERIFY = reverse("security:verify")
POLICY = reverse("security:policy")


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or a step later), from the device's key."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def make_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def enrol(client: Client, user) -> list[str]:
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": code_for(device)})
    assert response.status_code == 200, response.content.decode()
    return re.findall(r"<li><code>([^<]+)</code></li>", response.content.decode())


# --- enrolment -----------------------------------------------------------------------------


def test_the_setup_page_shows_a_qr_code_inline_and_the_key_for_manual_entry(client):
    client.force_login(make_user())
    body = client.get(SETUP).content.decode()
    assert '<img class="qr" src="data:image/svg+xml;base64,' in body
    device = TOTPDevice.objects.get(confirmed=False)
    from base64 import b32encode

    assert b32encode(device.bin_key).decode() in body
    assert "<script" not in body.replace('<script src="/static/', "")


def test_a_wrong_code_does_not_confirm_the_authenticator(client):
    user = make_user()
    client.force_login(user)
    client.get(SETUP)
    response = client.post(SETUP, {"code": "000000"})
    assert "Código: no coincide" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_confirming_with_a_real_code_shows_ten_recovery_codes_once_and_is_audited(client):
    user = make_user()
    client.force_login(user)
    codes = enrol(client, user)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert AuditEvent.objects.filter(action=Action.TWO_FACTOR_ENABLED, actor=user).exists()
    # The page of the enrolled person never shows the codes again.
    body = client.get(SETUP).content.decode()
    assert not any(code in body for code in codes)
    assert "Activada" in body


# --- the second login step -----------------------------------------------------------------


def test_after_the_password_a_person_with_an_authenticator_must_give_a_code(client):
    user = make_user(email="ana@example.mx")
    device = make_device(user)
    response = log_in(client, "ana@example.mx")
    assert response.status_code == 302
    home = client.get(HOME)
    assert home.status_code == 302
    assert home["Location"].startswith(VERIFY)
    session_before = client.session.session_key
    done = client.post(VERIFY, {"code": code_for(device), "next": HOME})
    assert done["Location"] == HOME
    assert client.get(HOME).status_code == 200
    assert client.session.session_key != session_before  # rotated at the second step


def test_the_code_page_shows_nothing_of_the_accounts_before_the_code(client):
    user = make_user(email="ana@example.mx", full_name="Ana Ruiz Soto")
    make_device(user)
    account = make_account(name="DESPACHO RUIZ Y ASOCIADOS", owner=user)
    own = make_company(account, razon_social="FERRETERA DEL NORTE SA DE CV")
    client_company = make_company(make_account(), razon_social="PANADERIA LA ESPIGA SA DE CV")
    make_grant(make_membership(client_company.account, user, Role.MEMBER), client_company)
    log_in(client, "ana@example.mx")
    client.get(HOME)  # the session's workspace is chosen as usual
    response = client.get(VERIFY)
    assert response.status_code == 200
    body = response.content.decode()
    # The bare page: the logo, the code form and the way out.
    assert 'class="brand"' in body
    assert 'name="code"' in body
    assert reverse("people:logout") in body
    for secret in [
        "DESPACHO RUIZ Y ASOCIADOS",
        own.razon_social,
        own.rfc,
        client_company.razon_social,
        client_company.rfc,
        "Ana Ruiz Soto",
        "Propietario",
        'class="mainnav"',
        'class="switcher"',
        reverse("security:setup") + '"',
        reverse("security:password_change"),
    ]:
        assert secret not in body, secret


def test_nothing_but_the_code_page_and_logout_open_before_the_code(client):
    user = make_user(email="ana@example.mx")
    make_device(user)
    account = make_account(owner=user)
    make_company(account)
    log_in(client, "ana@example.mx")
    for url in [HOME, SETUP, reverse("users:list"), reverse("audit:list"), reverse("cfdi:upload")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(VERIFY), url
    htmx = client.get(reverse("users:list"), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204
    assert htmx["HX-Redirect"].startswith(VERIFY)
    assert client.post(reverse("people:logout")).status_code == 302


def test_a_wrong_code_is_refused_and_the_next_try_must_wait(client):
    user = make_user(email="ana@example.mx")
    device = make_device(user)
    log_in(client, "ana@example.mx")
    wrong = client.post(VERIFY, {"code": "000000"})
    assert "Código: no es válido" in wrong.content.decode()
    too_soon = client.post(VERIFY, {"code": code_for(device)})
    assert "demasiados intentos" in too_soon.content.decode()
    assert client.get(HOME).status_code == 302


def test_the_same_code_cannot_be_used_twice(client):
    user = make_user(email="ana@example.mx")
    device = make_device(user)
    code = code_for(device)
    log_in(client, "ana@example.mx")
    assert client.post(VERIFY, {"code": code})["Location"] == "/"
    other = Client()
    log_in(other, "ana@example.mx")
    response = other.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert other.get(HOME).status_code == 302


def test_a_recovery_code_opens_the_session_once(client):
    user = make_user(email="ana@example.mx")
    setup_client = Client()
    setup_client.force_login(user)
    codes = enrol(setup_client, user)
    log_in(client, "ana@example.mx")
    assert client.post(VERIFY, {"code": codes[0]})["Location"] == "/"
    assert client.get(HOME).status_code == 200
    again = Client()
    log_in(again, "ana@example.mx")
    assert "Código: no es válido" in again.post(VERIFY, {"code": codes[0]}).content.decode()
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_an_unverified_session_cannot_enrol_a_new_authenticator(client):
    """Someone with only the password must not replace the person's second factor."""
    user = make_user(email="ana@example.mx")
    make_device(user)
    log_in(client, "ana@example.mx")
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    assert client.post(SETUP, {"code": "123456"})["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_disabling_needs_the_password(client):
    user = make_user()
    client.force_login(user)
    enrol(client, user)
    client.post(reverse("security:disable"), {"password": "no-es"})
    assert TOTPDevice.objects.filter(user=user).exists()
    client.post(reverse("security:disable"), {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action=Action.TWO_FACTOR_DISABLED, actor=user).exists()


# --- the account policy --------------------------------------------------------------------


@pytest.fixture
def firm():
    account = make_account(name="Despacho Seguro")
    company = make_company(account)
    admin = make_membership(account, role=Role.ADMIN)
    member = make_membership(account)
    make_grant(member, company)
    return {"account": account, "owner": owner_of(account), "admin": admin.user, "member": member}


def test_an_owner_without_2fa_cannot_demand_it_of_others(client, firm):
    client.force_login(firm["owner"])
    response = client.post(POLICY, {"require_2fa_for_managers": "on"}, follow=True)
    assert "actívala primero en tu propia cuenta" in response.content.decode()
    assert not AccountSecurityPolicy.objects.filter(require_2fa_for_managers=True).exists()


def test_only_the_owner_sets_the_policy(client, firm):
    client.force_login(firm["admin"])
    assert client.post(POLICY, {"require_2fa_for_managers": "on"}).status_code == 403


def test_with_the_policy_on_an_admin_without_2fa_is_sent_to_set_it_up_first(client, firm):
    owner_client = Client()
    owner_client.force_login(firm["owner"])
    enrol(owner_client, firm["owner"])
    owner_client.post(POLICY, {"require_2fa_for_managers": "on"})
    assert AccountSecurityPolicy.objects.get().require_2fa_for_managers
    assert AuditEvent.objects.filter(action=Action.SECURITY_POLICY_CHANGED).exists()

    client.force_login(firm["admin"])
    for url in [HOME, reverse("users:list")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(SETUP)
    setup_page = client.get(SETUP).content.decode()
    assert "exige la verificación en dos pasos" in setup_page
    enrol(client, firm["admin"])
    assert client.get(HOME).status_code == 200
    # and while the policy holds, they cannot switch it off
    client.post(reverse("security:disable"), {"password": PASSWORD})
    assert TOTPDevice.objects.filter(user=firm["admin"], confirmed=True).exists()


def test_the_policy_does_not_apply_to_members(client, firm):
    AccountSecurityPolicy.objects.create(account=firm["account"], require_2fa_for_managers=True)
    client.force_login(firm["member"].user)
    assert client.get(HOME).status_code == 200

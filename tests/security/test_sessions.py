"""Sessions expire after inactivity, rotate at login, and end when the password changes or
the membership is deactivated."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from despacho.members.services.members import member_deactivate
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


def test_a_session_ends_after_the_inactivity_limit_and_each_request_extends_it(clock):
    make_user(email="ana@example.mx")
    client = Client()
    log_in(client, "ana@example.mx")
    idle = settings.SESSION_COOKIE_AGE
    clock.advance(seconds=idle - 60)
    assert client.get(HOME).status_code == 200  # this request restarts the count
    clock.advance(seconds=idle - 60)
    assert client.get(HOME).status_code == 200
    clock.advance(seconds=idle + 1)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))


def test_logging_in_gives_a_new_session_key(client):
    make_user(email="ana@example.mx")
    client.get(reverse("people:login"))
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    log_in(client, "ana@example.mx")
    assert client.session.session_key != before


def test_a_password_reset_ends_every_session_of_the_person(mailoutbox):
    import re

    user = make_user(email="ana@example.mx")
    laptop, phone = Client(), Client()
    log_in(laptop, "ana@example.mx")
    log_in(phone, "ana@example.mx")
    Client().post(reverse("security:password_reset"), {"email": "ana@example.mx"})
    link = re.search(r"https?://[^/\s]+(/cuenta/recuperar/\S+/\S+/)", mailoutbox[0].body)
    assert link
    browser = Client()
    form_url = browser.get(link.group(1), follow=True).redirect_chain[-1][0]
    new = "Otra.Clave.Nueva.77"
    browser.post(form_url, {"new_password1": new, "new_password2": new})
    user.refresh_from_db()
    assert user.check_password(new)
    assert laptop.get(HOME).status_code == 302
    assert phone.get(HOME).status_code == 302


def test_changing_the_password_ends_the_other_sessions(client):
    make_user(email="ana@example.mx")
    other = Client()
    log_in(client, "ana@example.mx")
    log_in(other, "ana@example.mx")
    new = "Otra.Clave.Nueva.77"
    client.post(
        reverse("security:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert client.get(HOME).status_code == 200
    assert other.get(HOME).status_code == 302


def test_a_deactivated_member_loses_the_account_on_the_next_request(client):
    account = make_account(name="Cuenta Que Despide")
    company = make_company(account, razon_social="EMPRESA QUE DESPIDE SA DE CV")
    member = make_membership(account)
    make_grant(member, company)
    client.force_login(member.user)
    assert "EMPRESA QUE DESPIDE" in client.get(HOME).content.decode()
    assert client.get(reverse("cfdi:list", args=["ventas"])).status_code == 200

    from django.db import transaction

    with transaction.atomic():
        member_deactivate(membership=member, actor=owner_of(account))

    assert client.get(reverse("cfdi:list", args=["ventas"])).status_code in (403, 404)
    assert "EMPRESA QUE DESPIDE" not in client.get(HOME).content.decode()
    assert client.session.get("despacho_active_company") is None


def test_a_deactivated_admin_cannot_manage_users_any_more(client):
    account = make_account()
    make_company(account)
    admin = make_membership(account, role=Role.ADMIN)
    client.force_login(admin.user)
    assert client.get(reverse("users:list")).status_code == 200
    from django.db import transaction

    with transaction.atomic():
        member_deactivate(membership=admin, actor=owner_of(account))
    assert client.get(reverse("users:list")).status_code == 403

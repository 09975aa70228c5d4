import pytest
from django.urls import reverse
from tests.factories import (
    PASSWORD,
    make_account,
    make_company,
    make_grant,
    make_membership,
    owner_of,
)

pytestmark = pytest.mark.django_db


def test_login_page_renders_in_spanish(client):
    response = client.get(reverse("people:login"))
    assert response.status_code == 200
    assert "Entrar a Despacho" in response.content.decode()


def test_member_sees_only_granted_companies_in_switcher(client):
    account = make_account()
    granted = make_company(account, razon_social="VISIBLE SA DE CV")
    make_company(account, razon_social="OCULTA SA DE CV")
    member = make_membership(account)
    make_grant(member, granted)
    client.force_login(member.user)
    body = client.get("/").content.decode()
    assert "VISIBLE SA DE CV" in body
    assert "OCULTA SA DE CV" not in body


def test_owner_logs_in_with_email_in_any_case(client):
    account = make_account()
    owner = owner_of(account)
    response = client.post(
        reverse("people:login"), {"username": owner.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302

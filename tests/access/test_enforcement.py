"""``require_perm`` turns the decision into a 403 page that explains the refusal."""

from __future__ import annotations

import pytest

from despacho.access.catalog import Perm
from tests.factories import make_account, make_company, make_grant, make_membership, owner_of

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.access.urls_guarded")]

URL = "/prueba/egresos/"


def test_a_member_with_the_permission_gets_the_page(client):
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    make_grant(member, company, "auxiliar_compras")
    client.force_login(member.user)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.content == b"egresos"


def test_a_member_without_the_permission_is_refused_with_the_reason(client):
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    make_grant(member, company, "auxiliar_ventas")
    client.force_login(member.user)
    response = client.get(URL)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Se necesita el permiso Egresos" in body
    assert "Le falta el permiso Egresos" in body
    assert "Auxiliar de ventas" in body


def test_a_member_whose_grant_lacks_ventas_and_egresos_cannot_open_the_company(client):
    account = make_account()
    company = make_company(account, razon_social="CERRADA SA DE CV")
    member = make_membership(account)
    make_grant(member, company, "nominas", remove=[Perm.EGRESOS])  # written past the services
    client.force_login(member.user)
    home = client.get("/").content.decode()
    assert "CERRADA SA DE CV" not in home
    response = client.get(URL)
    assert response.status_code == 403
    assert "No tienes una empresa activa" in response.content.decode()


def test_owners_pass_every_guard(client):
    account = make_account()
    make_company(account)
    client.force_login(owner_of(account))
    assert client.get(URL).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/cuenta/entrar/" in response["Location"]

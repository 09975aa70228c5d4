"""What a browser gets when it asks for something the wrong way, or for the site's icon."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from tests.factories import make_account, make_company, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client):
    account = make_account()
    make_company(account, razon_social="ABARROTES LUPITA SA DE CV")
    client.force_login(owner_of(account))
    return client


def test_a_get_on_a_post_only_page_renders_the_spanish_405_page_in_the_layout(owner_client):
    response = owner_client.get(reverse("tenancy:switch"))
    body = response.content.decode()
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "Esta dirección no se abre directamente" in body
    assert "ABARROTES LUPITA SA DE CV" in body  # the layout's header, with the active company
    assert f'href="{reverse("home")}"' in body


def test_the_405_page_links_back_to_the_page_the_person_came_from(owner_client):
    came_from = "http://testserver" + reverse("firm:list")
    body = owner_client.get(reverse("tenancy:switch"), HTTP_REFERER=came_from).content.decode()
    assert f'<a href="{came_from}">Volver a la página anterior</a>' in body


def test_the_405_page_never_links_back_to_another_site(owner_client):
    body = owner_client.get(
        reverse("tenancy:switch"), HTTP_REFERER="https://evil.example/phish"
    ).content.decode()
    assert "evil.example" not in body
    assert "Volver a la página anterior" not in body


def test_an_anonymous_visitor_gets_the_405_page_too(client):
    response = client.get(reverse("people:logout"))
    assert response.status_code == 405
    assert "Esta dirección no se abre directamente" in response.content.decode()


def test_the_api_keeps_its_json_405(owner_client):
    response = owner_client.delete("/api/v1/companies")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_site_icon_is_served_at_favicon_ico(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO


def test_pages_name_an_svg_icon_that_exists(client):
    body = client.get(reverse("people:login")).content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', body).group(1)
    assert href == static("despacho/favicon.svg")
    assert finders.find("despacho/favicon.svg")

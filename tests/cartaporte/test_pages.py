"""The Carta Porte section (/carta-porte/): for those who hold Datos maestros on the active
company, a list, a form and an archive button per kind; the municipio, localidad and
colonia selects follow the estado and the CP through htmx."""

from __future__ import annotations

import pytest
from django.urls import reverse

from despacho.audit.models import AuditEvent
from despacho.cartaporte.models import Figure, Location, Trailer, Vehicle
from tests.cartaporte.samples import LOCATION, VEHICLE, make_item
from tests.factories import add_member, make_account, make_company, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return make_company(make_account())


@pytest.fixture
def owner_client(client, company):
    client.force_login(owner_of(company.account))
    return client


def test_the_main_navigation_offers_carta_porte_to_those_who_hold_datos_maestros(
    owner_client, company
):
    page = owner_client.get("/").content.decode()
    assert reverse("cartaporte:overview") in page


def test_the_overview_counts_each_kind_and_links_to_its_list(owner_client, company):
    make_item(Vehicle, company)
    page = owner_client.get(reverse("cartaporte:overview")).content.decode()
    for slug in ("location", "vehicle", "trailer", "figure"):
        assert reverse(f"cartaporte:{slug}_list") in page
    assert "<td>1</td>" in page


@pytest.mark.parametrize("slug", ["location", "vehicle", "trailer", "figure"])
def test_each_list_and_empty_form_opens(owner_client, slug):
    assert owner_client.get(reverse(f"cartaporte:{slug}_list")).status_code == 200
    form = owner_client.get(reverse(f"cartaporte:{slug}_create"))
    assert form.status_code == 200
    assert 'method="post"' in form.content.decode()


def test_a_location_is_created_from_the_form_and_listed(owner_client, company):
    response = owner_client.post(
        reverse("cartaporte:location_create"), {**LOCATION, "location_type": "destination"}
    )
    assert response.status_code == 302
    location = Location.objects.get(company=company)
    assert (location.name, location.neighborhood) == ("Bodega Guadalajara", "0003")
    page = owner_client.get(reverse("cartaporte:location_list")).content.decode()
    assert "Bodega Guadalajara" in page and "44100" in page
    assert AuditEvent.objects.filter(action="cartaporte.created", company=company).exists()


def test_a_refused_form_shows_each_rule_next_to_its_field(owner_client, company):
    response = owner_client.post(
        reverse("cartaporte:vehicle_create"), {**VEHICLE, "permit_type": "", "plate": "A-1"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Permiso SCT: es obligatorio." in page
    assert "Placa: de 5 a 7 letras o dígitos, sin espacios ni guiones." in page
    assert not Vehicle.objects.exists()


def test_an_item_is_edited_and_archived(owner_client, company):
    trailer = make_item(Trailer, company)
    edit = reverse("cartaporte:trailer_edit", args=[trailer.pk])
    form = owner_client.get(edit).content.decode()
    assert 'value="XYZ987"' in form and 'value="CTR002" selected' in form
    response = owner_client.post(edit, {"subtype": "CTR004", "plate": "XYZ987", "name": ""})
    assert response.status_code == 302
    trailer.refresh_from_db()
    assert trailer.subtype == "CTR004"
    archive = reverse("cartaporte:trailer_archive", args=[trailer.pk])
    assert owner_client.get(archive).status_code == 405
    assert owner_client.post(archive).status_code == 302
    trailer.refresh_from_db()
    assert trailer.is_archived
    active = owner_client.get(reverse("cartaporte:trailer_list")).content.decode()
    assert f'href="{edit}"' not in active
    shelf = owner_client.get(reverse("cartaporte:trailer_list") + "?archivados=1")
    assert f'href="{edit}"' in shelf.content.decode()


def test_the_colonias_follow_the_postal_code(owner_client):
    url = reverse("cartaporte:address_codes")
    page = owner_client.get(url, {"state": "NLE", "postal_code": "64000"}).content.decode()
    assert 'id="address-codes"' in page
    assert "0001 · Monterrey Centro" in page and "3429 · La Finca" in page
    assert "039 · Monterrey" in page  # the state's municipios
    unknown = owner_client.get(url, {"state": "", "postal_code": "99999"}).content.decode()
    assert "Monterrey" not in unknown


def test_the_form_redraws_the_codes_when_the_state_or_cp_change(owner_client):
    page = owner_client.get(reverse("cartaporte:figure_create")).content.decode()
    assert f'hx-get="{reverse("cartaporte:address_codes")}"' in page
    assert 'hx-target="#address-codes"' in page
    assert "<script" not in page.split("</head>")[1]  # no inline script in the body


def test_without_datos_maestros_every_page_is_refused_saying_why(client, company):
    member = add_member(company.account, companies=[company], profile_code="consulta")
    member.status = "active"
    member.save()
    client.force_login(member.user)
    for name in ("cartaporte:overview", "cartaporte:location_list", "cartaporte:address_codes"):
        response = client.get(reverse(name))
        assert response.status_code == 403
        assert "Datos maestros" in response.content.decode()
    assert reverse("cartaporte:overview") not in client.get("/").content.decode()


def test_another_companys_item_is_not_found(owner_client):
    foreign = make_item(Figure, make_company(make_account()))
    assert owner_client.get(reverse("cartaporte:figure_edit", args=[foreign.pk])).status_code == 404
    archive = reverse("cartaporte:figure_archive", args=[foreign.pk])
    assert owner_client.post(archive).status_code == 404
    foreign.refresh_from_db()
    assert not foreign.is_archived

"""The Empresas page: every company the firm manages, filtered and paginated in the database."""

import re

import pytest
from django.urls import reverse

from despacho.firms.services import link_respond
from despacho.tenancy.models import Company, CompanyLink, LinkStatus, Plan, Role
from despacho.workspace import selectors
from tests.factories import (
    invite_link,
    link,
    make_account,
    make_client_of,
    make_company,
    make_grant,
    make_membership,
    make_own_company,
    make_user,
    owner_of,
    profile,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    account = make_account(name="Méndez Ríos Contadores")
    make_company(account, razon_social="MENDEZ RIOS CONTADORES SC")
    return account


def _rows(response) -> list[str]:
    body = response.content.decode()
    return [part.split('"')[0] for part in body.split('data-rfc="')[1:] if "data-status" in part]


def test_the_firm_sees_own_and_linked_companies_with_status_owner_and_members(client, firm):
    accepted = make_client_of(firm, razon_social="ESCUELA KEMPER URGATE")
    owner = make_user(email="hugo@herreria.mx", full_name="Hugo Herrera Elías")
    pending = make_own_company(razon_social="HERRERIA Y ELECTRICOS", owner=owner)
    invite_link(firm, pending)
    declined = make_own_company(razon_social="PASE SERVICIOS")
    link_respond(link=invite_link(firm, declined), actor=owner_of(declined.account), accept=False)
    staff = make_membership(firm, user=make_user(full_name="Carlos Ortega Luna"))
    make_grant(staff, accepted, profile_code="contador")
    client.force_login(owner_of(firm))
    body = client.get(reverse("firm:list")).content.decode()
    for text in (
        "MENDEZ RIOS CONTADORES SC",
        "Propia",
        "ESCUELA KEMPER URGATE",
        "Aceptada",
        "Carlos Ortega Luna",
        "Invitaciones enviadas",
    ):
        assert text in body, text
    # Invitations not accepted show what the firm typed, pending, never the company (a
    # decline is the owner's to know): the firm learns nothing of whom an RFC belongs to.
    for text in ("HERRERIA Y ELECTRICOS", "hugo@herreria.mx", "PASE SERVICIOS", "Rechazada"):
        assert text not in body, text
    assert f'data-requested="{pending.rfc}" data-status="pending"' in body
    assert f'data-requested="{declined.rfc}" data-status="pending"' in body


def test_the_filter_ignores_case_and_accents_and_matches_the_rfc(client, firm):
    perez = make_client_of(firm, razon_social="COMERCIAL PÉREZ Y ASOCIADOS")
    make_client_of(firm, razon_social="FERRETERÍA LÓPEZ")
    client.force_login(owner_of(firm))
    assert _rows(client.get(reverse("firm:list"), {"q": "perez"})) == [perez.rfc]
    assert _rows(client.get(reverse("firm:list"), {"q": "  PEREZ "})) == [perez.rfc]
    assert _rows(client.get(reverse("firm:list"), {"q": perez.rfc[:6].lower()})) == [perez.rfc]
    assert _rows(client.get(reverse("firm:list"), {"q": "ferreteria lopez"})) != []


def test_search_text_follows_the_company_when_it_is_renamed(firm):
    company = make_company(firm, razon_social="ACME")
    company.razon_social = "ÁRBOLES DEL NORTE"
    company.save(update_fields=["razon_social"])
    assert Company.objects.filter(search_text__contains="arboles del norte").get() == company


def test_filtering_by_status_and_sorting(client, firm):
    a = make_client_of(firm, razon_social="AAA CLIENTE")
    z = make_client_of(firm, razon_social="ZZZ CLIENTE")
    pending = make_own_company(razon_social="MMM PENDIENTE")
    invite_link(firm, pending)
    client.force_login(owner_of(firm))
    assert pending.rfc not in _rows(client.get(reverse("firm:list")))  # until accepted
    accepted = _rows(
        client.get(reverse("firm:list"), {"status": "accepted", "sort": "-razon_social"})
    )
    assert accepted == [z.rfc, a.rfc]
    own = _rows(client.get(reverse("firm:list"), {"status": "own"}))
    assert own == [firm.companies.get().rfc]


def test_pages_of_25_work_with_and_without_htmx(client, firm):
    for n in range(30):
        make_client_of(firm, razon_social=f"CLIENTE {n:02d}")
    client.force_login(owner_of(firm))
    first = client.get(reverse("firm:list"))
    assert len(_rows(first)) == 25
    assert "Página 1 de 2" in first.content.decode()
    second = client.get(reverse("firm:list"), {"page": 2})
    assert len(_rows(second)) == 6
    fragment = client.get(
        reverse("firm:list"), {"page": 2}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="companies"
    )
    assert "<html" not in fragment.content.decode()
    assert _rows(fragment) == _rows(second)


def test_members_see_only_the_companies_they_have_grants_on(client, firm):
    granted = make_client_of(firm, razon_social="CON ACCESO")
    make_client_of(firm, razon_social="SIN ACCESO")
    member = make_membership(firm)
    make_grant(member, granted)
    client.force_login(member.user)
    body = client.get(reverse("firm:list")).content.decode()
    assert "CON ACCESO" in body
    assert "SIN ACCESO" not in body
    assert "Vincular empresa" not in body


def test_one_click_makes_a_company_active_and_opens_it(client, firm):
    company = make_client_of(firm, razon_social="ESCUELA KEMPER URGATE")
    client.force_login(owner_of(firm))
    body = client.get(reverse("firm:list"), {"q": "kemper"}).content.decode()
    assert f'name="company" value="{company.pk}"' in body
    response = client.post(reverse("tenancy:switch"), {"company": company.pk, "next": "/"})
    assert response["Location"] == "/"
    assert "<h1>ESCUELA KEMPER URGATE</h1>" in client.get("/").content.decode()


@pytest.mark.parametrize("in_memory_max", [100, -1])
@pytest.mark.parametrize("clients", [3, 40])
def test_the_page_makes_the_same_number_of_queries_whatever_the_number_of_companies(
    client, firm, django_assert_num_queries, clients, in_memory_max, monkeypatch
):
    monkeypatch.setattr(selectors, "SWITCHER_IN_MEMORY_MAX", in_memory_max)
    staff = make_membership(firm)
    for _ in range(clients):
        company = make_client_of(firm)
        make_grant(staff, company)
    for _ in range(3):
        invite_link(firm, make_own_company())
    make_membership(firm, role=Role.ADMIN)
    client.force_login(owner_of(firm))
    # session, user, the second-factor check, access map, the switcher's three (few
    # companies: the own accounts' companies, the clients, their links; many: the viewer's
    # accounts, the active company, and the first page with its total),
    # count, page, links, owners, grants, one per column apps register (the SAT
    # connection's received CFDIs from listed emisores and its last synchronisation), the
    # invitations sent, notices, and the session save (savepoint, update, release).
    with django_assert_num_queries(19):
        assert client.get(reverse("firm:list")).status_code == 200


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("firm:list"))
    assert response.status_code == 302
    assert "/cuenta/entrar/" in response["Location"]


def test_a_company_owner_sees_their_company_and_its_firms(client, firm):
    company = make_own_company(razon_social="ESCUELA KEMPER URGATE")
    link(firm, company, status=LinkStatus.ACCEPTED)
    client.force_login(owner_of(company.account))
    body = client.get(reverse("firm:list")).content.decode()
    assert "ESCUELA KEMPER URGATE" in body
    assert reverse("firm:company_links", args=[company.pk]) in body
    assert CompanyLink.objects.filter(company=company).count() == 1


FIRM_ACTIONS = ("Vincular empresa", "Nuevo cliente", "Importar desde CSV")


def test_a_client_companys_owner_is_not_offered_the_firms_actions(client, firm):
    company = make_client_of(firm, razon_social="ESCUELA KEMPER URGATE")
    client.force_login(owner_of(company.account))
    body = client.get(reverse("firm:list")).content.decode()
    assert "ESCUELA KEMPER URGATE" in body
    for action in FIRM_ACTIONS:
        assert action not in body, action


def test_the_firms_owner_is_offered_link_new_client_and_import(client, firm):
    client.force_login(owner_of(firm))
    body = client.get(reverse("firm:list")).content.decode()
    for action in FIRM_ACTIONS:
        assert action in body, action


def test_an_account_off_the_firm_plan_that_already_manages_clients_is_a_firm(client):
    business = make_account(plan=Plan.NEGOCIO)
    make_company(business)
    make_client_of(business)
    client.force_login(owner_of(business))
    body = client.get(reverse("firm:list")).content.decode()
    for action in FIRM_ACTIONS:
        assert action in body, action


def test_each_company_row_offers_add_user_and_manage_permissions_for_it(client, firm):
    own = Company.objects.get(account=firm)
    accepted = make_client_of(firm, razon_social="CLIENTE ACEPTADO SA DE CV")
    pending = invite_link(firm, make_own_company(razon_social="CLIENTE PENDIENTE SA")).company
    client.force_login(owner_of(firm))
    body = client.get(reverse("firm:list")).content.decode()
    for company in (own, accepted):
        assert f'href="{reverse("users:add")}?empresa={company.pk}"' in body
        assert f'href="{reverse("access:company_people", args=[company.pk])}"' in body
    # A pending link grants nothing yet: nobody of the firm can be given access to it.
    assert f"?empresa={pending.pk}" not in body
    assert reverse("access:company_people", args=[pending.pk]) not in body


def test_members_are_not_offered_to_add_users_or_manage_permissions(client, firm):
    company = Company.objects.get(account=firm)
    member = make_membership(firm)
    make_grant(member, company, "consulta")
    client.force_login(member.user)
    body = client.get(reverse("firm:list")).content.decode()
    assert "Agregar usuario" not in body
    assert "Administrar permisos" not in body


def test_add_user_from_a_company_row_starts_with_that_company_chosen(client, firm):
    first = Company.objects.get(account=firm)
    client_company = make_client_of(firm, razon_social="CLIENTE ACEPTADO SA DE CV")
    client.force_login(owner_of(firm))
    response = client.get(reverse("users:add"), {"empresa": client_company.pk})
    form = response.context["form"]
    consulta = profile("consulta")
    assert form[f"company_{client_company.pk}"].value() == str(consulta.pk)
    assert not form[f"company_{first.pk}"].value()
    select = re.search(
        rf'<select name="company_{client_company.pk}".*?</select>', response.content.decode(), re.S
    ).group(0)
    assert re.search(rf'<option value="{consulta.pk}" selected>', select)


def test_add_user_ignores_a_company_the_account_does_not_manage(client, firm):
    foreign = make_company(make_account())
    client.force_login(owner_of(firm))
    response = client.get(reverse("users:add"), {"empresa": foreign.pk})
    assert response.status_code == 200
    assert f"company_{foreign.pk}" not in response.content.decode()
    assert foreign.razon_social not in response.content.decode()

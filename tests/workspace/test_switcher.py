"""The company switcher: who sees which company, grouped by account, with their role."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from despacho.access.catalog import Perm
from despacho.tenancy.models import CompanyLink, LinkStatus, MembershipStatus, Role
from despacho.workspace import selectors
from despacho.workspace.active import SESSION_KEY
from despacho.workspace.selectors import switcher_entries
from tests.factories import (
    link,
    make_account,
    make_client_of,
    make_company,
    make_grant,
    make_membership,
    make_user,
    owner_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["in memory", "in the database"])
def switcher_path(request, monkeypatch):
    """Every rule holds on both of the switcher's paths: few companies are listed from
    memory, many by the database (forced here by a limit of -1)."""
    if request.param == "in the database":
        monkeypatch.setattr(selectors, "SWITCHER_IN_MEMORY_MAX", -1)
    return request.param


SWITCH = reverse("tenancy:switch")
SEARCH = reverse("tenancy:switcher_search")


def shown(user) -> list[tuple[str, str, str]]:
    """(account, company, role label) as the switcher lists them."""
    return [
        (e.account.name, e.company.razon_social, e.role_label)
        for e in switcher_entries(viewer=user)
    ]


def test_a_person_in_several_accounts_sees_companies_grouped_by_account_with_their_role(client):
    person = make_user()
    own = make_account(name="Mi Negocio", owner=person)
    make_company(own, razon_social="MI TIENDA")
    staff = make_account(name="Despacho Ruiz")
    make_membership(staff, user=person, role=Role.ADMIN)
    make_company(staff, razon_social="RUIZ CONTADORES")
    other = make_account(name="Constructora Alfa")
    granted = make_company(other, razon_social="ALFA OBRAS")
    make_company(other, razon_social="ALFA INMUEBLES")
    make_grant(make_membership(other, user=person), granted)

    assert shown(person) == [
        ("Constructora Alfa", "ALFA OBRAS", "Usuario"),
        ("Despacho Ruiz", "RUIZ CONTADORES", "Administrador"),
        ("Mi Negocio", "MI TIENDA", "Propietario"),
    ]
    client.force_login(person)
    page = client.get(reverse("home")).content.decode()
    groups = [page.index(name) for name in ("Constructora Alfa", "Despacho Ruiz", "Mi Negocio")]
    assert groups == sorted(groups)
    assert "ALFA INMUEBLES" not in page


def test_a_member_sees_only_the_companies_granted_to_them(client):
    account = make_account()
    granted = make_company(account, razon_social="VISIBLE SA DE CV")
    make_company(account, razon_social="OCULTA SA DE CV")
    member = make_membership(account)
    make_grant(member, granted)
    client.force_login(member.user)
    page = client.get(reverse("home")).content.decode()
    assert "VISIBLE SA DE CV" in page
    assert "OCULTA SA DE CV" not in page


@pytest.mark.parametrize(
    ("profile_code", "remove"),
    [
        ("consulta", [Perm.VENTAS, Perm.EGRESOS, Perm.NOMINA]),  # nothing left
        ("nominas", [Perm.EGRESOS]),  # Nómina alone opens nothing
    ],
)
def test_a_grant_without_ventas_or_egresos_does_not_show_the_company(profile_code, remove):
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    make_grant(member, company, profile_code=profile_code, remove=remove)
    assert shown(member.user) == []


def test_a_deactivated_member_sees_no_company():
    account = make_account()
    member = make_membership(account, status=MembershipStatus.DEACTIVATED)
    make_grant(member, make_company(account))
    assert shown(member.user) == []


def test_a_firms_owner_and_admins_see_client_companies_under_the_firm():
    firm = make_account(name="Despacho Méndez")
    client_company = make_client_of(firm, razon_social="CLIENTE UNO")
    admin = make_membership(firm, role=Role.ADMIN).user
    assert ("Despacho Méndez", "CLIENTE UNO", "Propietario") in shown(owner_of(firm))
    assert ("Despacho Méndez", "CLIENTE UNO", "Administrador") in shown(admin)
    entry = next(e for e in switcher_entries(viewer=admin) if e.company == client_company)
    assert entry.via_link


def test_a_firm_owner_starts_on_the_firms_own_company_not_a_client(client):
    firm = make_account(name="Despacho Zeta")
    make_client_of(firm, razon_social="AAA CLIENTE PRIMERO EN ORDEN")
    make_company(firm, razon_social="ZETA CONTADORES")
    client.force_login(owner_of(firm))
    assert "<h1>ZETA CONTADORES</h1>" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("status", [LinkStatus.PENDING, LinkStatus.DECLINED])
def test_a_link_not_accepted_shows_nothing_to_the_firm(status):
    firm = make_account()
    link(firm, make_company(make_account(), razon_social="AJENA"), status=status)
    assert "AJENA" not in [company for _, company, _ in shown(owner_of(firm))]


def test_revoking_a_link_removes_the_client_at_once_even_as_active_company(client):
    firm = make_account()
    client_company = make_client_of(firm, razon_social="CLIENTE REVOCADO")
    staff = make_membership(firm)
    make_grant(staff, client_company)
    owner = owner_of(firm)
    client.force_login(owner)
    client.post(SWITCH, {"company": client_company.pk}, follow=True)
    assert client.session[SESSION_KEY] == client_company.pk

    CompanyLink.objects.filter(company=client_company).update(status=LinkStatus.REVOKED)

    page = client.get(reverse("home")).content.decode()
    assert "CLIENTE REVOCADO" not in page
    assert client.session.get(SESSION_KEY) != client_company.pk
    assert shown(staff.user) == []


def test_choosing_a_company_makes_it_active_for_the_session_and_the_page_follows(client):
    account = make_account()
    make_company(account, razon_social="PRIMERA SA")
    second = make_company(account, razon_social="SEGUNDA SA")
    client.force_login(owner_of(account))
    assert "<h1>PRIMERA SA</h1>" in client.get(reverse("home")).content.decode()

    response = client.post(SWITCH, {"company": second.pk, "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == second.pk
    page = client.get(reverse("home")).content.decode()
    assert "<h1>SEGUNDA SA</h1>" in page
    assert "Ahora trabajas en SEGUNDA SA." in page


def test_choosing_a_company_without_access_changes_nothing(client):
    account = make_account()
    mine = make_company(account, razon_social="MIA SA")
    foreign = make_company(make_account(), razon_social="AJENA SA")
    client.force_login(owner_of(account))
    client.post(SWITCH, {"company": mine.pk}, follow=True)
    for attempt in (foreign.pk, 999_999, "abc", ""):
        response = client.post(SWITCH, {"company": attempt})
        assert response.status_code == 302
        assert client.session[SESSION_KEY] == mine.pk
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            "No tienes acceso a esa empresa."
        ]
        client.get(reverse("home"))  # shows, and so consumes, the message


def test_switching_ignores_a_next_url_on_another_host(client):
    account = make_account()
    company = make_company(account)
    client.force_login(owner_of(account))
    response = client.post(SWITCH, {"company": company.pk, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_switching_by_htmx_asks_for_a_full_reload(client):
    account = make_account()
    company = make_company(account)
    client.force_login(owner_of(account))
    response = client.post(SWITCH, {"company": company.pk, "next": "/"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/"


def test_switching_is_only_by_post(client):
    client.force_login(make_user())
    assert client.get(SWITCH).status_code == 405


def test_the_search_finds_companies_by_name_or_rfc_ignoring_case_and_accents(client):
    firm = make_account()
    perez = make_company(firm, razon_social="COMERCIAL PÉREZ Y ASOCIADOS")
    make_company(firm, razon_social="NUÑEZ HERMANOS")
    client.force_login(owner_of(firm))

    def found(query: str) -> str:
        return client.get(SEARCH, {"q": query}, HTTP_HX_REQUEST="true").content.decode()

    assert "COMERCIAL PÉREZ" in found("perez")
    assert "NUÑEZ" not in found("perez")
    assert "NUÑEZ HERMANOS" in found("nunez")
    assert "COMERCIAL PÉREZ" in found(perez.rfc.lower())
    assert "No hay empresas que coincidan." in found("zzz")


def test_the_search_never_reveals_companies_outside_the_switcher(client):
    account = make_account()
    make_company(make_account(), razon_social="SECRETA SA")
    client.force_login(owner_of(account))
    assert "SECRETA" not in client.get(SEARCH, {"q": "secreta"}).content.decode()


def test_the_search_box_appears_when_there_are_many_companies(client):
    firm = make_account()
    make_company(firm)
    client.force_login(owner_of(firm))
    assert 'class="switcher-search"' not in client.get(reverse("home")).content.decode()
    for _ in range(6):
        make_client_of(firm)
    assert 'class="switcher-search"' in client.get(reverse("home")).content.decode()


def _firm_with(clients: int):
    firm = make_account()
    make_company(firm)
    for _ in range(clients):
        make_client_of(firm)
    staff = make_membership(firm)
    for company in firm.company_links.values_list("company", flat=True):
        make_grant(staff, company_model_get(company))
    return firm, staff


def company_model_get(pk: int):
    from despacho.tenancy.models import Company

    return Company.objects.get(pk=pk)


@pytest.mark.parametrize("clients", [2, 20])
def test_the_home_page_query_count_does_not_grow_with_companies(
    client, django_assert_max_num_queries, clients
):
    firm, staff = _firm_with(clients)
    for user in (owner_of(firm), staff.user):
        client.force_login(user)
        # 11: 9 + the second-factor check (security.middleware) + the pending link notices.
        with django_assert_max_num_queries(11):
            assert client.get(reverse("home")).status_code == 200


def test_a_firm_with_many_clients_lists_the_first_50_and_finds_the_rest_by_search(client):
    firm = make_account(name="Despacho Grande")
    make_company(firm, razon_social="AAA PROPIA SA")
    for number in range(60):
        make_client_of(firm, razon_social=f"CLIENTE {number:03d} SA")
    client.force_login(owner_of(firm))

    page = client.get(reverse("home")).content.decode()
    assert "Se muestran 50 de 61" in page
    assert "CLIENTE 048 SA" in page  # the own company, then clients 000–048
    assert "CLIENTE 049 SA" not in page

    found = client.get(SEARCH, {"q": "cliente 05"}, HTTP_HX_REQUEST="true").content.decode()
    assert [f"CLIENTE 05{n} SA" in found for n in range(10)] == [True] * 10
    assert "Se muestran" not in found


def test_an_active_company_beyond_the_first_50_stays_active_and_named(client):
    firm = make_account()
    for number in range(55):
        last = make_client_of(firm, razon_social=f"CLIENTE {number:03d} SA")
    client.force_login(owner_of(firm))
    client.post(SWITCH, {"company": last.pk})
    page = client.get(reverse("home")).content.decode()
    assert "<h1>CLIENTE 054 SA</h1>" in page
    assert client.session[SESSION_KEY] == last.pk


def test_an_own_company_also_linked_to_the_persons_firm_is_listed_once_under_its_account():
    person = make_user()
    business = make_account(name="Mi Negocio")
    make_membership(business, user=person)  # a plain member, without a grant
    shop = make_company(business, razon_social="MI TIENDA")
    firm = make_account(name="Despacho Ruiz")
    make_membership(firm, user=person, role=Role.ADMIN)
    link(firm, shop, status=LinkStatus.ACCEPTED)

    assert shown(person) == [("Mi Negocio", "MI TIENDA", "Administrador")]


def test_a_client_linked_to_two_firms_of_the_person_is_listed_under_each():
    person = make_user()
    first = make_account(name="Despacho Uno")
    second = make_account(name="Despacho Dos")
    make_membership(first, user=person, role=Role.ADMIN)
    make_membership(second, user=person, role=Role.ADMIN)
    shared = make_client_of(first, razon_social="CLIENTE COMPARTIDO")
    link(second, shared, status=LinkStatus.ACCEPTED)

    assert shown(person) == [
        ("Despacho Dos", "CLIENTE COMPARTIDO", "Administrador"),
        ("Despacho Uno", "CLIENTE COMPARTIDO", "Administrador"),
    ]

"""The Users pages: who may open them, what they show, and what they refuse."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from despacho.members.models import Invitation
from despacho.members.services.members import member_deactivate, member_invitation_revoke
from despacho.tenancy.models import Membership, MembershipStatus, Role, SeatPurchase
from tests.factories import (
    add_member,
    make_account,
    make_company,
    make_membership,
    make_user,
    owner_of,
    profile,
    set_included_seats,
)

pytestmark = pytest.mark.django_db


def _owner_client(client, account):
    client.force_login(owner_of(account))
    return client


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("users:list"))
    assert response.status_code == 302
    assert "/cuenta/entrar/" in response["Location"]


def test_members_are_refused_the_users_pages(client):
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    from tests.factories import make_grant

    make_grant(member, company)
    client.force_login(member.user)
    for name in ["users:list", "users:add", "users:seats"]:
        assert client.get(reverse(name)).status_code == 403, name


def test_the_seat_bar_says_how_many_seats_are_in_use(client):
    account = set_included_seats(make_account(), 3)
    company = make_company(account)
    add_member(account, companies=[company])
    body = _owner_client(client, account).get(reverse("users:list")).content.decode()
    assert "1 de 3 licencias en uso" in body


def test_the_seat_bar_shows_on_every_users_page(client):
    account = set_included_seats(make_account(), 2)
    member = add_member(account, companies=[make_company(account)])
    _owner_client(client, account)
    for url in [
        reverse("users:list"),
        reverse("users:add"),
        reverse("users:seats"),
        reverse("users:edit", args=[member.pk]),
    ]:
        assert "1 de 2 licencias en uso" in client.get(url).content.decode(), url


def test_an_admin_can_open_the_users_page(client):
    account = make_account()
    make_company(account)
    admin = make_membership(account, role=Role.ADMIN)
    client.force_login(admin.user)
    assert client.get(reverse("users:list")).status_code == 200


def test_adding_a_member_without_a_company_shows_the_rule_in_spanish(client):
    account = make_account()
    make_company(account)
    response = _owner_client(client, account).post(
        reverse("users:add"),
        {"full_name": "Ana Torres Vega", "email": "ana@example.mx", "role": "member"},
    )
    assert response.status_code == 200
    assert "Empresas: un usuario (rol Usuario) necesita acceso al menos a una empresa" in (
        response.content.decode()
    )
    assert not Membership.objects.filter(user__email="ana@example.mx").exists()


def test_adding_with_a_bad_name_names_the_field_and_the_rule(client):
    account = make_account()
    company = make_company(account)
    response = _owner_client(client, account).post(
        reverse("users:add"),
        {
            "full_name": "Ana",
            "email": "ana@example.mx",
            "role": "member",
            f"company_{company.pk}": profile("consulta").pk,
        },
    )
    assert "Nombre completo: escribe al menos un nombre y un apellido" in (
        response.content.decode()
    )


def test_adding_without_seats_says_how_many_are_missing_and_offers_to_buy(client):
    account = set_included_seats(make_account(), 0)
    company = make_company(account)
    response = _owner_client(client, account).post(
        reverse("users:add"),
        {
            "full_name": "Ana Torres Vega",
            "email": "ana@example.mx",
            "role": "member",
            f"company_{company.pk}": profile("consulta").pk,
        },
    )
    body = response.content.decode()
    assert "falta 1 licencia" in body
    assert reverse("users:seats") + "?quantity=1" in body


def test_reactivating_without_seats_says_why(client):
    account = set_included_seats(make_account(), 1)
    company = make_company(account)
    first = add_member(account, companies=[company])
    member_deactivate(membership=first, actor=owner_of(account))
    add_member(account, companies=[company])
    response = _owner_client(client, account).post(
        reverse("users:reactivate", args=[first.pk]), follow=True
    )
    assert "falta 1 licencia" in response.content.decode()
    first.refresh_from_db()
    assert first.status == MembershipStatus.DEACTIVATED


def test_the_list_filters_by_status_company_and_profile(client):
    account = make_account()
    a, b = make_company(account), make_company(account)
    add_member(account, email="consulta@example.mx", companies=[a], profile_code="consulta")
    add_member(account, email="ventas@example.mx", companies=[b], profile_code="auxiliar_ventas")
    gone = add_member(account, email="baja@example.mx", companies=[a])
    member_deactivate(membership=gone, actor=owner_of(account))
    _owner_client(client, account)

    def emails(**params):
        body = client.get(reverse("users:list"), params).content.decode()
        table = body.split('id="member-table"')[1].split("</table>")[0]
        return {e for e in ["consulta", "ventas", "baja"] if f"{e}@example.mx" in table}

    assert emails(company=a.pk) == {"consulta", "baja"}
    assert emails(profile=profile("auxiliar_ventas").pk) == {"ventas"}
    assert emails(status="deactivated") == {"baja"}
    assert emails(status="invited", company=a.pk) == {"consulta"}


def test_the_list_page_makes_the_same_number_of_queries_for_1_or_9_people(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = set_included_seats(make_account(), 10)
    companies = [make_company(account) for _ in range(3)]
    add_member(account, companies=companies)
    _owner_client(client, account)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("users:list"))
        return len(ctx.captured_queries)

    few = count()
    for _ in range(8):
        add_member(account, companies=companies)
    assert count() == few


def test_the_invitation_list_shows_pending_accepted_expired_and_revoked(client):
    account = make_account()
    company = make_company(account)
    owner = owner_of(account)
    pending = add_member(account, email="pendiente@example.mx", companies=[company])
    expired = add_member(account, email="vencida@example.mx", companies=[company])
    revoked = add_member(account, email="revocada@example.mx", companies=[company])
    accepted = add_member(account, email="aceptada@example.mx", companies=[company])
    Invitation.objects.filter(membership=expired).update(expires_at=timezone.now())
    member_invitation_revoke(invitation=Invitation.objects.get(membership=revoked), actor=owner)
    Invitation.objects.filter(membership=accepted).update(accepted_at=timezone.now())
    body = _owner_client(client, account).get(reverse("users:list")).content.decode()
    section = body.split('id="invitations"')[1]
    for email, status in [
        ("pendiente", "pending"),
        ("vencida", "expired"),
        ("revocada", "revoked"),
        ("aceptada", "accepted"),
    ]:
        assert f'data-email="{email}@example.mx" data-status="{status}"' in section
    assert pending  # resend/revoke buttons exist for open invitations only
    assert section.count("Reenviar") == 2


def test_resend_and_revoke_buttons_work(client):
    account = make_account()
    member = add_member(account, companies=[make_company(account)])
    invitation = Invitation.objects.get(membership=member)
    _owner_client(client, account)
    response = client.post(reverse("users:invitation_resend", args=[invitation.pk]), follow=True)
    assert "el anterior ya no sirve" in response.content.decode()
    response = client.post(reverse("users:invitation_revoke", args=[invitation.pk]), follow=True)
    assert "su licencia quedó libre" in response.content.decode()
    member.refresh_from_db()
    assert member.status == MembershipStatus.DEACTIVATED


def test_an_admin_is_refused_deactivating_the_owner_with_a_message(client):
    account = make_account()
    make_company(account)
    admin = make_membership(account, role=Role.ADMIN)
    owner = Membership.objects.get(account=account, role=Role.OWNER)
    client.force_login(admin.user)
    response = client.post(reverse("users:deactivate", args=[owner.pk]), follow=True)
    assert "No se puede desactivar al propietario" in response.content.decode()
    owner.refresh_from_db()
    assert owner.status == MembershipStatus.ACTIVE


def test_edit_delete_and_transfer_pages_work(client):
    account = make_account()
    company = make_company(account)
    admin = make_membership(account, role=Role.ADMIN)
    member = add_member(account, full_name="Ana Torez Vega", companies=[company])
    _owner_client(client, account)
    response = client.post(
        reverse("users:edit", args=[member.pk]),
        {"full_name": "Ana Torres Vega", "role": "member"},
    )
    assert response.status_code == 302
    member.user.refresh_from_db()
    assert member.user.full_name == "Ana Torres Vega"
    assert client.get(reverse("users:delete", args=[member.pk])).status_code == 200
    client.post(reverse("users:delete", args=[member.pk]))
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert client.get(reverse("users:transfer", args=[admin.pk])).status_code == 200
    client.post(reverse("users:transfer", args=[admin.pk]))
    admin.refresh_from_db()
    assert admin.role == Role.OWNER


def test_a_deactivated_person_loses_the_account_on_their_next_request_and_is_told_why(client):
    account = make_account(name="Despacho Cerrado")
    company = make_company(account, razon_social="CUENTA CERRADA SA DE CV")
    person = make_user()
    member = add_member(account, email=person.email, companies=[company])
    client.force_login(person)
    assert "CUENTA CERRADA SA DE CV" in client.get("/").content.decode()
    member_deactivate(membership=member, actor=owner_of(account))
    body = client.get("/").content.decode()
    assert "CUENTA CERRADA SA DE CV" not in body
    assert "Tu acceso a la cuenta «Despacho Cerrado» fue desactivado" in body
    assert "Pide al administrador de tu cuenta que te asigne" not in body  # no grant helps


def test_a_person_deactivated_in_one_account_but_active_without_companies_in_another_sees_both(
    client,
):
    closed, still_there = make_account(name="Despacho Cerrado"), make_account(name="Otra Cuenta")
    person = make_user()
    member = add_member(closed, email=person.email, companies=[make_company(closed)])
    make_membership(still_there, user=person)  # active, but no grant yet
    member_deactivate(membership=member, actor=owner_of(closed))
    client.force_login(person)
    body = client.get("/").content.decode()
    assert "Tu acceso a la cuenta «Despacho Cerrado» fue desactivado" in body
    assert "Otra Cuenta" not in body
    assert "Todavía no tienes acceso a ninguna empresa" in body


def test_a_persons_page_links_to_their_permissions_window_on_each_company(client):
    account = make_account()
    granted = make_company(account, razon_social="CON ACCESO SA DE CV")
    other = make_company(account, razon_social="SIN ACCESO SA DE CV")
    member = add_member(account, companies=[granted])
    client.force_login(owner_of(account))
    body = client.get(reverse("users:edit", args=[member.pk])).content.decode()
    assert f'href="{reverse("access:grant", args=[member.pk, granted.pk])}"' in body
    assert f'href="{reverse("access:grant", args=[member.pk, other.pk])}"' in body  # to give one


# --- seats page ---------------------------------------------------------------------------


def test_the_purchase_page_shows_subtotal_iva_and_total_before_confirming(client):
    account = make_account()
    make_company(account)
    _owner_client(client, account)
    body = client.get(reverse("users:seats"), {"quantity": 3}).content.decode()
    assert "747.00" in body
    assert "119.52" in body
    assert "866.52" in body
    assert "Despacho no cobra" in body
    # Asking for the total writes nothing; confirming records the purchase.
    client.post(reverse("users:seats"), {"quantity": 3})
    assert not SeatPurchase.objects.exists()
    client.post(reverse("users:seats"), {"quantity": 3, "confirm": "1"})
    purchase = SeatPurchase.objects.get()
    assert purchase.quantity == 3
    assert purchase.valid_until > timezone.now() + timedelta(days=364)


def test_the_quote_fragment_answers_htmx(client):
    account = make_account()
    make_company(account)
    _owner_client(client, account)
    response = client.get(reverse("users:seats"), {"quantity": 2}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="quote">')
    assert "577.68" in body  # 498.00 + 79.68


def test_a_bad_quantity_is_refused_naming_the_field(client):
    account = make_account()
    make_company(account)
    _owner_client(client, account)
    response = client.post(reverse("users:seats"), {"quantity": 0, "confirm": "1"})
    assert "Licencias a comprar: al menos 1." in response.content.decode()
    assert not SeatPurchase.objects.exists()


def test_admins_see_seats_but_only_the_owner_records_purchases(client):
    account = make_account()
    make_company(account)
    admin = make_membership(account, role=Role.ADMIN)
    client.force_login(admin.user)
    body = client.get(reverse("users:seats")).content.decode()
    assert "Solo el propietario de la cuenta registra compras" in body
    response = client.post(reverse("users:seats"), {"quantity": 1, "confirm": "1"})
    assert "solo el propietario de la cuenta registra compras" in response.content.decode()
    assert not SeatPurchase.objects.exists()

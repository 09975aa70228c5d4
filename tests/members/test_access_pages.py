"""The access pages through the HTTP client: who reaches them, what they refuse, what they save."""

from __future__ import annotations

import pytest
from django.urls import reverse

from despacho.access.catalog import ALL_MASK, Perm, from_mask, is_valid, violations
from despacho.access.models import Grant, Profile
from despacho.access.services import grant_set, profile_create
from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.tenancy.models import MembershipStatus, Role
from tests.factories import (
    make_account,
    make_client_of,
    make_company,
    make_grant,
    make_membership,
    owner_of,
    profile,
)

pytestmark = pytest.mark.django_db


def grant_url(name, membership, company):
    return reverse(f"access:{name}", args=[membership.pk, company.pk])


def perms_data(perms, profile_obj, **extra):
    return {"profile": profile_obj.pk, "perms": [p.value for p in perms], **extra}


@pytest.fixture
def world():
    account = make_account(name="Despacho Ruiz")
    company = make_company(account, razon_social="ACME SA DE CV")
    member = make_membership(account)
    admin = make_membership(account, role=Role.ADMIN)
    return account, company, member, admin


# --- who reaches what (generated from the route table) -----------------------------


def routes(account, company, member, own_profile):
    """Every access URL with the methods it answers."""
    from despacho.members.access_urls import urlpatterns

    kwargs_for = {
        "membership_id": member.pk,
        "company_id": company.pk,
        "profile_id": own_profile.pk,
    }
    found = []
    for pattern in urlpatterns:
        params = {k: v for k, v in kwargs_for.items() if f"<int:{k}>" in str(pattern.pattern)}
        found.append(reverse(f"access:{pattern.name}", kwargs=params))
    return found


def test_every_access_route_needs_a_login(client, world):
    account, company, member, _admin = world
    own = profile_create(actor=None, account=account, name="Propio", permissions={Perm.VENTAS})
    for url in routes(account, company, member, own):
        response = client.get(url)
        assert response.status_code in (302, 405), url
        if response.status_code == 302:
            assert reverse("people:login") in response["Location"]


def test_members_cannot_reach_any_access_page(client, world):
    account, company, member, _admin = world
    make_grant(member, company, "administrador")
    own = profile_create(actor=None, account=account, name="Propio", permissions={Perm.VENTAS})
    other = make_membership(account)
    client.force_login(member.user)
    for url in routes(account, company, other, own):
        for method in (client.get, client.post):
            assert method(url).status_code in (403, 404, 405), url


def test_owners_of_another_account_get_404_for_this_accounts_objects(client, world):
    account, company, member, _admin = world
    own = profile_create(actor=None, account=account, name="Propio", permissions={Perm.VENTAS})
    stranger_account = make_account()
    make_company(stranger_account)
    client.force_login(owner_of(stranger_account))
    for url in routes(account, company, member, own):
        if any(str(pk) in url for pk in (member.pk, own.pk)) and url.count("/") > 2:
            for method in (client.get, client.post):
                status = method(url).status_code
                assert status in (404, 405), (url, status)


def test_owner_and_admin_open_every_page(client, world):
    account, company, member, admin = world
    own = profile_create(actor=None, account=account, name="Propio", permissions={Perm.VENTAS})
    for user in (owner_of(account), admin.user):
        client.force_login(user)
        for url in routes(account, company, member, own):
            if "validar" in url or "quitar" in url:
                continue
            assert client.get(url).status_code == 200, url


def test_an_admin_cannot_open_their_own_or_the_owners_permissions(client, world):
    account, company, _member, admin = world
    owner_membership = owner_of(account).memberships.get()
    client.force_login(admin.user)
    own = client.get(grant_url("grant", admin, company))
    assert own.status_code == 403
    assert client.get(grant_url("grant", owner_membership, company)).status_code == 403
    assert (
        client.post(
            grant_url("grant", admin, company), perms_data(Perm, profile("administrador"))
        ).status_code
        == 403
    )


def test_a_company_of_another_account_is_not_found_in_the_window(client, world):
    account, _company, member, _admin = world
    foreign = make_company(make_account())
    client.force_login(owner_of(account))
    assert client.get(grant_url("grant", member, foreign)).status_code == 404


# --- the permissions window ---------------------------------------------------------


def test_the_window_shows_each_toggle_with_its_label_and_help_text(client, world):
    account, company, member, _admin = world
    make_grant(member, company, "auxiliar_ventas")
    client.force_login(owner_of(account))
    body = client.get(grant_url("grant", member, company)).content.decode()
    for perm in Perm:
        assert str(perm.label) in body
        assert str(perm.help_text) in body
    assert 'value="facturar" id="perm-facturar" checked' in body
    assert "Auxiliar de ventas" in body


def test_switching_ventas_off_with_facturar_on_explains_the_rule_and_offers_the_fix(client, world):
    account, company, member, _admin = world
    make_grant(member, company, "auxiliar_ventas")
    client.force_login(owner_of(account))
    base = profile("auxiliar_ventas")
    without_ventas = base.perms - {Perm.VENTAS}
    response = client.post(
        grant_url("grant_validate", member, company),
        perms_data(without_ventas | {Perm.EGRESOS}, base, previous_profile=base.pk),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # a fragment
    assert "Facturar requiere Ventas." in body
    assert 'name="drop" value="facturar"' in body
    assert "Desactivar también Facturar" in body
    assert Grant.objects.get(membership=member).perms == base.perms  # nothing saved


def test_the_fix_button_switches_the_dependent_permission_off(client, world):
    account, company, member, _admin = world
    client.force_login(owner_of(account))
    base = profile("auxiliar_ventas")
    checked = (base.perms - {Perm.VENTAS, Perm.PORTAL}) | {Perm.EGRESOS}
    response = client.post(
        grant_url("grant_validate", member, company),
        perms_data(checked, base, previous_profile=base.pk, drop="facturar"),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'value="facturar" id="perm-facturar" checked' not in body
    assert "requiere Ventas" not in body
    assert "cumple las reglas" in body


def test_switching_ventas_off_also_offers_to_switch_it_back_on_once(client, world):
    account, company, member, _admin = world
    make_grant(member, company, "auxiliar_ventas")
    client.force_login(owner_of(account))
    base = profile("auxiliar_ventas")  # Facturar, Cancelar and Portal all need Ventas
    response = client.post(
        grant_url("grant_validate", member, company),
        perms_data((base.perms - {Perm.VENTAS}) | {Perm.EGRESOS}, base, previous_profile=base.pk),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert body.count('name="add" value="ventas"') == 1
    assert "Activar Ventas" in body


def test_the_activate_button_switches_ventas_back_on_and_keeps_facturar(client, world):
    account, company, member, _admin = world
    make_grant(member, company, "auxiliar_ventas")
    client.force_login(owner_of(account))
    base = profile("auxiliar_ventas")
    response = client.post(
        grant_url("grant_validate", member, company),
        perms_data(base.perms - {Perm.VENTAS}, base, previous_profile=base.pk, add="ventas"),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'value="ventas" id="perm-ventas" checked' in body
    assert 'value="facturar" id="perm-facturar" checked' in body
    assert "requiere Ventas" not in body
    assert "cumple las reglas" in body
    assert Grant.objects.get(membership=member).perms == base.perms  # nothing saved yet


def test_the_activate_button_on_the_window_itself_saves_nothing(client, world):
    account, company, member, _admin = world
    make_grant(member, company, "auxiliar_ventas")
    client.force_login(owner_of(account))
    base = profile("auxiliar_ventas")
    response = client.post(
        grant_url("grant", member, company),
        perms_data(
            base.perms - {Perm.VENTAS, Perm.CANCELAR}, base, previous_profile=base.pk, add="ventas"
        ),
    )
    assert response.status_code == 200
    assert 'value="ventas" id="perm-ventas" checked' in response.content.decode()
    assert Grant.objects.get(membership=member).perms == base.perms


def test_choosing_another_profile_resets_the_toggles_to_its_set(client, world):
    account, company, member, _admin = world
    client.force_login(owner_of(account))
    response = client.post(
        grant_url("grant_validate", member, company),
        perms_data({Perm.VENTAS}, profile("nominas"), previous_profile=profile("consulta").pk),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'value="nomina" id="perm-nomina" checked' in body
    assert 'value="ventas" id="perm-ventas" checked' not in body


def test_saving_stores_hand_changes_relative_to_the_profile(client, world):
    account, company, member, _admin = world
    client.force_login(owner_of(account))
    base = profile("auxiliar_ventas")
    wanted = (base.perms - {Perm.PORTAL}) | {Perm.CANCELAR}
    response = client.post(grant_url("grant", member, company), perms_data(wanted, base))
    assert response.status_code == 302
    grant = Grant.objects.get(membership=member, company=company)
    assert grant.perms == wanted
    assert from_mask(grant.added) == {Perm.CANCELAR}
    assert from_mask(grant.removed) == {Perm.PORTAL}
    assert AuditEvent.objects.filter(action=Action.GRANT_CREATED).count() == 1


def test_the_window_refuses_every_invalid_subset(client, world):
    account, company, member, _admin = world
    make_grant(member, company, "consulta")
    client.force_login(owner_of(account))
    base = profile("consulta")
    url = grant_url("grant", member, company)
    refused = 0
    for mask in range(ALL_MASK + 1):
        perms = from_mask(mask)
        if is_valid(perms):
            continue
        response = client.post(url, perms_data(perms, base))
        assert response.status_code == 400, perms
        body = response.content.decode()
        for violation in violations(perms):
            assert violation.message in body
        refused += 1
    assert refused == 480
    assert Grant.objects.get(membership=member).perms == base.perms
    assert not AuditEvent.objects.filter(action=Action.GRANT_UPDATED).exists()


def test_removing_access_to_a_company(client, world):
    account, company, member, _admin = world
    make_grant(member, company)
    client.force_login(owner_of(account))
    response = client.post(grant_url("grant_remove", member, company))
    assert response.status_code == 302
    assert not Grant.objects.filter(membership=member).exists()


def test_overview_lists_members_and_their_companies(client, world):
    account, company, member, _admin = world
    make_grant(member, company, "contador")
    client.force_login(owner_of(account))
    body = client.get(reverse("access:overview")).content.decode()
    assert member.user.email in body
    assert "Contador" in body
    assert grant_url("grant", member, company) in body


# --- a company's people ("Administrar permisos" from Empresas) ------------------------


def test_a_companys_people_page_links_each_person_to_their_permissions_window(client, world):
    account, company, member, admin = world
    make_grant(member, company, "contador")
    newcomer = make_membership(account)  # no grant on the company yet
    gone = make_membership(account, status=MembershipStatus.DEACTIVATED)
    owner = owner_of(account)
    client.force_login(owner)
    response = client.get(reverse("access:company_people", args=[company.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Permisos en ACME SA DE CV" in body
    for person in (member, admin, newcomer):
        assert person.user.email in body
        assert grant_url("grant", person, company) in body
    assert "Contador" in body and "Sin acceso" in body and "Dar acceso" in body
    assert owner.email in body  # listed, with every permission, but no window
    assert f"/usuarios/{owner.memberships.get().pk}/empresas/" not in body
    assert gone.user.email not in body
    assert f'href="{reverse("users:add")}?empresa={company.pk}"' in body


def test_a_companys_people_page_of_another_account_is_not_found(client, world):
    _account, company, _member, _admin = world
    stranger = make_account()
    make_company(stranger)
    client.force_login(owner_of(stranger))
    assert client.get(reverse("access:company_people", args=[company.pk])).status_code == 404


def test_a_member_without_manager_rights_is_refused_a_companys_people(client, world):
    _account, company, member, _admin = world
    make_grant(member, company, "administrador")
    client.force_login(member.user)
    response = client.get(reverse("access:company_people", args=[company.pk]))
    assert response.status_code == 403
    assert "Solo el propietario y los administradores" in response.content.decode()


def test_a_client_company_lists_the_firms_people(client, world):
    account, _company, member, _admin = world
    client_company = make_client_of(account, razon_social="CLIENTE UNO SA DE CV")
    make_grant(member, client_company, "auxiliar_ventas")
    client.force_login(owner_of(account))
    body = client.get(reverse("access:company_people", args=[client_company.pk])).content.decode()
    assert grant_url("grant", member, client_company) in body
    assert "Auxiliar de ventas" in body


# --- why can't they? -----------------------------------------------------------------


def test_why_page_explains_a_missing_permission(client, world):
    account, company, member, _admin = world
    make_grant(member, company, "auxiliar_compras")
    client.force_login(owner_of(account))
    response = client.get(
        reverse("access:why"),
        {"member": member.pk, "company": company.pk, "perm": Perm.FACTURAR.value},
    )
    body = response.content.decode()
    assert "No puede: le falta Facturar" in body
    assert "Auxiliar de compras" in body
    assert "Facturar requiere Ventas" in body


def test_why_page_refuses_a_member_of_another_account(client, world):
    account, company, _member, _admin = world
    stranger = make_membership(make_account())
    client.force_login(owner_of(account))
    response = client.get(
        reverse("access:why"),
        {"member": stranger.pk, "company": company.pk, "perm": Perm.VENTAS.value},
    )
    assert "No puede" not in response.content.decode()
    assert response.context["explanation"] is None


# --- profiles pages -------------------------------------------------------------------


def test_profiles_page_lists_presets_read_only_and_the_accounts_own(client, world):
    account, _company, _member, _admin = world
    own = profile_create(actor=None, account=account, name="Cobranza", permissions={Perm.VENTAS})
    client.force_login(owner_of(account))
    body = client.get(reverse("access:profiles")).content.decode()
    for name in ("Administrador", "Contador", "Auxiliar de ventas", "Nóminas", "Consulta"):
        assert name in body
    assert "Cobranza" in body
    assert reverse("access:profile_edit", args=[own.pk]) in body
    assert reverse("access:profile_edit", args=[profile("contador").pk]) not in body
    assert (
        client.get(reverse("access:profile_edit", args=[profile("contador").pk])).status_code == 403
    )


def test_creating_renaming_and_deleting_a_profile_through_the_pages(client, world):
    account, _company, _member, _admin = world
    client.force_login(owner_of(account))
    response = client.post(
        reverse("access:profile_create"), {"name": "Cobranza", "perms": ["ventas", "portal"]}
    )
    assert response.status_code == 302
    own = Profile.objects.get(account=account)
    assert own.perms == {Perm.VENTAS, Perm.PORTAL}
    client.post(
        reverse("access:profile_edit", args=[own.pk]), {"name": "Cobranza MX", "perms": ["ventas"]}
    )
    own.refresh_from_db()
    assert own.name == "Cobranza MX" and own.perms == {Perm.VENTAS}
    client.post(reverse("access:profile_delete", args=[own.pk]), {})
    assert not Profile.objects.filter(pk=own.pk).exists()


def test_the_profile_page_refuses_every_invalid_subset(client, world):
    account, _company, _member, _admin = world
    client.force_login(owner_of(account))
    url = reverse("access:profile_create")
    for mask in range(ALL_MASK + 1):
        perms = from_mask(mask)
        if is_valid(perms):
            continue
        response = client.post(url, {"name": f"P{mask}", "perms": [p.value for p in perms]})
        assert response.status_code == 400
        assert violations(perms)[0].message in response.content.decode()
    assert not Profile.objects.filter(account=account).exists()


def test_profile_preview_shows_who_an_edit_reaches_before_saving(client, world):
    account, company, member, _admin = world
    owner = owner_of(account)
    own = profile_create(
        actor=owner, account=account, name="Cobranza", permissions={Perm.VENTAS, Perm.FACTURAR}
    )
    grant_set(actor=owner, membership=member, company=company, profile=own)
    client.force_login(owner)
    response = client.post(
        reverse("access:profile_preview", args=[own.pk]),
        {"name": "Cobranza", "perms": ["ventas"]},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "El cambio llega a 1 acceso" in body
    assert member.user.full_name in body and "ACME SA DE CV" in body
    own.refresh_from_db()
    assert Perm.FACTURAR in own.perms


def test_profile_edit_that_would_break_a_grant_is_refused_on_the_page(client, world):
    account, company, member, _admin = world
    owner = owner_of(account)
    own = profile_create(
        actor=owner,
        account=account,
        name="Cobranza",
        permissions={Perm.VENTAS, Perm.EGRESOS, Perm.FACTURAR},
    )
    grant_set(actor=owner, membership=member, company=company, profile=own, remove=[Perm.EGRESOS])
    client.force_login(owner)
    preview = client.post(
        reverse("access:profile_preview", args=[own.pk]),
        {"name": "Cobranza", "perms": ["egresos"]},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "No se puede guardar" in preview
    assert "necesita Ventas o Egresos" in preview
    response = client.post(
        reverse("access:profile_edit", args=[own.pk]), {"name": "Cobranza", "perms": ["egresos"]}
    )
    assert response.status_code == 400
    assert member.user.full_name in response.content.decode()


def test_deleting_a_profile_in_use_asks_for_a_replacement(client, world):
    account, company, member, _admin = world
    owner = owner_of(account)
    own = profile_create(actor=owner, account=account, name="Temporal", permissions={Perm.VENTAS})
    grant_set(actor=owner, membership=member, company=company, profile=own)
    client.force_login(owner)
    url = reverse("access:profile_delete", args=[own.pk])
    assert "1 acceso usa este perfil" in client.get(url).content.decode()
    refused = client.post(url, {})
    assert refused.status_code == 400
    assert "elige el perfil" in refused.content.decode()
    moved = client.post(url, {"replacement": profile("consulta").pk})
    assert moved.status_code == 302
    assert Grant.objects.get(membership=member).profile == profile("consulta")

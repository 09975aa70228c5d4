"""The decision function: who may do what where, at one query per request, and why."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from despacho.access.catalog import Perm
from despacho.access.decisions import can, can_open, explain, permissions_on
from despacho.tenancy.models import LinkStatus, MembershipStatus, Role
from tests.factories import (
    link,
    make_account,
    make_company,
    make_grant,
    make_membership,
    owner_of,
)

pytestmark = pytest.mark.django_db


def fresh(user):
    """The same person as a new request would load them: nothing cached."""
    return get_user_model().objects.get(pk=user.pk)


def test_owner_and_admin_hold_every_permission_on_their_companies():
    account = make_account()
    company = make_company(account)
    admin = make_membership(account, role=Role.ADMIN)
    for user in (owner_of(account), admin.user):
        assert all(can(fresh(user), company, perm) for perm in Perm)


def test_member_holds_exactly_the_grants_effective_set():
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    make_grant(member, company, "auxiliar_ventas", add=[Perm.CANCELAR], remove=[Perm.PORTAL])
    perms = permissions_on(fresh(member.user), company)
    assert perms == {
        Perm.DATOS_MAESTROS,
        Perm.VENTAS,
        Perm.FACTURAR,
        Perm.WHATSAPP,
        Perm.CANCELAR,
    }


def test_member_without_a_grant_cannot_open_the_company():
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    assert not can_open(fresh(member.user), company)


def test_member_whose_grant_lacks_ventas_and_egresos_cannot_open_the_company():
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    # Written straight to the table: no service would store this set.
    make_grant(member, company, "nominas", remove=[Perm.EGRESOS])
    user = fresh(member.user)
    assert not can_open(user, company)
    assert not can(user, company, Perm.NOMINA)
    assert explain(user, company, Perm.NOMINA).codes == ["cannot_open"]


def test_deactivated_member_loses_every_permission():
    account = make_account()
    company = make_company(account)
    member = make_membership(account, status=MembershipStatus.DEACTIVATED)
    make_grant(member, company, "administrador")
    assert not can(fresh(member.user), company, Perm.VENTAS)
    assert explain(member.user, company, Perm.VENTAS).codes == ["membership_deactivated"]


def test_firm_staff_reach_a_linked_company_until_the_link_is_revoked():
    client_account = make_account()
    company = make_company(client_account)
    firm = make_account()
    firm_link = link(firm, company)
    staff = make_membership(firm)
    make_grant(staff, company, "contador")
    assert can(fresh(staff.user), company, Perm.POLIZAS)
    assert can(fresh(owner_of(firm)), company, Perm.FACTURAR)
    firm_link.status = LinkStatus.REVOKED
    firm_link.save()
    assert not can(fresh(staff.user), company, Perm.POLIZAS)
    assert not can(fresh(owner_of(firm)), company, Perm.VENTAS)
    assert explain(staff.user, company, Perm.POLIZAS).codes == ["link_revoked"]


def test_all_decisions_of_a_request_cost_one_query(django_assert_num_queries):
    account = make_account()
    companies = [make_company(account) for _ in range(3)]
    member = make_membership(account)
    for company in companies:
        make_grant(member, company, "consulta")
    user = fresh(member.user)
    with django_assert_num_queries(1):
        for company in companies:
            for perm in Perm:
                can(user, company, perm)
            can_open(user, company)
            permissions_on(user, company)


def test_decisions_across_twenty_companies_cost_one_query(django_assert_num_queries):
    firm = make_account()
    member = make_membership(firm)
    companies = []
    for index in range(20):
        owner_account = firm if index % 2 else make_account()
        company = make_company(owner_account)
        if owner_account is not firm:
            link(firm, company)
        make_grant(member, company, "auxiliar_ventas")
        companies.append(company)
    user = fresh(member.user)
    with django_assert_num_queries(1):
        answers = [can(user, company, perm) for company in companies for perm in Perm]
    assert answers.count(True) == 20 * 5


def test_owner_decisions_cost_one_query_too(django_assert_num_queries):
    account = make_account()
    companies = [make_company(account) for _ in range(5)]
    user = fresh(owner_of(account))
    with django_assert_num_queries(1):
        assert all(can(user, company, perm) for company in companies for perm in Perm)


def test_another_accounts_company_is_closed_to_its_neighbours():
    mine, theirs = make_account(), make_account()
    their_company = make_company(theirs)
    make_company(mine)
    assert not can_open(fresh(owner_of(mine)), their_company)
    assert explain(owner_of(mine), their_company, Perm.VENTAS).codes == ["no_membership"]


# --- explain() ------------------------------------------------------------------


def test_explain_names_the_missing_permission_and_the_profile():
    account = make_account()
    company = make_company(account, razon_social="ACME SA DE CV")
    member = make_membership(account)
    make_grant(member, company, "auxiliar_compras")
    explanation = explain(member.user, company, Perm.NOMINA)
    assert not explanation.allowed
    assert explanation.codes == ["missing_permission", "not_in_profile"]
    assert "Nómina" in explanation.reasons[0].message
    assert "Auxiliar de compras" in explanation.reasons[1].message


def test_explain_names_the_rule_when_ventas_is_missing_too():
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    make_grant(member, company, "auxiliar_compras")
    explanation = explain(member.user, company, Perm.FACTURAR)
    assert "requires_ventas" in explanation.codes
    assert any("Facturar requiere Ventas" in r.message for r in explanation.reasons)


def test_explain_says_when_a_permission_was_removed_by_hand():
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    make_grant(member, company, "auxiliar_ventas", remove=[Perm.FACTURAR])
    assert explain(member.user, company, Perm.FACTURAR).codes == [
        "missing_permission",
        "removed_by_hand",
    ]


def test_explain_says_there_is_no_grant():
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    assert explain(member.user, company, Perm.VENTAS).codes == ["no_grant"]


def test_explain_says_an_invitation_is_still_pending():
    account = make_account()
    company = make_company(account)
    member = make_membership(account, status=MembershipStatus.INVITED)
    make_grant(member, company)
    assert explain(member.user, company, Perm.VENTAS).codes == ["membership_invited"]


def test_explain_names_the_role_of_owners_and_admins():
    account = make_account(name="Despacho Ruiz")
    company = make_company(account)
    admin = make_membership(account, role=Role.ADMIN)
    explanation = explain(admin.user, company, Perm.CANCELAR)
    assert explanation.allowed and explanation.codes == ["manager"]
    assert "Administrador" in explanation.reasons[0].message
    assert "Despacho Ruiz" in explanation.reasons[0].message


def test_explain_says_how_a_member_holds_a_permission():
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    make_grant(member, company, "consulta", add=[Perm.POLIZAS])
    assert explain(member.user, company, Perm.VENTAS).codes == ["granted"]
    assert "a mano" in explain(member.user, company, Perm.POLIZAS).reasons[0].message


def test_explain_always_agrees_with_can():
    client_account, firm = make_account(), make_account()
    own = make_company(firm)
    linked = make_company(client_account)
    revoked = make_company(client_account)
    link(firm, linked)
    link(firm, revoked, status=LinkStatus.REVOKED)
    people = [
        owner_of(firm),
        make_membership(firm, role=Role.ADMIN).user,
        make_membership(firm, status=MembershipStatus.DEACTIVATED).user,
        owner_of(client_account),
    ]
    member = make_membership(firm)
    make_grant(member, own, "auxiliar_ventas", remove=[Perm.PORTAL])
    make_grant(member, linked, "auxiliar_compras", add=[Perm.NOMINA])
    make_grant(member, revoked, "contador")
    people.append(member.user)
    for user in people:
        for company in (own, linked, revoked):
            for perm in Perm:
                assert explain(user, company, perm).allowed == can(fresh(user), company, perm), (
                    user,
                    company,
                    perm,
                )

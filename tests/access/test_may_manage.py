"""One answer to "may this person manage this account?" (``access.decisions.may_manage``).

The web guard, the workspace's header, the API's principal, the selectors and every service
that refuses non-managers ask it; here each of them is asked about the same account for the
owner, an admin, a member, a deactivated admin, an invited admin and a stranger (the owner of
another account), and each must give may_manage's answer.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, RequestFactory

from despacho.access.catalog import Perm
from despacho.access.decisions import forget, may_manage
from despacho.access.guards import manager_account
from despacho.access.selectors import managed_account, manager_membership
from despacho.access.services import profile_create
from despacho.api.services import api_key_create
from despacho.members.services.members import member_deactivate
from despacho.members.views import managed_account as users_page_account
from despacho.people.models import User
from despacho.tenancy.models import Account, MembershipStatus, Role
from despacho.workspace.active import Workspace
from tests.factories import make_account, make_company, make_membership, owner_of

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "admin", "member", "deactivated", "invitee", "stranger"]
MANAGES = {"owner": True, "admin": True}


@pytest.fixture
def account_and_people() -> tuple[Account, dict[str, User]]:
    account = make_account()
    make_company(account)
    other = make_account()
    people = {
        "owner": owner_of(account),
        "admin": make_membership(account, role=Role.ADMIN).user,
        "member": make_membership(account, role=Role.MEMBER).user,
        "deactivated": make_membership(
            account, role=Role.ADMIN, status=MembershipStatus.DEACTIVATED
        ).user,
        "invitee": make_membership(account, role=Role.ADMIN, status=MembershipStatus.INVITED).user,
        "stranger": owner_of(other),
    }
    return account, people


def _expected(persona: str) -> bool:
    return MANAGES.get(persona, False)


def _request_on(account: Account, user: User) -> SimpleNamespace:
    request = RequestFactory().get("/")
    request.user = user
    request.workspace = SimpleNamespace(account=account, active=True)  # type: ignore[attr-defined]
    return request  # type: ignore[return-value]


@pytest.mark.parametrize("persona", PERSONAS)
def test_may_manage_answers_for_owners_and_admins_only(account_and_people, persona):
    account, people = account_and_people
    assert may_manage(people[persona], account) is _expected(persona)
    assert may_manage(people[persona], account.pk) is _expected(persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_old_caller_gives_the_same_answer(account_and_people, persona):
    account, people = account_and_people
    user = people[persona]
    expected = _expected(persona)

    # The web guard of the Permisos, Perfiles, Bitácora, Empresas and import pages.
    try:
        manager_account(_request_on(account, user))  # type: ignore[arg-type]
        guard = True
    except PermissionDenied:
        guard = False
    # The Users pages' own account lookup.
    try:
        users_page_account(_request_on(account, user))  # type: ignore[arg-type]
        users_page = True
    except PermissionDenied:
        users_page = False
    # The header's menu (Usuarios, Bitácora, Permisos, Claves de API).
    header = Workspace(viewer=user, active=SimpleNamespace(account=account)).is_manager  # type: ignore[arg-type]
    # The selectors.
    selector = managed_account(viewer=user, account_id=account.pk) is not None
    try:
        manager_membership(account=account, actor=user)
        membership = True
    except PermissionDenied:
        membership = False
    # A service of access (profiles) and one of members (deactivating someone).
    try:
        profile_create(
            actor=user, account=account, name=f"Perfil {persona}", permissions=[Perm.VENTAS]
        )
        access_service = True
    except ValidationError as exc:
        assert exc.code == "not_manager"
        access_service = False
    target = make_membership(account, role=Role.MEMBER)
    try:
        member_deactivate(membership=target, actor=user)
        members_service = True
    except PermissionDenied:
        members_service = False

    assert {
        "guard": guard,
        "users_page": users_page,
        "header": header,
        "selector": selector,
        "membership": membership,
        "access_service": access_service,
        "members_service": members_service,
    } == dict.fromkeys(
        [
            "guard",
            "users_page",
            "header",
            "selector",
            "membership",
            "access_service",
            "members_service",
        ],
        expected,
    )


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "deactivated"])
def test_the_api_principal_gives_the_same_answer(account_and_people, persona):
    account, people = account_and_people
    user = people[persona]
    membership = user.memberships.get(account=account)
    if persona == "deactivated":
        membership.status = MembershipStatus.ACTIVE
        membership.save(update_fields=["status"])
    new = api_key_create(actor=None, account=account, membership=membership, name="Clave")
    if persona == "deactivated":
        membership.status = MembershipStatus.DEACTIVATED
        membership.save(update_fields=["status"])
    forget(user)

    response = Client().get("/api/v1/members", headers={"Authorization": f"Bearer {new.token}"})

    if persona == "deactivated":
        # A deactivated person's keys stop at the door: they manage nothing through them.
        assert response.status_code == 401
    elif _expected(persona):
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "not_manager"


def test_a_key_narrowed_to_some_companies_manages_nothing(account_and_people):
    account, people = account_and_people
    owner = people["owner"]
    membership = owner.memberships.get(account=account)
    company = account.companies.first()
    new = api_key_create(
        actor=None, account=account, membership=membership, name="Clave", companies=[company]
    )

    response = Client().get("/api/v1/members", headers={"Authorization": f"Bearer {new.token}"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "key_scope"

"""Tenant isolation of the Users pages, generated from their route table.

For every route: anonymous → login; a member → 403; the admin of account A
asking for a membership or invitation of account B → 404, and nothing changes.
A new route is covered automatically, or this test fails to build its URL.
"""

import pytest
from django.urls import URLPattern, reverse

from despacho.members import urls as user_urls
from despacho.members.models import Invitation
from despacho.tenancy.models import Membership, Role
from tests.factories import add_member, make_account, make_company, make_grant, make_membership

pytestmark = pytest.mark.django_db

ROUTES: list[URLPattern] = [p for p in user_urls.urlpatterns if isinstance(p, URLPattern)]


@pytest.fixture
def two_accounts():
    a, b = make_account(name="Cuenta A"), make_account(name="Cuenta B")
    make_company(a)
    b_company = make_company(b)
    admin_a = make_membership(a, role=Role.ADMIN)
    member_b = add_member(b, email="ajeno@example.mx", companies=[b_company])
    return {
        "admin_a": admin_a,
        "member_b": member_b,
        "invitation_b": Invitation.objects.get(membership=member_b),
    }


def _url(pattern: URLPattern, data) -> str:
    kwargs = {}
    for name in pattern.pattern.converters:
        if name == "membership_id":
            kwargs[name] = data["member_b"].pk
        elif name == "invitation_id":
            kwargs[name] = data["invitation_b"].pk
        else:  # pragma: no cover - a new kind of argument needs a line here
            raise AssertionError(f"no test value for {name}")
    return reverse(f"users:{pattern.name}", kwargs=kwargs)


@pytest.mark.parametrize("pattern", ROUTES, ids=lambda p: p.name)
def test_anonymous_visitors_are_sent_to_login(client, pattern, two_accounts):
    response = client.get(_url(pattern, two_accounts))
    assert response.status_code == 302
    assert "/cuenta/entrar/" in response["Location"]


@pytest.mark.parametrize("pattern", ROUTES, ids=lambda p: p.name)
def test_members_are_refused(client, pattern, two_accounts):
    account = make_account()
    member = make_membership(account)
    make_grant(member, make_company(account))
    client.force_login(member.user)
    url = _url(pattern, two_accounts)
    response = client.post(url)
    if response.status_code == 405:  # a read-only page
        response = client.get(url)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "pattern", [p for p in ROUTES if p.pattern.converters], ids=lambda p: p.name
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_admin_of_another_account_gets_404_and_changes_nothing(
    client, pattern, method, two_accounts
):
    client.force_login(two_accounts["admin_a"].user)
    response = getattr(client, method)(_url(pattern, two_accounts))
    if response.status_code == 405:  # POST-only routes answer GET with 405 before any lookup
        return
    assert response.status_code == 404
    member_b = Membership.objects.get(pk=two_accounts["member_b"].pk)
    assert (member_b.role, member_b.status) == (Role.MEMBER, "invited")
    invitation = Invitation.objects.get(pk=two_accounts["invitation_b"].pk)
    assert invitation.status == "pending"


@pytest.mark.parametrize(
    "pattern", [p for p in ROUTES if not p.pattern.converters], ids=lambda p: p.name
)
def test_pages_of_account_a_never_show_account_b(client, pattern, two_accounts):
    client.force_login(two_accounts["admin_a"].user)
    body = client.get(_url(pattern, two_accounts)).content.decode()
    assert "ajeno@example.mx" not in body
    assert "Cuenta B" not in body

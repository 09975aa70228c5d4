"""Authentication: which keys open the API, which get 401; a key never exceeds its member."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from despacho.access.catalog import Perm
from despacho.access.models import Grant
from despacho.api.models import ApiKey
from despacho.api.services import api_key_resolve, api_key_revoke
from despacho.members.services.members import member_deactivate
from despacho.tenancy.models import Membership, MembershipStatus, Role
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, make_tenant
from tests.factories import make_company

pytestmark = pytest.mark.django_db


def test_a_request_without_a_key_is_401_asking_for_a_bearer_key():
    response = api_as(None).get("/companies")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer dsp_nothere1_xxxxxxxxxxxx", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-key"],
)
def test_an_unknown_or_malformed_key_is_401(header):
    tenant = make_tenant()
    response = api_as(None).get("/companies", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] in ("invalid_key", "unauthenticated")
    assert tenant  # the tenant exists; its key was simply not sent


def test_a_key_with_the_right_prefix_but_a_wrong_secret_is_401():
    tenant = make_tenant()
    forged = tenant.token[:13] + "x" * 43
    response = api_as(forged).get("/companies")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_key"


def test_a_revoked_key_is_401():
    tenant = make_tenant()
    key = ApiKey.objects.get(account=tenant.account)
    api_key_revoke(actor=tenant.owner.user, key=key)
    response = api_as(tenant.token).get("/companies")
    assert response.status_code == 401
    assert error_of(response)["code"] == "key_revoked"


def test_an_expired_key_is_401():
    tenant = make_tenant()
    key = ApiKey.objects.get(account=tenant.account)
    ApiKey.objects.filter(pk=key.pk).update(
        created_at=timezone.now() - timedelta(days=2), expires_at=timezone.now() - timedelta(days=1)
    )
    response = api_as(tenant.token).get("/companies")
    assert response.status_code == 401
    assert error_of(response)["code"] == "key_expired"


def test_deactivating_the_member_disables_their_key_with_401():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    token = make_key(member)
    assert api_as(token).get("/companies").status_code == 200
    member_deactivate(membership=member, actor=tenant.owner.user)
    response = api_as(token).get("/companies")
    assert response.status_code == 401
    assert error_of(response)["code"] == "member_inactive"


def test_only_the_hash_of_the_secret_is_stored():
    tenant = make_tenant()
    key = ApiKey.objects.get(account=tenant.account)
    assert tenant.token.startswith(key.prefix + "_")
    assert tenant.token not in (key.secret_hash, key.prefix)
    assert len(key.secret_hash) == 64
    assert api_key_resolve(tenant.token) == key


def test_last_use_is_recorded_at_most_once_a_minute():
    tenant = make_tenant()
    api = api_as(tenant.token)
    api.get("/companies")
    first = ApiKey.objects.get(account=tenant.account).last_used_at
    assert first is not None
    api.get("/companies")
    assert ApiKey.objects.get(account=tenant.account).last_used_at == first
    ApiKey.objects.filter(account=tenant.account).update(last_used_at=first - timedelta(minutes=2))
    api.get("/companies")
    assert ApiKey.objects.get(account=tenant.account).last_used_at > first - timedelta(minutes=2)


# --- a key never exceeds what its member may do now ----------------------------------


def test_a_key_asking_for_more_permissions_than_the_member_holds_gets_only_the_members():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company], profile_code="auxiliar_ventas")
    token = make_key(member, permissions=list(Perm))  # asks for everything
    api = api_as(token)
    assert (
        api.get("/cfdis", {"company": tenant.company.pk, "category": "ventas"}).status_code == 200
    )
    response = api.get("/cfdis", {"company": tenant.company.pk, "category": "egresos"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_taking_a_grant_away_takes_it_from_the_key_at_once():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    api = api_as(make_key(member))
    assert api.get(f"/companies/{tenant.company.pk}").status_code == 200
    Grant.objects.filter(membership=member).delete()
    assert api.get(f"/companies/{tenant.company.pk}").status_code == 404


def test_a_key_narrowed_to_some_companies_does_not_reach_the_others():
    tenant = make_tenant()
    other = make_company(tenant.account)
    api = api_as(make_key(tenant.owner, companies=[tenant.company]))
    assert api.get(f"/companies/{tenant.company.pk}").status_code == 200
    assert api.get(f"/companies/{other.pk}").status_code == 404
    listed = {c["id"] for c in api.get("/companies").json()["items"]}
    assert listed == {str(tenant.company.pk)}


def test_a_key_narrowed_to_some_permissions_is_refused_the_rest_naming_the_key():
    tenant = make_tenant()
    api = api_as(make_key(tenant.owner, permissions=[Perm.VENTAS]))
    assert (
        api.get("/cfdis", {"company": tenant.company.pk, "category": "ventas"}).status_code == 200
    )
    response = api.get("/cfdis", {"company": tenant.company.pk, "category": "egresos"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "key_scope"


def test_a_narrowed_key_of_an_owner_does_not_manage_the_account():
    tenant = make_tenant()
    api = api_as(make_key(tenant.owner, companies=[tenant.company]))
    response = api.get("/members")
    assert response.status_code == 403
    assert error_of(response)["code"] == "key_scope"


def test_demoting_an_admin_takes_management_from_their_key():
    tenant = make_tenant()
    admin = active_member(tenant.account, [], role=Role.ADMIN)
    token = make_key(admin)
    assert api_as(token).get("/members").status_code == 200
    Membership.objects.filter(pk=admin.pk).update(role=Role.MEMBER)
    response = api_as(token).get("/members")
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_manager"


def test_a_key_cannot_be_made_for_an_inactive_member():
    from django.core.exceptions import ValidationError

    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    Membership.objects.filter(pk=member.pk).update(status=MembershipStatus.DEACTIVATED)
    member.refresh_from_db()
    with pytest.raises(ValidationError) as raised, transaction.atomic():
        make_key(member)
    assert raised.value.error_dict["membership"][0].code == "invalid_membership"


def test_a_key_with_control_characters_is_401_not_a_server_error():
    response = api_as(None).get(
        "/companies", headers={"Authorization": "Bearer dsp_\x00\x01abcd_x"}
    )
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_key"


def test_a_narrower_permission_set_must_obey_the_catalogs_rules():
    from django.core.exceptions import ValidationError

    tenant = make_tenant()
    with pytest.raises(ValidationError) as raised, transaction.atomic():
        make_key(tenant.owner, permissions=[Perm.EGRESOS, Perm.FACTURAR])
    assert [e.code for e in raised.value.error_dict["permissions"]] == ["requires_ventas"]

"""A key never outlives its creator's authority.

An admin may mint a key acting as another member (a payroll integration acting as the
Nóminas person). When that admin stops managing the account — deactivated, demoted or
deleted — the keys they created are revoked in the same transaction (audited), and a key
whose creator no longer manages the account is refused at authentication anyway.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from despacho.api.models import ApiKey
from despacho.api.services import api_key_create
from despacho.audit.models import AuditEvent
from despacho.cfdi.services import cfdi_ingest
from despacho.members.services.members import member_deactivate, member_delete, member_update
from despacho.tenancy.models import Membership, MembershipStatus, Role
from tests.api.conftest import api_as, error_of
from tests.api.factories import Tenant, active_member, make_key, make_tenant
from tests.cfdi.cfdi_samples import cfdi_xml
from tests.factories import make_grant

pytestmark = pytest.mark.django_db


def _admin_with_a_payroll_key(tenant: Tenant) -> tuple[Membership, ApiKey, str]:
    """An admin who made a key acting as the Nóminas member; the admin, the key, its token."""
    admin = active_member(tenant.account, [], role=Role.ADMIN, full_name="Alma Ruiz Soto")
    make_grant(admin, tenant.company)  # so that demoting them to member is allowed
    payroll = active_member(tenant.account, [tenant.company], profile_code="nominas")
    with transaction.atomic():
        new = api_key_create(
            actor=admin.user, account=tenant.account, membership=payroll, name="Nómina ERP"
        )
    return admin, new.key, new.token


def _payroll_xml(tenant: Tenant) -> str:
    outcome = cfdi_ingest(
        company=tenant.company,
        data=cfdi_xml(emisor=tenant.company.rfc, receptor="XAXX010101000", tipo="N"),
    )
    assert outcome.status == "accepted", outcome.message
    return f"/cfdis/{outcome.uuid}/xml?company={tenant.company.pk}"


def test_deactivating_the_admin_who_made_a_key_revokes_it_even_acting_as_another_member():
    tenant = make_tenant()
    admin, key, token = _admin_with_a_payroll_key(tenant)
    xml = _payroll_xml(tenant)
    assert api_as(token).get(xml).status_code == 200

    member_deactivate(membership=admin, actor=tenant.owner.user)

    response = api_as(token).get(xml)
    assert response.status_code == 401
    assert error_of(response)["code"] == "key_revoked"
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert key.revoked_by == tenant.owner.user
    event = AuditEvent.objects.get(action="api_key.revoked", target_id=str(key.pk))
    assert event.actor == tenant.owner.user
    assert event.after["reason"] == "creator_lost_authority"


def test_demoting_the_admin_who_made_a_key_to_member_revokes_it():
    tenant = make_tenant()
    admin, _key, token = _admin_with_a_payroll_key(tenant)
    member_update(membership=admin, actor=tenant.owner.user, role=Role.MEMBER)
    response = api_as(token).get("/companies")
    assert response.status_code == 401
    assert error_of(response)["code"] == "key_revoked"


def test_deleting_the_admin_who_made_a_key_revokes_it():
    tenant = make_tenant()
    admin, key, token = _admin_with_a_payroll_key(tenant)
    member_delete(membership=admin, actor=tenant.owner.user)
    response = api_as(token).get("/companies")
    assert response.status_code == 401
    assert error_of(response)["code"] == "key_revoked"
    assert AuditEvent.objects.filter(action="api_key.revoked", target_id=str(key.pk)).exists()


def test_deleting_the_creators_login_revokes_their_keys_before_the_creator_is_forgotten():
    tenant = make_tenant()
    admin, _key, token = _admin_with_a_payroll_key(tenant)
    admin.user.delete()  # created_by becomes NULL, which must not read as an operator's key
    response = api_as(token).get("/companies")
    assert response.status_code == 401
    assert error_of(response)["code"] == "key_revoked"


def test_the_revocation_belongs_to_the_change_and_rolls_back_with_it():
    tenant = make_tenant()
    admin, key, token = _admin_with_a_payroll_key(tenant)
    with pytest.raises(RuntimeError), transaction.atomic():
        member_deactivate(membership=admin, actor=tenant.owner.user)
        raise RuntimeError("the request failed after the service")
    key.refresh_from_db()
    assert key.revoked_at is None
    assert api_as(token).get("/companies").status_code == 200


def test_other_managers_keys_and_the_members_own_standing_are_untouched():
    tenant = make_tenant()
    admin, _key, admin_token = _admin_with_a_payroll_key(tenant)
    owner_made = make_key(admin)  # the operator's key acting as the admin
    with transaction.atomic():
        owners = api_key_create(
            actor=tenant.owner.user,
            account=tenant.account,
            membership=Membership.objects.get(pk=admin.pk),
            name="Del propietario",
        ).token
    member_update(membership=admin, actor=tenant.owner.user, role=Role.MEMBER)
    assert api_as(admin_token).get("/companies").status_code == 401
    # Keys others made acting as the demoted person keep working with what they hold now.
    assert api_as(owners).get("/companies").status_code == 200
    assert api_as(owner_made).get("/companies").status_code == 200


def test_a_key_whose_creator_no_longer_manages_is_refused_even_if_nobody_revoked_it():
    tenant = make_tenant()
    admin, key, token = _admin_with_a_payroll_key(tenant)
    # A change that bypassed the member services (a data fix, a shell): nothing revoked.
    Membership.objects.filter(pk=admin.pk).update(status=MembershipStatus.DEACTIVATED)
    response = api_as(token).get("/companies")
    assert response.status_code == 401
    assert error_of(response)["code"] == "creator_inactive"
    assert "administra" in error_of(response)["message"]
    Membership.objects.filter(pk=admin.pk).update(status=MembershipStatus.ACTIVE, role=Role.MEMBER)
    assert error_of(api_as(token).get("/companies"))["code"] == "creator_inactive"
    key.refresh_from_db()
    assert key.revoked_at is None


def test_the_keys_page_shows_who_created_each_key():
    tenant = make_tenant()
    _admin, _key, _token = _admin_with_a_payroll_key(tenant)
    client = Client()
    client.force_login(tenant.owner.user)
    html = client.get("/claves-api/").content.decode()
    assert "Creada por" in html
    row = html[html.index("Nómina ERP") :].split("</tr>", 1)[0]
    assert "Alma Ruiz Soto" in row
    operator_row = html[html.index("Integración") :].split("</tr>", 1)[0]
    assert "Operador (línea de comandos)" in operator_row

"""Member lifecycle: add, edit, deactivate, reactivate, delete, transfer ownership."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from despacho.access.catalog import Perm
from despacho.access.decisions import can, can_open
from despacho.access.models import Grant
from despacho.audit.models import AuditEvent
from despacho.members.models import Invitation, InvitationStatus
from despacho.members.services.members import (
    GrantSpec,
    member_add,
    member_deactivate,
    member_delete,
    member_invitation_revoke,
    member_reactivate,
    member_update,
    ownership_transfer,
)
from despacho.members.services.seats import seat_summary
from despacho.people.models import User
from despacho.tenancy.models import Membership, MembershipStatus, Role
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


def _codes(exc: ValidationError, field: str) -> list[str]:
    return [e.code for e in exc.error_dict[field]]


# --- adding -----------------------------------------------------------------------------


def test_a_person_without_login_is_created_without_password_and_invited(
    django_capture_on_commit_callbacks,
):
    account = make_account(name="Contadores Ríos")
    company = make_company(account)
    with django_capture_on_commit_callbacks(execute=True):
        membership = add_member(account, email="Nueva@Example.MX", companies=[company])
    person = membership.user
    assert person.email == "nueva@example.mx"
    assert not person.has_usable_password()
    assert membership.status == MembershipStatus.INVITED
    invitation = Invitation.objects.get(membership=membership)
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.send_count == 1
    assert len(mail.outbox) == 1
    assert "Contadores Ríos" in mail.outbox[0].subject


def test_an_existing_person_joins_at_once_gets_a_notice_and_sees_the_account(
    django_capture_on_commit_callbacks,
):
    account = make_account(name="Despacho Norte")
    company = make_company(account, razon_social="NORTE SA DE CV")
    existing = make_user(email="carlos@example.mx", full_name="Carlos Ortega Luna")
    with django_capture_on_commit_callbacks(execute=True):
        membership = add_member(account, email="carlos@example.mx", companies=[company])
    assert membership.status == MembershipStatus.ACTIVE
    assert not Invitation.objects.exists()
    assert mail.outbox[0].to == ["carlos@example.mx"]
    assert "Despacho Norte" in mail.outbox[0].subject
    assert can_open(User.objects.get(pk=existing.pk), company)


def test_adding_writes_membership_and_each_grant_through_grant_set_with_audit():
    account = make_account()
    a, b = make_company(account), make_company(account)
    membership = member_add(
        account=account,
        actor=owner_of(account),
        full_name="Ana Torres Vega",
        email="ana@example.mx",
        role=Role.MEMBER,
        grants=[(a, profile("auxiliar_ventas")), (b, profile("consulta"), [Perm.DATOS_MAESTROS])],
    )
    grants = {g.company_id: g for g in Grant.objects.filter(membership=membership)}
    assert grants[a.pk].profile.code == "auxiliar_ventas"
    assert Perm.DATOS_MAESTROS in grants[b.pk].perms
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "membership.created" in actions
    assert actions.count("grant.created") == 2
    assert "invitation.sent" in actions


def test_an_invalid_grant_writes_nothing_at_all():
    account = make_account()
    a, b = make_company(account), make_company(account)
    with pytest.raises(ValidationError) as exc:
        member_add(
            account=account,
            actor=owner_of(account),
            full_name="Ana Torres Vega",
            email="ana@example.mx",
            role=Role.MEMBER,
            grants=[
                GrantSpec(a, profile("consulta")),
                GrantSpec(b, profile("consulta"), remove=[Perm.VENTAS, Perm.EGRESOS]),
            ],
        )
    assert "requires_ventas_or_egresos" in _codes(exc.value, "grants")
    assert b.rfc in exc.value.error_dict["grants"][0].message
    assert not User.objects.filter(email="ana@example.mx").exists()
    assert not Membership.objects.filter(role=Role.MEMBER).exists()
    assert not Grant.objects.exists()
    assert not Invitation.objects.exists()


def test_a_member_needs_at_least_one_company():
    account = make_account()
    with pytest.raises(ValidationError) as exc:
        add_member(account, companies=[])
    assert _codes(exc.value, "grants") == ["needs_company"]


def test_an_admin_needs_no_company_and_gets_no_grants():
    account = make_account()
    company = make_company(account)
    membership = add_member(account, role=Role.ADMIN, companies=[company])
    assert membership.role == Role.ADMIN
    assert not Grant.objects.filter(membership=membership).exists()


def test_a_company_of_another_account_is_refused():
    account, other = make_account(), make_account()
    foreign = make_company(other)
    with pytest.raises(ValidationError) as exc:
        add_member(account, companies=[foreign])
    assert _codes(exc.value, "grants") == ["company_not_in_account"]


def test_the_same_company_twice_is_refused():
    account = make_account()
    company = make_company(account)
    with pytest.raises(ValidationError) as exc:
        add_member(account, companies=[company, company])
    assert _codes(exc.value, "grants") == ["duplicate_company"]


@pytest.mark.parametrize(
    ("full_name", "email", "field", "code"),
    [
        ("Ana", "ana@example.mx", "full_name", "needs_surname"),
        ("Ana Torres", "no-es-correo", "email", "invalid_email"),
    ],
)
def test_name_and_email_rules_are_the_people_rules(full_name, email, field, code):
    account = make_account()
    company = make_company(account)
    with pytest.raises(ValidationError) as exc:
        add_member(account, full_name=full_name, email=email, companies=[company])
    assert _codes(exc.value, field) == [code]


def test_a_person_already_in_the_account_is_refused():
    account = make_account()
    company = make_company(account)
    add_member(account, email="ana@example.mx", companies=[company])
    with pytest.raises(ValidationError) as exc:
        add_member(account, email="ANA@example.mx", companies=[company])
    assert _codes(exc.value, "email") == ["already_member"]


@pytest.mark.parametrize(("role", "code"), [(Role.OWNER, "use_transfer"), ("jefe", "invalid_role")])
def test_role_must_be_admin_or_member(role, code):
    account = make_account()
    company = make_company(account)
    with pytest.raises(ValidationError) as exc:
        add_member(account, role=role, companies=[company])
    assert _codes(exc.value, "role") == [code]


def test_members_cannot_add_people():
    account = make_account()
    company = make_company(account)
    member = add_member(account, companies=[company])
    with pytest.raises(PermissionDenied):
        add_member(account, companies=[company], actor=member.user)


# --- editing ----------------------------------------------------------------------------


def test_an_admin_can_change_a_members_role():
    account = make_account()
    admin = make_membership(account, role=Role.ADMIN)
    member = add_member(account, companies=[make_company(account)])
    member_update(membership=member, actor=admin.user, role=Role.ADMIN)
    member.refresh_from_db()
    assert member.role == Role.ADMIN
    event = AuditEvent.objects.get(action="membership.updated")
    assert (event.before["role"], event.after["role"]) == ("member", "admin")


def test_nobody_can_raise_their_own_role():
    account = make_account()
    company = make_company(account)
    admin = make_membership(account, role=Role.ADMIN)
    # A member is no manager at all; an admin cannot make themselves owner.
    member = add_member(account, companies=[company])
    with pytest.raises(PermissionDenied):
        member_update(membership=member, actor=member.user, role=Role.ADMIN)
    with pytest.raises(ValidationError) as exc:
        member_update(membership=admin, actor=admin.user, role=Role.OWNER)
    assert _codes(exc.value, "role") == ["use_transfer"]


def test_an_admin_cannot_change_the_owner():
    account = make_account()
    admin = make_membership(account, role=Role.ADMIN)
    owner = Membership.objects.get(account=account, role=Role.OWNER)
    with pytest.raises(ValidationError) as exc:
        member_update(membership=owner, actor=admin.user, role=Role.MEMBER)
    assert exc.value.code == "owner_protected"


def test_the_owner_changes_role_only_by_transferring():
    account = make_account()
    owner = Membership.objects.get(account=account, role=Role.OWNER)
    with pytest.raises(ValidationError) as exc:
        member_update(membership=owner, actor=owner.user, role=Role.ADMIN)
    assert _codes(exc.value, "role") == ["use_transfer"]


def test_demoting_an_admin_without_companies_to_member_is_refused():
    account = make_account()
    admin = make_membership(account, role=Role.ADMIN)
    with pytest.raises(ValidationError) as exc:
        member_update(membership=admin, actor=owner_of(account), role=Role.MEMBER)
    assert _codes(exc.value, "grants") == ["needs_company"]


def test_the_name_can_be_fixed_before_the_first_login_only():
    account = make_account()
    company = make_company(account)
    invited = add_member(account, full_name="Ana Torez Vega", companies=[company])
    member_update(membership=invited, actor=owner_of(account), full_name="Ana Torres Vega")
    invited.user.refresh_from_db()
    assert invited.user.full_name == "Ana Torres Vega"
    make_user(email="luis@example.mx", full_name="Luis Gómez Paz")
    active = add_member(account, email="luis@example.mx", companies=[company])
    with pytest.raises(ValidationError) as exc:
        member_update(membership=active, actor=owner_of(account), full_name="Otro Nombre")
    assert _codes(exc.value, "full_name") == ["name_owned_by_person"]


# --- deactivating, reactivating ---------------------------------------------------------


def test_deactivating_a_member_frees_their_seat_and_ends_their_access_at_once():
    account = set_included_seats(make_account(), 1)
    company = make_company(account)
    person = make_user()
    member = add_member(account, email=person.email, companies=[company])
    assert can(User.objects.get(pk=person.pk), company, Perm.VENTAS)
    member_deactivate(membership=member, actor=owner_of(account))
    assert seat_summary(account=account).in_use == 0
    assert not can_open(User.objects.get(pk=person.pk), company)
    assert Grant.objects.filter(membership=member).exists()  # history and grants kept


def test_deactivating_an_invited_person_kills_their_link():
    account = make_account()
    member = add_member(account, companies=[make_company(account)])
    member_deactivate(membership=member, actor=owner_of(account))
    assert Invitation.objects.get(membership=member).status == InvitationStatus.REVOKED


def test_the_owner_cannot_be_deactivated_or_deleted():
    account = make_account()
    admin = make_membership(account, role=Role.ADMIN)
    owner = Membership.objects.get(account=account, role=Role.OWNER)
    with pytest.raises(ValidationError) as exc:
        member_deactivate(membership=owner, actor=admin.user)
    assert exc.value.code == "owner_protected"
    assert "propietario" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        member_delete(membership=owner, actor=owner.user)
    assert exc.value.code == "owner_protected"


def test_nobody_deactivates_or_deletes_themselves():
    account = make_account()
    admin = make_membership(account, role=Role.ADMIN)
    with pytest.raises(ValidationError) as exc:
        member_deactivate(membership=admin, actor=admin.user)
    assert exc.value.code == "self_action"
    with pytest.raises(ValidationError) as exc:
        member_delete(membership=admin, actor=admin.user)
    assert exc.value.code == "self_action"


def test_deactivating_twice_and_reactivating_an_active_member_are_refused():
    account = make_account()
    member = make_membership(account, role=Role.ADMIN)
    with pytest.raises(ValidationError) as exc:
        member_reactivate(membership=member, actor=owner_of(account))
    assert exc.value.code == "not_deactivated"
    member_deactivate(membership=member, actor=owner_of(account))
    with pytest.raises(ValidationError) as exc:
        member_deactivate(membership=member, actor=owner_of(account))
    assert exc.value.code == "already_deactivated"


def test_reactivating_a_person_with_login_makes_them_active_again():
    account = make_account()
    member = make_membership(account, role=Role.ADMIN)
    member_deactivate(membership=member, actor=owner_of(account))
    member_reactivate(membership=member, actor=owner_of(account))
    member.refresh_from_db()
    assert member.status == MembershipStatus.ACTIVE
    assert AuditEvent.objects.filter(action="membership.reactivated").exists()


def test_reactivating_someone_who_never_logged_in_invites_them_again(
    django_capture_on_commit_callbacks,
):
    account = make_account()
    member = add_member(account, companies=[make_company(account)])
    member_deactivate(membership=member, actor=owner_of(account))
    with django_capture_on_commit_callbacks(execute=True):
        member_reactivate(membership=member, actor=owner_of(account))
    member.refresh_from_db()
    assert member.status == MembershipStatus.INVITED
    statuses = sorted(i.status for i in Invitation.objects.filter(membership=member))
    assert statuses == [InvitationStatus.PENDING, InvitationStatus.REVOKED]
    assert len(mail.outbox) == 1


def test_revoking_an_invitation_frees_the_seat():
    account = set_included_seats(make_account(), 1)
    member = add_member(account, companies=[make_company(account)])
    invitation = Invitation.objects.get(membership=member)
    member_invitation_revoke(invitation=invitation, actor=owner_of(account))
    member.refresh_from_db()
    assert member.status == MembershipStatus.DEACTIVATED
    assert seat_summary(account=account).free == 1
    with pytest.raises(ValidationError) as exc:
        member_invitation_revoke(invitation=invitation, actor=owner_of(account))
    assert exc.value.code == "already_revoked"


# --- deleting ---------------------------------------------------------------------------


def test_deleting_removes_membership_and_grants_frees_the_seat_and_keeps_the_audit():
    account = make_account()
    other = make_account()
    company = make_company(account)
    person = make_user()
    make_membership(other, user=person, role=Role.ADMIN)
    member = add_member(account, email=person.email, companies=[company])
    member_delete(membership=member, actor=owner_of(account))
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert not Grant.objects.filter(company=company).exists()
    assert seat_summary(account=account).in_use == 0
    assert User.objects.filter(pk=person.pk).exists()  # belongs elsewhere: login survives
    deleted = AuditEvent.objects.get(action="membership.deleted")
    assert deleted.before["email"] == person.email
    assert AuditEvent.objects.filter(action="grant.deleted", company=company).exists()


def test_deleting_an_invitee_who_never_came_and_belongs_nowhere_removes_the_login():
    account = make_account()
    member = add_member(account, email="nunca@example.mx", companies=[make_company(account)])
    member_delete(membership=member, actor=owner_of(account))
    assert not User.objects.filter(email="nunca@example.mx").exists()
    assert not Invitation.objects.exists()
    assert AuditEvent.objects.filter(action="membership.deleted").exists()


def test_deleting_a_person_who_has_a_password_keeps_their_login():
    account = make_account()
    person = make_user()
    member = add_member(account, email=person.email, companies=[make_company(account)])
    member_delete(membership=member, actor=owner_of(account))
    assert User.objects.filter(pk=person.pk).exists()


# --- ownership --------------------------------------------------------------------------


def test_ownership_transfer_keeps_exactly_one_owner_and_the_old_owner_becomes_admin():
    account = make_account()
    old_owner = owner_of(account)
    admin = make_membership(account, role=Role.ADMIN)
    ownership_transfer(account=account, actor=old_owner, new_owner=admin)
    roles = dict(Membership.objects.filter(account=account).values_list("user_id", "role"))
    assert roles == {old_owner.pk: Role.ADMIN, admin.user_id: Role.OWNER}
    event = AuditEvent.objects.get(action="membership.ownership_transferred")
    assert event.before["owner"] == old_owner.email
    assert event.after["owner"] == admin.user.email


def test_only_the_owner_transfers_ownership():
    account = make_account()
    admin = make_membership(account, role=Role.ADMIN)
    other_admin = make_membership(account, role=Role.ADMIN)
    with pytest.raises(ValidationError) as exc:
        ownership_transfer(account=account, actor=admin.user, new_owner=other_admin)
    assert exc.value.code == "owner_only"


@pytest.mark.parametrize("status", [MembershipStatus.INVITED, MembershipStatus.DEACTIVATED])
def test_ownership_goes_only_to_an_active_person_of_the_account(status):
    account = make_account()
    candidate = make_membership(account, role=Role.MEMBER, status=status)
    with pytest.raises(ValidationError) as exc:
        ownership_transfer(account=account, actor=owner_of(account), new_owner=candidate)
    assert _codes(exc.value, "new_owner") == ["invalid_new_owner"]


def test_ownership_cannot_go_to_someone_of_another_account():
    account, other = make_account(), make_account()
    foreign = make_membership(other, role=Role.ADMIN)
    with pytest.raises(ValidationError) as exc:
        ownership_transfer(account=account, actor=owner_of(account), new_owner=foreign)
    assert _codes(exc.value, "new_owner") == ["invalid_new_owner"]

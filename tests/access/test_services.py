"""Services that change access: grants and profiles refuse every invalid set, and audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from despacho.access.catalog import ALL_MASK, Perm, from_mask, is_valid, violations
from despacho.access.models import Grant, Profile
from despacho.access.services import (
    grant_delete,
    grant_set,
    profile_create,
    profile_delete,
    profile_update,
)
from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.tenancy.models import Role
from tests.factories import (
    make_account,
    make_company,
    make_grant,
    make_membership,
    owner_of,
    profile,
)

pytestmark = pytest.mark.django_db

perm_sets = st.sets(st.sampled_from(list(Perm))).map(frozenset)


def codes_of(exc: ValidationError) -> set[str]:
    return {error.code for errors in exc.error_dict.values() for error in errors}


def messages_of(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


@pytest.fixture
def setting():
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    return account, company, member


# --- grant_set ------------------------------------------------------------------


def test_grant_set_refuses_every_invalid_subset_and_accepts_every_valid_one(setting):
    account, company, member = setting
    owner = owner_of(account)
    base = profile("consulta")  # ventas, egresos, nomina
    for mask in range(ALL_MASK + 1):
        wanted = from_mask(mask)
        add, remove = wanted - base.perms, base.perms - wanted
        if is_valid(wanted):
            grant = grant_set(
                actor=owner,
                membership=member,
                company=company,
                profile=base,
                add=add,
                remove=remove,
            )
            assert grant.perms == wanted
        else:
            with pytest.raises(ValidationError) as caught:
                grant_set(
                    actor=owner,
                    membership=member,
                    company=company,
                    profile=base,
                    add=add,
                    remove=remove,
                )
            assert codes_of(caught.value) == {v.code for v in violations(wanted)}


@settings(max_examples=60, deadline=None)
@given(wanted=perm_sets)
def test_an_invalid_grant_is_never_stored(wanted):
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    base = profile("auxiliar_ventas")
    try:
        grant_set(
            actor=owner_of(account),
            membership=member,
            company=company,
            profile=base,
            add=wanted - base.perms,
            remove=base.perms - wanted,
        )
    except ValidationError as exc:
        assert not is_valid(wanted)
        assert codes_of(exc) <= {"requires_ventas", "requires_ventas_or_egresos"}
        assert not Grant.objects.filter(membership=member).exists()
    else:
        assert is_valid(wanted)
        assert Grant.objects.get(membership=member).perms == wanted


def test_removing_ventas_while_facturar_is_on_says_facturar_requiere_ventas(setting):
    account, company, member = setting
    with pytest.raises(ValidationError) as caught:
        grant_set(
            actor=owner_of(account),
            membership=member,
            company=company,
            profile=profile("auxiliar_ventas"),
            remove=[Perm.VENTAS],
        )
    assert "Facturar requiere Ventas." in messages_of(caught.value)


def test_grant_set_writes_an_audit_event_with_before_and_after(setting):
    account, company, member = setting
    owner = owner_of(account)
    grant_set(actor=owner, membership=member, company=company, profile=profile("consulta"))
    grant_set(
        actor=owner,
        membership=member,
        company=company,
        profile=profile("consulta"),
        remove=[Perm.NOMINA],
    )
    event = AuditEvent.objects.filter(action=Action.GRANT_UPDATED).get()
    assert "nomina" in event.before["effective"]
    assert "nomina" not in event.after["effective"]
    assert event.after["removed"] == ["nomina"]


def test_nobody_can_change_their_own_permissions(setting):
    account, company, _member = setting
    admin = make_membership(account, role=Role.ADMIN)
    with pytest.raises(ValidationError) as caught:
        grant_set(actor=admin.user, membership=admin, company=company, profile=profile("consulta"))
    assert caught.value.code == "own_permissions"


def test_an_admin_cannot_edit_the_owners_access(setting):
    account, company, _member = setting
    admin = make_membership(account, role=Role.ADMIN)
    owner_membership = owner_of(account).memberships.get(account=account)
    with pytest.raises(ValidationError) as caught:
        grant_set(
            actor=admin.user,
            membership=owner_membership,
            company=company,
            profile=profile("consulta"),
        )
    assert caught.value.code == "owner_has_all"


def test_a_member_cannot_grant_anything(setting):
    account, company, member = setting
    other = make_membership(account)
    with pytest.raises(ValidationError) as caught:
        grant_set(actor=member.user, membership=other, company=company, profile=profile("consulta"))
    assert caught.value.code == "not_manager"


def test_an_owner_of_another_account_cannot_grant_here(setting):
    _account, company, member = setting
    stranger = owner_of(make_account())
    with pytest.raises(ValidationError) as caught:
        grant_set(actor=stranger, membership=member, company=company, profile=profile("consulta"))
    assert caught.value.code == "not_manager"


def test_grant_on_a_company_of_another_account_is_refused(setting):
    account, _company, member = setting
    foreign = make_company(make_account())
    with pytest.raises(ValidationError) as caught:
        grant_set(
            actor=owner_of(account), membership=member, company=foreign, profile=profile("consulta")
        )
    assert codes_of(caught.value) == {"company_not_in_account"}


def test_grant_delete_takes_the_access_away_and_audits(setting):
    account, company, member = setting
    grant = make_grant(member, company)
    grant_delete(actor=owner_of(account), grant=grant)
    assert not Grant.objects.filter(membership=member).exists()
    event = AuditEvent.objects.get(action=Action.GRANT_DELETED)
    assert event.before["profile"] == "Consulta"


# --- profiles -------------------------------------------------------------------


def test_profile_create_refuses_every_invalid_subset(setting):
    account, _company, _member = setting
    owner = owner_of(account)
    for mask in range(ALL_MASK + 1):
        perms = from_mask(mask)
        if is_valid(perms):
            continue
        with pytest.raises(ValidationError) as caught:
            profile_create(actor=owner, account=account, name=f"P{mask}", permissions=perms)
        assert codes_of(caught.value) == {v.code for v in violations(perms)}
    assert not Profile.objects.filter(account=account).exists()


@given(perms=perm_sets)
@settings(max_examples=80, deadline=None)
def test_profile_update_refuses_every_invalid_set(perms):
    account = make_account()
    own = profile_create(actor=None, account=account, name="Propio", permissions={Perm.VENTAS})
    try:
        profile_update(actor=owner_of(account), profile=own, permissions=perms)
    except ValidationError as exc:
        assert not is_valid(perms)
        assert codes_of(exc) == {v.code for v in violations(perms)}
        own.refresh_from_db()
        assert own.perms == {Perm.VENTAS}
    else:
        assert is_valid(perms)


def test_profile_names_are_unique_in_the_account_and_cannot_copy_a_preset(setting):
    account, _company, _member = setting
    owner = owner_of(account)
    profile_create(actor=owner, account=account, name="Cobranza", permissions={Perm.VENTAS})
    for name in ("cobranza", "Contador"):
        with pytest.raises(ValidationError) as caught:
            profile_create(actor=owner, account=account, name=name, permissions={Perm.VENTAS})
        assert codes_of(caught.value) == {"name_taken"}
    # Another account may use the same name.
    other = make_account()
    profile_create(
        actor=owner_of(other), account=other, name="Cobranza", permissions={Perm.EGRESOS}
    )


def test_system_presets_cannot_be_edited_or_deleted(setting):
    account, _company, _member = setting
    for call in (
        lambda: profile_update(actor=owner_of(account), profile=profile("contador"), name="X"),
        lambda: profile_delete(actor=owner_of(account), profile=profile("contador")),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.code == "system_profile"


def test_editing_a_profile_reaches_every_grant_while_hand_changes_survive(setting):
    account, company, member = setting
    owner = owner_of(account)
    other_company = make_company(account)
    own = profile_create(
        actor=owner, account=account, name="Cobranza", permissions={Perm.VENTAS, Perm.EGRESOS}
    )
    grant_set(actor=owner, membership=member, company=company, profile=own, add=[Perm.POLIZAS])
    grant_set(
        actor=owner, membership=member, company=other_company, profile=own, remove=[Perm.EGRESOS]
    )
    profile_update(actor=owner, profile=own, permissions={Perm.VENTAS, Perm.EGRESOS, Perm.NOMINA})
    first = Grant.objects.get(membership=member, company=company)
    second = Grant.objects.get(membership=member, company=other_company)
    assert first.perms == {Perm.VENTAS, Perm.EGRESOS, Perm.NOMINA, Perm.POLIZAS}
    assert second.perms == {Perm.VENTAS, Perm.NOMINA}


def test_a_profile_edit_that_would_break_a_grant_is_refused_naming_who(setting):
    account, company, member = setting
    owner = owner_of(account)
    member.user.full_name = "Ana López Ruiz"
    member.user.save()
    own = profile_create(
        actor=owner,
        account=account,
        name="Facturista",
        permissions={Perm.VENTAS, Perm.EGRESOS, Perm.FACTURAR},
    )
    grant_set(actor=owner, membership=member, company=company, profile=own, remove=[Perm.EGRESOS])
    with pytest.raises(ValidationError) as caught:
        # The grant removed Egresos by hand: with only Egresos in the profile it holds nothing.
        profile_update(actor=owner, profile=own, permissions={Perm.EGRESOS})
    assert codes_of(caught.value) == {"grants_would_break"}
    text = messages_of(caught.value)
    assert "Ana López Ruiz" in text
    assert company.razon_social in text
    own.refresh_from_db()
    assert own.perms == {Perm.VENTAS, Perm.EGRESOS, Perm.FACTURAR}


def test_profile_update_is_audited_with_before_and_after(setting):
    account, _company, _member = setting
    owner = owner_of(account)
    own = profile_create(actor=owner, account=account, name="Ventas", permissions={Perm.VENTAS})
    profile_update(
        actor=owner, profile=own, name="Ventas y más", permissions={Perm.VENTAS, Perm.PORTAL}
    )
    event = AuditEvent.objects.get(action=Action.PROFILE_UPDATED)
    assert event.before == {"name": "Ventas", "permissions": ["ventas"]}
    assert event.after["name"] == "Ventas y más"
    assert event.after["permissions"] == ["portal", "ventas"]


def test_a_profile_in_use_cannot_be_deleted_without_a_replacement(setting):
    account, company, member = setting
    owner = owner_of(account)
    own = profile_create(actor=owner, account=account, name="Temporal", permissions={Perm.VENTAS})
    grant_set(actor=owner, membership=member, company=company, profile=own)
    with pytest.raises(ValidationError) as caught:
        profile_delete(actor=owner, profile=own)
    assert codes_of(caught.value) == {"replacement_required"}
    assert Profile.objects.filter(pk=own.pk).exists()


def test_deleting_a_profile_moves_its_grants_to_the_replacement_with_hand_changes(setting):
    account, company, member = setting
    owner = owner_of(account)
    own = profile_create(actor=owner, account=account, name="Temporal", permissions={Perm.VENTAS})
    grant_set(actor=owner, membership=member, company=company, profile=own, add=[Perm.WHATSAPP])
    moved = profile_delete(actor=owner, profile=own, replacement=profile("auxiliar_compras"))
    assert moved == 1
    grant = Grant.objects.get(membership=member)
    assert grant.profile == profile("auxiliar_compras")
    assert grant.perms == {Perm.DATOS_MAESTROS, Perm.EGRESOS, Perm.WHATSAPP}
    event = AuditEvent.objects.get(action=Action.PROFILE_DELETED)
    assert event.before["name"] == "Temporal"
    assert event.after["replacement"] == "Auxiliar de compras"


def test_a_replacement_that_would_break_a_grant_is_refused(setting):
    account, company, member = setting
    owner = owner_of(account)
    own = profile_create(
        actor=owner, account=account, name="Temporal", permissions={Perm.VENTAS, Perm.EGRESOS}
    )
    grant_set(actor=owner, membership=member, company=company, profile=own, add=[Perm.FACTURAR])
    with pytest.raises(ValidationError) as caught:
        profile_delete(actor=owner, profile=own, replacement=profile("auxiliar_compras"))
    assert codes_of(caught.value) == {"grants_would_break"}
    assert "Facturar requiere Ventas" in messages_of(caught.value)
    assert Profile.objects.filter(pk=own.pk).exists()


def test_a_replacement_from_another_account_is_refused(setting):
    account, company, member = setting
    owner = owner_of(account)
    own = profile_create(actor=owner, account=account, name="Temporal", permissions={Perm.VENTAS})
    grant_set(actor=owner, membership=member, company=company, profile=own)
    other = make_account()
    theirs = profile_create(actor=None, account=other, name="Ajeno", permissions={Perm.VENTAS})
    with pytest.raises(ValidationError) as caught:
        profile_delete(actor=owner, profile=own, replacement=theirs)
    assert codes_of(caught.value) == {"invalid_replacement"}


def test_members_cannot_manage_profiles(setting):
    account, _company, member = setting
    with pytest.raises(ValidationError) as caught:
        profile_create(actor=member.user, account=account, name="Mío", permissions={Perm.VENTAS})
    assert caught.value.code == "not_manager"

"""Profile edits and grant writes serialise on the profile row (PostgreSQL, two connections)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from despacho.access.catalog import Perm, is_valid
from despacho.access.models import Grant
from despacho.access.services import grant_set, profile_create, profile_update
from tests.factories import make_account, make_company, make_membership, owner_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(target):
    """Run ``target`` on its own database connection; return (thread, outcome dict)."""
    outcome: dict[str, object] = {}

    def run():
        try:
            outcome["result"] = target()
        except ValidationError as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_profile_edit_waits_for_a_grant_being_written_and_then_sees_it():
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    owner = owner_of(account)
    own = profile_create(
        actor=owner,
        account=account,
        name="Facturista",
        permissions={Perm.VENTAS, Perm.EGRESOS, Perm.FACTURAR},
    )
    locked, release = threading.Event(), threading.Event()

    def write_grant():
        with transaction.atomic():
            grant_set(
                actor=owner, membership=member, company=company, profile=own, remove=[Perm.EGRESOS]
            )
            locked.set()
            release.wait(timeout=30)

    grant_thread, _ = in_thread(write_grant)
    assert locked.wait(timeout=30)
    edit_thread, edit = in_thread(
        lambda: profile_update(actor=owner, profile=own, permissions={Perm.EGRESOS})
    )
    release.set()
    grant_thread.join(30)
    edit_thread.join(30)
    # The edit blocked on the profile row until the grant committed, then refused it.
    assert "error" in edit
    assert edit["error"].error_dict["permissions"][0].code == "grants_would_break"
    assert all(is_valid(grant.perms) for grant in Grant.objects.all())


def test_a_grant_waits_for_a_profile_edit_and_validates_against_the_new_set():
    account = make_account()
    company = make_company(account)
    member = make_membership(account)
    owner = owner_of(account)
    own = profile_create(
        actor=owner, account=account, name="Ventas", permissions={Perm.VENTAS, Perm.EGRESOS}
    )
    locked, release = threading.Event(), threading.Event()

    def edit_profile():
        with transaction.atomic():
            profile_update(actor=owner, profile=own, permissions={Perm.EGRESOS})
            locked.set()
            release.wait(timeout=30)

    edit_thread, _ = in_thread(edit_profile)
    assert locked.wait(timeout=30)
    # Read before the edit commits: this object still says Ventas + Egresos.
    grant_thread, grant = in_thread(
        lambda: grant_set(
            actor=owner,
            membership=member,
            company=company,
            profile=own,
            add=[Perm.FACTURAR],
            remove=[Perm.EGRESOS],
        )
    )
    release.set()
    edit_thread.join(30)
    grant_thread.join(30)
    assert "error" in grant
    assert not Grant.objects.exists()

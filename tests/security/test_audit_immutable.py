"""The audit table refuses UPDATE and DELETE in the database itself (PostgreSQL trigger)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.audit.services import audit_record
from despacho.people.models import User
from despacho.tenancy.models import Account
from tests.factories import make_account, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TABLE = AuditEvent._meta.db_table


def _event(actor=None) -> AuditEvent:
    actor = actor or make_user()
    with transaction.atomic():
        return audit_record(actor=actor, action=Action.USER_CREATED, target=actor, after={"a": 1})


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_sql_update_of_an_event_is_refused():
    event = _event()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["user.hacked", event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == Action.USER_CREATED


def test_raw_sql_delete_of_an_event_is_refused():
    event = _event()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {TABLE}", [])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_pointing_an_event_at_someone_else_is_refused():
    event = _event()
    other = make_user()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"UPDATE {TABLE} SET actor_id = %s WHERE id = %s", [other.pk, event.pk])


def test_clearing_a_link_together_with_another_change_is_refused():
    event = _event()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(
            f"UPDATE {TABLE} SET actor_id = NULL, actor_label = %s WHERE id = %s",
            ["otra persona", event.pk],
        )


def test_deleting_a_person_keeps_their_events_with_the_label():
    """Django's ON DELETE SET NULL is the one update the trigger lets through."""
    person = make_user(email="se-va@example.mx")
    account = make_account(owner=person)
    event = _event(actor=person)
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).delete()
        User.objects.filter(pk=person.pk).delete()
    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.actor_id is None
    assert kept.actor_label == "se-va@example.mx"
    assert kept.after == {"a": 1}

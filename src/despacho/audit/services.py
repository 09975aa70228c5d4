"""Writing the audit trail. Every service that changes access calls ``audit_record``."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from despacho.audit.actions import Action
from despacho.audit.context import current_ip
from despacho.audit.models import AuditEvent
from despacho.people.models import User
from despacho.tenancy.models import Account, Company


def audit_record(
    *,
    actor: User | None,
    action: Action,
    account: Account | None = None,
    company: Company | None = None,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; must run inside the caller's transaction so both commit or neither."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the service's transaction")
    event = audit_event(
        actor=actor,
        action=action,
        account=account,
        company=company,
        target=target,
        before=before,
        after=after,
    )
    event.save()
    return event


def audit_record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append events built with ``audit_event`` in one insert (bulk writers: imports)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must be called inside the service's transaction")
    return AuditEvent.objects.bulk_create(events, batch_size=1000)


def target_label(target: models.Model) -> str:
    """How the trail names the target: its ``audit_label`` (a Spanish phrase) if it has
    one, else ``str()``. Stored with the event, so it survives the target's deletion."""
    label = getattr(target, "audit_label", None)
    return str(label) if label else str(target)


# Models that moved between apps keep the type their earlier events carry, so the history
# and the API's ``target_type`` read one name per kind of thing.
_STABLE_TARGET_TYPES = {"members.invitation": "people.invitation"}


def target_type(target: models.Model) -> str:
    """The event's name for the target's model (``app.model``, stable across moves)."""
    label = target._meta.label_lower
    return _STABLE_TARGET_TYPES.get(label, label)


def audit_event(
    *,
    actor: User | None,
    action: Action,
    account: Account | None = None,
    company: Company | None = None,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """An unsaved event, filled the way ``audit_record`` fills it."""
    return AuditEvent(
        actor=actor,
        actor_label=actor.email if actor is not None else "sistema",
        account=account,
        company=company,
        action=action,
        target_type=target_type(target) if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label(target)[:300] if target is not None else "",
        before=before,
        after=after,
        ip=current_ip.get(),
    )

"""Reads of the audit trail, scoped to an account its viewer manages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from despacho.audit.models import AuditEvent
from despacho.tenancy.models import Account


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # email or part of it
    action: str = ""
    company_id: int | None = None
    since: date | None = None
    until: date | None = None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events(*, account: Account, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The account's events, newest first. The caller has checked that the viewer manages it."""
    qs = AuditEvent.objects.filter(account=account).select_related("company", "actor")
    if filters.actor:
        qs = qs.filter(Q(actor_label__icontains=filters.actor))
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.company_id:
        qs = qs.filter(company_id=filters.company_id)
    if filters.since:
        qs = qs.filter(occurred_at__gte=_start_of(filters.since))
    if filters.until:
        qs = qs.filter(occurred_at__lt=_start_of(filters.until + timedelta(days=1)))
    return qs.order_by("-occurred_at", "-id")

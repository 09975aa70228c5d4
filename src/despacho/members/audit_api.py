"""REST API of the audit trail: the account's events, filtered (owners and admins)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from despacho.api.auth import caller
from despacho.api.errors import ApiError, responses
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import CURSOR, LIMIT, day, filter_id, local, text
from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.audit.selectors import AuditFilters, audit_events
from despacho.members.audit_forms import AuditFilterForm

audit_router = Router(tags=["audit-events"])


class AuditEventOut(Schema):
    id: str
    occurred_at: datetime
    actor: str
    action: str
    action_label: str
    company: str | None
    target_type: str
    target_id: str
    target_label: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None

    @staticmethod
    def of(event: AuditEvent) -> AuditEventOut:
        return AuditEventOut(
            id=str(event.pk),
            occurred_at=local(event.occurred_at),  # type: ignore[arg-type]
            actor=event.actor_label,
            action=event.action,
            action_label=event.action_label,
            company=str(event.company_id) if event.company_id else None,
            target_type=event.target_type,
            target_id=event.target_id,
            target_label=event.target_label,
            before=event.before,
            after=event.after,
            ip=event.ip,
        )


class AuditFilter(Schema):
    actor: str | None = text(None, max_length=254, description="Email, or part of it.")
    action: Action | None = None
    company: str | None = text(None, max_length=20)
    since: date | None = day("From this day (America/Mexico_City).")
    until: date | None = day("Until this day, inclusive.")


def _form_error(form: AuditFilterForm) -> ApiError:
    fields = [
        {"field": name, "code": error.code or "invalid", "message": " ".join(error.messages)}
        for name, errors in form.errors.as_data().items()
        for error in errors
    ]
    first = fields[0]
    return ApiError(422, first["code"], first["message"], fields=fields)


@audit_router.get("", response=responses({200: Page[AuditEventOut]}))
def audit_events_list(
    request: HttpRequest,
    filters: Query[AuditFilter],
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """The account's events, newest first, with the audit page's filters."""
    principal = caller(request)
    principal.require_manager()
    form = AuditFilterForm(
        {
            "actor": filters.actor or "",
            "action": filters.action or "",
            "since": filters.since or "",
            "until": filters.until or "",
        }
    )
    if not form.is_valid():
        raise _form_error(form)
    found = form.filters()
    qs = audit_events(
        account=principal.account,
        filters=AuditFilters(
            actor=found.actor,
            action=found.action,
            company_id=filter_id(filters.company, field="company"),
            since=found.since,
            until=found.until,
        ),
    )
    rows, next_cursor = paginate(qs, ordering=("-occurred_at", "-id"), limit=limit, cursor=cursor)
    return {"items": [AuditEventOut.of(e) for e in rows], "next_cursor": next_cursor}

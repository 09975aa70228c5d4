"""How a before/after value reads in the audit page."""

from __future__ import annotations

from django import template

from despacho.audit.describe import Change, event_changes, event_sentence
from despacho.audit.models import AuditEvent

register = template.Library()


@register.filter
def sentence(event: AuditEvent) -> str:
    """What happened, as one Spanish sentence."""
    return event_sentence(event)


@register.filter
def changes(event: AuditEvent) -> list[Change]:
    """The event's fields with Spanish labels and values as a person reads them."""
    return event_changes(event)

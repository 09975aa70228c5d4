"""Background work of issuing (django-tasks: in-process in the embedded mode and tests, the
database worker in production)."""

from __future__ import annotations

from django_tasks import task

from despacho.invoicing.models import Draft, DraftStatus
from despacho.invoicing.services.issue import drafts_issue_many
from despacho.people.models import User


@task()
def drafts_issue_task(draft_ids: list[int], actor_id: int) -> dict[str, str]:
    """Background batch (``drafts_issue_many``): draft id → UUID or the refusal's message."""
    actor = User.objects.get(pk=actor_id)
    drafts = list(
        Draft.objects.select_related("company__account", "customer", "series")
        .filter(pk__in=draft_ids, status=DraftStatus.DRAFT)
        .order_by("pk")
    )
    results = drafts_issue_many(drafts=drafts, actor=actor)
    return {str(key): value for key, value in results.items()}

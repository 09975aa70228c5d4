"""Background work of the SAT connection (django-tasks).

``sync_advance_task`` moves a run one pass; while SAT is still preparing its packages, a
backend that can defer (the database worker) runs it again ``DESPACHO_SAT_VERIFY_EVERY``
seconds later. The project has no scheduler: ``despacho satsync`` (cron or a systemd timer,
every few minutes) starts the daily synchronisations that are due and resumes any run a
stopped worker left, and ``syncs_due_task`` does the same from the queue.
"""

from __future__ import annotations

from django_tasks import task

from despacho.satsync.services import sync_advance, sync_enqueue, syncs_due


@task()
def sync_advance_task(run_id: int) -> str:
    """One pass of a run; still open: again later (the command covers a backend that can't)."""
    run = sync_advance(run_id=run_id)
    deferrable = sync_advance_task.get_backend().supports_defer
    if run.is_open and run.next_check_at is not None and deferrable:
        sync_enqueue(run.pk, at=run.next_check_at)
    return run.state


@task()
def syncs_due_task() -> int:
    """Start due daily synchronisations and resume abandoned runs; how many were enqueued."""
    return syncs_due()

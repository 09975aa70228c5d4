"""Background tasks a request asks for, started only once its answer has gone out.

With the in-process task backend (``DESPACHO_TASKS=immediate``) ``enqueue``
runs the task inside the request, so how long the answer takes tells what the
task did (mail rendered and sent, or nothing). ``enqueue_after_response`` holds
such tasks until the server has sent the answer (Django's ``request_finished``,
sent as the response is closed) and enqueues them then; with a real queue the
task is enqueued at once. Outside a request (a shell, a task) it enqueues at once.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.signals import request_finished, request_started
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import Task

_local = threading.local()


def enqueue_after_response(task: Task[Any, Any], **kwargs: Any) -> None:
    """Enqueue ``task`` now, or after the current answer has been sent if it would run inline."""
    pending: list[tuple[Task[Any, Any], dict[str, Any]]] | None = getattr(_local, "pending", None)
    if pending is None or not isinstance(task.get_backend(), ImmediateBackend):
        task.enqueue(**kwargs)
        return
    pending.append((task, kwargs))


def _request_started(**_kwargs: Any) -> None:
    _local.pending = []


def _request_finished(**_kwargs: Any) -> None:
    pending = getattr(_local, "pending", None) or []
    _local.pending = None
    for task, kwargs in pending:
        task.enqueue(**kwargs)


request_started.connect(_request_started, dispatch_uid="despacho.after_response.started")
request_finished.connect(_request_finished, dispatch_uid="despacho.after_response.finished")

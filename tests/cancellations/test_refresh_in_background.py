"""Pending requests are refreshed in the background: a deferred task after each request
that waits, and ``despacho cancellations_refresh`` for all of them."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import default_task_backend

from despacho.cancellations.models import Cancellation, State
from despacho.cancellations.services import REFRESH_AFTER, cancellation_request
from despacho.cancellations.tasks import cancellation_refresh_task
from despacho.pac.sandbox import SandboxPac, sandbox_receiver_answer
from tests.cancellations.issuing import CANCEL_AT, invoice
from tests.factories import owner_of
from tests.security.conftest import enqueued_tasks_during

pytestmark = pytest.mark.django_db


def cancel(cfdi, when=CANCEL_AT):
    return cancellation_request(
        cfdi=cfdi,
        actor=owner_of(cfdi.company.account),
        motivo="02",
        now=when,
        pac=SandboxPac(clock=lambda: when),
    )


def committed(capture, cfdi):
    """Cancel and run what waits for the commit (the test's transaction never commits)."""
    with capture(execute=True):
        return cancel(cfdi)


def test_a_request_that_waits_enqueues_its_refresh_an_hour_later(
    company, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    big = invoice(company, unit_price="5000.00")

    cancellation, enqueued = enqueued_tasks_during(
        lambda: committed(django_capture_on_commit_callbacks, big)
    )

    assert cancellation.state == State.EN_PROCESO
    assert enqueued == [("cancellation_refresh_task", {})]
    [result] = default_task_backend.results  # type: ignore[attr-defined]
    assert result.args == [cancellation.pk]
    assert result.task.run_after >= timezone.now() + REFRESH_AFTER - timedelta(minutes=5)


def test_a_request_cancelled_at_once_enqueues_nothing(
    company, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    small = invoice(company, unit_price="100.00")
    cancellation, enqueued = enqueued_tasks_during(
        lambda: committed(django_capture_on_commit_callbacks, small)
    )
    assert cancellation.state == State.CANCELADA
    assert enqueued == []


def test_the_refresh_task_settles_an_accepted_request(company):
    big = invoice(company, unit_price="5000.00")
    cancellation = cancel(big, when=timezone.now() - timedelta(hours=2))
    sandbox_receiver_answer(str(big.uuid), accept=True)

    result = cancellation_refresh_task.enqueue(cancellation.pk)  # in-process backend

    assert result.return_value == State.CANCELADA
    assert Cancellation.objects.get().state == State.CANCELADA


def test_the_command_refreshes_every_pending_request(company):
    # Requested 73 hours ago and never answered: SAT cancels it (plazo vencido).
    big = invoice(company, unit_price="5000.00", folio="1")
    other = invoice(company, unit_price="6000.00", folio="2")
    cancel(big, when=timezone.now() - timedelta(hours=73))
    cancel(other, when=timezone.now() - timedelta(hours=1))
    out = io.StringIO()

    call_command("cancellations_refresh", stdout=out)

    states = dict(Cancellation.objects.values_list("cfdi__folio", "state"))
    assert states == {"1": State.PLAZO_VENCIDO, "2": State.EN_PROCESO}
    assert "Cancelaciones que cambiaron de estado: 1" in out.getvalue()

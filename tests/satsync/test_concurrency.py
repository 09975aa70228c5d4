"""Two people or two workers at the same moment (PostgreSQL): one open run per company,
and one worker per run — SAT is never asked twice and nothing is stored twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from despacho.cfdi.models import Cfdi
from despacho.satsync.models import RunKind, RunState, SyncRun
from despacho.satsync.services import sync_advance, sync_request
from tests.concurrency import at_once
from tests.factories import owner_of
from tests.satsync.packages import issued_package

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_requests_make_one_run(company, sat):
    sat.pending = 100  # keep it open
    owner = owner_of(company.account)

    def start():
        return sync_request(company=company, actor=owner, kind=RunKind.MANUAL)

    outcomes = at_once([start] * 4, catching=(ValidationError,))
    made = [o for o in outcomes if isinstance(o, SyncRun)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(made) == 1
    assert {e.code for e in refused} == {"sync_running"}
    assert SyncRun.objects.filter(company=company).count() == 1


def test_workers_advancing_the_same_run_at_once_download_each_package_once(company, sat):
    sat.packages[("emitidos", "CFDI")] = [issued_package()]
    now = timezone.now()
    run = SyncRun.objects.create(
        company=company, kind=RunKind.DAILY, period_start=now - timedelta(days=3), period_end=now
    )

    at_once([lambda: sync_advance(run_id=run.pk)] * 3)

    run.refresh_from_db()
    assert run.state == RunState.DONE, run.error
    assert len(sat.downloads) == 1
    assert [name for name in sat.operations() if name == "emitidos"] == ["emitidos"]
    assert Cfdi.objects.filter(company=company).count() == 2

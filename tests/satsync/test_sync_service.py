"""Synchronising a company with SAT's descarga masiva, against the fake SAT on 127.0.0.1:
authentication and every request signed with the e.firma through seals (and audited),
packages ingested through the CFDI repository, SAT's answers handled, runs resumable."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from despacho.access.catalog import Perm
from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.cfdi.models import Cfdi
from despacho.satsync.models import (
    Direction,
    RequestState,
    RequestType,
    RunKind,
    RunState,
    SatMetadata,
    SatPackage,
    SatRequest,
    SyncRun,
    SyncSchedule,
)
from despacho.satsync.services import sync_advance, sync_request, syncs_due
from tests.factories import make_grant, make_membership, owner_of
from tests.satsync.fake_sat import package_zip
from tests.satsync.packages import (
    EKU_ISSUED_UUIDS,
    foreign_package,
    issued_package,
    received_metadata,
)
from tests.seals.samples import EKU

pytestmark = pytest.mark.django_db

EMITIDOS_CFDI = ("emitidos", "CFDI")
RECIBIDOS_CFDI = ("recibidos", "CFDI")
RECIBIDOS_METADATA = ("recibidos", "Metadata")


_committed = None


@pytest.fixture(autouse=True)
def _commit_runs_tasks(django_capture_on_commit_callbacks):
    """The immediate backend runs a task when its transaction commits: let them commit."""
    global _committed
    _committed = django_capture_on_commit_callbacks


def _start(company, kind=RunKind.MANUAL):
    with _committed(execute=True):
        return sync_request(company=company, actor=owner_of(company.account), kind=kind)


def _due():
    with _committed(execute=True):
        return syncs_due()


def test_a_sync_downloads_issued_cfdi_and_received_metadata_through_the_repository(company, sat):
    sat.packages[EMITIDOS_CFDI] = [issued_package()]
    metadata, uuids = received_metadata(EKU, count=2, cancelled=1)
    sat.packages[RECIBIDOS_METADATA] = [metadata]

    run = _start(company)  # the immediate backend runs the task at commit
    run.refresh_from_db()

    assert run.state == RunState.DONE, run.error
    stored = set(Cfdi.objects.filter(company=company).values_list("uuid", flat=True))
    assert {str(u) for u in stored} == EKU_ISSUED_UUIDS
    assert run.counts["emitidos"] == {"accepted": 2, "duplicate": 0, "refused": 0}
    assert run.counts["metadata"] == {"rows": 2}
    rows = SatMetadata.objects.filter(company=company).order_by("vigente")
    assert [str(r.uuid).upper() for r in rows] == uuids
    assert [r.vigente for r in rows] == [False, True]
    assert rows[0].fecha_cancelacion is not None
    assert SyncSchedule.objects.get(company=company).last_success_at == run.finished_at
    # What SAT was asked: authenticate, then each request of the plan, verified, downloaded.
    kinds = {(name, attrs.get("TipoSolicitud")) for name, attrs in sat.calls}
    assert {("emitidos", "CFDI"), ("recibidos", "CFDI"), ("recibidos", "Metadata")} <= kinds
    assert sat.refusals == []
    assert len(sat.downloads) == 2


def test_every_signature_with_the_e_firma_is_audited_as_a_use_of_the_seal(company, sat):
    sat.packages[EMITIDOS_CFDI] = [issued_package()]
    _start(company)
    uses = AuditEvent.objects.filter(company=company, action=Action.SEAL_USED)
    purposes = [e.after["purpose"] for e in uses]
    assert any("Autenticacion" in p for p in purposes)
    assert any("SolicitaDescargaEmitidos" in p for p in purposes)
    assert any("VerificaSolicitudDescarga" in p for p in purposes)
    assert any("DescargaMasiva" in p for p in purposes)
    assert all(e.after["seal"] == "fiel" for e in uses)
    # …and the repository's own audit of what was stored, by the system.
    ingested = AuditEvent.objects.get(company=company, action=Action.CFDI_INGESTED)
    assert ingested.after["accepted"] == 2


def test_the_same_package_twice_stores_nothing_twice(company, sat):
    sat.packages[EMITIDOS_CFDI] = [issued_package()]
    _start(company)
    second = _start(company)
    second.refresh_from_db()
    assert second.counts["emitidos"] == {"accepted": 0, "duplicate": 2, "refused": 0}
    assert Cfdi.objects.filter(company=company).count() == 2


def test_a_cfdi_of_other_taxpayers_gets_the_repository_refusal(company, sat):
    sat.packages[RECIBIDOS_CFDI] = [foreign_package()]
    run = _start(company)
    run.refresh_from_db()
    assert run.counts["recibidos"]["refused"] == 1
    assert "not" in run.counts["refusals"][0]["message"].lower() or run.counts["refusals"]
    assert Cfdi.objects.filter(company=company).count() == 0


def test_no_information_is_not_an_error(company, sat):
    run = _start(company)
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert run.error == ""
    assert set(run.requests.values_list("state", flat=True)) == {RequestState.EMPTY}


def test_a_period_with_too_many_documents_is_split_until_sat_accepts_it(company, sat):
    sat.max_days = 1  # SAT answers 5003 for anything longer than a day
    sat.packages[EMITIDOS_CFDI] = [issued_package()]
    run = _start(company)  # three days by default
    run.refresh_from_db()
    assert run.state == RunState.DONE, run.error
    emitidos = run.requests.filter(direction=Direction.EMITIDOS)
    assert emitidos.filter(state=RequestState.SPLIT).exists()
    for request in emitidos.exclude(state=RequestState.SPLIT):
        assert (request.fecha_final - request.fecha_inicial).days < 1
    # Each accepted piece brought the same package: stored once, duplicates after.
    assert Cfdi.objects.filter(company=company).count() == 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("5005", "ya tiene una solicitud vigente con los mismos datos"),
        ("5002", "Se agotaron las solicitudes"),
    ],
)
def test_a_rejected_request_is_reported_in_spanish(company, sat, answer, message):
    sat.solicit_codes = [answer]
    run = _start(company)
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert message in run.error


@pytest.mark.parametrize(
    ("estado", "message"),
    [
        (4, "El SAT reportó un error al procesar la solicitud."),
        (5, "El SAT rechazó la solicitud."),
        (6, "La solicitud venció en el SAT"),
    ],
)
def test_an_error_rejected_or_expired_request_is_reported_in_spanish(company, sat, estado, message):
    sat.verify_states = [(estado, "5000")]
    run = _start(company)
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert message in run.error


def test_a_refused_e_firma_fails_the_run_saying_so(company, sat):
    sat.fail_authentication = True
    run = _start(company)
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert "El SAT no aceptó la e.firma" in run.error


def test_a_run_waits_while_sat_prepares_and_resumes_without_asking_twice(company, sat):
    sat.pending = 1
    sat.packages[EMITIDOS_CFDI] = [issued_package()]
    run = _start(company)
    run.refresh_from_db()
    assert run.state == RunState.RUNNING
    asked = [a for a in sat.operations() if a in ("emitidos", "recibidos")]
    assert len(asked) == 3
    ids = set(run.requests.values_list("id_solicitud", flat=True))

    run = sync_advance(run_id=run.pk)  # the next pass (cron or the deferred task)

    assert run.state == RunState.DONE, run.error
    assert [a for a in sat.operations() if a in ("emitidos", "recibidos")] == asked
    assert set(run.requests.values_list("id_solicitud", flat=True)) == ids
    assert Cfdi.objects.filter(company=company).count() == 2


def test_a_worker_that_died_mid_download_is_resumed_without_storing_twice(company, sat):
    sat.packages[EMITIDOS_CFDI] = [issued_package(), issued_package()]
    run = _start(company)
    run.refresh_from_db()
    assert run.state == RunState.DONE
    # Pretend the worker died after the first package: the second is not marked, the run
    # is open with an expired lease.
    request = SatRequest.objects.get(run=run, direction=Direction.EMITIDOS)
    last = SatPackage.objects.filter(request=request).order_by("pk").last()
    SatPackage.objects.filter(pk=last.pk).update(ingested=False)
    SatRequest.objects.filter(pk=request.pk).update(state=RequestState.READY)
    SyncRun.objects.filter(pk=run.pk).update(
        state=RunState.RUNNING, lease_until=timezone.now() - timedelta(minutes=1)
    )
    downloads = len(sat.downloads)

    assert _due() >= 1  # the command finds the abandoned run and resumes it

    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert len(sat.downloads) == downloads + 1  # only the unfinished package
    assert Cfdi.objects.filter(company=company).count() == 2


def test_the_daily_sync_starts_for_companies_with_an_e_firma_once_a_day(company, sat):
    assert _due() == 1
    run = SyncRun.objects.get(company=company)
    assert run.kind == RunKind.DAILY
    assert (run.period_end - run.period_start).days == 3
    assert _due() == 0


def test_the_daily_sync_asks_for_the_company_s_own_number_of_days(company, sat):
    SyncSchedule.objects.create(company=company, days=10)
    _due()
    run = SyncRun.objects.get(company=company)
    assert (run.period_end - run.period_start).days == 10


def test_the_backfill_asks_five_years_in_yearly_periods(company, sat):
    run = _start(company, RunKind.BACKFILL)
    run.refresh_from_db()
    assert run.period_end.year - run.period_start.year == 5
    cfdi_emitidos = run.requests.filter(direction=Direction.EMITIDOS, request_type=RequestType.CFDI)
    assert cfdi_emitidos.count() == 5


def test_only_one_run_at_a_time_per_company(company, sat):
    sat.pending = 5
    _start(company)
    with pytest.raises(ValidationError) as caught:
        _start(company)
    assert caught.value.code == "sync_running"


def test_without_an_e_firma_a_sync_is_refused_in_spanish(sat, db):
    from tests.factories import make_account, make_company

    account = make_account()
    other = make_company(account)
    with pytest.raises(ValidationError) as caught:
        _start(other)
    assert "no tiene una e.firma vigente" in caught.value.messages[0]


def test_a_member_may_not_start_a_sync(company, sat):
    member = make_membership(company.account)
    make_grant(member, company, add=[Perm.VENTAS, Perm.EGRESOS])
    with pytest.raises(PermissionDenied):
        sync_request(company=company, actor=member.user, kind=RunKind.MANUAL)


def test_sat_out_of_reach_leaves_the_run_open_saying_so_and_the_next_pass_retries(
    company, settings
):
    settings.DESPACHO_SAT_DESCARGA_SOLICITUD_URL = "http://127.0.0.1:9/solicitud"
    settings.DESPACHO_SAT_TIMEOUT = 2
    run = _start(company)
    run.refresh_from_db()
    assert run.state == RunState.RUNNING
    assert run.error == "No se pudo conectar con el servicio de descarga masiva del SAT."
    assert run.next_check_at is not None


def test_a_package_above_ten_megabytes_of_base64_is_downloaded(company, sat):
    # One text node of >10 MB in the SOAP answer: lxml refuses it unless told otherwise.
    sat.packages[EMITIDOS_CFDI] = [package_zip({"paquete.bin": os.urandom(8 * 1024 * 1024)})]
    run = _start(company)
    run.refresh_from_db()
    assert run.state == RunState.DONE, run.error
    assert len(sat.downloads) == 1
    assert run.counts["emitidos"]["refused"] == 1  # not a CFDI: the repository says why


def test_a_period_of_an_hour_that_still_holds_too_many_is_reported_not_split_again(company, sat):
    SyncSchedule.objects.create(company=company, days=1)
    sat.max_days = 0  # SAT says 5003 to any period at all
    run = _start(company)
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert "aun en una hora" in run.error
    shortest = min(
        r.fecha_final - r.fecha_inicial for r in run.requests.exclude(state=RequestState.SPLIT)
    )
    assert shortest <= timedelta(hours=1)

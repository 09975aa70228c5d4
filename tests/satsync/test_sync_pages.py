"""The SAT synchronisation page (/sat/sincronizacion/) and the Empresas page's column:
what each person sees of a company's synchronisations, and who may start one."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from despacho.errors import NotFound
from despacho.satsync.models import RunKind, RunState, SatMetadata, SyncRun
from despacho.satsync.selectors import sync_overview
from despacho.tenancy.models import Plan, Role
from despacho.workspace.active import SESSION_KEY as ACTIVE_COMPANY
from tests.factories import (
    link,
    make_account,
    make_company,
    make_grant,
    make_membership,
    make_user,
    owner_of,
)
from tests.satsync.packages import issued_package, received_metadata
from tests.seals.samples import EKU
from tests.security.conftest import served_until_closed

pytestmark = pytest.mark.django_db


def _login(client, user, company):
    client.force_login(user)
    session = client.session
    session[ACTIVE_COMPANY] = company.pk
    session.save()


def _finished_run(company) -> SyncRun:
    moment = timezone.now()
    return SyncRun.objects.create(
        company=company,
        kind=RunKind.DAILY,
        state=RunState.DONE,
        period_start=moment.replace(year=moment.year - 1),
        period_end=moment,
        finished_at=moment,
        counts={
            "emitidos": {"accepted": 7, "duplicate": 1, "refused": 0},
            "recibidos": {"accepted": 5, "duplicate": 0, "refused": 2},
            "metadata": {"rows": 9},
        },
    )


def test_the_owner_syncs_now_and_sees_what_it_brought(
    client, company, sat, django_capture_on_commit_callbacks
):
    sat.packages[("emitidos", "CFDI")] = [issued_package()]
    metadata, uuids = received_metadata(EKU, count=1, cancelled=1)
    sat.packages[("recibidos", "Metadata")] = [metadata]
    _login(client, owner_of(company.account), company)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("satsync:sync_now"))
    assert response.status_code == 302
    body = client.get(reverse("satsync:page")).content.decode()
    assert "Descarga del SAT iniciada." in body
    assert "Emitidos: 2 nuevos, 0 ya guardados, 0 rechazados" in body
    assert "Metadatos de recibidos: 1" in body
    assert "Última descarga completa:" in body and "ninguna todavía" not in body
    # The cancelled received CFDI SAT gave no XML for, listed with its cancellation.
    assert uuids[0].lower() in body.lower()
    assert "Cancelado" in body


@pytest.mark.django_db(transaction=True)
def test_with_in_process_tasks_sync_now_answers_before_the_first_pass_talks_to_sat(
    client, company, sat
):
    # make run's immediate backend: the run's first pass (authenticate, request, download,
    # ingest) waits until the answer has gone out, so the page answers at once.
    sat.packages[("emitidos", "CFDI")] = [issued_package()]
    _login(client, owner_of(company.account), company)
    session = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    status, close = served_until_closed(reverse("satsync:sync_now"), {}, cookie=session)
    assert status.startswith("302")
    run = SyncRun.objects.get(company=company)
    assert run.state == RunState.PENDING and sat.calls == []  # nothing asked of SAT yet
    close()
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert run.counts["emitidos"]["accepted"] == 2
    assert "autentica" in sat.operations()


def test_a_run_in_progress_shows_its_progress_and_polls(
    client, company, sat, django_capture_on_commit_callbacks
):
    sat.pending = 3
    _login(client, owner_of(company.account), company)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("satsync:sync_now"))
    body = client.get(reverse("satsync:page")).content.decode()
    assert 'id="sat-sync-current"' in body
    assert "0 de 3 solicitudes al SAT" in body
    assert 'hx-trigger="every 5s"' in body
    fragment = client.get(
        reverse("satsync:page"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="sat-sync"
    )
    assert fragment.content.decode().startswith('<section class="card" id="sat-sync"')


def test_what_failed_is_shown_with_sat_s_reason(
    client, company, sat, django_capture_on_commit_callbacks
):
    sat.verify_states = [(6, "5000")]
    _login(client, owner_of(company.account), company)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("satsync:sync_now"))
    body = client.get(reverse("satsync:page")).content.decode()
    assert "Con errores" in body
    assert "La solicitud venció en el SAT antes de descargar sus paquetes" in body


def test_the_backfill_button_starts_a_five_year_run(
    client, company, sat, django_capture_on_commit_callbacks
):
    _login(client, owner_of(company.account), company)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("satsync:backfill"))
    run = SyncRun.objects.get(company=company)
    assert run.kind == RunKind.BACKFILL
    assert "Descarga histórica iniciada." in client.get(reverse("satsync:page")).content.decode()


def test_a_member_sees_only_the_directions_their_grant_opens_and_no_buttons(client, company):
    _finished_run(company)
    SatMetadata.objects.create(
        company=company,
        direction="recibidos",
        uuid="11111111-aaaa-bbbb-0000-000000000001",
        emisor_rfc="AAA010101AAA",
        receptor_rfc=EKU,
        fecha_emision="2026-01-01T00:00:00Z",
        monto="10.00",
    )
    ventas_only = make_membership(company.account)
    make_grant(ventas_only, company, profile_code="auxiliar_ventas")
    _login(client, ventas_only.user, company)
    body = client.get(reverse("satsync:page")).content.decode()
    assert "Emitidos: 7 nuevos" in body
    assert "Recibidos:" not in body
    assert "Metadatos de recibidos" not in body
    assert "11111111-aaaa-bbbb-0000-000000000001" not in body
    assert "Sincronizar ahora" not in body
    assert client.post(reverse("satsync:sync_now")).status_code == 403
    assert client.post(reverse("satsync:backfill")).status_code == 403
    assert not SyncRun.objects.filter(kind=RunKind.MANUAL).exists()

    egresos_only = make_membership(company.account)
    make_grant(egresos_only, company, profile_code="auxiliar_compras")
    _login(client, egresos_only.user, company)
    body = client.get(reverse("satsync:page")).content.decode()
    assert "Emitidos:" not in body
    assert "Recibidos: 5 nuevos" in body
    assert "11111111-aaaa-bbbb-0000-000000000001" in body


def test_someone_without_ventas_or_egresos_on_the_company_sees_nothing_of_it(company):
    _finished_run(company)
    stranger = make_user()
    other_member = make_membership(company.account)
    other = make_company(company.account)
    make_grant(other_member, other, profile_code="consulta")  # a grant elsewhere only
    for viewer in (stranger, other_member.user):
        with pytest.raises(NotFound):
            sync_overview(viewer=viewer, company=company)


def test_the_firm_s_empresas_page_shows_each_client_s_sync_state(client, company):
    run = _finished_run(company)
    firm = make_account(plan=Plan.DESPACHO)
    link(firm, company)
    client.force_login(owner_of(firm))
    body = client.get(reverse("firm:list")).content.decode()
    assert "Descarga del SAT" in body
    assert 'data-sat-sync="done"' in body
    SyncRun.objects.filter(pk=run.pk).update(
        state=RunState.FAILED, error="El SAT rechazó la solicitud."
    )
    body = client.get(reverse("firm:list")).content.decode()
    assert 'data-sat-sync="failed"' in body
    assert "El SAT rechazó la solicitud." in body


def test_a_linked_firm_s_admin_may_start_the_client_s_sync(
    company, sat, django_capture_on_commit_callbacks
):
    from despacho.satsync.services import sync_request

    firm = make_account(plan=Plan.DESPACHO)
    link(firm, company)
    admin = make_membership(firm, role=Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        run = sync_request(company=company, actor=admin.user, kind=RunKind.MANUAL)
    run.refresh_from_db()
    assert run.state == RunState.DONE


def test_the_owner_sets_the_daily_schedule_and_a_wrong_number_is_refused_in_spanish(
    client, company
):
    from despacho.satsync.models import SyncSchedule

    _login(client, owner_of(company.account), company)
    client.post(reverse("satsync:schedule"), {"daily": "on", "days": "10"})
    schedule = SyncSchedule.objects.get(company=company)
    assert (schedule.daily, schedule.days, schedule.effective_days) == (True, 10, 10)
    response = client.post(reverse("satsync:schedule"), {"days": "0"}, follow=True)
    assert "Escribe un valor mayor o igual a 1." in response.content.decode()
    assert SyncSchedule.objects.get(company=company).days == 10
    client.post(reverse("satsync:schedule"), {"days": ""})
    schedule.refresh_from_db()
    assert (schedule.daily, schedule.days) == (False, None)

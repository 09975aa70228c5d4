"""The SAT synchronisation through the API (/api/v1/sat/syncs): a company's runs, one run's
progress and failures, asking for a run — with the page's rules on who sees and who asks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from despacho.access.catalog import Perm
from despacho.satsync.models import RequestState, RunKind, RunState, SatRequest, SyncRun
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, make_tenant, owner_membership
from tests.factories import make_account, make_company
from tests.satsync.packages import issued_package

pytestmark = pytest.mark.django_db


def _run(company, *, state=RunState.DONE, days_ago=1, **fields) -> SyncRun:
    moment = timezone.now() - timedelta(days=days_ago)
    return SyncRun.objects.create(
        company=company,
        kind=RunKind.DAILY,
        state=state,
        period_start=moment - timedelta(days=5),
        period_end=moment,
        **fields,
    )


def _failed_run(company) -> SyncRun:
    run = _run(
        company,
        state=RunState.FAILED,
        error="El SAT rechazó una solicitud.",
        counts={
            "emitidos": {"accepted": 3, "duplicate": 1, "refused": 1},
            "recibidos": {"accepted": 2, "duplicate": 0, "refused": 0},
            "metadata": {"rows": 4},
            "refusals": [{"name": "a.xml", "message": "El sello del CFDI no es válido."}],
        },
    )
    for direction, state, message in (
        ("emitidos", RequestState.DONE, ""),
        ("recibidos", RequestState.FAILED, "La solicitud venció en el SAT."),
    ):
        SatRequest.objects.create(
            run=run,
            direction=direction,
            request_type="CFDI",
            fecha_inicial=run.period_start,
            fecha_final=run.period_end,
            state=state,
            sat_code="5003" if message else "5000",
            message=message,
        )
    return run


def test_the_owner_lists_the_company_s_runs_newest_first_page_by_page(company):
    older = _run(company, days_ago=3)
    newer = _failed_run(company)
    api = api_as(make_key(owner_membership(company.account)))
    first = api.get("/sat/syncs", {"company": company.pk, "limit": 1}).json()
    assert [item["id"] for item in first["items"]] == [str(newer.pk)]
    assert first["items"][0]["state"] == "failed"
    assert first["items"][0]["state_label"] == "Con errores"
    assert first["items"][0]["error"] == "El SAT rechazó una solicitud."
    assert first["items"][0]["emitidos"] == {"accepted": 3, "duplicate": 1, "refused": 1}
    assert first["items"][0]["metadata"] == 4
    rest = api.get(
        "/sat/syncs", {"company": company.pk, "limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert [item["id"] for item in rest["items"]] == [str(older.pk)]
    assert rest["next_cursor"] is None


def test_a_run_s_detail_gives_its_progress_each_request_and_what_failed(company):
    run = _failed_run(company)
    api = api_as(make_key(owner_membership(company.account)))
    body = api.get(f"/sat/syncs/{run.pk}", {"company": company.pk}).json()
    assert body["progress"] == {"requests_total": 2, "requests_done": 2, "percent": 100}
    failed = next(r for r in body["requests"] if r["direction"] == "recibidos")
    assert failed["state"] == "failed" and failed["sat_code"] == "5003"
    assert failed["message"] == "La solicitud venció en el SAT."
    assert body["refusals"] == [{"name": "a.xml", "message": "El sello del CFDI no es válido."}]


def test_a_ventas_member_sees_only_emitidos_and_may_not_ask_for_a_run(company):
    run = _failed_run(company)
    member = active_member(company.account, [company], profile_code="auxiliar_ventas")
    api = api_as(make_key(member))
    body = api.get(f"/sat/syncs/{run.pk}", {"company": company.pk}).json()
    assert body["emitidos"]["accepted"] == 3
    assert body["recibidos"] is None and body["metadata"] is None
    assert [r["direction"] for r in body["requests"]] == ["emitidos"]
    assert body["refusals"] == []
    refused = api.post("/sat/syncs", {"company": str(company.pk)})
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "not_company_manager"
    assert not SyncRun.objects.filter(company=company, kind=RunKind.MANUAL).exists()


def test_a_key_without_ventas_or_egresos_on_the_company_gets_404_for_its_runs(company):
    run = _run(company)
    # Egresos by grant, the key narrowed to Ventas: it opens neither.
    member = active_member(company.account, [company], profile_code="auxiliar_compras")
    api = api_as(make_key(member, permissions=[Perm.VENTAS]))
    for response in (
        api.get("/sat/syncs", {"company": company.pk}),
        api.get(f"/sat/syncs/{run.pk}", {"company": company.pk}),
    ):
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_another_tenant_s_company_and_runs_are_not_found(company):
    foreign = _failed_run(company)
    other = make_tenant()
    own_run = _run(other.company)
    api = api_as(other.token)
    for response in (
        api.get("/sat/syncs", {"company": company.pk}),
        api.get(f"/sat/syncs/{foreign.pk}", {"company": company.pk}),
        # Its own company beside another's run id: still not found.
        api.get(f"/sat/syncs/{foreign.pk}", {"company": other.company.pk}),
        api.post("/sat/syncs", {"company": str(company.pk)}),
    ):
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    listed = api.get("/sat/syncs", {"company": other.company.pk}).json()["items"]
    assert [item["id"] for item in listed] == [str(own_run.pk)]
    assert SyncRun.objects.filter(company=company).count() == 1


def test_the_owner_asks_for_a_run_once_per_idempotency_key_and_it_runs_in_the_background(
    company, sat, django_capture_on_commit_callbacks
):
    sat.packages[("emitidos", "CFDI")] = [issued_package()]
    api = api_as(make_key(owner_membership(company.account)))
    headers = {"Idempotency-Key": "sync-1"}
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/sat/syncs", {"company": str(company.pk)}, headers=headers)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "manual" and body["state"] == "pending"
    replayed = api.post("/sat/syncs", {"company": str(company.pk)}, headers=headers)
    assert replayed.status_code == 201 and replayed["Idempotent-Replayed"] == "true"
    assert replayed.json()["id"] == body["id"]
    assert SyncRun.objects.filter(company=company).count() == 1
    done = api.get(f"/sat/syncs/{body['id']}", {"company": company.pk}).json()
    assert done["state"] == "done"
    assert done["emitidos"]["accepted"] == 2


def test_a_second_run_while_one_is_open_is_409_and_without_e_firma_422(company):
    _run(company, state=RunState.RUNNING)
    api = api_as(make_key(owner_membership(company.account)))
    busy = api.post("/sat/syncs", {"company": str(company.pk), "kind": "backfill"})
    assert busy.status_code == 409 and error_of(busy)["code"] == "sync_running"
    account = make_account()
    bare = make_company(account)
    no_fiel = api_as(make_key(owner_membership(account))).post(
        "/sat/syncs", {"company": str(bare.pk)}
    )
    assert no_fiel.status_code == 422 and error_of(no_fiel)["code"] == "no_fiel"
    assert "e.firma" in error_of(no_fiel)["message"]


def test_a_narrowed_key_of_the_owner_may_read_but_not_ask_for_a_run(company):
    _run(company)
    narrowed = make_key(owner_membership(company.account), companies=[company])
    api = api_as(narrowed)
    assert len(api.get("/sat/syncs", {"company": company.pk}).json()["items"]) == 1
    refused = api.post("/sat/syncs", {"company": str(company.pk)})
    assert refused.status_code == 403 and error_of(refused)["code"] == "key_scope"


def test_the_daily_kind_cannot_be_asked_for(company):
    api = api_as(make_key(owner_membership(company.account)))
    refused = api.post("/sat/syncs", {"company": str(company.pk), "kind": "daily"})
    assert refused.status_code == 422
    assert error_of(refused)["fields"][0]["field"].endswith("kind")

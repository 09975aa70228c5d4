"""The status of each CFDI at SAT: asked through ConsultaCFDIService (the fake on 127.0.0.1),
kept, and a received CFDI its emisor cancelled flagged in Egresos and left out of Informes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from despacho.audit.models import AuditEvent
from despacho.cfdi.models import Cfdi, Status
from despacho.cfdi.reports import cfdi_report
from despacho.cfdi.services import cfdi_ingest
from despacho.satstatus.consulta import ConsultaError
from despacho.satstatus.models import Estado, SatStatus
from despacho.satstatus.services import (
    Pacer,
    cfdi_status_refresh,
    statuses_due,
    statuses_refresh,
)
from despacho.satstatus.tasks import statuses_refresh_task
from tests.cfdi.cfdi_samples import any_rfc, cfdi_xml, company_with_rfc
from tests.factories import make_account, make_grant, make_membership, owner_of
from tests.satstatus.fake_sat import Answer

pytestmark = pytest.mark.django_db


def _received(company, *, total="1160.00", days_ago=10, emisor=None):
    fecha = timezone.localtime() - timedelta(days=days_ago)
    xml = cfdi_xml(
        emisor=emisor or any_rfc(),
        receptor=company.rfc,
        total=total,
        fecha=fecha.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    outcome = cfdi_ingest(company=company, data=xml)
    return Cfdi.objects.get(company=company, uuid=outcome.uuid)


@pytest.fixture
def company():
    return company_with_rfc(any_rfc(), make_account())


def test_a_vigente_cfdi_is_asked_with_its_printed_expression_and_kept(sat, company):
    cfdi = _received(company, total="1160.50")
    sat.statuses[cfdi.uuid_text] = Answer(
        estado="Vigente", es_cancelable="Cancelable sin aceptación"
    )
    status = cfdi_status_refresh(cfdi=cfdi)
    assert sat.consultas == [
        {"re": cfdi.emisor_rfc, "rr": company.rfc, "tt": "1160.500000", "id": cfdi.uuid_text}
    ]
    assert (status.estado, status.es_cancelable) == (Estado.VIGENTE, "Cancelable sin aceptación")
    assert status.validacion_efos == "200"
    cfdi.refresh_from_db()
    assert (cfdi.status, cfdi.sat_cancelled_at) == (Status.VIGENTE, None)


def test_a_uuid_sat_does_not_know_is_no_encontrado(sat, company):
    status = cfdi_status_refresh(cfdi=_received(company))
    assert status.estado == Estado.NO_ENCONTRADO
    assert status.codigo_estatus == "N - 602: Comprobante no encontrado."


def test_a_received_cfdi_cancelled_by_its_emisor_is_flagged_with_the_date_and_audited(sat, company):
    cfdi = _received(company)
    sat.statuses[cfdi.uuid_text] = Answer(
        estado="Cancelado", es_cancelable="", estatus_cancelacion="Cancelado sin aceptación"
    )
    before = timezone.now()
    status = cfdi_status_refresh(cfdi=cfdi)
    cfdi.refresh_from_db()
    assert cfdi.status == Status.CANCELADO
    assert cfdi.sat_cancelled_at is not None and cfdi.sat_cancelled_at >= before
    assert status.cancelled_seen_at == cfdi.sat_cancelled_at
    assert status.estatus_cancelacion == "Cancelado sin aceptación"
    event = AuditEvent.objects.get(action="cfdi.sat_cancelled")
    assert event.company_id == company.pk
    # Asking again keeps the first moment it was seen cancelled, and audits once.
    first = cfdi.sat_cancelled_at
    cfdi_status_refresh(cfdi=cfdi)
    cfdi.refresh_from_db()
    assert cfdi.sat_cancelled_at == first
    assert AuditEvent.objects.filter(action="cfdi.sat_cancelled").count() == 1


def test_the_egresos_list_flags_it_and_the_report_leaves_it_out(sat, company, client):
    kept = _received(company, total="116.00")
    cancelled = _received(company, total="232.00")
    sat.statuses[cancelled.uuid_text] = Answer(estado="Cancelado")
    cfdi_status_refresh(cfdi=kept)
    cfdi_status_refresh(cfdi=cancelled)
    client.force_login(owner_of(company.account))
    body = client.get(reverse("cfdi:list", args=["egresos"])).content.decode()
    assert body.count("cancelado por el emisor") == 1
    report = cfdi_report(
        viewer=owner_of(company.account),
        company=company,
        category="egresos",
        year=timezone.localtime(kept.fecha).year,
    )
    assert report.totals["total"] == Decimal("116.00")
    assert any("cancelado por su emisor" in str(note) for note in report.notes)


def test_sat_not_answering_is_an_error_not_a_change(settings, company):
    cfdi = _received(company)  # the suite's SAT URL is a closed port
    with pytest.raises(ConsultaError):
        cfdi_status_refresh(cfdi=cfdi)
    assert not SatStatus.objects.exists()
    summary = statuses_refresh()
    assert (summary.asked, summary.failed) == (0, 1)


def test_the_refresh_takes_received_cfdis_of_the_last_months_not_cancelled_and_stale(
    sat, settings, company
):
    settings.SATSTATUS_MONTHS = 3
    recent = _received(company, days_ago=5)
    _received(company, days_ago=200)  # older than the window
    issued = cfdi_xml(emisor=company.rfc, receptor=any_rfc())
    cfdi_ingest(company=company, data=issued)  # issued: the cancellations app's
    assert list(statuses_due()) == [recent]
    summary = statuses_refresh()
    assert (summary.asked, summary.failed) == (1, 0)
    assert list(statuses_due()) == []  # fresh now
    later = timezone.now() + timedelta(hours=settings.SATSTATUS_STALE_HOURS + 1)
    assert list(statuses_due(now=later)) == [recent]


def test_the_refresh_is_bounded_by_the_configured_rate(sat, company):
    for _ in range(5):
        _received(company)
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    summary = statuses_refresh(pacer=Pacer(4, clock=lambda: now[0], sleep=sleep))
    assert summary.asked == 5
    # Five questions at four a second: the first at once, then one every 0.25 s.
    assert slept == [0.25] * 4


def test_the_background_task_and_the_command_refresh_a_batch(sat, settings, company, capsys):
    settings.SATSTATUS_BATCH = 2
    cfdis = [_received(company) for _ in range(3)]
    sat.statuses[cfdis[0].uuid_text] = Answer(estado="Cancelado")
    result = statuses_refresh_task.enqueue()
    assert result.return_value["asked"] == 2
    call_command("sat_status_refresh", "--all")
    assert SatStatus.objects.count() == 3
    assert "Consultados: 1" in capsys.readouterr().out


# --- the detail page --------------------------------------------------------------------------


def test_the_detail_page_shows_the_status_and_asks_sat_on_demand(sat, company, client):
    cfdi = _received(company)
    sat.statuses[cfdi.uuid_text] = Answer(estado="Cancelado")
    client.force_login(owner_of(company.account))
    detail = reverse("cfdi:detail", args=[cfdi.uuid])
    assert "Aún no se ha consultado." in client.get(detail).content.decode()
    response = client.post(reverse("satstatus:refresh", args=[cfdi.uuid]))
    assert response.status_code == 302 and response["Location"] == detail
    body = client.get(detail).content.decode()
    assert 'data-sat-estado="cancelado"' in body
    assert "Visto cancelado en el SAT el" in body


def test_a_person_without_egresos_can_neither_see_nor_ask(sat, company, client):
    cfdi = _received(company)
    membership = make_membership(company.account)
    make_grant(membership, company, "auxiliar_ventas")
    client.force_login(membership.user)
    assert client.post(reverse("satstatus:refresh", args=[cfdi.uuid])).status_code == 404
    assert client.get(reverse("cfdi:detail", args=[cfdi.uuid])).status_code == 404
    assert sat.consultas == []


def test_another_tenants_cfdi_cannot_be_asked_about(sat, company, client):
    cfdi = _received(company)
    stranger = make_account()
    company_with_rfc(any_rfc(), stranger)
    client.force_login(owner_of(stranger))
    assert client.post(reverse("satstatus:refresh", args=[cfdi.uuid])).status_code == 404
    assert sat.consultas == []
    assert client.get(reverse("satstatus:refresh", args=[cfdi.uuid])).status_code == 405

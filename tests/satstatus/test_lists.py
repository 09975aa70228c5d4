"""SAT's lists 69-B and 69, loaded from the (fake) published files; received CFDIs whose
emisor is listed flagged in Egresos, the detail page, Informes and the firm's Empresas."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from despacho.cfdi.models import Cfdi, Listed
from despacho.cfdi.reports import cfdi_report
from despacho.cfdi.services import cfdi_ingest
from despacho.satstatus.models import Lista, ListedTaxpayer, ListLoad, Situacion
from despacho.satstatus.services import lists_refresh
from despacho.satstatus.tasks import lists_refresh_task
from tests.cfdi.cfdi_samples import any_rfc, cfdi_xml, company_with_rfc
from tests.factories import make_account, make_client_of, make_grant, make_membership, owner_of
from tests.satstatus.fake_sat import FIXTURES

pytestmark = pytest.mark.django_db

DEFINITIVO_RFC = "BBB010101AB1"
PRESUNTO_RFC = "CCC020202CD2"
NO_LOCALIZADO_RFC = "DDD030303EF3"
DESVIRTUADO_RFC = "AAA191919HHH"  # in SAT's sample rows
NO_LOCALIZADOS = "Documents_AGR/No_localizados.csv"


def _list_69b() -> bytes:
    """SAT's sample file plus a Definitivo and a Presunto row in its layout and encoding."""
    rows = (
        f'4,{DEFINITIVO_RFC},"FACTURERA FANTASMA, S.A. DE C.V.",Definitivo,'
        "500-05-2019-1 de fecha 1 de febrero de 2019,01/02/2019,x,15/02/2019,,,,,"
        "500-05-2019-2 de fecha 3 de junio de 2019,03/06/2019,x,20/06/2019,,,,\r\n"
        f'5,{PRESUNTO_RFC},"SIMULADORA, S.C.",Presunto,'
        "500-05-2024-3 de fecha 4 de marzo de 2024,04/03/2024,x,18/03/2024,,,,,,,,,,,,\r\n"
    )
    return (
        (FIXTURES / "listado_69b.txt").read_bytes().rstrip(b"\r\n")
        + b"\r\n"
        + rows.encode("windows-1252")
    )


def _no_localizados() -> bytes:
    return (
        "RFC,RAZÓN SOCIAL,TIPO PERSONA,SUPUESTO,"
        "FECHAS DE PRIMERA PUBLICACION,ENTIDAD FEDERATIVA\r\n"
        f"{NO_LOCALIZADO_RFC},COMERCIAL PERDIDA SA DE CV,M,NO LOCALIZADO,15/05/2023,JALISCO\r\n"
    ).encode("windows-1252")


@pytest.fixture
def lists(sat):
    sat.files["69b.csv"] = _list_69b()
    sat.files[f"69/{NO_LOCALIZADOS}"] = _no_localizados()
    return sat


def _received(company, emisor, total="116.00"):
    fecha = (timezone.localtime() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S")
    outcome = cfdi_ingest(
        company=company,
        data=cfdi_xml(emisor=emisor, receptor=company.rfc, total=total, fecha=fecha),
    )
    return Cfdi.objects.get(company=company, uuid=outcome.uuid)


def test_the_69b_list_is_read_with_its_situation_and_publication_date(lists):
    loads = {load.source: load for load in lists_refresh()}
    assert loads["69b"].ok and loads["69b"].rows == 5
    definitivo = ListedTaxpayer.objects.get(rfc=DEFINITIVO_RFC)
    assert (definitivo.lista, definitivo.situacion) == (Lista.ART_69B, Situacion.DEFINITIVO)
    assert definitivo.publicado == date(2019, 6, 3)  # SAT's page, definitivos
    assert definitivo.nombre == "FACTURERA FANTASMA, S.A. DE C.V."
    sentencia = ListedTaxpayer.objects.get(rfc="AAA090909HHH")
    assert (sentencia.situacion, sentencia.publicado) == (
        Situacion.SENTENCIA_FAVORABLE,
        date(2019, 3, 5),
    )
    assert ListedTaxpayer.objects.get(rfc=DESVIRTUADO_RFC).situacion == Situacion.DESVIRTUADO
    localizado = ListedTaxpayer.objects.get(rfc=NO_LOCALIZADO_RFC)
    assert (localizado.lista, localizado.situacion) == (Lista.ART_69, Situacion.NO_LOCALIZADOS)
    assert (localizado.supuesto, localizado.publicado) == ("NO LOCALIZADO", date(2023, 5, 15))
    # Lists the fake does not publish are recorded as failed, not as empty.
    assert loads["69:firmes"].ok is False and "404" in loads["69:firmes"].error


def test_received_cfdis_of_listed_emisores_are_flagged_gravest_first(lists):
    company = company_with_rfc(any_rfc(), make_account())
    definitivo = _received(company, DEFINITIVO_RFC)
    presunto = _received(company, PRESUNTO_RFC)
    localizado = _received(company, NO_LOCALIZADO_RFC)
    desvirtuado = _received(company, DESVIRTUADO_RFC)
    clean = _received(company, any_rfc())
    lists_refresh_task.enqueue()
    flags = dict(Cfdi.objects.filter(company=company).values_list("pk", "emisor_listed"))
    assert flags == {
        definitivo.pk: Listed.DEFINITIVO,
        presunto.pk: Listed.PRESUNTO,
        localizado.pk: Listed.ART_69,
        desvirtuado.pk: Listed.DESVIRTUADO,
        clean.pk: "",
    }
    # An RFC that leaves the list loses its flag at the next load.
    lists.files["69b.csv"] = (FIXTURES / "listado_69b.txt").read_bytes()
    lists_refresh()
    definitivo.refresh_from_db()
    assert definitivo.emisor_listed == ""


def test_a_list_that_cannot_be_read_keeps_its_previous_rows(lists):
    lists_refresh()
    lists.files["69b.csv"] = b"<html>mantenimiento</html>"
    lists_refresh()
    assert ListedTaxpayer.objects.filter(rfc=DEFINITIVO_RFC).exists()
    last = ListLoad.objects.filter(source="69b").latest("loaded_at")
    assert last.ok is False


def test_a_cfdi_stored_after_the_load_is_flagged_at_ingestion(lists):
    lists_refresh()
    company = company_with_rfc(any_rfc(), make_account())
    assert _received(company, PRESUNTO_RFC).emisor_listed == Listed.PRESUNTO


def test_egresos_filters_by_emisor_in_the_lists_and_only_the_company_s_own(lists, client):
    lists_refresh()
    company = company_with_rfc(any_rfc(), make_account())
    definitivo = _received(company, DEFINITIVO_RFC)
    presunto = _received(company, PRESUNTO_RFC)
    localizado = _received(company, NO_LOCALIZADO_RFC)
    desvirtuado = _received(company, DESVIRTUADO_RFC)
    clean = _received(company, any_rfc())
    # Another tenant's received CFDI from the same definitivo emisor.
    foreign = _received(company_with_rfc(any_rfc(), make_account()), DEFINITIVO_RFC)
    client.force_login(owner_of(company.account))
    egresos = reverse("cfdi:list", args=["egresos"])

    def shown(**query):
        body = client.get(egresos, query).content.decode()
        return {
            c.uuid_text
            for c in (definitivo, presunto, localizado, desvirtuado, clean, foreign)
            if c.uuid_text in body
        }

    assert "Emisor en listas" in client.get(egresos).content.decode()
    assert shown(listed="riesgo") == {
        definitivo.uuid_text,
        presunto.uuid_text,
        localizado.uuid_text,
    }
    assert shown(listed=Listed.DEFINITIVO) == {definitivo.uuid_text}
    assert shown(listed=Listed.DESVIRTUADO) == {desvirtuado.uuid_text}
    assert shown() == {c.uuid_text for c in (definitivo, presunto, localizado, desvirtuado, clean)}
    refused = client.get(egresos, {"listed": "nada"}).content.decode()
    assert (
        "Emisor en listas" in refused
        and "Emisor en listas: elige una de las opciones (69-B o 69)." in refused
    )
    # Ventas' emisor is the company itself: no such filter there.
    assert (
        "Emisor en listas" not in client.get(reverse("cfdi:list", args=["ventas"])).content.decode()
    )


def test_the_list_the_detail_page_and_the_report_show_the_listing(lists, client):
    lists_refresh()
    company = company_with_rfc(any_rfc(), make_account())
    cfdi = _received(company, DEFINITIVO_RFC)
    client.force_login(owner_of(company.account))
    listing = client.get(reverse("cfdi:list", args=["egresos"])).content.decode()
    assert "69-B definitivo" in listing
    detail = client.get(reverse("cfdi:detail", args=[cfdi.uuid])).content.decode()
    assert "Artículo 69-B (EFOS) · Definitivo" in detail
    assert "publicado el 2019-06-03" in detail
    report = cfdi_report(
        viewer=owner_of(company.account),
        company=company,
        category="egresos",
        year=timezone.localtime(cfdi.fecha).year,
    )
    assert any("emisor en las listas del SAT" in str(note) for note in report.notes)


def test_the_command_loads_the_lists(lists, capsys):
    call_command("sat_lists_refresh")
    out = capsys.readouterr()
    assert "69b: 5 contribuyentes" in out.out
    assert "69:firmes: HTTP 404" in out.err


def test_the_firm_sees_a_count_per_client_and_only_where_egresos_is_open(lists, client):
    lists_refresh()
    firm = make_account(name="Despacho Contable")
    company_with_rfc(any_rfc(), firm)
    client_company = make_client_of(firm)
    _received(client_company, DEFINITIVO_RFC)
    _received(client_company, PRESUNTO_RFC)
    _received(client_company, DESVIRTUADO_RFC)  # shown on the CFDI, not counted
    client.force_login(owner_of(firm))
    body = client.get(reverse("firm:list")).content.decode()
    assert "2 CFDI recibidos de emisores en listas del SAT" in body
    ventas_only = make_membership(firm)
    make_grant(ventas_only, client_company, "auxiliar_ventas")
    client.force_login(ventas_only.user)
    body = client.get(reverse("firm:list")).content.decode()
    assert client_company.rfc in body
    assert "listas del SAT" not in body


def test_the_api_gives_each_cfdis_sat_flags(lists, client):
    from tests.api.factories import make_key, owner_membership

    lists_refresh()
    company = company_with_rfc(any_rfc(), make_account())
    cfdi = _received(company, DEFINITIVO_RFC)
    token = make_key(owner_membership(company.account))
    response = client.get(
        f"/api/v1/cfdis/{cfdi.uuid}",
        {"company": company.pk},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["emisor_listed"] == "69b_definitivo"
    assert response.json()["sat_cancelled_at"] is None

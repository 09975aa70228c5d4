"""The demo data: fixed logins, valid companies, idempotent, never in a production database."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from despacho.access.models import Grant
from despacho.audit.models import AuditEvent
from despacho.demo.management.commands.demo import DEMO_PASSWORD
from despacho.members.services.seats import seat_summary
from despacho.people.models import User
from despacho.tenancy.models import Account, Company, CompanyLink, Membership
from despacho.tenancy.rfc import validate_company_rfc
from despacho.workspace.selectors import switcher_entries

pytestmark = pytest.mark.django_db

MODELS = (User, Account, Company, CompanyLink, Membership, Grant, AuditEvent)


def load_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_demo_loads_a_firm_its_staff_and_four_clients(settings):
    settings.DEBUG = True
    output = load_demo()
    assert "Datos de demostración cargados." in output
    assert f"contraseña para todos: {DEMO_PASSWORD}" in output
    assert "dueno@demo.despacho.mx" in output
    firm = Account.objects.get(name="Méndez Ríos Contadores, S.C.")
    assert CompanyLink.objects.filter(firm=firm, status="accepted").count() == 4
    for company in Company.objects.all():
        assert validate_company_rfc(company.rfc) == company.rfc
    owner = User.objects.get(email="dueno@demo.despacho.mx")
    assert len(switcher_entries(viewer=owner)) == 5
    contador = User.objects.get(email="contador@demo.despacho.mx")
    ventas = User.objects.get(email="ventas@demo.despacho.mx")
    assert len(switcher_entries(viewer=contador)) == 4
    assert len(switcher_entries(viewer=ventas)) == 2
    profiles = {g.profile.code for g in Grant.objects.select_related("profile")}
    assert profiles == {"contador", "auxiliar_ventas"}


def test_running_the_demo_twice_changes_nothing_and_still_prints_the_logins(settings):
    settings.DEBUG = True
    load_demo()
    first = counts()
    output = load_demo()
    assert counts() == first
    assert "Los datos de demostración ya estaban cargados." in output
    assert "dueno@demo.despacho.mx" in output


def test_the_demo_logins_work(client, settings):
    settings.DEBUG = True
    load_demo()
    response = client.post(
        reverse("people:login"),
        {"username": "dueno@demo.despacho.mx", "password": DEMO_PASSWORD},
        follow=True,
    )
    page = response.content.decode()
    assert "Laura Méndez Ríos" in page
    assert "ESCUELA KEMPER URGATE" in page


def test_the_demo_refuses_a_database_that_is_not_the_embedded_one_without_debug(settings):
    settings.DEBUG = False
    # The test database is never the embedded var/despacho.sqlite3 (nor is PostgreSQL).
    with pytest.raises(CommandError, match="sus contraseñas son públicas"):
        load_demo()
    assert counts()["User"] == 0


def test_demo_grants_are_written_by_grant_set_and_the_firm_fits_its_seats(settings):
    settings.DEBUG = True
    call_command("demo", stdout=StringIO())
    call_command("demo", stdout=StringIO())  # idempotent
    assert AuditEvent.objects.filter(action="grant.created").count() == Grant.objects.count() == 6
    firm = Account.objects.get(name="Méndez Ríos Contadores, S.C.")
    summary = seat_summary(account=firm)
    assert (summary.in_use, summary.available) == (2, 5)


def test_the_demo_has_a_pending_link_invitation_its_owner_sees(client, settings):
    settings.DEBUG = True
    load_demo()
    link = CompanyLink.objects.get(company__rfc="CACX7605101P8")
    assert link.status == "pending"
    client.login(username="abarrotes@demo.despacho.mx", password=DEMO_PASSWORD)
    home = client.get(reverse("home")).content.decode()
    assert "quiere administrar" in home
    assert "ABARROTES LA ESPERANZA" in home


# --- the sample CFDIs, stored for every demo company they name ----------------------


def _samples() -> list[tuple[str, str, str]]:
    """(uuid, emisor RFC, receptor RFC) of each sample CFDI the demo can store (stamped)."""
    from despacho.cfdi.parsing import parse_xml, read_index
    from despacho.cfdi.refusals import Refusal
    from despacho.samples import CFDI_SAMPLES_DIR

    found = []
    for path in CFDI_SAMPLES_DIR.glob("*.xml"):
        try:
            index = read_index(parse_xml(path.read_bytes()))
        except Refusal:  # the Carta Porte layout sample carries no timbre
            continue
        found.append((index.uuid, index.emisor_rfc, index.receptor_rfc))
    return found


def test_the_demo_stores_each_sample_for_both_parties_when_both_are_demo_companies(settings):
    from despacho.cfdi.models import Cfdi

    settings.DEBUG = True
    load_demo()
    demo = set(Company.objects.values_list("rfc", flat=True))
    samples = _samples()
    sample_uuids = [uuid for uuid, _e, _r in samples]
    rows = Cfdi.objects.filter(uuid__in=sample_uuids).select_related("company")
    stored = {(str(c.uuid), c.company.rfc, c.direction) for c in rows}
    expected = {(uuid, emisor, "emitido") for uuid, emisor, _r in samples if emisor in demo}
    expected |= {(uuid, receptor, "recibido") for uuid, _e, receptor in samples if receptor in demo}
    assert stored == expected
    assert any(direction == "recibido" for _u, _rfc, direction in expected)


def test_after_the_demo_each_client_has_ventas_or_egresos_and_kij_has_egresos(settings):
    from despacho.cfdi.models import Cfdi

    settings.DEBUG = True
    load_demo()
    for company in Company.objects.filter(links__status="accepted"):
        rows = Cfdi.objects.filter(company=company, category__in=["ventas", "egresos"])
        assert rows.exists(), company.rfc
    kij = Company.objects.get(rfc="KIJ0906199R1")
    egresos = Cfdi.objects.filter(company=kij, category="egresos", emisor_rfc="H&E951128469")
    assert sorted(egresos.values_list("tipo", flat=True)) == ["I", "P"]
    herreria = Company.objects.get(rfc="H&E951128469")
    ventas = Cfdi.objects.filter(company=herreria, category="ventas")
    assert sorted(ventas.values_list("tipo", flat=True)) == ["I", "P"]


@pytest.mark.parametrize(
    ("email", "category"),
    [("herreria@demo.despacho.mx", "ventas"), ("kij@demo.despacho.mx", "egresos")],
)
def test_a_demo_payment_row_shows_its_paid_amount_and_currency(client, settings, email, category):
    settings.DEBUG = True
    load_demo()
    client.login(username=email, password=DEMO_PASSWORD)
    body = client.get(reverse("cfdi:list", args=[category])).content.decode()
    row = next(r for r in body.split("<tr>") if "5B64ADA3-AA4C-40B4-A2F5-572CED52BE31" in r)
    assert '<td class="amount">$17,852.75 MXN</td>' in row
    assert "0.00 XXX" not in body
    assert "XXX" not in body


def test_the_demo_has_customers_one_with_its_portal_access_and_publico_en_general(settings):
    from despacho.customers.models import Customer
    from despacho.portal.models import PortalAccess

    settings.DEBUG = True
    load_demo()
    customers = Customer.objects.filter(company__rfc="H&E951128469")
    assert sorted(customers.values_list("rfc", flat=True)) == ["KIJ0906199R1", "XAXX010101000"]
    assert PortalAccess.objects.filter(company__rfc="H&E951128469", rfc="KIJ0906199R1").exists()


def test_the_demo_loads_a_69b_list_so_kij_s_egresos_flag_herreria_as_presunto(client, settings):
    from despacho.cfdi.models import Cfdi, Listed
    from despacho.satstatus.models import ListedTaxpayer, ListLoad

    settings.DEBUG = True
    output = load_demo()
    assert "Lista 69-B de demostración: 4 contribuyentes." in output
    assert ListLoad.objects.get(source="69b").ok
    assert ListedTaxpayer.objects.get(rfc="H&E951128469").situacion == "presunto"
    kij_received = Cfdi.objects.filter(company__rfc="KIJ0906199R1", emisor_rfc="H&E951128469")
    assert set(kij_received.values_list("emisor_listed", flat=True)) == {Listed.PRESUNTO}
    # Only received CFDIs carry the flag: HERRERIA's own Ventas do not.
    assert not Cfdi.objects.filter(company__rfc="H&E951128469").exclude(emisor_listed="").exists()
    client.login(username="kij@demo.despacho.mx", password=DEMO_PASSWORD)
    egresos = reverse("cfdi:list", args=["egresos"])
    assert "69-B presunto" in client.get(egresos).content.decode()
    risky = client.get(egresos, {"listed": "riesgo"}).content.decode()
    assert all(cfdi.uuid_text in risky for cfdi in kij_received)
    # A second run neither loads the list again nor loses the flags.
    again = load_demo()
    assert "Lista 69-B de demostración" not in again
    assert ListLoad.objects.count() == 1
    assert set(kij_received.values_list("emisor_listed", flat=True)) == {Listed.PRESUNTO}

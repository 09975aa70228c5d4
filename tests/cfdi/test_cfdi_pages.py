"""The CFDI pages: permissions per category, tenant isolation, filters and totals, download."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cfdi_samples import (
    INGRESO_HE,
    NOMINA_EKU,
    PAGO_EKU,
    PAGO_HE,
    SAMPLE_UUIDS,
    any_rfc,
    cfdi_xml,
    company_with_rfc,
    sample,
    zip_of,
)
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from tests.factories import make_account, make_grant, make_membership, owner_of

from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import CfdiFilters, cfdi_list
from despacho.cfdi.services import cfdi_ingest
from despacho.workspace.active import SESSION_KEY as ACTIVE_COMPANY

pytestmark = pytest.mark.django_db

NOMINA_UUID = SAMPLE_UUIDS[NOMINA_EKU]
PAGO_UUID = SAMPLE_UUIDS[PAGO_EKU]


@pytest.fixture
def eku():
    """EKU9003173C9 with a payroll CFDI (nómina), a payment (ventas) and a received invoice."""
    account = make_account()
    company = company_with_rfc("EKU9003173C9", account)
    cfdi_ingest(company=company, data=sample(NOMINA_EKU))
    cfdi_ingest(company=company, data=sample(PAGO_EKU))
    received = cfdi_xml(emisor=any_rfc(), receptor=company.rfc, total="580.00")
    cfdi_ingest(company=company, data=received)
    return company


def _member(company, profile_code):
    membership = make_membership(company.account)
    make_grant(membership, company, profile_code)
    return membership.user


def _received_uuid(company):
    return Cfdi.objects.get(company=company, category="egresos").uuid


ROUTES = [
    ("list", lambda c: reverse("cfdi:list", args=["ventas"]), "ventas"),
    ("list", lambda c: reverse("cfdi:list", args=["egresos"]), "egresos"),
    ("list", lambda c: reverse("cfdi:list", args=["nomina"]), "nomina"),
    ("detail", lambda c: reverse("cfdi:detail", args=[PAGO_UUID]), "ventas"),
    ("detail", lambda c: reverse("cfdi:detail", args=[_received_uuid(c)]), "egresos"),
    ("detail", lambda c: reverse("cfdi:detail", args=[NOMINA_UUID]), "nomina"),
    ("xml", lambda c: reverse("cfdi:xml", args=[PAGO_UUID]), "ventas"),
    ("xml", lambda c: reverse("cfdi:xml", args=[_received_uuid(c)]), "egresos"),
    ("xml", lambda c: reverse("cfdi:xml", args=[NOMINA_UUID]), "nomina"),
    ("pdf", lambda c: reverse("cfdi:pdf", args=[PAGO_UUID]), "ventas"),
    ("pdf", lambda c: reverse("cfdi:pdf", args=[_received_uuid(c)]), "egresos"),
    ("pdf", lambda c: reverse("cfdi:pdf", args=[NOMINA_UUID]), "nomina"),
]
PROFILES = {
    # profile → categories it opens
    "auxiliar_ventas": {"ventas"},
    "auxiliar_compras": {"egresos"},
    "nominas": {"egresos", "nomina"},
    "consulta": {"ventas", "egresos", "nomina"},
}


@pytest.mark.parametrize("profile_code", list(PROFILES))
@pytest.mark.parametrize(("kind", "url_of", "category"), ROUTES)
def test_every_route_answers_per_the_grant(client, eku, profile_code, kind, url_of, category):
    client.force_login(_member(eku, profile_code))
    response = client.get(url_of(eku))
    if category in PROFILES[profile_code]:
        assert response.status_code == 200
    else:
        # A closed list is forbidden; a document in a closed category does not exist.
        assert response.status_code == (403 if kind == "list" else 404)


@pytest.mark.parametrize(("kind", "url_of", "category"), ROUTES)
def test_anonymous_visitors_are_sent_to_login(client, eku, kind, url_of, category):
    response = client.get(url_of(eku))
    assert response.status_code == 302
    assert reverse("people:login") in response["Location"]


def test_another_companys_uuid_is_not_found_even_for_its_own_owner_elsewhere(client, eku):
    other_account = make_account()
    client.force_login(owner_of(other_account))
    company_with_rfc(any_rfc(), other_account)
    for name in ("cfdi:detail", "cfdi:xml", "cfdi:pdf"):
        assert client.get(reverse(name, args=[NOMINA_UUID])).status_code == 404
    assert NOMINA_UUID not in client.get(reverse("cfdi:list", args=["nomina"])).content.decode()


def _work_in(client, company):
    session = client.session
    session[ACTIVE_COMPANY] = company.pk
    session.save()


def test_a_link_to_a_cfdi_of_another_company_the_person_opens_switches_to_it(client, eku):
    elsewhere = company_with_rfc(any_rfc(), eku.account)
    client.force_login(owner_of(eku.account))
    _work_in(client, elsewhere)
    url = reverse("cfdi:detail", args=[NOMINA_UUID])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == url
    assert client.session[ACTIVE_COMPANY] == eku.pk
    detail = client.get(url)
    assert detail.status_code == 200
    assert detail.context["cfdi"].company == eku
    assert f"Este CFDI es de {eku.razon_social}: ahora trabajas en esa empresa." in (
        detail.content.decode()
    )


def test_a_link_to_a_cfdi_of_a_company_the_person_cannot_open_stays_not_found(client, eku):
    # A member of the same account, granted another company only: no switch, a 404.
    elsewhere = company_with_rfc(any_rfc(), eku.account)
    member = make_membership(eku.account)
    make_grant(member, elsewhere, "consulta")
    client.force_login(member.user)
    _work_in(client, elsewhere)
    assert client.get(reverse("cfdi:detail", args=[NOMINA_UUID])).status_code == 404
    assert client.session[ACTIVE_COMPANY] == elsewhere.pk


def test_a_link_to_a_cfdi_in_a_category_closed_to_the_person_does_not_switch(client, eku):
    elsewhere = company_with_rfc(any_rfc(), eku.account)
    member = make_membership(eku.account)
    make_grant(member, elsewhere, "consulta")
    make_grant(member, eku, "auxiliar_ventas")  # opens EKU, but not its payroll
    client.force_login(member.user)
    _work_in(client, elsewhere)
    assert client.get(reverse("cfdi:detail", args=[NOMINA_UUID])).status_code == 404
    assert client.session[ACTIVE_COMPANY] == elsewhere.pk


def test_the_same_uuid_stored_by_two_companies_shows_each_its_own_copy(client):
    emisor = company_with_rfc("H&E951128469")
    receptor = company_with_rfc("KIJ0906199R1")
    cfdi_ingest(company=emisor, data=sample(INGRESO_HE))
    cfdi_ingest(company=receptor, data=sample(INGRESO_HE))
    client.force_login(owner_of(receptor.account))
    body = client.get(reverse("cfdi:list", args=["egresos"])).content.decode()
    assert SAMPLE_UUIDS[INGRESO_HE].upper() in body
    assert client.get(reverse("cfdi:list", args=["ventas"])).status_code == 200
    ventas = client.get(reverse("cfdi:list", args=["ventas"])).content.decode()
    assert SAMPLE_UUIDS[INGRESO_HE].upper() not in ventas


def test_the_xml_download_is_byte_identical_to_what_was_received(client, eku):
    client.force_login(owner_of(eku.account))
    response = client.get(reverse("cfdi:xml", args=[NOMINA_UUID]))
    assert response.content == sample(NOMINA_EKU)
    assert response["Content-Type"] == "application/xml"
    assert f'filename="{NOMINA_UUID.upper()}.xml"' in response["Content-Disposition"]


def test_the_detail_shows_emisor_receptor_concepts_and_complements(client, eku):
    client.force_login(owner_of(eku.account))
    body = client.get(reverse("cfdi:detail", args=[NOMINA_UUID])).content.decode()
    assert "ESCUELA KEMPER URGATE" in body
    assert "XOJI740919U48" in body
    assert "Pago de nómina" in body
    assert "Nómina" in body and "9 de mayo de 2023" in body
    pago = client.get(reverse("cfdi:detail", args=[PAGO_UUID])).content.decode()
    assert "BFC36522-4B8E-45C4-8F14-D11B289F9EB7" in pago  # the paid document


def test_the_navigation_shows_only_the_categories_the_grant_opens(client, eku):
    client.force_login(_member(eku, "auxiliar_ventas"))
    body = client.get("/").content.decode()
    assert reverse("cfdi:list", args=["ventas"]) in body
    assert reverse("cfdi:list", args=["egresos"]) not in body
    assert reverse("cfdi:list", args=["nomina"]) not in body


# --- list: filters, sorting, totals, pagination -------------------------------------------


@pytest.fixture
def ventas():
    company = company_with_rfc(any_rfc())
    acme, beta = any_rfc(), any_rfc()
    rows = [
        # receptor, nombre, fecha, serie, folio, total, moneda, tipo
        (acme, "ACME COMERCIAL", "2026-01-05T09:00:00", "A", "1", "116.00", "MXN", "I"),
        (acme, "ACME COMERCIAL", "2026-02-10T23:30:00", "A", "2", "1160.50", "MXN", "I"),
        (beta, "BETA SERVICIOS", "2026-02-28T08:00:00", "B", "1", "58.25", "MXN", "E"),
        (beta, "BETA SERVICIOS", "2026-03-01T00:10:00", "B", "2", "100.00", "USD", "I"),
    ]
    for receptor, nombre, fecha, serie, folio, total, moneda, tipo in rows:
        data = cfdi_xml(
            emisor=company.rfc,
            receptor=receptor,
            receptor_nombre=nombre,
            fecha=fecha,
            serie=serie,
            folio=folio,
            total=total,
            moneda=moneda,
            tipo=tipo,
        )
        cfdi_ingest(company=company, data=data)
    return company, acme, beta


def _list(company, **filters):
    viewer = owner_of(company.account)
    return list(
        cfdi_list(viewer=viewer, company=company, category="ventas", filters=CfdiFilters(**filters))
    )


def test_filters_by_date_range_in_the_cfdi_local_days(ventas):
    from datetime import date

    company, _acme, _beta = ventas
    rows = _list(company, since=date(2026, 2, 10), until=date(2026, 2, 28))
    assert [(c.serie, c.folio) for c in rows] == [("B", "1"), ("A", "2")]


def test_filters_by_counterpart_rfc_or_part_of_the_name(ventas):
    company, acme, _beta = ventas
    assert {c.receptor_rfc for c in _list(company, counterpart=acme.lower())} == {acme}
    assert len(_list(company, counterpart="servicios")) == 2


def test_filters_by_serie_folio_uuid_tipo_status_and_amounts(ventas):
    company, _acme, _beta = ventas
    assert len(_list(company, serie="a")) == 2
    assert len(_list(company, serie="A", folio="2")) == 1
    one = _list(company)[0]
    assert _list(company, uuid=one.uuid) == [one]
    assert [c.tipo for c in _list(company, tipo="E")] == ["E"]
    assert len(_list(company, status="vigente")) == 4
    assert len(_list(company, status="cancelado")) == 0
    totals = [c.total for c in _list(company, total_min=Decimal("100"), total_max=Decimal("200"))]
    assert sorted(totals) == [Decimal("100"), Decimal("116")]


def test_sorting_by_total_and_by_date(ventas):
    company, _acme, _beta = ventas
    assert _list(company, sort="-total")[0].total == Decimal("1160.5")
    assert [c.folio for c in _list(company, sort="fecha")][:2] == ["1", "2"]


def test_the_list_page_totals_the_filtered_set_per_currency(client, ventas):
    company, acme, _beta = ventas
    client.force_login(owner_of(company.account))
    response = client.get(reverse("cfdi:list", args=["ventas"]))
    totals = {t.moneda: t for t in response.context["totals"]}
    assert totals["MXN"].count == 3
    assert totals["MXN"].total == Decimal("1334.75")
    assert totals["USD"].total == Decimal("100.00")
    filtered = client.get(reverse("cfdi:list", args=["ventas"]), {"counterpart": acme})
    (only,) = filtered.context["totals"]
    assert (only.count, only.total) == (2, Decimal("1276.50"))


def test_an_invalid_filter_is_reported_in_spanish_and_ignored(client, ventas):
    company, _acme, _beta = ventas
    client.force_login(owner_of(company.account))
    response = client.get(
        reverse("cfdi:list", args=["ventas"]),
        {"uuid": "no-es-uuid", "since": "2026-03-01", "until": "2026-01-01"},
    )
    body = response.content.decode()
    assert "UUID: escribe un UUID completo" in body
    assert "Hasta: debe ser igual o posterior" in body
    # The invalid fields are left out; the valid «Desde» still applies.
    assert response.context["page"].paginator.count == 1


def test_the_list_paginates_and_htmx_gets_only_the_rows(client, ventas, monkeypatch):
    from despacho.cfdi import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    company, _acme, _beta = ventas
    client.force_login(owner_of(company.account))
    url = reverse("cfdi:list", args=["ventas"])
    assert len(client.get(url).context["page"].object_list) == 3
    assert len(client.get(url, {"page": 2}).context["page"].object_list) == 1
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert "<table" in fragment


def test_the_filtros_button_names_the_filters_in_effect_and_htmx_updates_it(client, ventas):
    company, acme, _beta = ventas
    client.force_login(owner_of(company.account))
    url = reverse("cfdi:list", args=["ventas"])
    plain = client.get(url).content.decode()
    assert '<span id="active-filters" class="active-filters"></span>' in plain
    params = {"counterpart": acme, "tipo": "I", "serie": "", "sort": "-total", "uuid": "x"}
    body = client.get(url, params).content.decode()
    # The order is not a filter; an invalid UUID is not in effect (its error is shown).
    assert '<span id="active-filters" class="active-filters">· RFC o nombre, Tipo</span>' in body
    assert (
        'id="filters-toggle" class="fold filters-toggle" aria-controls="cfdi-filters" checked'
        in body
    )
    fragment = client.get(url, {"tipo": "E"}, headers={"HX-Request": "true"}).content.decode()
    assert (
        '<span id="active-filters" class="active-filters" hx-swap-oob="true">· Tipo</span>'
        in fragment
    )


# What one list request costs, whatever the number of CFDIs, the page or the viewer: the
# session, the user, the second-factor check (security middleware), the access map (one
# query for every decision), the workspace (the companies of the viewer's accounts: few,
# and none reached through a link, so the switcher answers from that one query), the
# totals per currency (which also give the paginator its count), the page's rows, and the
# session save (an UPDATE, wrapped in a savepoint inside the test's transaction).
LIST_QUERIES = 10


@pytest.mark.parametrize("cfdis", [1, 12])
@pytest.mark.parametrize("viewer", ["owner", "member"])
def test_a_list_request_makes_the_same_number_of_queries_at_any_size(
    client, monkeypatch, django_assert_num_queries, cfdis, viewer
):
    from despacho.cfdi import views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    company = company_with_rfc(any_rfc())
    for n in range(cfdis):
        moneda = "USD" if n % 3 == 0 else "MXN"  # two currencies: two rows of totals
        data = cfdi_xml(emisor=company.rfc, receptor=any_rfc(), folio=str(n), moneda=moneda)
        cfdi_ingest(company=company, data=data)
    user = owner_of(company.account) if viewer == "owner" else _member(company, "consulta")
    client.force_login(user)
    url = reverse("cfdi:list", args=["ventas"])
    client.get(url)  # the session's first save
    for params in ({}, {"page": 2}, {"counterpart": "receptor", "sort": "-total"}):
        with django_assert_num_queries(LIST_QUERIES):
            response = client.get(url, params)
        assert response.status_code == 200
        assert response.context["page"].paginator.count == cfdis


def test_the_list_links_each_row_to_its_detail_xml_and_pdf(client, ventas):
    from django.urls import resolve

    company, _acme, _beta = ventas
    client.force_login(owner_of(company.account))
    response = client.get(reverse("cfdi:list", args=["ventas"]))
    cfdi = response.context["page"].object_list[0]
    body = response.content.decode()
    for name in ("cfdi:detail", "cfdi:xml", "cfdi:pdf"):
        href = reverse(name, args=[cfdi.uuid])
        assert f'href="{href}"' in body
        assert resolve(href).view_name == name
    assert f"<td>{cfdi.get_tipo_display()}</td>" in body
    assert f"<td>{cfdi.get_status_display()}" in body


# --- web upload ---------------------------------------------------------------------------


def test_uploading_many_files_and_a_zip_reports_each_file(client):
    account = make_account()
    company_with_rfc("EKU9003173C9", account)
    client.force_login(owner_of(account))
    files = [
        SimpleUploadedFile("nomina.xml", sample(NOMINA_EKU), "text/xml"),
        SimpleUploadedFile("lote.zip", zip_of({"pago.xml": sample(PAGO_EKU), "x.txt": b"hola"})),
        SimpleUploadedFile("otra-vez.xml", sample(NOMINA_EKU), "text/xml"),
    ]
    response = client.post(reverse("cfdi:upload"), {"documents": files})
    assert response.status_code == 200
    outcomes = response.context["report"].outcomes
    assert [(o.name, o.status.value) for o in outcomes] == [
        ("nomina.xml", "accepted"),
        ("lote.zip/pago.xml", "accepted"),
        ("lote.zip/x.txt", "refused"),
        ("otra-vez.xml", "duplicate"),
    ]
    body = response.content.decode()
    assert "Ya estaba guardado" in body
    assert "No es un archivo XML válido." in body


@pytest.mark.usefixtures("verify_seals")
def test_uploading_a_document_with_an_invalid_seal_needs_the_confirmation_box(client):
    account = make_account()
    company = company_with_rfc("EKU9003173C9", account)
    client.force_login(owner_of(account))
    tampered = sample(PAGO_EKU).replace(b'Monto="200.00"', b'Monto="900.00"')
    first = client.post(
        reverse("cfdi:upload"), {"documents": [SimpleUploadedFile("p.xml", tampered)]}
    )
    assert "casilla" in first.content.decode()
    assert not Cfdi.objects.filter(company=company).exists()
    client.post(
        reverse("cfdi:upload"),
        {"documents": [SimpleUploadedFile("p.xml", tampered)], "accept_unverified": "on"},
    )
    assert Cfdi.objects.get(company=company).seal_verified is False


@pytest.mark.usefixtures("verify_seals")
def test_uploading_a_document_without_its_seal_needs_the_confirmation_box_too(client):
    account = make_account()
    company = company_with_rfc(any_rfc(), account)
    client.force_login(owner_of(account))
    unsealed = cfdi_xml(emisor=company.rfc, receptor=any_rfc())  # no Sello, no Certificado
    first = client.post(
        reverse("cfdi:upload"), {"documents": [SimpleUploadedFile("s.xml", unsealed)]}
    )
    body = first.content.decode()
    assert "casilla" in body
    assert 'data-code="seal_missing"' in body
    assert not Cfdi.objects.filter(company=company).exists()
    client.post(
        reverse("cfdi:upload"),
        {"documents": [SimpleUploadedFile("s.xml", unsealed)], "accept_unverified": "on"},
    )
    assert Cfdi.objects.get(company=company).seal_verified is False


def test_uploading_without_files_names_the_field(client):
    account = make_account()
    company_with_rfc(any_rfc(), account)
    client.force_login(owner_of(account))
    body = client.post(reverse("cfdi:upload"), {}).content.decode()
    assert "Archivos: elige al menos un archivo XML o ZIP." in body


def test_a_ventas_only_user_cannot_upload_payroll_through_the_web(client, eku):
    user = _member(eku, "auxiliar_ventas")
    client.force_login(user)
    response = client.post(
        reverse("cfdi:upload"),
        {"documents": [SimpleUploadedFile("n.xml", sample(NOMINA_EKU))]},
    )
    (outcome,) = response.context["report"].outcomes
    assert outcome.code == "not_permitted"


def test_a_user_without_any_cfdi_category_cannot_open_the_upload_page(client):
    account = make_account()
    company = company_with_rfc(any_rfc(), account)
    membership = make_membership(account)
    # A grant with only Egresos is the narrowest valid set; remove it to see none.
    make_grant(membership, company, "auxiliar_compras")
    client.force_login(membership.user)
    assert client.get(reverse("cfdi:upload")).status_code == 200
    stranger = make_membership(make_account()).user
    client.force_login(stranger)
    assert client.get(reverse("cfdi:upload")).status_code == 403


def test_an_empty_list_points_to_the_upload_page(client):
    account = make_account()
    company_with_rfc(any_rfc(), account)
    client.force_login(owner_of(account))
    body = client.get(reverse("cfdi:list", args=["ventas"])).content.decode()
    assert "Todavía no hay CFDI de Ventas en esta empresa." in body
    assert f'class="button primary" href="{reverse("cfdi:upload")}"' in body


def test_a_list_emptied_by_its_filters_says_so_without_the_upload_call(client, eku):
    client.force_login(owner_of(eku.account))
    response = client.get(reverse("cfdi:list", args=["ventas"]), {"serie": "NOEXISTE"})
    body = response.content.decode()
    assert "No hay CFDI con esos filtros." in body
    assert f'class="button primary" href="{reverse("cfdi:upload")}"' not in body


# The list's rows as the template engine rendered them cell by cell, before the rows moved
# to one pass in cfdi/templatetags/cfdi_rows.py: the tag must produce the same cells.
PER_CELL_ROW = """{% load i18n cfdi_format %}{% for cfdi in cfdis %}
<tr><td>{{ cfdi.fecha|cfdi_short_date }}</td><td>{{ cfdi.tipo_label }}</td><td>{{ cfdi.serie }}{% if cfdi.serie and cfdi.folio %}-{% endif %}{{ cfdi.folio }}</td><td>{{ cfdi.counterpart_nombre }}<br><small>{{ cfdi.counterpart_rfc }}</small></td><td class="amount">{{ cfdi.amount|money:cfdi.amount_moneda }}</td><td>{{ cfdi.status_label }}{% if cfdi.seal_verified is False %} · <span class="error">{% translate "sello no válido" %}</span>{% endif %}{% if cfdi.sat_cancelled_at %} · <span class="error">{% translate "cancelado por el emisor" %} {{ cfdi.sat_cancelled_at|cfdi_short_date }}</span>{% endif %}{% if cfdi.emisor_listed %} · <span class="warning">{{ cfdi.emisor_listed_label }}</span>{% endif %}</td>{% url 'cfdi:detail' cfdi.uuid as detail %}<td><a href="{{ detail }}"><code>{{ cfdi.uuid_text }}</code></a></td><td><a href="{{ detail }}xml">XML</a> · <a href="{{ detail }}pdf">PDF</a></td></tr>{% endfor %}"""  # noqa: E501


def test_the_rows_render_the_same_cells_as_the_template_did(eku):
    from django.template import Context, Template
    from django.utils import translation

    from despacho.cfdi.templatetags.cfdi_rows import cfdi_rows

    Cfdi.objects.filter(company=eku, category="nomina").update(
        seal_verified=False,
        folio="",
        emisor_nombre="O'Brien & <Hijos>",
        receptor_nombre="O'Brien & <Hijos>",
        total=Decimal("1234567.5"),
    )
    # SAT's flags (satstatus): one row cancelled by its emisor, one from a listed emisor.
    first, second = Cfdi.objects.filter(company=eku).order_by("fecha")[:2]
    Cfdi.objects.filter(pk=first.pk).update(
        status="cancelado", sat_cancelled_at=first.fecha, emisor_listed="69b_definitivo"
    )
    Cfdi.objects.filter(pk=second.pk).update(emisor_listed="69")
    cfdis = list(Cfdi.objects.filter(company=eku).order_by("fecha"))
    assert {c.seal_verified for c in cfdis} >= {False}
    with translation.override("es-mx"):
        expected = Template(PER_CELL_ROW).render(Context({"cfdis": cfdis})).strip()
        rendered = str(cfdi_rows(cfdis))
    assert rendered == expected
    assert "$1,234,567.50 MXN" in rendered
    assert "O&#x27;Brien &amp; &lt;Hijos&gt;" in rendered


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"page": "2"},
        {"counterpart": "Pérez & <Hijos>", "tipo": "I", "sort": "-total"},
        {"since": "2024-13-45", "total_min": "abc"},  # errors: rendered every time
    ],
)
def test_the_filter_bar_renders_what_the_fields_render_and_keeps_the_values(data):
    from django.template import Context, Template
    from django.utils import translation

    from despacho.cfdi.forms import CfdiFilterForm

    per_field = Template(
        "{% for field in form %}<label>{{ field.label }} {{ field }}</label>{% endfor %}"
    )
    with translation.override("es-mx"):
        for _ in range(2):  # the second time from the kept rendering
            form = CfdiFilterForm(data)
            form.filters()
            expected = per_field.render(Context({"form": form}))
            assert form.rendered_fields() == expected
    if data and "counterpart" in data:
        assert 'value="Pérez &amp; &lt;Hijos&gt;"' in expected


# --- a payment (tipo P) shows what it paid -------------------------------------------
# A Pago's comprobante totals 0 in currency XXX by rule; its Pagos complement says what
# was paid. Lists and their totals show that, in the payments' currency.


def _pago_with_payments(*payments: tuple[str, str, str]) -> bytes:
    """The real EKU Pago with its one pago20:Pago replaced by (Monto, MonedaP, TipoCambioP)."""
    data = sample(PAGO_EKU).decode()
    start = data.index("<pago20:Pago ")
    end = data.index("</pago20:Pago>") + len("</pago20:Pago>")
    original = data[start:end]
    nodes = "".join(
        original.replace('Monto="200.00"', f'Monto="{monto}"')
        .replace('MonedaP="MXN"', f'MonedaP="{moneda}"')
        .replace('TipoCambioP="1"', f'TipoCambioP="{rate}"')
        for monto, moneda, rate in payments
    )
    return (data[:start] + nodes + data[end:]).encode()


def test_a_payment_row_in_the_list_shows_the_amount_it_paid_and_its_currency(client, eku):
    client.force_login(owner_of(eku.account))
    response = client.get(reverse("cfdi:list", args=["ventas"]))
    body = response.content.decode()
    row = next(r for r in body.split("<tr>") if PAGO_UUID.upper() in r)
    assert '<td class="amount">$200.00 MXN</td>' in row
    assert "XXX" not in body
    (totals,) = response.context["totals"]
    assert (totals.moneda, totals.count, totals.total) == ("MXN", 1, Decimal("200.00"))
    assert totals.payments


def test_a_payment_detail_says_what_it_paid_beside_its_total_of_zero(client, eku):
    client.force_login(owner_of(eku.account))
    body = client.get(reverse("cfdi:detail", args=[PAGO_UUID])).content.decode()
    assert '<dd class="paid">$200.00 MXN' in body


def test_a_received_payment_shows_what_it_paid_in_the_receivers_egresos():
    receiver = company_with_rfc("KIJ0906199R1")
    cfdi_ingest(company=receiver, data=sample(PAGO_HE), accept_unverified=True)
    cfdi = Cfdi.objects.get(company=receiver)
    assert (cfdi.category, cfdi.total, cfdi.moneda) == ("egresos", Decimal(0), "XXX")
    assert (cfdi.amount, cfdi.amount_moneda) == (Decimal("17852.75"), "MXN")


@pytest.mark.parametrize(
    ("payments", "amount", "moneda"),
    [
        # Several payments in one currency: their sum, in it.
        ([("100.50", "USD", "17.5"), ("20.25", "USD", "17.6")], "120.75", "USD"),
        # Payments in several currencies: summed in MXN, each at its own rate.
        ([("100.00", "USD", "17.50"), ("250.00", "MXN", "1")], "2000.00", "MXN"),
    ],
)
def test_a_payment_of_several_payments_shows_their_sum(payments, amount, moneda):
    company = company_with_rfc("EKU9003173C9")
    cfdi_ingest(company=company, data=_pago_with_payments(*payments), verify_seals=False)
    cfdi = Cfdi.objects.get(company=company)
    assert (cfdi.amount, cfdi.amount_moneda) == (Decimal(amount), moneda)


def test_the_list_totals_payments_apart_from_the_invoices_they_pay(client, eku):
    cfdi_ingest(company=eku, data=cfdi_xml(emisor=eku.rfc, receptor=any_rfc(), total="1000.00"))
    client.force_login(owner_of(eku.account))
    response = client.get(reverse("cfdi:list", args=["ventas"]))
    invoices, payments = response.context["totals"]
    assert (invoices.moneda, invoices.count, invoices.total) == ("MXN", 1, Decimal("1000.00"))
    assert (payments.moneda, payments.count, payments.total) == ("MXN", 1, Decimal("200.00"))
    assert (invoices.payments, payments.payments) == (False, True)
    body = response.content.decode()
    assert "1 CFDI en MXN · subtotal" in body and "total $1,000.00" in body
    assert "1 pago en MXN · pagado $200.00" in body


def test_the_receivers_portal_lists_a_payment_with_what_it_paid(client):
    from tests.portal.scenario import access, home, portal_login

    issuer = company_with_rfc("H&E951128469")
    cfdi_ingest(company=issuer, data=sample(PAGO_HE), accept_unverified=True)
    receiver = access(issuer, "KIJ0906199R1")
    portal_login(client, issuer, receiver.rfc)
    body = client.get(home(issuer)).content.decode()
    assert '<td class="amount">$17,852.75 MXN</td>' in body
    assert "XXX" not in body

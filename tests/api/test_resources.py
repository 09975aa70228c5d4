"""The resources through the API, each calling the same service or selector as the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from despacho.access.models import Grant
from despacho.audit.models import AuditEvent
from despacho.cfdi.services import cfdi_ingest
from despacho.members.models import Invitation
from despacho.tenancy.models import Membership, MembershipStatus
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, make_tenant
from tests.cfdi.cfdi_samples import (
    INGRESO_HE,
    PAGO_EKU,
    SAMPLE_UUIDS,
    any_rfc,
    cfdi_xml,
    company_with_rfc,
    sample,
    zip_of,
)
from tests.factories import make_account, make_company, owner_of, profile

pytestmark = pytest.mark.django_db


# --- companies ---------------------------------------------------------------------


def test_companies_list_filters_by_name_or_rfc():
    tenant = make_tenant(razon_social="FERRETERÍA LA LLAVE SA DE CV")
    make_company(tenant.account, razon_social="PAPELERÍA CENTRAL SA DE CV")
    api = api_as(tenant.token)
    by_name = api.get("/companies", {"q": "llave"}).json()["items"]
    assert [c["razon_social"] for c in by_name] == ["FERRETERÍA LA LLAVE SA DE CV"]
    by_rfc = api.get("/companies", {"q": tenant.company.rfc[:6].lower()}).json()["items"]
    assert tenant.company.rfc in {c["rfc"] for c in by_rfc}


@pytest.mark.parametrize(
    "query", ["panaderia", "PANADERIA", "Panadería", "  panadería ", "PANADERÍA LA", "espiga"]
)
def test_the_company_search_finds_in_the_api_what_it_finds_on_the_page(client, query):
    tenant = make_tenant(razon_social="Panadería La Espiga SA de CV")
    north = make_company(tenant.account, razon_social="PANADERIA LA ESPIGA DEL NORTE")
    make_company(tenant.account, razon_social="PAPELERÍA CENTRAL SA DE CV")
    found = api_as(tenant.token).get("/companies", {"q": query}).json()["items"]
    client.force_login(owner_of(tenant.account))
    page = client.get(reverse("firm:list"), {"q": query}).content.decode()
    rows = [part for part in page.split('data-rfc="')[1:] if "data-status" in part]
    assert {c["rfc"] for c in found} == {tenant.company.rfc, north.rfc}
    assert {row.split('"')[0] for row in rows} == {tenant.company.rfc, north.rfc}


def test_each_company_says_where_its_download_portal_is(client, settings):
    settings.SITE_URL = "https://facturas.example.mx"
    tenant = make_tenant(razon_social="Panadería La Espiga SA de CV")
    (company,) = api_as(tenant.token).get("/companies").json()["items"]
    assert company["portal_url"] == f"https://facturas.example.mx/portal/{tenant.company.slug}/"
    path = company["portal_url"].removeprefix(settings.SITE_URL)
    assert client.get(path, follow=True).templates[0].name.startswith("portal/")


def test_an_admin_registers_a_company_through_the_service():
    tenant = make_tenant()
    response = api_as(tenant.token).post(
        "/companies",
        {
            "rfc": "EKU9003173C9",
            "razon_social": "ESCUELA KEMPER URGATE SA DE CV",
            "regimen_fiscal": "601",
            "codigo_postal": "42501",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rfc"] == "EKU9003173C9" and body["owned"] is True
    assert AuditEvent.objects.filter(action="company.created", company_id=int(body["id"])).exists()


def test_a_member_cannot_register_companies():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    response = api_as(make_key(member)).post(
        "/companies",
        {
            "rfc": "EKU9003173C9",
            "razon_social": "X",
            "regimen_fiscal": "601",
            "codigo_postal": "42501",
        },
    )
    assert response.status_code == 403


def test_a_firm_key_sees_its_clients_companies_as_not_owned():
    from tests.factories import make_client_of

    tenant = make_tenant()
    client_company = make_client_of(tenant.account)
    items = api_as(tenant.token).get("/companies").json()["items"]
    assert {c["id"]: c["owned"] for c in items} == {
        str(tenant.company.pk): True,
        str(client_company.pk): False,
    }


# --- members and grants --------------------------------------------------------------


def test_adding_a_member_with_a_grant_invites_them_and_writes_the_grant(smtp_inbox):
    tenant = make_tenant()
    response = api_as(tenant.token).post(
        "/members",
        {
            "full_name": "Ana Torres Vega",
            "email": "ana@example.mx",
            "role": "member",
            "grants": [
                {
                    "company": str(tenant.company.pk),
                    "profile": str(profile("auxiliar_ventas").pk),
                    "add": ["egresos"],
                    "remove": ["whatsapp"],
                }
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "invited" and body["role"] == "member"
    (grant,) = body["grants"]
    assert grant["added"] == ["egresos"] and grant["removed"] == ["whatsapp"]
    assert grant["permissions"] == ["datos_maestros", "ventas", "egresos", "facturar", "portal"]
    assert Invitation.objects.filter(email="ana@example.mx").exists()


def test_a_grant_naming_a_foreign_company_is_422_with_its_field():
    tenant = make_tenant()
    foreign = make_tenant()
    response = api_as(tenant.token).post(
        "/members",
        {
            "full_name": "Ana Torres Vega",
            "email": "ana@example.mx",
            "grants": [
                {"company": str(foreign.company.pk), "profile": str(profile("consulta").pk)}
            ],
        },
    )
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "grants.0.company"
    assert not Membership.objects.filter(user__email="ana@example.mx").exists()


def test_member_lifecycle_update_deactivate_reactivate_delete():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    api = api_as(tenant.token)
    assert api.get(f"/members/{member.pk}").json()["email"] == member.user.email
    assert api.patch(f"/members/{member.pk}", {"role": "admin"}).json()["role"] == "admin"
    assert api.post(f"/members/{member.pk}/deactivate").json()["status"] == "deactivated"
    # Never logged in: reactivating invites them again.
    assert api.post(f"/members/{member.pk}/reactivate").json()["status"] == "invited"
    assert api.delete(f"/members/{member.pk}").status_code == 204
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_members_list_filters_by_status():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    Membership.objects.filter(pk=member.pk).update(status=MembershipStatus.DEACTIVATED)
    api = api_as(tenant.token)
    items = api.get("/members", {"status": "deactivated"}).json()["items"]
    assert [m["id"] for m in items] == [str(member.pk)]


def test_a_grant_is_read_and_replaced_through_grant_set():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    api = api_as(tenant.token)
    path = f"/members/{member.pk}/grants/{tenant.company.pk}"
    assert api.get(path).json()["profile"] == str(profile("consulta").pk)
    response = api.put(path, {"profile": str(profile("contador").pk), "remove": ["nomina"]})
    assert response.status_code == 200
    assert "nomina" not in response.json()["permissions"]
    assert Grant.objects.get(membership=member).profile == profile("contador")
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


# --- profiles and the catalog --------------------------------------------------------


def test_profiles_create_update_and_delete_with_a_replacement():
    tenant = make_tenant()
    api = api_as(tenant.token)
    created = api.post(
        "/profiles", {"name": "Ventas y portal", "permissions": ["ventas", "portal"]}
    )
    assert created.status_code == 201
    profile_id = created.json()["id"]
    member = active_member(tenant.account, [tenant.company])
    api.put(f"/members/{member.pk}/grants/{tenant.company.pk}", {"profile": profile_id})
    updated = api.patch(f"/profiles/{profile_id}", {"permissions": ["ventas"]})
    assert updated.json()["permissions"] == ["ventas"] and updated.json()["uses"] == 1
    refused = api.delete(f"/profiles/{profile_id}")
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "replacement_required"
    consulta = profile("consulta").pk
    assert api.delete(f"/profiles/{profile_id}", f"?replacement={consulta}").status_code == 204
    assert Grant.objects.get(membership=member).profile_id == consulta


def test_system_profiles_are_read_only():
    tenant = make_tenant()
    response = api_as(tenant.token).patch(f"/profiles/{profile('consulta').pk}", {"name": "Otro"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "system_profile"


def test_the_permission_catalog_has_labels_help_and_rules():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    body = api_as(make_key(member)).get("/permissions").json()
    facturar = next(p for p in body["permissions"] if p["code"] == "facturar")
    assert facturar == {
        "code": "facturar",
        "label": "Facturar",
        "help": "Emitir facturas, notas de crédito y complementos de pago.",
        "requires": "ventas",
    }
    assert {"code": "requires_ventas_or_egresos", "kind": "at_least_one"}.items() <= body["rules"][
        0
    ].items()


# --- seats --------------------------------------------------------------------------


def test_seats_and_purchases_with_money_as_strings():
    tenant = make_tenant()
    api = api_as(tenant.token)
    purchase = api.post("/seats/purchases", {"quantity": 3}).json()
    assert purchase["unit_price"] == "249.00"
    assert (purchase["subtotal"], purchase["iva"], purchase["total"]) == (
        "747.00",
        "119.52",
        "866.52",
    )
    assert api.get("/seats").json() == {
        "included": 5,
        "purchased": 3,
        "in_use": 0,
        "available": 8,
        "free": 8,
    }
    assert [p["id"] for p in api.get("/seats/purchases").json()["items"]] == [purchase["id"]]


# --- invitations ----------------------------------------------------------------------


def test_invitations_list_by_status_resend_and_revoke():
    from tests.factories import add_member

    tenant = make_tenant()
    invited = add_member(tenant.account, companies=[tenant.company])
    invitation = Invitation.objects.get(membership=invited)
    api = api_as(tenant.token)
    pending = api.get("/invitations", {"status": "pending"}).json()["items"]
    assert [i["id"] for i in pending] == [str(invitation.pk)]
    assert api.get("/invitations", {"status": "revoked"}).json()["items"] == []
    assert api.post(f"/invitations/{invitation.pk}/resend").json()["status"] == "pending"
    assert api.post(f"/invitations/{invitation.pk}/revoke").json()["status"] == "revoked"
    again = api.post(f"/invitations/{invitation.pk}/revoke")
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_revoked"


# --- cfdis ----------------------------------------------------------------------------


def test_upload_list_get_and_download_a_real_cfdi(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    data = sample(INGRESO_HE)
    account = make_account()
    company = company_with_rfc("H&E951128469", account)
    api = api_as(make_key(Membership.objects.get(account=account, role="owner")))
    report = api.upload(company.pk, "factura.xml", data).json()
    assert report["counts"] == {"accepted": 1, "duplicate": 0, "refused": 0}
    uuid = SAMPLE_UUIDS[INGRESO_HE]
    items = api.get("/cfdis", {"company": company.pk, "category": "ventas"}).json()["items"]
    assert [c["uuid"] for c in items] == [uuid]
    detail = api.get(f"/cfdis/{uuid}", {"company": company.pk}).json()
    assert detail["total"].count(".") == 1 and len(detail["total"].split(".")[1]) == 2
    xml = api.get(f"/cfdis/{uuid}/xml", {"company": company.pk})
    assert xml["Content-Type"] == "application/xml"
    assert xml.content == data


def test_a_payment_in_the_cfdi_list_says_what_it_paid_and_an_invoice_does_not(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    account = make_account()
    company = company_with_rfc("EKU9003173C9", account)
    cfdi_ingest(company=company, data=sample(PAGO_EKU))
    cfdi_ingest(company=company, data=cfdi_xml(emisor=company.rfc, receptor=any_rfc()))
    api = api_as(make_key(Membership.objects.get(account=account, role="owner")))
    items = api.get("/cfdis", {"company": company.pk, "category": "ventas"}).json()["items"]
    by_tipo = {c["tipo"]: c for c in items}
    assert (by_tipo["P"]["total"], by_tipo["P"]["moneda"]) == ("0.00", "XXX")
    assert (by_tipo["P"]["pagos_monto"], by_tipo["P"]["pagos_moneda"]) == ("200.00", "MXN")
    assert (by_tipo["I"]["pagos_monto"], by_tipo["I"]["pagos_moneda"]) == (None, "")


def test_the_pdf_follows_the_xmls_rule(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    account = make_account()
    company = company_with_rfc("H&E951128469", account)
    api = api_as(make_key(Membership.objects.get(account=account, role="owner")))
    api.upload(company.pk, "factura.xml", sample(INGRESO_HE))
    uuid = SAMPLE_UUIDS[INGRESO_HE]
    pdf = api.get(f"/cfdis/{uuid}/pdf", {"company": company.pk})
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f'filename="{uuid.upper()}.pdf"' in pdf["Content-Disposition"]
    # A key without the category (ventas) gets the same 404 as for a missing document.
    member = active_member(account, [company], profile_code="auxiliar_compras")
    closed = api_as(make_key(member)).get(f"/cfdis/{uuid}/pdf", {"company": company.pk})
    assert closed.status_code == 404
    assert error_of(closed)["code"] == "not_found"


def test_upload_a_zip_reports_each_document(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tenant = make_tenant()
    rfc = tenant.company.rfc
    archive = zip_of(
        {
            "a.xml": cfdi_xml(emisor=rfc, receptor="XAXX010101000"),
            "b.xml": cfdi_xml(emisor="EKU9003173C9", receptor="XAXX010101000"),
        }
    )
    report = api_as(tenant.token).upload(tenant.company.pk, "lote.zip", archive).json()
    assert report["counts"] == {"accepted": 1, "duplicate": 0, "refused": 1}
    assert {o["code"] for o in report["outcomes"]} == {"", "not_party"}


def test_cfdi_list_applies_the_pages_filters_and_their_rules(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tenant = make_tenant()
    rfc = tenant.company.rfc
    for total, fecha in [("50.00", "2026-01-10T10:00:00"), ("500.00", "2026-02-10T10:00:00")]:
        api_as(tenant.token).upload(
            tenant.company.pk,
            "x.xml",
            cfdi_xml(emisor=rfc, receptor="XAXX010101000", total=total, fecha=fecha),
        )
    api = api_as(tenant.token)
    base = {"company": tenant.company.pk, "category": "ventas"}
    assert [
        c["total"] for c in api.get("/cfdis", {**base, "total_min": "100"}).json()["items"]
    ] == ["500.00"]
    february = api.get("/cfdis", {**base, "since": "2026-02-01", "until": "2026-02-28"})
    assert len(february.json()["items"]) == 1
    backwards = api.get("/cfdis", {**base, "since": "2026-03-01", "until": "2026-02-01"})
    assert backwards.status_code == 422
    assert error_of(backwards)["fields"][0]["field"] == "until"


def test_a_member_without_egresos_cannot_list_egresos_and_is_told_why():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company], profile_code="auxiliar_ventas")
    response = api_as(make_key(member)).get(
        "/cfdis", {"company": tenant.company.pk, "category": "egresos"}
    )
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "permission_denied"
    assert "Egresos" in error["message"]


def test_a_single_cfdi_of_a_closed_category_is_404(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tenant = make_tenant()
    uuid = (
        api_as(tenant.token)
        .upload(
            tenant.company.pk, "r.xml", cfdi_xml(emisor="EKU9003173C9", receptor=tenant.company.rfc)
        )
        .json()["outcomes"][0]["uuid"]
    )
    member = active_member(tenant.account, [tenant.company], profile_code="auxiliar_ventas")
    response = api_as(make_key(member)).get(f"/cfdis/{uuid}", {"company": tenant.company.pk})
    assert response.status_code == 404


# --- audit ------------------------------------------------------------------------------


def test_audit_events_filter_by_action_and_company():
    tenant = make_tenant()
    api = api_as(tenant.token)
    api.post("/seats/purchases", {"quantity": 1})
    items = api.get("/audit-events", {"action": "seats.purchased"}).json()["items"]
    assert [e["action"] for e in items] == ["seats.purchased"]
    assert items[0]["after"]["quantity"] == 1
    by_company = api.get("/audit-events", {"company": tenant.company.pk}).json()["items"]
    assert {e["company"] for e in by_company} == {str(tenant.company.pk)}


def test_the_invitation_status_filter_agrees_with_each_invitations_status():
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import add_member

    tenant = make_tenant()
    invitations = [
        Invitation.objects.get(membership=add_member(tenant.account, companies=[tenant.company]))
        for _ in range(4)
    ]
    now = timezone.now()
    Invitation.objects.filter(pk=invitations[1].pk).update(accepted_at=now)
    Invitation.objects.filter(pk=invitations[2].pk).update(revoked_at=now)
    Invitation.objects.filter(pk=invitations[3].pk).update(expires_at=now - timedelta(hours=1))
    api = api_as(tenant.token)
    for invitation in Invitation.objects.filter(account=tenant.account):
        status = invitation.status
        listed = api.get("/invitations", {"status": status}).json()["items"]
        assert [i["id"] for i in listed] == [str(invitation.pk)], status
        assert listed[0]["status"] == status

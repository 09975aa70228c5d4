"""Portal accesses through the API: Perm.PORTAL on the company named by ``company``; the
same services as the Accesos al portal pages; passwords never come back."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from despacho.access.catalog import Perm
from despacho.api.models import IdempotencyRecord
from despacho.audit.models import AuditEvent
from despacho.portal.models import Origin, PortalAccess, PortalLink
from despacho.portal.services.accesses import portal_access_create
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, make_tenant

pytestmark = pytest.mark.django_db

RECEIVER = "EKU9003173C9"


def _create(api, company, **fields):
    return api.post("/portal-accesses", {"company": str(company.pk), "rfc": RECEIVER, **fields})


def test_an_access_is_created_with_origin_api_and_no_password_shown():
    tenant = make_tenant()
    response = _create(
        api_as(tenant.token), tenant.company, name="Escuela Kemper", password="Kemper-Urgate-2026"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rfc"], body["origin"], body["status"]) == (RECEIVER, "api", "active")
    assert body["generated_password"] is None
    assert "Kemper-Urgate-2026" not in response.content.decode()
    access = PortalAccess.objects.get(pk=int(body["id"]))
    assert access.origin == Origin.API
    assert check_password("Kemper-Urgate-2026", access.password)
    events = AuditEvent.objects.filter(company=tenant.company, action="portal.access_created")
    assert events.exists()


def test_a_generated_password_is_shown_once_and_never_kept_for_a_replay():
    tenant = make_tenant()
    api = api_as(tenant.token)
    headers = {"Idempotency-Key": "acceso-generado"}
    response = api.post(
        "/portal-accesses",
        {"company": str(tenant.company.pk), "rfc": RECEIVER, "generate_password": True},
        headers=headers,
    )
    shown = response.json()["generated_password"]
    assert "no-store" in response["Cache-Control"]
    assert check_password(shown, PortalAccess.objects.get(rfc=RECEIVER).password)
    assert not IdempotencyRecord.objects.exists()
    # The retry does not replay the secret: the access exists, so it is refused.
    again = api.post(
        "/portal-accesses",
        {"company": str(tenant.company.pk), "rfc": RECEIVER, "generate_password": True},
        headers=headers,
    )
    assert again.status_code == 409
    assert shown not in again.content.decode()


def test_a_create_retried_with_its_idempotency_key_is_replayed():
    tenant = make_tenant()
    api = api_as(tenant.token)
    headers = {"Idempotency-Key": "acceso-1"}
    body = {"company": str(tenant.company.pk), "rfc": RECEIVER, "email": "a@example.mx"}
    first = api.post("/portal-accesses", body, headers=headers)
    again = api.post("/portal-accesses", body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert PortalAccess.objects.filter(company=tenant.company).count() == 1


def test_bad_input_names_the_field_and_the_rule():
    tenant = make_tenant()
    api = api_as(tenant.token)
    generic = _create(api, tenant.company, rfc="XAXX010101000")
    assert generic.status_code == 422
    assert error_of(generic)["fields"][0] == {
        "field": "rfc",
        "code": "generic_rfc",
        "message": error_of(generic)["fields"][0]["message"],
    }
    email = _create(api, tenant.company, email="no-es-correo")
    assert email.status_code == 422
    assert error_of(email)["fields"][0]["code"] == "invalid_email"
    weak = _create(api, tenant.company, password="123")
    assert weak.status_code == 422
    assert error_of(weak)["fields"][0]["field"] == "password"
    schema = api.post("/portal-accesses", {"company": str(tenant.company.pk)})
    assert schema.status_code == 422
    assert error_of(schema)["fields"][0]["field"] == "rfc"
    assert not PortalAccess.objects.exists()
    _create(api, tenant.company)
    duplicate = _create(api, tenant.company)
    assert duplicate.status_code == 409
    assert error_of(duplicate)["code"] == "duplicate_rfc"


def test_a_member_without_portal_is_told_why():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company], profile_code="consulta")
    api = api_as(make_key(member))
    for response in (
        api.get("/portal-accesses", {"company": tenant.company.pk}),
        _create(api, tenant.company),
    ):
        assert response.status_code == 403
        error = error_of(response)
        assert error["code"] == "permission_denied"
        assert str(Perm.PORTAL.label) in error["message"]
    narrowed = make_key(tenant.owner, permissions=[Perm.VENTAS])
    response = api_as(narrowed).get("/portal-accesses", {"company": tenant.company.pk})
    assert response.status_code == 403
    assert error_of(response)["code"] == "key_scope"


def test_another_companys_accesses_are_404():
    mine, theirs = make_tenant(), make_tenant()
    with_access = portal_access_create(
        company=theirs.company, actor=theirs.owner.user, rfc=RECEIVER
    ).access
    api = api_as(mine.token)
    # Their company as the parameter, or mine with their access's id: the same 404.
    for company in (theirs.company, mine.company):
        response = api.get(f"/portal-accesses/{with_access.pk}", {"company": company.pk})
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    send = api.post(f"/portal-accesses/{with_access.pk}/send?company={mine.company.pk}")
    assert send.status_code == 404
    assert not PortalLink.objects.exists()


def test_list_filters_by_rfc_or_name_in_pages():
    tenant = make_tenant()
    api = api_as(tenant.token)
    for rfc, name in [
        ("EKU9003173C9", "Escuela Kemper Urgate"),
        ("IIA040805DZ4", "Industrias Peña"),
        ("KIJ0906199R1", "Kijote SA"),
    ]:
        _create(api, tenant.company, rfc=rfc, name=name)
    base = {"company": tenant.company.pk}
    by_name = api.get("/portal-accesses", {**base, "q": "pena"}).json()["items"]
    assert [a["rfc"] for a in by_name] == ["IIA040805DZ4"]
    by_rfc = api.get("/portal-accesses", {**base, "q": "kij"}).json()["items"]
    assert [a["rfc"] for a in by_rfc] == ["KIJ0906199R1"]
    first = api.get("/portal-accesses", {**base, "limit": 2}).json()
    rest = api.get("/portal-accesses", {**base, "limit": 2, "cursor": first["next_cursor"]})
    rfcs = [a["rfc"] for a in first["items"] + rest.json()["items"]]
    assert rfcs == ["EKU9003173C9", "IIA040805DZ4", "KIJ0906199R1"]


def test_update_disable_enable_and_send(django_capture_on_commit_callbacks):
    tenant = make_tenant()
    api = api_as(tenant.token)
    access_id = _create(api, tenant.company).json()["id"]
    path = f"/portal-accesses/{access_id}"
    company = f"?company={tenant.company.pk}"
    updated = api.patch(path + company, {"email": "Cobranza@Example.mx"})
    assert updated.json()["email"] == "cobranza@example.mx"
    assert api.get(path, {"company": tenant.company.pk}).json()["name"] == ""
    assert api.post(path + "/disable" + company).json()["status"] == "disabled"
    refused = api.post(path + "/send" + company)
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "access_disabled"
    assert api.post(path + "/enable" + company).json()["is_active"] is True
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(path + "/send" + company)
    assert sent.status_code == 200, sent.content
    assert sent.json()["email"] == "cobranza@example.mx"
    link = PortalLink.objects.get(access_id=int(access_id))
    assert link.email == "cobranza@example.mx"
    bad = api.post(path + "/send" + company, {"email": "x"})
    assert bad.status_code == 422
    assert error_of(bad)["fields"][0]["field"] == "email"

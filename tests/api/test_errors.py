"""Every error is the same JSON envelope, with the status HTTP gives its meaning."""

from __future__ import annotations

import pytest
from django.test import Client

from despacho.api.errors import STATUS_BY_CODE, status_for
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, make_tenant
from tests.factories import profile, set_included_seats

pytestmark = pytest.mark.django_db


def test_401_envelope():
    response = api_as(None).get("/members")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_403_envelope_for_a_member_key_on_account_management():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    response = api_as(make_key(member)).get("/members")
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "not_manager"
    assert "propietario" in error["message"]


def test_404_envelope_for_an_unknown_id():
    tenant = make_tenant()
    response = api_as(tenant.token).get("/members/999999")
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "not_found",
        "message": "No existe, o no está a tu alcance.",
        "fields": [],
    }


def test_an_unsupported_method_is_405_in_the_envelope_with_allow():
    tenant = make_tenant()
    response = Client().put(
        "/api/v1/members",
        HTTP_AUTHORIZATION=f"Bearer {tenant.token}",
        content_type="application/json",
    )
    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    error = error_of(response)
    assert error["code"] == "method_not_allowed"
    assert "Método no permitido" in error["message"]


def test_a_duplicate_rfc_is_409_naming_the_field():
    tenant = make_tenant()
    other = make_tenant()
    response = api_as(tenant.token).post(
        "/companies",
        {
            "rfc": other.company.rfc,
            "razon_social": "OTRA SA DE CV",
            "regimen_fiscal": "601",
            "codigo_postal": "06000",
        },
    )
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "rfc_taken"
    assert error["fields"][0]["field"] == "rfc"


def test_a_duplicate_email_is_409():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    response = api_as(tenant.token).post(
        "/members",
        {
            "full_name": "Otra Persona Igual",
            "email": member.user.email,
            "role": "admin",
        },
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "already_member"


def test_a_broken_permission_rule_is_422_naming_the_rule():
    tenant = make_tenant()
    response = api_as(tenant.token).post(
        "/profiles", {"name": "Solo facturar", "permissions": ["egresos", "facturar"]}
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "requires_ventas"
    assert error["fields"] == [
        {"field": "permissions", "code": "requires_ventas", "message": "Facturar requiere Ventas."}
    ]


def test_a_grant_that_breaks_a_rule_is_422_with_the_rule_code():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    response = api_as(tenant.token).put(
        f"/members/{member.pk}/grants/{tenant.company.pk}",
        {"profile": str(profile("consulta").pk), "remove": ["ventas", "egresos"]},
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "requires_ventas_or_egresos"


def test_no_free_seat_is_422_no_seats():
    tenant = make_tenant()
    set_included_seats(tenant.account, 0)
    response = api_as(tenant.token).post(
        "/members", {"full_name": "Luis Gómez Ruiz", "email": "luis@example.mx", "role": "admin"}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "no_seats"


def test_a_taken_profile_name_is_422_name_taken():
    tenant = make_tenant()
    response = api_as(tenant.token).post(
        "/profiles", {"name": "Contador", "permissions": ["ventas"]}
    )
    assert response.status_code == 422
    assert error_of(response)["fields"][0] == {
        "field": "name",
        "code": "name_taken",
        "message": "Nombre: ya existe un perfil llamado «Contador».",
    }


def test_an_rfc_with_a_wrong_check_digit_is_422_rfc_check_digit():
    tenant = make_tenant()
    rfc = tenant.company.rfc
    wrong = rfc[:-1] + ("1" if rfc[-1] != "1" else "2")
    response = api_as(tenant.token).post(
        "/companies",
        {"rfc": wrong, "razon_social": "X SA", "regimen_fiscal": "601", "codigo_postal": "06000"},
    )
    assert response.status_code == 422
    codes = {f["code"] for f in error_of(response)["fields"]}
    assert "rfc_check_digit" in codes


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"name": 7, "permissions": ["ventas"]}, "name", "string_type"),
        ({"permissions": ["ventas"]}, "name", "missing"),
        ({"name": "x" * 201, "permissions": ["ventas"]}, "name", "string_too_long"),
        ({"name": "Bien", "permissions": ["volar"]}, "permissions.0", "enum"),
    ],
)
def test_schema_violations_are_422_in_the_same_envelope(body, field, code):
    tenant = make_tenant()
    response = api_as(tenant.token).post("/profiles", body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert {"field": field, "code": code} == {k: error["fields"][0][k] for k in ("field", "code")}


def test_a_body_that_is_not_json_is_400():
    tenant = make_tenant()
    response = api_as(tenant.token).client.post(
        "/api/v1/profiles",
        data="{nope",
        content_type="application/json",
        headers={"Authorization": f"Bearer {tenant.token}"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_a_state_conflict_is_409():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])
    response = api_as(tenant.token).post(f"/members/{member.pk}/reactivate")
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_deactivated"


def test_owner_only_actions_are_403_for_an_admin():
    tenant = make_tenant()
    admin = active_member(tenant.account, [], role="admin")
    response = api_as(make_key(admin)).post("/seats/purchases", {"quantity": 1})
    assert response.status_code == 403
    assert error_of(response)["code"] == "owner_only"


def test_the_status_map_lets_a_forbidden_or_conflict_code_win():
    assert status_for(["requires_ventas"]) == 422
    assert status_for(["requires_ventas", "rfc_taken"]) == 409
    assert status_for(["rfc_taken", "not_manager"]) == 403
    assert status_for(["rfc_taken", "too_many_link_invitations"]) == 429
    assert set(STATUS_BY_CODE.values()) == {403, 409, 429}


def test_a_server_error_is_a_500_in_the_envelope_not_an_html_page(settings, monkeypatch, caplog):
    settings.DEBUG = False
    tenant = make_tenant()

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("despacho.members.api.companies_visible", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/companies", headers={"Authorization": f"Bearer {tenant.token}"})
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    error = error_of(response)
    assert error["code"] == "server_error"
    assert error["message"].startswith("Algo falló de nuestro lado")
    assert "a bug" not in response.content.decode()  # nothing of the failure leaks
    assert any(record.exc_info for record in caplog.records)  # but it is logged


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"permissions": ["ventas"]}, "name", "name: es obligatorio."),
        ({"name": 7, "permissions": ["ventas"]}, "name", "name: debe ser texto."),
        (
            {"name": "x" * 201, "permissions": ["ventas"]},
            "name",
            "name: máximo 200 caracteres.",
        ),
        (
            {"name": "Bien", "permissions": "ventas"},
            "permissions",
            "permissions: debe ser una lista.",
        ),
    ],
)
def test_schema_messages_are_spanish_naming_the_field_and_the_rule(body, field, message):
    tenant = make_tenant()
    response = api_as(tenant.token).post("/profiles", body)
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert {"field": field, "message": message} == {k: fields[0][k] for k in ("field", "message")}


def test_an_enum_and_an_integer_are_explained_in_spanish():
    tenant = make_tenant()
    api = api_as(tenant.token)
    enum = error_of(api.post("/profiles", {"name": "Bien", "permissions": ["volar"]}))
    assert enum["fields"][0]["message"].startswith(
        "permissions.0: debe ser uno de 'datos_maestros'"
    )
    assert " o 'portal'" in enum["fields"][0]["message"]
    limit = error_of(api.get("/companies", {"limit": "muchos"}))
    assert limit["fields"][0] == {
        "field": "limit",
        "code": "int_parsing",
        "message": "limit: debe ser un número entero.",
    }


def test_no_schema_message_is_left_in_english():
    from despacho.api.errors import SCHEMA_FALLBACK, schema_message

    for error_type in ("missing", "int_parsing", "string_too_long", "some_new_pydantic_type"):
        text = schema_message({"type": error_type, "ctx": {"max_length": 5}}, "campo")
        assert text.startswith("campo: ")
        assert "Field" not in text and "Input should" not in text
    assert schema_message({"type": "nuevo"}, "x") == str(SCHEMA_FALLBACK) % {"field": "x"}

"""The OpenAPI document and the interactive docs, served without any outside host."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_the_openapi_document_describes_every_resource_and_the_bearer_scheme():
    schema = Client().get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    for resource in [
        "/api/v1/companies",
        "/api/v1/members",
        "/api/v1/members/{member_id}/grants/{company_id}",
        "/api/v1/profiles",
        "/api/v1/permissions",
        "/api/v1/seats",
        "/api/v1/seats/purchases",
        "/api/v1/invitations",
        "/api/v1/cfdis",
        "/api/v1/cfdis/{uuid}/xml",
        "/api/v1/audit-events",
    ]:
        assert resource in paths
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def _refuse_duplicated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicated, f"duplicated mapping keys {duplicated} in {keys}"
    return dict(pairs)


def test_the_openapi_document_has_no_duplicated_key_anywhere():
    raw = Client().get("/api/v1/openapi.json").content.decode()
    json.loads(raw, object_pairs_hook=_refuse_duplicated_keys)


def test_the_openapi_document_is_a_valid_openapi_document():
    validate(Client().get("/api/v1/openapi.json").json())


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/api/v1/cfdis/{uuid}/xml", "application/xml"),
        ("/api/v1/cfdis/{uuid}/pdf", "application/pdf"),
    ],
)
def test_a_file_download_declares_one_ok_response_with_its_media_type(path, media_type):
    schema = Client().get("/api/v1/openapi.json").json()
    ok = schema["paths"][path]["get"]["responses"]["200"]
    assert list(ok["content"]) == [media_type]
    assert ok["description"] != "OK"


def test_every_operation_declares_the_error_envelopes():
    schema = Client().get("/api/v1/openapi.json").json()
    for methods in schema["paths"].values():
        for spec in methods.values():
            for status in ("401", "403", "404", "409", "422", "429"):
                ref = spec["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut")


def test_the_docs_page_loads_only_local_files_and_no_inline_script():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
    assert urls, html
    for url in urls:
        assert url.startswith("/"), f"{url} is not served by Despacho"
        assert not url.startswith("//")
    assert "cdn" not in html.lower()
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        attributes, body = script
        # Only external local files, or a JSON data block (never executed).
        assert "src=" in attributes or 'type="application/json"' in attributes, script
        assert "src=" in attributes or body.strip().startswith("{")


def test_the_docs_assets_are_shipped_with_the_app():
    for path in ["ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"]:
        assert finders.find(path), path


def test_the_openapi_document_is_built_once_per_process_and_served_the_same():
    from despacho.api_urls import api

    first = api.get_openapi_schema(path_prefix="/api/v1/")
    assert api.get_openapi_schema(path_prefix="/api/v1/") is first
    served = Client().get("/api/v1/openapi.json").json()
    assert served == json.loads(json.dumps(first, default=str))

"""In a real browser: the interactive API docs render the OpenAPI document (Swagger UI
from the app's own static files, no outside host) and list the operations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_page_lists_the_operations_from_local_assets(page, live_server, screenshot):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/api/v1/docs")

    # The process's first /openapi.json builds the document (seconds of pydantic schema
    # generation on a loaded CI machine; cached for the process afterwards).
    expect(page.get_by_role("heading", name="Despacho API")).to_be_visible(timeout=60_000)
    operations = page.locator(".opblock-summary-path")
    expect(operations.filter(has_text="/api/v1/cfdis/{uuid}/xml")).to_have_count(1)
    expect(operations.filter(has_text="/api/v1/cfdis/{uuid}/pdf")).to_have_count(1)
    expect(operations.filter(has_text="/api/v1/companies")).not_to_have_count(0)
    expect(page.get_by_text("Parser error")).to_have_count(0)
    expect(page.locator(".errors-wrapper")).to_have_count(0)
    screenshot("api-docs")
    assert requested
    assert all(url.startswith(live_server.url) for url in requested), requested

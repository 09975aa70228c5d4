"""Rate limits per key: past the limit, 429 with Retry-After; other keys are not affected."""

from __future__ import annotations

import pytest

from tests.api.conftest import api_as, error_of
from tests.api.factories import make_tenant

pytestmark = pytest.mark.django_db


def test_past_the_limit_a_key_gets_429_with_retry_after(settings):
    settings.API_RATE_LIMIT = 3
    tenant = make_tenant()
    api = api_as(tenant.token)
    assert [api.get("/permissions").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/permissions")
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= settings.API_RATE_WINDOW


def test_each_key_has_its_own_budget(settings):
    settings.API_RATE_LIMIT = 1
    first, second = make_tenant(), make_tenant()
    assert api_as(first.token).get("/permissions").status_code == 200
    assert api_as(first.token).get("/permissions").status_code == 429
    assert api_as(second.token).get("/permissions").status_code == 200

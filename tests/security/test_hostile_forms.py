"""Hostile input on the staff forms: over-long strings, control characters and values of the
wrong type get a form error or a clean 4xx, never a 500, and write nothing.

(The CFDI upload's hostile files are in tests/cfdi/test_cfdi_refusals.py; the CSV import's
come with it.)"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from despacho.audit.models import AuditEvent
from despacho.tenancy.models import Membership
from tests.factories import PASSWORD, make_account, make_company, make_user, owner_of

pytestmark = pytest.mark.django_db

SETTINGS = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as a form can carry it: any Unicode (surrogates cannot travel in UTF-8), long or short,
# plus the values of the wrong type a crafted request sends.
hostile_text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    st.text(st.characters(exclude_categories=["Cs"]), min_size=5000, max_size=20000),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b@example.mx",
            "-1",
            "1e309",
            "99999999999999999999999999",
            "[]",
            "{}",
            "null",
            "true",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "=cmd|' /C calc'!A0",
            "../../etc/passwd",
            "ａｄｍｉｎ@ｅｘａｍｐｌｅ.ｍｘ",
            "x" * 100_000,
        ]
    ),
)


@pytest.fixture
def owner_client():
    account = make_account()
    make_company(account)
    client = Client()
    client.force_login(owner_of(account))
    return client, account


def assert_clean(response) -> None:
    assert response.status_code < 500, response.status_code
    if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
        assert b"Traceback" not in response.content


@SETTINGS
@given(email=hostile_text, password=hostile_text)
def test_the_login_form_answers_any_input_without_failing(email, password):
    client = Client()
    response = client.post(reverse("people:login"), {"username": email, "password": password})
    assert response.status_code in (200, 429)  # the form again, or the lock-out page
    assert "_auth_user_id" not in client.session


@SETTINGS
@given(old=hostile_text, new1=hostile_text, new2=hostile_text)
def test_the_password_change_form_answers_any_input_without_failing(old, new1, new2):
    user = make_user()
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("security:password_change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2},
    )
    assert_clean(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # the old password was never right


@SETTINGS
@given(full_name=hostile_text, email=hostile_text, role=hostile_text, profile=hostile_text)
def test_the_add_user_form_answers_any_input_and_writes_nothing(
    owner_client, full_name, email, role, profile
):
    client, account = owner_client
    company = account.companies.first()
    before = (Membership.objects.count(), AuditEvent.objects.count())
    response = client.post(
        reverse("users:add"),
        {"full_name": full_name, "email": email, "role": role, f"company_{company.pk}": profile},
    )
    assert_clean(response)
    if response.status_code != 302:  # refused: nothing written
        assert (Membership.objects.count(), AuditEvent.objects.count()) == before


@SETTINGS
@given(actor=hostile_text, action=hostile_text, since=hostile_text, until=hostile_text)
def test_the_audit_filters_answer_any_input_without_failing(
    owner_client, actor, action, since, until
):
    client, _account = owner_client
    query = {
        "actor": actor[:3000],
        "action": action[:3000],
        "since": since[:3000],
        "until": until[:3000],
    }
    for url in (reverse("audit:list"), reverse("audit:export")):
        response = client.get(url, query)
        assert_clean(response)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)


@SETTINGS
@given(quantity=hostile_text, status=hostile_text, company=hostile_text)
def test_the_seats_and_user_filters_answer_any_input_without_failing(
    owner_client, quantity, status, company
):
    client, _account = owner_client
    assert_clean(client.get(reverse("users:seats"), {"quantity": quantity[:3000]}))
    assert_clean(
        client.get(
            reverse("users:list"),
            {"status": status[:3000], "company": company[:3000], "profile": company[:3000]},
        )
    )


def test_a_null_byte_in_the_login_email_is_a_form_error():
    response = Client().post(reverse("people:login"), {"username": "a\x00@b.mx", "password": "x"})
    assert response.status_code == 200
    assert "Caracteres nulos no están permitidos." in response.content.decode()

"""/salud/sesion/: the smallest authenticated answer, the floor bench/load.py measures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from despacho.tenancy.models import MembershipStatus
from tests.factories import make_account, make_company, make_membership, owner_of

pytestmark = pytest.mark.django_db

URL = reverse("session_check")


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))


def test_it_answers_the_callers_email_and_active_memberships_only(client):
    account = make_account()
    make_company(account)
    owner = owner_of(account)
    make_membership(make_account(), user=owner)
    make_membership(make_account(), user=owner, status=MembershipStatus.DEACTIVATED)
    make_membership(account)  # someone else's membership is not counted
    client.force_login(owner)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == {"email": owner.email, "memberships": 2}
    assert "no-cache" in response["Cache-Control"]


def test_it_refuses_writes(client):
    client.force_login(owner_of(make_account()))
    assert client.post(URL).status_code == 405


def test_the_view_itself_makes_one_query(client, django_assert_num_queries):
    client.force_login(owner_of(make_account()))
    client.get(URL)  # the session's first save
    # Session read, user, the second-factor check, the view's one count, and the session
    # save (SESSION_SAVE_EVERY_REQUEST), an UPDATE that the test's transaction wraps in a
    # savepoint: 4 + 3.
    with django_assert_num_queries(7):
        client.get(URL)

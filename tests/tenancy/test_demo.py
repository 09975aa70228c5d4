"""The demo command builds its staff's access through the services and fits its seats."""

import io

import pytest
from django.core.management import call_command

from despacho.access.models import Grant
from despacho.audit.models import AuditEvent
from despacho.tenancy.models import Account
from despacho.tenancy.seats import seat_summary

pytestmark = pytest.mark.django_db


def test_demo_grants_are_written_by_grant_set_and_the_firm_fits_its_seats(settings):
    settings.DEBUG = True
    call_command("demo", stdout=io.StringIO())
    call_command("demo", stdout=io.StringIO())  # idempotent
    assert AuditEvent.objects.filter(action="grant.created").count() == Grant.objects.count() == 5
    firm = Account.objects.get(name="Méndez Ríos Contadores, S.C.")
    summary = seat_summary(account=firm)
    assert (summary.in_use, summary.available) == (2, 5)

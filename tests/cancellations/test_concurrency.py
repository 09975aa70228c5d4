"""Two people cancelling the same CFDI at the same moment: one request, never two (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from despacho.cancellations.models import Cancellation, State
from despacho.cancellations.services import cancellation_request
from despacho.cfdi.models import Cfdi
from despacho.pac.sandbox import SandboxPac
from tests.cancellations.issuing import CANCEL_AT, invoice
from tests.concurrency import at_once
from tests.factories import owner_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_requests_for_one_cfdi_make_one_request(company):
    big = invoice(company, unit_price="5000.00")
    owner = owner_of(company.account)

    def request():
        return cancellation_request(
            cfdi=Cfdi.objects.get(pk=big.pk),
            actor=owner,
            motivo="02",
            now=CANCEL_AT,
            pac=SandboxPac(clock=lambda: CANCEL_AT),
        )

    outcomes = at_once([request] * 6, catching=(ValidationError,))

    made = [o for o in outcomes if isinstance(o, Cancellation)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(made) == 1
    assert made[0].state == State.EN_PROCESO
    assert {e.code for e in refused} == {"cancellation_open"}
    assert Cancellation.objects.count() == 1

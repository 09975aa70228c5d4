"""A CFDI its issuing company cancels in Despacho reaches the receiver's own copy when the
receiver is another Despacho company: its copy learns the status as if SAT had answered."""

from __future__ import annotations

import pytest

from despacho.cancellations.services import cancellation_request
from despacho.cfdi.models import Cfdi, Status
from despacho.cfdi.selectors import cfdi_xml
from despacho.cfdi.services import cfdi_ingest
from despacho.pac.sandbox import SandboxPac
from despacho.satstatus.models import Estado, SatStatus
from tests.cancellations.issuing import CANCEL_AT, invoice, issuing_company
from tests.cfdi.cfdi_samples import company_with_rfc
from tests.factories import make_account, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.DESPACHO_SEALS_SANDBOX = True  # SAT's test CSD expired in 2023


def test_the_receivers_copy_learns_the_issuers_cancellation():
    issuer = issuing_company()
    issued = invoice(issuer, unit_price="100.00")  # small: cancelled at once
    receiver = company_with_rfc("URE180429TM6", make_account())
    outcome = cfdi_ingest(company=receiver, data=cfdi_xml(issued))
    copy = Cfdi.objects.get(company=receiver, uuid=outcome.uuid)
    assert copy.direction == "recibido"

    cancellation_request(
        cfdi=issued,
        actor=owner_of(issuer.account),
        motivo="02",
        now=CANCEL_AT,
        pac=SandboxPac(clock=lambda: CANCEL_AT),
    )

    copy.refresh_from_db()
    assert copy.status == Status.CANCELADO
    assert copy.sat_cancelled_at is not None  # the moment Despacho recorded it
    assert SatStatus.objects.get(cfdi=copy).estado == Estado.CANCELADO
    # The issuer's own copy is the cancellations app's, untouched here.
    assert not SatStatus.objects.filter(cfdi=issued).exists()

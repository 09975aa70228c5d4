"""Production seals through seals' ``seal_sign``: the key stays in the vault, the use is
audited, and the seal verifies."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.cfdi.parsing import read_index
from despacho.cfdi.seals import SealCheck, seal_check
from despacho.invoicing.xmlbuild import issue_xml, validate_against_xsd
from despacho.seals.models import SealKind
from despacho.seals.services import certificate_upload, seal_sign
from tests.factories import make_account, owner_of
from tests.invoicing.samples import invoice, stamped
from tests.seals.samples import EKU, company_of, pair

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _vault(settings):
    settings.DESPACHO_VAULT_KEYS = [Fernet.generate_key().decode()]
    # SAT's test CSD expired in 2023: the sandbox accepts it, as issuing's sandbox PAC does.
    settings.DESPACHO_SEALS_SANDBOX = True


def test_an_invoice_sealed_through_seal_sign_verifies_and_the_use_is_audited():
    account = make_account()
    company = company_of(account, EKU)
    owner = owner_of(account)
    sample = pair(EKU, "csd")
    certificate = certificate_upload(
        company=company,
        actor=owner,
        kind=SealKind.CSD,
        cer=sample.cer,
        key=sample.key,
        password=sample.password,
    )

    def sign(data: bytes) -> bytes:
        return seal_sign(
            company=company,
            kind=SealKind.CSD,
            data=data,
            actor=owner,
            purpose="CFDI A-1",
            certificate=certificate,
        )

    xml = issue_xml(
        document=invoice(), certificate_der=bytes(certificate.certificate_der), sign=sign
    )
    validate_against_xsd(xml)
    root = stamped(xml)
    assert seal_check(root, read_index(root)) is SealCheck.VERIFIED
    event = AuditEvent.objects.get(action=Action.SEAL_USED)
    assert event.after["purpose"] == "CFDI A-1"

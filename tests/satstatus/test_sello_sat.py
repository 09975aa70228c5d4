"""SelloSAT: the timbre verified with SAT's certificate for its NoCertificadoSAT, fetched once
from the (fake) repository, kept in the database and in process; the sandbox's known."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from despacho.cfdi.models import Cfdi
from despacho.cfdi.services import cfdi_ingest
from despacho.pac.sandbox import SandboxPac
from despacho.samples import CFDI_SAMPLES_DIR
from despacho.satstatus.certificates import forget_in_process
from despacho.satstatus.models import SatCertificate, TimbreCheck, Verdict
from despacho.satstatus.timbre import timbre_verdict
from tests.cfdi.cfdi_samples import company_with_rfc
from tests.factories import make_account, owner_of
from tests.pac.cfdis import sealed_cfdi
from tests.satstatus.fake_sat import SAT_CERTIFICATE

pytestmark = pytest.mark.django_db

REAL = (CFDI_SAMPLES_DIR / "ingreso_nodecfdi_cfdi40-real_sellosat.xml").read_bytes()
REAL_UUID = "04BF2854-FE7D-4377-9196-71248F060ABB"


def test_a_real_sello_sat_verifies_with_the_certificate_fetched_once(sat):
    assert timbre_verdict(REAL) == (Verdict.VALID, SAT_CERTIFICATE)
    assert sat.downloads == ["rccf/000010/000005/04/46/50/00001000000504465028.cer"]
    assert SatCertificate.objects.filter(no_certificado=SAT_CERTIFICATE).exists()
    # In process: no second download, no query.
    assert timbre_verdict(REAL)[0] == Verdict.VALID
    # A new process reads the database, not SAT.
    forget_in_process()
    assert timbre_verdict(REAL)[0] == Verdict.VALID
    assert len(sat.downloads) == 1


def test_a_changed_uuid_or_fecha_timbrado_is_detected(sat):
    changed_uuid = REAL.replace(REAL_UUID.encode(), b"14BF2854-FE7D-4377-9196-71248F060ABB")
    assert timbre_verdict(changed_uuid)[0] == Verdict.INVALID
    changed_date = REAL.replace(
        b'FechaTimbrado="2022-01-12T12:39:34"', b'FechaTimbrado="2022-01-12T12:39:35"'
    )
    assert changed_date != REAL
    assert timbre_verdict(changed_date)[0] == Verdict.INVALID


def test_a_certificate_sat_does_not_give_is_unavailable_and_asked_again_later(sat, settings):
    settings.SATSTATUS_CERTIFICATE_URL = f"{sat.url}/elsewhere/"
    assert timbre_verdict(REAL)[0] == Verdict.UNAVAILABLE
    assert not SatCertificate.objects.exists()
    settings.SATSTATUS_CERTIFICATE_URL = f"{sat.url}/rccf/"
    # The process does not ask again right away: a batch of one certificate's timbres makes
    # one request. Later (another run, or RETRY_AFTER_SECONDS) it does.
    assert timbre_verdict(REAL)[0] == Verdict.UNAVAILABLE
    assert sat.downloads == []  # not asked
    forget_in_process()
    assert timbre_verdict(REAL)[0] == Verdict.VALID


def test_nothing_reaches_sat_when_the_suite_is_offline():
    # The suite's certificate URL is a closed port on 127.0.0.1.
    assert timbre_verdict(REAL)[0] == Verdict.UNAVAILABLE


def test_a_sandbox_stamp_verifies_with_the_sandbox_certificate_without_any_download(sat):
    stamped = SandboxPac(clock=lambda: datetime(2026, 12, 1, 16, 0, 5, tzinfo=UTC)).stamp(
        sealed_cfdi()
    )
    verdict, number = timbre_verdict(stamped.xml)
    assert verdict == Verdict.SANDBOX
    assert number == stamped.no_certificado_sat
    assert sat.downloads == []
    forged = stamped.xml.replace(
        stamped.uuid.upper().encode(), b"00000000-0000-4000-8000-000000000000"
    )
    assert timbre_verdict(forged)[0] == Verdict.INVALID


def test_a_document_without_timbre_has_nothing_to_verify():
    assert timbre_verdict(b"<not-a-cfdi/>")[0] == Verdict.MISSING


def test_ingestion_verifies_after_the_commit_and_the_page_shows_the_verdict(
    sat, client, django_capture_on_commit_callbacks
):
    company = company_with_rfc("CSM190311AH6", make_account())
    with django_capture_on_commit_callbacks(execute=True):
        outcome = cfdi_ingest(company=company, data=REAL)
    cfdi = Cfdi.objects.get(company=company, uuid=outcome.uuid)
    check = TimbreCheck.objects.get(cfdi=cfdi)
    assert (check.verdict, check.no_certificado_sat) == (Verdict.VALID, SAT_CERTIFICATE)
    client.force_login(owner_of(company.account))
    body = client.get(reverse("cfdi:detail", args=[cfdi.uuid])).content.decode()
    assert 'data-sello-sat="valid"' in body
    assert "SelloSAT válido" in body


def test_the_command_verifies_what_was_stored_before(sat, settings, capsys):
    from django.core.management import call_command

    settings.SATSTATUS_VERIFY_SELLO_SAT = False
    company = company_with_rfc("CSM190311AH6", make_account())
    cfdi_ingest(company=company, data=REAL)
    assert not TimbreCheck.objects.exists()
    call_command("sat_timbres_verify")
    assert TimbreCheck.objects.get().verdict == Verdict.VALID
    assert "valid: 1" in capsys.readouterr().out

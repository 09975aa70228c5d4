"""The SAT's public test sets: EKU9003173C9 (persona moral) and CACX7605101P8 (persona
física), each with a CSD and an e.firma, all expired in 2023. Password in the .txt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from despacho.samples import CSD_SAMPLES_DIR
from despacho.seals import vault
from despacho.seals.models import Certificate, SealKind
from despacho.seals.services import certificate_upload
from despacho.tenancy.models import Account, Company
from tests.factories import make_company, owner_of

EKU = "EKU9003173C9"
CACX = "CACX7605101P8"


@dataclass(frozen=True)
class Pair:
    cer: bytes
    key: bytes
    password: str


def pair(rfc: str, kind: str) -> Pair:
    stem = CSD_SAMPLES_DIR / f"{rfc.lower()}_{kind}"
    return Pair(
        cer=stem.with_suffix(".cer").read_bytes(),
        key=stem.with_suffix(".key").read_bytes(),
        password=stem.with_suffix(".txt").read_text().strip(),
    )


def company_of(account: Account, rfc: str) -> Company:
    """A company of the account with the sample's RFC (régimen that fits its persona type)."""
    regimen = "601" if len(rfc) == 12 else "612"
    return make_company(account, rfc=rfc, regimen_fiscal=regimen)


def stored_certificate(company: Company, serial: str) -> Certificate:
    """A current CSD row of ``company`` (no real key: for tests of reach, not of signing)."""
    now = timezone.now()
    return Certificate.objects.create(
        company=company,
        kind=SealKind.CSD,
        serial=serial,
        rfc=company.rfc,
        holder=company.razon_social,
        valid_from=now - timedelta(days=30),
        valid_to=now + timedelta(days=700),
        certificate_der=b"",
        sealed_key=vault.seal(b"not a key"),
    )


def upload_sample(company: Company, rfc: str, kind: str = "csd") -> Certificate:
    """The sample pair of ``rfc`` uploaded to ``company`` by its owner (sandbox mode on)."""
    sample = pair(rfc, kind)
    return certificate_upload(
        company=company,
        actor=owner_of(company.account),
        kind=SealKind(kind),
        cer=sample.cer,
        key=sample.key,
        password=sample.password,
    )

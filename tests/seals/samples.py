"""The SAT's public test sets: EKU9003173C9 (persona moral) and CACX7605101P8 (persona
física), each with a CSD and an e.firma, all expired in 2023. Password in the .txt."""

from __future__ import annotations

from dataclasses import dataclass

from despacho.samples import CSD_SAMPLES_DIR
from despacho.tenancy.models import Account, Company
from tests.factories import make_company

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

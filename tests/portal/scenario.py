"""Small factory functions for portal tests: issuers, issued CFDIs, accesses, logins."""

from __future__ import annotations

import itertools

from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from despacho.cfdi.models import Cfdi
from despacho.cfdi.services import cfdi_ingest
from despacho.portal.models import Origin, PortalAccess, PortalUser
from despacho.tenancy.models import Company
from tests.cfdi.cfdi_samples import any_rfc, cfdi_xml
from tests.factories import make_account, make_company

RECEIVER_PASSWORD = "Recibos.Claros.2026"
_folio = itertools.count(100)


def issuer(razon_social: str | None = None) -> Company:
    return make_company(make_account(), razon_social=razon_social)


def issue(company: Company, receptor: str, **fields: str) -> Cfdi:
    """Ingest a CFDI the company issued to ``receptor``; returns its row."""
    fields.setdefault("folio", str(next(_folio)))
    data = cfdi_xml(emisor=company.rfc, receptor=receptor, **fields)
    outcome = cfdi_ingest(company=company, data=data)
    assert outcome.status == "accepted", outcome
    return Cfdi.objects.get(company=company, uuid=outcome.uuid)


def receiver_rfc() -> str:
    return any_rfc()


def access(
    company: Company,
    rfc: str | None = None,
    *,
    password: str | None = RECEIVER_PASSWORD,
    email: str = "",
    name: str = "CLIENTE SA DE CV",
) -> PortalAccess:
    found, _created = PortalAccess.objects.get_or_create(
        company=company,
        rfc=rfc or receiver_rfc(),
        defaults={"name": name, "origin": Origin.MANUAL},
    )
    found.name = name
    found.password = make_password(password) if password else ""
    found.email = email
    found.save()
    return found


def person(access_: PortalAccess, email: str, password: str = RECEIVER_PASSWORD) -> PortalUser:
    return PortalUser.objects.create(access=access_, email=email, password=make_password(password))


def portal_login(
    client: Client, company: Company, identifier: str, password: str = RECEIVER_PASSWORD, **extra
):
    return client.post(
        reverse("portal:login", args=[company.slug]),
        {"identifier": identifier, "password": password},
        **extra,
    )


def home(company: Company) -> str:
    return reverse("portal:home", args=[company.slug])

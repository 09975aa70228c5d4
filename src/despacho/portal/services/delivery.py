"""Sending an issued CFDI to its receiver by email: XML, PDF and the portal's address."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.models import Category, Cfdi, Direction
from despacho.people.models import User
from despacho.people.validators import normalize_email
from despacho.portal.models import PortalAccess


def deliverable(cfdi: Cfdi) -> bool:
    """Only what the portal serves is delivered: the company's issued ventas documents."""
    return cfdi.direction == Direction.EMITIDO and cfdi.category == Category.VENTAS


def delivery_default_email(cfdi: Cfdi) -> str:
    """The address on file for the receiver's portal access, if any."""
    access = PortalAccess.objects.filter(company_id=cfdi.company_id, rfc=cfdi.receptor_rfc).first()
    return access.email if access is not None else ""


def _address_checked(email: str) -> str:
    address = normalize_email(email or "")
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            {
                "email": ValidationError(
                    _("Correo electrónico: «%(email)s» no es un correo válido.") % {"email": email},
                    code="invalid_email",
                )
            }
        ) from None
    return address


@transaction.atomic
def cfdi_deliver_many(*, actor: User, cfdi: Cfdi, emails: Sequence[str]) -> list[str]:
    """Queue one email per address delivering the CFDI (XML + PDF + portal link), after
    the transaction commits; every address is checked first. Returns the addresses."""
    if not can(actor, cfdi.company, Perm.VENTAS):
        raise ValidationError(
            _("Enviar CFDI: necesitas el permiso Ventas en esta empresa."), code="permission"
        )
    if not deliverable(cfdi):
        raise ValidationError(
            _("Enviar CFDI: solo se envían los CFDI de ventas que emitió la empresa."),
            code="not_deliverable",
        )
    addresses = list(dict.fromkeys(_address_checked(email) for email in emails))
    if not addresses:
        raise ValidationError(
            {
                "email": ValidationError(
                    _("Correo electrónico: escribe al menos una dirección."), code="required"
                )
            }
        )
    from despacho.portal.tasks import cfdi_delivery_send

    for address in addresses:
        audit_record(
            actor=actor,
            action=Action.CFDI_DELIVERED,
            account=cfdi.company.account,
            company=cfdi.company,
            target=cfdi,
            after={"uuid": cfdi.uuid_text, "to": address},
        )
        transaction.on_commit(
            lambda address=address: cfdi_delivery_send.enqueue(cfdi.pk, address)  # type: ignore[misc]
        )
    return addresses


def cfdi_deliver(*, actor: User, cfdi: Cfdi, email: str) -> str:
    """Queue the email that delivers the CFDI (XML + PDF + portal link); returns the address."""
    return cfdi_deliver_many(actor=actor, cfdi=cfdi, emails=[email])[0]

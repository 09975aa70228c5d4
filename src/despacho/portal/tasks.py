"""Emails of the portal, sent as background tasks (django-tasks; in-process when embedded)."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from despacho.mail import email_send
from despacho.portal.models import LinkPurpose, PortalLink
from despacho.tokens import token_mint

logger = logging.getLogger(__name__)

_TEMPLATES = {
    LinkPurpose.SET_PASSWORD: "portal/email/access",
    LinkPurpose.LOGIN: "portal/email/login_link",
}
_ROUTES = {
    LinkPurpose.SET_PASSWORD: "portal:password",
    LinkPurpose.LOGIN: "portal:link_login",
}


@task()
def portal_link_send(link_id: int) -> bool:
    """Mint the link's token, store its hash, and email it. False if the link is closed or failed.

    A failure to deliver is kept on the link (``send_error``) so the issuer sees
    it next to the address.
    """
    token, digest = token_mint()
    now = timezone.now()
    with transaction.atomic():
        link = (
            PortalLink.objects.select_for_update(of=("self",))
            .select_related("access__company", "portal_user")
            .filter(pk=link_id, used_at=None, expires_at__gt=now)
            .first()
        )
        if link is None:
            return False
        link.token_hash = digest
        link.sent_at = now
        link.send_error = ""
        link.save(update_fields=["token_hash", "sent_at", "send_error"])
    company = link.access.company
    portal = company.portal_url
    try:
        email_send(
            to=link.email,
            template=_TEMPLATES[LinkPurpose(link.purpose)],
            context={
                "company": company,
                "access": link.access,
                "person": link.portal_user,
                "link": settings.SITE_URL
                + reverse(_ROUTES[LinkPurpose(link.purpose)], args=[company.slug, token]),
                "portal": portal,
                "expires_at": link.expires_at,
            },
        )
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("portal link %s to %s not sent: %s", link.pk, link.email, exc)
        PortalLink.objects.filter(pk=link.pk).update(
            sent_at=None, send_error=str(exc)[:300] or exc.__class__.__name__
        )
        return False
    return True


@task()
def portal_login_links_send(company_id: int, email: str) -> int:
    """Look the address up at the company's portal and mail a login link to each of its logins.

    The request that asked only queued this task, so it answered the same for any address.
    """
    from despacho.portal.services.receiver_actions import portal_login_links_create
    from despacho.tenancy.models import Company

    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return 0
    return portal_login_links_create(company=company, email=email)


@task()
def cfdi_delivery_send(cfdi_id: int, email: str) -> bool:
    """Email one issued CFDI: its original XML and its PDF attached, and the portal's address."""
    from despacho.cfdi.models import Cfdi
    from despacho.cfdi.pdf import cfdi_pdf
    from despacho.cfdi.selectors import cfdi_xml

    cfdi = Cfdi.objects.select_related("company").filter(pk=cfdi_id).first()
    if cfdi is None:
        return False
    company = cfdi.company
    name = cfdi.uuid_text
    email_send(
        to=email,
        template="portal/email/cfdi_delivery",
        context={
            "company": company,
            "cfdi": cfdi,
            "portal": settings.SITE_URL + reverse("portal:login", args=[company.slug]),
        },
        attachments=[
            (f"{name}.xml", cfdi_xml(cfdi), "application/xml"),
            (f"{name}.pdf", cfdi_pdf(cfdi), "application/pdf"),
        ],
    )
    return True

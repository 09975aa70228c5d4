"""What receivers do at the portal: log in, choose a password, ask for a login link, download.

Every login, failed login and download is a ``PortalEvent``. Failed logins
are limited per RFC (or email) and address, per address, and per RFC from
anywhere for new addresses (``portal.lockout``). A wrong RFC
and a wrong password get the same message and cost the same password hash,
so the portal does not tell which RFCs have an access.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from despacho.after_response import enqueue_after_response
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.models import Cfdi
from despacho.names import before_period
from despacho.people.validators import normalize_email, password_checked
from despacho.portal import lockout
from despacho.portal.identity import PortalIdentity
from despacho.portal.models import (
    EventKind,
    LinkPurpose,
    PortalAccess,
    PortalEvent,
    PortalLink,
    PortalUser,
)
from despacho.portal.services.accesses import portal_link_create
from despacho.security.lockout import minutes_left
from despacho.security.throttle import mail_request_allowed
from despacho.tenancy.models import Company
from despacho.tenancy.rfc import normalize_rfc
from despacho.tokens import token_hash


def event_record(
    *,
    company: Company,
    kind: EventKind,
    ip: str | None,
    access: PortalAccess | None = None,
    portal_user: PortalUser | None = None,
    identifier: str = "",
    detail: dict[str, Any] | None = None,
) -> PortalEvent:
    """Append one portal event (committed at once: a refusal that follows must not undo it)."""
    with transaction.atomic():
        return PortalEvent.objects.create(
            company=company,
            access=access,
            portal_user=portal_user,
            kind=kind,
            identifier=identifier[:254],
            detail=detail or {},
            ip=ip,
        )


@functools.cache
def _dummy_hash(hasher_key: str) -> str:
    return make_password(get_random_string(24))


def _burn_a_hash(password: str) -> None:
    """Spend what checking a real password costs, so unknown RFCs answer as slowly."""
    from django.conf import settings

    check_password(password, _dummy_hash(settings.PASSWORD_HASHERS[0]))


def _invalid_login() -> ValidationError:
    return ValidationError(
        _("RFC o contraseña incorrectos. Revisa ambos y vuelve a intentarlo."),
        code="invalid_login",
    )


def _locked_out(until: Any) -> ValidationError:
    local = timezone.localtime(until)
    return ValidationError(
        _(
            "Demasiados intentos fallidos. Por seguridad, la entrada está bloqueada "
            "%(minutes)d minutos más (hasta las %(time)s). Si olvidaste tu contraseña, "
            "pide a la empresa que te envíe el acceso por correo."
        )
        % {"minutes": minutes_left(until), "time": date_format(local, "H:i")},
        code="locked_out",
    )


def _match(company: Company, identifier: str, password: str) -> PortalIdentity | None:
    """The identity whose password this is (active or not), after exactly one hash check."""
    if "@" in identifier:
        email = normalize_email(identifier)
        people = list(
            PortalUser.objects.select_related("access__company")
            .filter(access__company=company, email=email)
            .exclude(password="")
        )
        if not people:
            _burn_a_hash(password)
            return None
        for person in people:
            if check_password(password, person.password):
                return PortalIdentity(person.access, person)
        return None
    rfc = normalize_rfc(identifier)
    access = PortalAccess.objects.select_related("company").filter(company=company, rfc=rfc).first()
    if access is None or not access.has_password:
        _burn_a_hash(password)
        return None
    if check_password(password, access.password):
        return PortalIdentity(access)
    return None


def _is_enabled(identity: PortalIdentity) -> bool:
    if not identity.access.is_active:
        return False
    return identity.portal_user is None or identity.portal_user.is_active


def _login_succeeded(identity: PortalIdentity, *, ip: str | None, how: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        PortalAccess.objects.filter(pk=identity.access.pk).update(last_login_at=now)
        if identity.portal_user is not None:
            PortalUser.objects.filter(pk=identity.portal_user.pk).update(last_login_at=now)
        event_record(
            company=identity.company,
            kind=EventKind.LOGIN,
            ip=ip,
            access=identity.access,
            portal_user=identity.portal_user,
            identifier=identity.label,
            detail={"how": how},
        )


def portal_login(
    *, company: Company, identifier: str, password: str, ip: str | None
) -> PortalIdentity:
    """Check an RFC (or a person's email) and password at the company's portal.

    Refuses with ``locked_out`` (saying for how long) while the lock-out policy
    refuses this RFC (or email) from this address, ``invalid_login`` for a wrong
    RFC or password alike, and ``access_disabled`` only to someone who gave the
    right password.
    """
    typed = (identifier or "").strip()
    attempt = lockout.attempt_for(company_id=company.pk, identifier=typed, ip=ip)
    until = lockout.locked_until(attempt)
    if until is not None:
        event_record(company=company, kind=EventKind.LOGIN_LOCKED, ip=ip, identifier=typed)
        raise _locked_out(until)
    identity = _match(company, typed, password or "") if typed else None
    if identity is None:
        lockout.failure_record(attempt)
        access = (
            PortalAccess.objects.filter(company=company, rfc=normalize_rfc(typed)).first()
            if typed and "@" not in typed
            else None
        )
        event_record(
            company=company, kind=EventKind.LOGIN_FAILED, ip=ip, access=access, identifier=typed
        )
        until = lockout.locked_until(attempt)
        raise _locked_out(until) if until is not None else _invalid_login()
    if not _is_enabled(identity):
        event_record(
            company=company,
            kind=EventKind.LOGIN_FAILED,
            ip=ip,
            access=identity.access,
            portal_user=identity.portal_user,
            identifier=typed,
            detail={"reason": "disabled"},
        )
        raise ValidationError(
            _("Tu acceso a este portal está deshabilitado. Comunícate con %(company)s.")
            % {"company": before_period(company.razon_social)},
            code="access_disabled",
        )
    lockout.success_record(attempt)
    _login_succeeded(identity, ip=ip, how="password")
    return identity


# ---------------------------------------------------------------- links


def _link_refused(code: str) -> ValidationError:
    messages = {
        "unknown_token": _(
            "Enlace: no es válido. Puede que se haya enviado uno más nuevo; usa el último "
            "correo que recibiste."
        ),
        "used": _("Enlace: ya se usó. Entra con tu RFC y contraseña, o pide otro enlace."),
        "expired": _("Enlace: venció. Pide a la empresa que te envíe el acceso de nuevo."),
        "access_disabled": _("Enlace: el acceso a este portal está deshabilitado."),
    }
    return ValidationError(messages[code], code=code)


def portal_link_for_token(*, company: Company, token: str, purpose: LinkPurpose) -> PortalLink:
    """The open link behind a token at this company's portal; ValidationError saying why not."""
    link = (
        PortalLink.objects.select_related("access__company", "portal_user")
        .filter(token_hash=token_hash(token or ""), purpose=purpose, access__company=company)
        .first()
    )
    if link is None or link.sent_at is None:
        raise _link_refused("unknown_token")
    if link.used_at is not None:
        raise _link_refused("used")
    if timezone.now() >= link.expires_at:
        raise _link_refused("expired")
    if not link.access.is_active or (link.portal_user and not link.portal_user.is_active):
        raise _link_refused("access_disabled")
    return link


def _link_consume(*, company: Company, token: str, purpose: LinkPurpose) -> PortalLink:
    found = portal_link_for_token(company=company, token=token, purpose=purpose)
    PortalLink.objects.select_for_update().filter(pk=found.pk).exists()
    link = portal_link_for_token(company=company, token=token, purpose=purpose)  # under the lock
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return link


@transaction.atomic
def portal_password_choose(
    *, company: Company, token: str, password: str, ip: str | None
) -> PortalIdentity:
    """The receiver (or one of its people) sets their password through an emailed link."""
    link = _link_consume(company=company, token=token, purpose=LinkPurpose.SET_PASSWORD)
    holder: PortalAccess | PortalUser = link.portal_user or link.access
    holder.password = make_password(password_checked(password or "", holder))
    holder.session_version += 1
    holder.save(update_fields=["password", "session_version"])
    identity = PortalIdentity(link.access, link.portal_user)
    event_record(
        company=company,
        kind=EventKind.PASSWORD_SET,
        ip=ip,
        access=link.access,
        portal_user=link.portal_user,
        identifier=link.email,
    )
    audit_record(
        actor=None,
        action=Action.PORTAL_ACCESS_PASSWORD_SET,
        account=company.account,
        company=company,
        target=holder,
        after={"rfc": link.access.rfc, "email": link.email, "by": "receiver"},
    )
    return identity


def portal_login_link_request(*, company: Company, email: str, ip: str | None) -> None:
    """Ask for a login link by email: the same work whether the address is registered or not.

    Counts the request (``security.throttle``: per address and per client
    address, within the hour) and, unless throttled, queues the task that looks
    the address up and mails the links, after the answer has gone out.
    """
    from despacho.portal.tasks import portal_login_links_send

    address = normalize_email(email or "")
    if not address:
        return
    if mail_request_allowed(scope=f"portal-link:{company.pk}", email=address, ip=ip):
        enqueue_after_response(portal_login_links_send, company_id=company.pk, email=address)


@transaction.atomic
def portal_login_links_create(*, company: Company, email: str) -> int:
    """Email a one-time login link to each enabled login registered with that address.

    Runs in the mail task, never in the request; returns how many links were queued.
    """
    address = normalize_email(email or "")
    if not address:
        return 0
    sent = 0
    accesses = PortalAccess.objects.filter(company=company, is_active=True, email=address)
    for access in accesses:
        portal_link_create(
            access=access,
            portal_user=None,
            purpose=LinkPurpose.LOGIN,
            email=address,
            created_by=None,
        )
        sent += 1
    people = PortalUser.objects.select_related("access").filter(
        access__company=company, access__is_active=True, is_active=True, email=address
    )
    for person in people:
        portal_link_create(
            access=person.access,
            portal_user=person,
            purpose=LinkPurpose.LOGIN,
            email=address,
            created_by=None,
        )
        sent += 1
    return sent


def portal_login_link_use(*, company: Company, token: str, ip: str | None) -> PortalIdentity:
    """Log in with a one-time link (it dies as it is used)."""
    with transaction.atomic():
        link = _link_consume(company=company, token=token, purpose=LinkPurpose.LOGIN)
    identity = PortalIdentity(link.access, link.portal_user)
    _login_succeeded(identity, ip=ip, how="link")
    return identity


# ---------------------------------------------------------------- downloads

_DOWNLOAD_KINDS = {
    "xml": EventKind.DOWNLOAD_XML,
    "pdf": EventKind.DOWNLOAD_PDF,
    "zip": EventKind.DOWNLOAD_ZIP,
}


def portal_download_record(
    *, identity: PortalIdentity, what: str, cfdis: Sequence[Cfdi], ip: str | None
) -> None:
    """Record a download (one event, the UUIDs in its detail) and the access's last download."""
    with transaction.atomic():
        PortalAccess.objects.filter(pk=identity.access.pk).update(last_download_at=timezone.now())
        event_record(
            company=identity.company,
            kind=_DOWNLOAD_KINDS[what],
            ip=ip,
            access=identity.access,
            portal_user=identity.portal_user,
            identifier=identity.label,
            detail={"uuids": [c.uuid_text for c in cfdis], "count": len(cfdis)},
        )

"""Writes of the download portal: accesses, their people, emailed links, and the issuer's edits.

The receiver's own actions (logging in, choosing a password, downloading) are
in ``portal.services.receiver_actions``; both record what they do.
"""

from __future__ import annotations

import re
import uuid as uuid_module
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.models import Category, Cfdi, Direction
from despacho.names import validate_name_characters
from despacho.people.models import User
from despacho.people.validators import normalize_email, password_checked
from despacho.portal.models import (
    LOGIN_LINK_VALIDITY,
    PORTAL_LINK_VALIDITY,
    LinkPurpose,
    Origin,
    PortalAccess,
    PortalLink,
    PortalUser,
)
from despacho.tenancy.models import Company
from despacho.tenancy.rfc import GENERIC_RFCS, normalize_rfc, validate_company_rfc
from despacho.textsearch import fold
from despacho.tokens import token_mint

# The shape the database accepts (portal_access_rfc_format); documents with
# anything else as receptor never get an automatic access.
RFC_SHAPE = re.compile(r"^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$")

# Letters and digits that cannot be mistaken for one another when read aloud or typed.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def field_error(field: str, message: str, code: str) -> ValidationError:
    """A refusal of one form field, with its code (forms show it next to the field)."""
    return ValidationError({field: ValidationError(message, code=code)})


def access_snapshot(access: PortalAccess) -> dict[str, Any]:
    """What the audit trail keeps of an access (never the password hash)."""
    return {
        "rfc": access.rfc,
        "name": access.name,
        "email": access.email,
        "origin": access.origin,
        "is_active": access.is_active,
        "has_password": access.has_password,
    }


def _audit(
    *,
    actor: User | None,
    action: Action,
    access: PortalAccess,
    target: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    company = access.company
    audit_record(
        actor=actor,
        action=action,
        account=company.account,
        company=company,
        target=target or access,
        before=before,
        after=after,
    )


def password_generate() -> str:
    """A random password of four groups of four characters (about 90 bits)."""
    raw = get_random_string(16, _PASSWORD_ALPHABET)
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _name_checked(value: str, *, max_length: int) -> str:
    try:
        validate_name_characters(value or "", field=_("Nombre"))
    except ValidationError as exc:
        raise ValidationError({"name": exc}) from exc
    return " ".join((value or "").split())[:max_length]


def _email_checked(value: str, *, required: bool) -> str:
    email = normalize_email(value or "")
    if not email:
        if required:
            raise field_error(
                "email", _("Correo: escribe la dirección a la que enviamos el acceso."), "no_email"
            )
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise field_error(
            "email",
            _("Correo: %(email)s no es una dirección válida.") % {"email": email},
            "invalid_email",
        ) from None
    return email


def receiver_rfc_checked(value: str) -> str:
    """A customer's RFC (persona física or moral, check digit) that may have an access."""
    rfc = normalize_rfc(value or "")
    if rfc in GENERIC_RFCS:
        raise field_error(
            "rfc",
            _(
                "RFC: %(rfc)s es genérico (público en general o extranjero); "
                "no puede tener acceso al portal."
            )
            % {"rfc": rfc},
            "generic_rfc",
        )
    try:
        return validate_company_rfc(rfc, field=_("RFC"))
    except ValidationError as exc:
        raise ValidationError({"rfc": exc.error_list}) from exc


# ---------------------------------------------------------------- creation


def portal_accesses_ensure(
    *,
    company: Company,
    receivers: Iterable[tuple[str, str]],
    emails: Mapping[str, str] | None = None,
    actor: User | None = None,
) -> int:
    """Create the missing automatic accesses for (RFC, name) receivers, in bulk.

    Runs inside the caller's transaction: the ingestion's (``portal_accesses_for_stored``
    when ``cfdi`` announces the rows it stored) or a customers import's, which also gives
    each RFC's email and its actor. Generic RFCs, the company's own RFC and malformed RFCs
    are skipped; an RFC that already has an access is left as it is.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("portal_accesses_ensure must run inside the caller's transaction")
    emails = emails or {}
    wanted: dict[str, str] = {}
    for rfc, name in receivers:
        rfc = normalize_rfc(rfc or "")
        if rfc in GENERIC_RFCS or rfc == company.rfc or not RFC_SHAPE.match(rfc):
            continue
        wanted[rfc] = name or wanted.get(rfc, "")
    if not wanted:
        return 0
    existing = set(
        PortalAccess.objects.filter(company=company, rfc__in=list(wanted)).values_list(
            "rfc", flat=True
        )
    )
    missing = sorted(set(wanted) - existing)
    if not missing:
        return 0
    accesses = [
        # bulk_create skips save(), which folds the name: fold it here.
        PortalAccess(
            company=company,
            rfc=rfc,
            name=wanted[rfc][:300],
            name_folded=fold(wanted[rfc][:300]),
            email=emails.get(rfc, ""),
            origin=Origin.AUTO,
        )
        for rfc in missing
    ]
    # A concurrent ingestion may create the same RFC: the unique constraint decides.
    PortalAccess.objects.bulk_create(accesses, ignore_conflicts=True)
    audit_record(
        actor=actor,
        action=Action.PORTAL_ACCESSES_AUTO_CREATED,
        account=company.account,
        company=company,
        after={"rfcs": missing, "count": len(missing)},
    )
    return len(missing)


def portal_accesses_for_stored(
    sender: object, *, company: Company, rows: Sequence[Cfdi], **kwargs: object
) -> None:
    """Receiver of ``cfdi.signals.cfdi_stored`` (connected in ``PortalConfig.ready``).

    The receivers of newly stored issued ventas CFDIs (what the portal serves) get an
    access, in the transaction that stored the rows.
    """
    portal_accesses_ensure(
        company=company,
        receivers=[
            (row.receptor_rfc, row.receptor_nombre)
            for row in rows
            if row.direction == Direction.EMITIDO and row.category == Category.VENTAS
        ],
    )


@dataclass(frozen=True)
class PasswordSet:
    """The result of setting a password: shown once to the issuer, then forgotten."""

    access: PortalAccess
    shown_password: str


@transaction.atomic
def portal_access_create(
    *,
    company: Company,
    actor: User,
    rfc: str,
    name: str = "",
    email: str = "",
    password: str = "",
    generate_password: bool = False,
    origin: Origin = Origin.MANUAL,
) -> PasswordSet:
    """Create an access by hand (or through the API); a chosen or generated password is optional."""
    clean_rfc = receiver_rfc_checked(rfc)
    clean_email = _email_checked(email, required=False)
    if PortalAccess.objects.filter(company=company, rfc=clean_rfc).exists():
        raise field_error(
            "rfc",
            _("RFC: %(rfc)s ya tiene acceso al portal de esta empresa.") % {"rfc": clean_rfc},
            "duplicate_rfc",
        )
    access = PortalAccess(
        company=company,
        rfc=clean_rfc,
        name=_name_checked(name, max_length=300),
        email=clean_email,
        origin=origin,
    )
    shown = password_generate() if generate_password else (password or "")
    if shown:
        access.password = make_password(password_checked(shown, access))
    access.save()
    _audit(
        actor=actor,
        action=Action.PORTAL_ACCESS_CREATED,
        access=access,
        after=access_snapshot(access),
    )
    return PasswordSet(access, shown)


@transaction.atomic
def portal_access_update(
    *, access: PortalAccess, actor: User, name: str, email: str
) -> PortalAccess:
    """Change the receiver's name and email on file."""
    access = (
        PortalAccess.objects.select_for_update()
        .select_related("company__account")
        .get(pk=access.pk)
    )
    before = access_snapshot(access)
    access.name = _name_checked(name, max_length=300)
    access.email = _email_checked(email, required=False)
    access.save(update_fields=["name", "email"])
    _audit(
        actor=actor,
        action=Action.PORTAL_ACCESS_UPDATED,
        access=access,
        before=before,
        after=access_snapshot(access),
    )
    return access


@transaction.atomic
def portal_access_set_password(
    *,
    access: PortalAccess,
    actor: User,
    rfc_confirmation: str,
    password: str = "",
    generate_password: bool = False,
) -> PasswordSet:
    """Set the access's password after the issuer retyped its RFC; its open sessions end."""
    access = (
        PortalAccess.objects.select_for_update()
        .select_related("company__account")
        .get(pk=access.pk)
    )
    if normalize_rfc(rfc_confirmation or "") != access.rfc:
        raise field_error(
            "rfc_confirmation",
            _("Confirmación: escribe el RFC del receptor (%(rfc)s) para cambiar su contraseña.")
            % {"rfc": access.rfc},
            "rfc_confirmation",
        )
    shown = password_generate() if generate_password else (password or "")
    if not shown:
        raise field_error(
            "password", _("Contraseña: escribe una o pide que se genere."), "required"
        )
    before = access_snapshot(access)
    access.password = make_password(password_checked(shown, access))
    access.session_version += 1
    access.save(update_fields=["password", "session_version"])
    _audit(
        actor=actor,
        action=Action.PORTAL_ACCESS_PASSWORD_SET,
        access=access,
        before=before,
        after={**access_snapshot(access), "generated": generate_password},
    )
    return PasswordSet(access, shown)


@transaction.atomic
def portal_access_set_active(*, access: PortalAccess, actor: User, active: bool) -> PortalAccess:
    """Disable (every session ends on its next request) or enable an access."""
    access = (
        PortalAccess.objects.select_for_update()
        .select_related("company__account")
        .get(pk=access.pk)
    )
    if access.is_active == active:
        return access
    before = access_snapshot(access)
    access.is_active = active
    access.session_version += 1
    access.save(update_fields=["is_active", "session_version"])
    _audit(
        actor=actor,
        action=Action.PORTAL_ACCESS_ENABLED if active else Action.PORTAL_ACCESS_DISABLED,
        access=access,
        before=before,
        after=access_snapshot(access),
    )
    return access


# ---------------------------------------------------------------- the receiver's people


def portal_user_snapshot(person: PortalUser) -> dict[str, Any]:
    return {
        "rfc": person.access.rfc,
        "email": person.email,
        "name": person.name,
        "is_active": person.is_active,
    }


@transaction.atomic
def portal_user_add(
    *, access: PortalAccess, actor: User, email: str, name: str = "", send: bool = True
) -> PortalUser:
    """Give one more person of the receiver their own login; by default email them the link."""
    clean_email = _email_checked(email, required=True)
    if PortalUser.objects.filter(access=access, email=clean_email).exists():
        raise field_error(
            "email",
            _("Correo: %(email)s ya tiene usuario en este acceso.") % {"email": clean_email},
            "duplicate_email",
        )
    person = PortalUser.objects.create(
        access=access, email=clean_email, name=_name_checked(name, max_length=150)
    )
    _audit(
        actor=actor,
        action=Action.PORTAL_USER_CREATED,
        access=access,
        target=person,
        after=portal_user_snapshot(person),
    )
    if send:
        portal_user_send(portal_user=person, actor=actor)
    return person


@transaction.atomic
def portal_user_set_active(*, portal_user: PortalUser, actor: User, active: bool) -> PortalUser:
    """Disable or enable one person's login; a disabled person's session ends at once."""
    person = (
        PortalUser.objects.select_for_update(of=("self",))
        .select_related("access__company__account")
        .get(pk=portal_user.pk)
    )
    if person.is_active == active:
        return person
    before = portal_user_snapshot(person)
    person.is_active = active
    person.session_version += 1
    person.save(update_fields=["is_active", "session_version"])
    _audit(
        actor=actor,
        action=Action.PORTAL_USER_ENABLED if active else Action.PORTAL_USER_DISABLED,
        access=person.access,
        target=person,
        before=before,
        after=portal_user_snapshot(person),
    )
    return person


# ---------------------------------------------------------------- emailed links


def portal_link_create(
    *,
    access: PortalAccess,
    portal_user: PortalUser | None,
    purpose: LinkPurpose,
    email: str,
    created_by: User | None,
    batch: uuid_module.UUID | None = None,
) -> PortalLink:
    """A link whose token nobody knows yet: the sending task mints it (see PortalLink)."""
    now = timezone.now()
    # One live link of each purpose per person: an older one dies now.
    PortalLink.objects.filter(
        access=access,
        portal_user=portal_user,
        purpose=purpose,
        used_at=None,
        expires_at__gt=now,
    ).update(expires_at=now)
    _unknown, placeholder = token_mint()
    validity = PORTAL_LINK_VALIDITY if purpose == LinkPurpose.SET_PASSWORD else LOGIN_LINK_VALIDITY
    link = PortalLink.objects.create(
        access=access,
        portal_user=portal_user,
        purpose=purpose,
        email=email,
        token_hash=placeholder,
        batch=batch,
        created_by=created_by,
        expires_at=now + validity,
    )
    from despacho.portal.tasks import portal_link_send

    link_id = link.pk
    transaction.on_commit(lambda: portal_link_send.enqueue(link_id=link_id))
    return link


def _refuse_disabled(access: PortalAccess) -> None:
    if not access.is_active:
        raise ValidationError(
            _("Acceso de %(rfc)s: está deshabilitado; habilítalo antes de enviarlo.")
            % {"rfc": access.rfc},
            code="access_disabled",
        )


@transaction.atomic
def portal_access_send(
    *,
    access: PortalAccess,
    actor: User,
    email: str = "",
    batch: uuid_module.UUID | None = None,
) -> PortalLink:
    """Email the receiver a link (72 h, single use) to choose their password.

    Goes to ``email`` when given (and becomes the address on file if there was
    none), otherwise to the address on file.
    """
    access = (
        PortalAccess.objects.select_for_update()
        .select_related("company__account")
        .get(pk=access.pk)
    )
    _refuse_disabled(access)
    if not (email or access.email):
        raise field_error(
            "email",
            _("Correo: %(rfc)s no tiene correo registrado; escribe uno.") % {"rfc": access.rfc},
            "no_email",
        )
    to = _email_checked(email or access.email, required=True)
    if not access.email:
        access.email = to
        access.save(update_fields=["email"])
    link = portal_link_create(
        access=access,
        portal_user=None,
        purpose=LinkPurpose.SET_PASSWORD,
        email=to,
        created_by=actor,
        batch=batch,
    )
    _audit(
        actor=actor,
        action=Action.PORTAL_ACCESS_SENT,
        access=access,
        after={"rfc": access.rfc, "email": to, "expires_at": link.expires_at},
    )
    return link


@dataclass(frozen=True)
class BulkSend:
    batch: uuid_module.UUID
    queued: list[PortalLink]
    skipped: list[tuple[PortalAccess, str]]  # (access, why), in Spanish


@transaction.atomic
def portal_access_send_many(
    *, company: Company, accesses: Iterable[PortalAccess], actor: User
) -> BulkSend:
    """Queue one email per selected access (as background tasks); say why any was skipped."""
    batch = uuid_module.uuid4()
    queued: list[PortalLink] = []
    skipped: list[tuple[PortalAccess, str]] = []
    for access in accesses:
        if access.company_id != company.pk:
            raise ValueError("every access must be the company's")
        try:
            with transaction.atomic():
                queued.append(portal_access_send(access=access, actor=actor, batch=batch))
        except ValidationError as exc:
            skipped.append((access, " ".join(exc.messages)))
    return BulkSend(batch, queued, skipped)


@transaction.atomic
def portal_user_send(*, portal_user: PortalUser, actor: User | None) -> PortalLink:
    """Email one person of the receiver a link to choose their own password."""
    person = PortalUser.objects.select_related("access__company__account").get(pk=portal_user.pk)
    _refuse_disabled(person.access)
    if not person.is_active:
        raise ValidationError(
            _("%(email)s: está deshabilitado; habilítalo antes de enviarle el acceso.")
            % {"email": person.email},
            code="user_disabled",
        )
    link = portal_link_create(
        access=person.access,
        portal_user=person,
        purpose=LinkPurpose.SET_PASSWORD,
        email=person.email,
        created_by=actor,
    )
    _audit(
        actor=actor,
        action=Action.PORTAL_ACCESS_SENT,
        access=person.access,
        target=person,
        after={"rfc": person.access.rfc, "email": person.email, "expires_at": link.expires_at},
    )
    return link

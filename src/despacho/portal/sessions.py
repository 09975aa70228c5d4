"""Portal sessions: a namespace of their own inside Django's session, never a staff login.

``request.session["portal"]`` maps a company id to who is logged in at that
company's portal and a fingerprint of their password hash and session
version. Receivers are never passed to ``django.contrib.auth.login``, so a
portal login grants nothing in the staff app, and a staff login has no entry
here, so it grants nothing in the portal. Every portal request reloads the
access and compares the fingerprint: a changed password, or a disabled
access or person, ends the session on its next request.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import rotate_token
from django.utils.crypto import constant_time_compare, salted_hmac

from despacho.portal.identity import PortalIdentity
from despacho.portal.models import PortalAccess, PortalUser
from despacho.tenancy.models import Company

SESSION_KEY = "portal"
_SALT = "despacho.portal.sessions"


def fingerprint(identity: PortalIdentity) -> str:
    access = identity.access
    parts = [access.password, str(access.session_version), str(access.is_active)]
    person = identity.portal_user
    if person is not None:
        parts += [person.password, str(person.session_version), str(person.is_active)]
    return salted_hmac(_SALT, "|".join(parts), algorithm="sha256").hexdigest()


def session_start(request: HttpRequest, identity: PortalIdentity) -> None:
    """Remember the receiver at this company's portal (a fresh session key, a fresh CSRF token)."""
    request.session.cycle_key()
    rotate_token(request)
    entries = dict(request.session.get(SESSION_KEY, {}))
    entries[str(identity.company.pk)] = {
        "access": identity.access.pk,
        "user": identity.portal_user.pk if identity.portal_user else None,
        "fingerprint": fingerprint(identity),
    }
    request.session[SESSION_KEY] = entries


def session_end(request: HttpRequest, company: Company) -> None:
    entries = dict(request.session.get(SESSION_KEY, {}))
    if entries.pop(str(company.pk), None) is not None:
        request.session[SESSION_KEY] = entries


def session_identity(request: HttpRequest, company: Company) -> PortalIdentity | None:
    """Who is logged in at this company's portal, checked against the database now."""
    entry = request.session.get(SESSION_KEY, {}).get(str(company.pk))
    if not entry:
        return None
    access = (
        PortalAccess.objects.select_related("company")
        .filter(pk=entry.get("access"), company=company, is_active=True)
        .first()
    )
    person = None
    if access is not None and entry.get("user"):
        person = PortalUser.objects.filter(pk=entry["user"], access=access, is_active=True).first()
        if person is None:
            access = None
    if access is None:
        session_end(request, company)
        return None
    identity = PortalIdentity(access, person)
    if not constant_time_compare(fingerprint(identity), entry.get("fingerprint", "")):
        session_end(request, company)
        return None
    return identity

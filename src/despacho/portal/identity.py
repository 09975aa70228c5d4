"""Who is logged in at a company's portal: the access, and the person if they have their own."""

from __future__ import annotations

from dataclasses import dataclass

from despacho.portal.models import (
    PortalAccess,
    PortalUser,
)
from despacho.tenancy.models import Company


@dataclass(frozen=True)
class PortalIdentity:
    """Who is logged in at a company's portal: the access, and the person if they have their own."""

    access: PortalAccess
    portal_user: PortalUser | None = None

    @property
    def company(self) -> Company:
        return self.access.company

    @property
    def label(self) -> str:
        return self.portal_user.email if self.portal_user else self.access.rfc

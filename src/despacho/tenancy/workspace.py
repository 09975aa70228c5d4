"""The session's workspace: the active company and the account it is reached through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from despacho.tenancy.models import Account, Company, Role
from despacho.tenancy.selectors import SwitcherEntry, switcher_entries

SESSION_KEY = "despacho_active_company"


@dataclass
class Workspace:
    """What the header shows and what pages act on."""

    entries: list[SwitcherEntry] = field(default_factory=list)
    active: SwitcherEntry | None = None

    @property
    def company(self) -> Company | None:
        return self.active.company if self.active else None

    @property
    def account(self) -> Account | None:
        return self.active.account if self.active else None

    @property
    def role(self) -> str | None:
        return self.active.role if self.active else None

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)

    @property
    def accounts(self) -> list[Account]:
        seen: dict[int, Account] = {}
        for entry in self.entries:
            seen.setdefault(entry.account.pk, entry.account)
        return list(seen.values())


def resolve_workspace(request: HttpRequest) -> Workspace:
    """Build the workspace; a company the user may no longer open is dropped at once."""
    user: Any = request.user
    if not user.is_authenticated:
        return Workspace()
    entries = switcher_entries(viewer=user)
    wanted = request.session.get(SESSION_KEY)
    active = next((e for e in entries if e.company.pk == wanted), None)
    if active is None and entries:
        # Start where the person works for themselves: a firm's own company before its clients.
        active = next((e for e in entries if not e.via_link), entries[0])
    if active is not None and wanted != active.company.pk:
        request.session[SESSION_KEY] = active.company.pk
    elif active is None and wanted is not None:
        del request.session[SESSION_KEY]
    return Workspace(entries=entries, active=active)


def switch_company(request: HttpRequest, company_id: int) -> SwitcherEntry | None:
    """Make the company active if the user may open it; None (and no change) otherwise."""
    user: Any = request.user
    entry = next((e for e in switcher_entries(viewer=user) if e.company.pk == company_id), None)
    if entry is not None:
        request.session[SESSION_KEY] = entry.company.pk
    return entry


def workspace_enter_account(request: HttpRequest, *, account_id: int) -> SwitcherEntry | None:
    """Make the first company of that account the active one (after joining it)."""
    user: Any = request.user
    entry = next((e for e in switcher_entries(viewer=user) if e.account.pk == account_id), None)
    if entry is not None:
        request.session[SESSION_KEY] = entry.company.pk
    return entry


def workspace_managed_account(request: HttpRequest) -> Account:
    """The account of the active company when the viewer owns or administers it; 403 otherwise."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    if workspace.account is None or not workspace.is_manager:
        raise PermissionDenied(
            _("Solo el propietario y los administradores de la cuenta pueden hacer esto.")
        )
    return workspace.account

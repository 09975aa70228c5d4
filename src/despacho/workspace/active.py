"""The session's workspace: the active company and the account it is reached through."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from despacho.access.decisions import may_manage
from despacho.people.models import User
from despacho.tenancy.models import Account, Company
from despacho.workspace.request import AppRequest
from despacho.workspace.selectors import SwitcherEntry, SwitcherPage, switcher_entry, switcher_page

SESSION_KEY = "despacho_active_company"


class Workspace:
    """What the header shows and what pages act on.

    The active company is resolved with one query; the switcher's list (one page of
    it, with the total) only when a template asks for it, so downloads, htmx fragments
    and the API never pay for the list.
    """

    def __init__(self, viewer: User | None = None, active: SwitcherEntry | None = None) -> None:
        self.viewer = viewer
        self.active = active

    @cached_property
    def _page(self) -> SwitcherPage:
        if self.viewer is None:
            return SwitcherPage(entries=[], total=0)
        return switcher_page(viewer=self.viewer)

    @property
    def entries(self) -> list[SwitcherEntry]:
        """The first entries of the switcher (``total`` says how many there are)."""
        return self._page.entries

    @property
    def total(self) -> int:
        return self._page.total

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
        """Whether the viewer manages the account the active company is reached through."""
        return may_manage(self.viewer, self.account)


def resolve_workspace(request: HttpRequest) -> Workspace:
    """Build the workspace; a company the user may no longer open is dropped at once."""
    user = request.user
    if not isinstance(user, User):  # nobody logged in
        return Workspace()
    wanted = request.session.get(SESSION_KEY)
    active = switcher_entry(viewer=user, prefer_company=wanted if isinstance(wanted, int) else None)
    if active is not None and wanted != active.company.pk:
        request.session[SESSION_KEY] = active.company.pk
    elif active is None and wanted is not None:
        del request.session[SESSION_KEY]
    return Workspace(viewer=user, active=active)


def switch_company(request: AppRequest, company_id: int) -> SwitcherEntry | None:
    """Make the company active if the user may open it; None (and no change) otherwise."""
    entry = switcher_entry(viewer=request.user, prefer_company=company_id, fallback=False)
    if entry is None:
        return None
    request.session[SESSION_KEY] = entry.company.pk
    return entry


def workspace_enter_account(request: AppRequest, *, account_id: int) -> SwitcherEntry | None:
    """Make the first company of that account the active one (after joining it)."""
    entry = switcher_entry(viewer=request.user, account_id=account_id)
    if entry is not None:
        request.session[SESSION_KEY] = entry.company.pk
    return entry

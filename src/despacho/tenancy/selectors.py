"""Reads of tenancy data, always scoped by the viewer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.access.decisions import (
    USER_CACHE_PREFIX,
    access_map,
    can_open,
    companies_granted_opening,
)
from despacho.access.models import Grant, Profile
from despacho.people.models import Invitation, InvitationKind, User
from despacho.tenancy.models import (
    Account,
    Company,
    CompanyLink,
    LinkStatus,
    Membership,
    MembershipStatus,
    Plan,
    Role,
)
from despacho.textsearch import fold


class CompanyNotFound(Exception):
    """The company does not exist or the viewer may not open it (indistinguishable)."""


def companies_visible(*, viewer: User) -> QuerySet[Company]:
    """Every company the viewer may open, through a role or a grant."""
    access = access_map(viewer)
    managed = list(access.managed_accounts)
    ids = [cid for cid, mask in access.company_masks.items() if mask]
    qs = Company.objects.filter(Q(account_id__in=managed) | Q(pk__in=ids))
    # Grants may hold a set without Ventas/Egresos only transiently; can_open decides.
    return qs.select_related("account").order_by("razon_social")


_Companies = TypeVar("_Companies", bound=QuerySet[Company])


def companies_matching(companies: _Companies, query: str) -> _Companies:
    """The companies whose razón social or RFC contains ``query``, ignoring case and accents.

    The one search rule for companies, in the pages and the API alike ("panaderia" finds
    "Panadería"): the folded query against the folded ``search_text``; blank matches all.
    """
    folded = fold(query.strip())
    return companies.filter(search_text__contains=folded) if folded else companies


def company_for(*, viewer: User, company_id: int | str) -> Company:
    """The company if the viewer may open it; CompanyNotFound otherwise, whichever the cause."""
    try:
        company = Company.objects.select_related("account").get(pk=int(company_id))
    except (Company.DoesNotExist, ValueError, TypeError):
        raise CompanyNotFound from None
    if not can_open(viewer, company):
        raise CompanyNotFound
    return company


@dataclass(frozen=True)
class SwitcherEntry:
    company: Company
    account: Account  # the group it is listed under: the viewer's firm for a client company
    role: str
    role_label: str
    via_link: bool


SWITCHER_LIMIT = 50  # entries the header lists; the search reaches the rest


@dataclass(frozen=True)
class _SwitcherScope:
    accounts: dict[int, Account]  # accounts the viewer is an active member of, in any role
    own_companies: list[int]  # the companies those accounts own
    rank: dict[int, int]  # account id → position of its group (by name)


_SCOPE_ATTR = USER_CACHE_PREFIX + "switcher_scope"


def _switcher_scope(viewer: User) -> _SwitcherScope:
    """One query per request (cached on the user object; ``forget`` drops it)."""
    scope = getattr(viewer, _SCOPE_ATTR, None)
    if scope is None:
        rows = Account.objects.filter(
            memberships__user=viewer, memberships__status=MembershipStatus.ACTIVE
        ).annotate(own_company_id=F("companies__id"))
        accounts: dict[int, Account] = {}
        own_companies = []
        for account in rows:
            accounts.setdefault(account.pk, account)
            if account.own_company_id is not None:
                own_companies.append(account.own_company_id)
        ordered = sorted(accounts.values(), key=lambda a: (a.name.lower(), a.name, a.pk))
        scope = _SwitcherScope(
            accounts=accounts,
            own_companies=own_companies,
            rank={account.pk: index for index, account in enumerate(ordered)},
        )
        setattr(viewer, _SCOPE_ATTR, scope)
    return scope


def switcher_companies(*, viewer: User, query: str = "") -> QuerySet[Company]:
    """Companies the viewer may open, in the switcher's order, filtered in the database.

    Every company is listed under one of the viewer's accounts: its own account, or
    the viewer's firm it is linked to (``via_firm_id``, from a join). A client company
    linked to two firms the viewer belongs to is listed under each. Groups go by the
    account's name, companies by folded name (``search_text``). Nothing is built per
    company in Python, so a firm with thousands of clients pays for the rows it shows.
    """
    if not viewer.is_active:
        return Company.objects.none()
    scope = _switcher_scope(viewer)
    managed = list(access_map(viewer).managed_accounts)
    # The access query's three ways in, as SQL: a firm's thousands of linked clients and
    # a member's thousands of grants are semi-joins, not thousands of parameters.
    linked = CompanyLink.objects.filter(status=LinkStatus.ACCEPTED, firm_id__in=managed)
    opened = (
        Q(account_id__in=managed)
        | Q(pk__in=linked.values("company_id"))
        | Q(pk__in=companies_granted_opening(viewer.pk))
    )
    qs = companies_matching(Company.objects.filter(opened), query)
    # A company of the viewer's own accounts is listed under its account, never via a link.
    via = FilteredRelation(
        "links",
        condition=Q(links__status=LinkStatus.ACCEPTED, links__firm_id__in=list(scope.accounts))
        & ~Q(links__company_id__in=scope.own_companies),
    )
    group_rank = Case(
        *[When(group_id=pk, then=Value(rank)) for pk, rank in scope.rank.items()],
        default=Value(len(scope.rank)),
        output_field=IntegerField(),
    )
    return (
        qs.annotate(via=via)
        .annotate(via_firm_id=F("via__firm_id"))
        .annotate(group_id=Coalesce(F("via_firm_id"), F("account_id")))
        .annotate(group_rank=group_rank)
        .select_related("account")
        .order_by("group_rank", "group_id", "search_text", "pk")
    )


def _entries(viewer: User, companies: Sequence[Company]) -> list[SwitcherEntry]:
    """Entries for rows of ``switcher_companies`` (their ``via_firm_id`` names the group)."""
    accounts = _switcher_scope(viewer).accounts
    make = _entry_maker(viewer)
    entries = []
    for company in companies:
        via_firm = accounts.get(company.via_firm_id or 0)  # type: ignore[attr-defined]
        group = via_firm or accounts.get(company.account_id, company.account)
        entries.append(make(company, group, via_firm is not None))
    return entries


def _entry_maker(viewer: User) -> Callable[[Company, Account, bool], SwitcherEntry]:
    """Builds entries with the viewer's role; role labels translated once, not per company."""
    access = access_map(viewer)
    labels = {role: str(label) for role, label in Role.choices}

    def make(company: Company, group: Account, via_link: bool) -> SwitcherEntry:
        role = access.role_for(company) or Role.MEMBER
        return SwitcherEntry(
            company=company,
            account=group,
            role=role,
            role_label=labels.get(role, role),
            via_link=via_link,
        )

    return make


# Most people open a handful of companies: up to this many, the switcher loads them all
# in one plain query and answers every question (active company, page, search) in
# memory, which costs less than compiling and planning the SQL path's query. Beyond it
# (a firm with thousands of clients) every question is answered by the database.
SWITCHER_IN_MEMORY_MAX = 100
_ALL_ATTR = USER_CACHE_PREFIX + "switcher_all"


def _all_in_memory(viewer: User) -> list[SwitcherEntry] | None:
    """Every entry, in the switcher's order, when there are few; None when there are many.

    The same companies, groups and order as ``switcher_companies`` (the switcher's tests
    run against both paths). Cached on the user object for the request.
    """
    if not hasattr(viewer, _ALL_ATTR):
        setattr(viewer, _ALL_ATTR, _load_in_memory(viewer))
    entries: list[SwitcherEntry] | None = getattr(viewer, _ALL_ATTR)
    return entries


def _load_in_memory(viewer: User) -> list[SwitcherEntry] | None:
    if not viewer.is_active:
        return []
    access = access_map(viewer)
    if len(access.company_masks) > SWITCHER_IN_MEMORY_MAX:
        return None
    # The companies of the viewer's own accounts (one query; the usual case ends here),
    # then those reached through a link or a grant on another account's company.
    own = list(
        Company.objects.filter(
            account__memberships__user=viewer,
            account__memberships__status=MembershipStatus.ACTIVE,
        ).select_related("account")[: SWITCHER_IN_MEMORY_MAX + 1]
    )
    if len(own) > SWITCHER_IN_MEMORY_MAX:
        return None
    own_ids = {c.pk for c in own}
    others = [pk for pk in access.company_masks if pk not in own_ids]
    clients = (
        list(Company.objects.filter(pk__in=others).select_related("account")) if others else []
    )
    firms_of: dict[int, list[Account]] = {}
    if clients:
        for link in CompanyLink.objects.filter(
            company_id__in=[c.pk for c in clients],
            status=LinkStatus.ACCEPTED,
            firm__memberships__user=viewer,
            firm__memberships__status=MembershipStatus.ACTIVE,
        ).select_related("firm"):
            firms_of.setdefault(link.company_id or 0, []).append(link.firm)
    make = _entry_maker(viewer)
    entries = [make(c, c.account, False) for c in own if can_open(viewer, c)]
    for company in clients:
        if can_open(viewer, company):
            entries += [make(company, firm, True) for firm in firms_of.get(company.pk, [])]
    # Groups by the account's name (as ``_switcher_scope`` ranks them), then folded name.
    entries.sort(
        key=lambda e: (
            e.account.name.lower(),
            e.account.name,
            e.account.pk,
            e.company.search_text,
            e.company.pk,
        )
    )
    return entries


@dataclass(frozen=True)
class SwitcherPage:
    entries: list[SwitcherEntry]
    total: int  # every company matching, of which ``entries`` are the first


def switcher_page(*, viewer: User, query: str = "", limit: int = SWITCHER_LIMIT) -> SwitcherPage:
    """The first ``limit`` switcher entries matching ``query`` and how many match in all."""
    entries = _all_in_memory(viewer)
    if entries is not None:
        folded = fold(query.strip())
        matches = [e for e in entries if folded in e.company.search_text]
        return SwitcherPage(entries=matches[:limit], total=len(matches))
    # The total comes with the page, counted by the same query (a window over every match).
    rows = switcher_companies(viewer=viewer, query=query).annotate(total=Window(Count("pk")))
    companies: list[Company] = list(rows[:limit])
    total = companies[0].total if companies else 0  # type: ignore[attr-defined]
    return SwitcherPage(entries=_entries(viewer, companies), total=total)


def switcher_entries(*, viewer: User, query: str = "") -> list[SwitcherEntry]:
    """Every switcher entry matching ``query`` (pages use ``switcher_page``)."""
    return switcher_page(viewer=viewer, query=query, limit=2**31).entries


def switcher_entry(
    *,
    viewer: User,
    prefer_company: int | None = None,
    account_id: int | None = None,
    fallback: bool = True,
) -> SwitcherEntry | None:
    """The company ``prefer_company`` when the viewer may open it; otherwise (unless
    ``fallback`` is off) where the person works for themselves (a firm's own company
    before its clients) in the switcher's order; only entries listed under
    ``account_id`` if given. Many companies: one indexed query (two for the fallback)."""
    entries = _all_in_memory(viewer)
    if entries is not None:
        if account_id is not None:
            entries = [e for e in entries if e.account.pk == account_id]
        preferred = next((e for e in entries if e.company.pk == prefer_company), None)
        if preferred is not None or not fallback:
            return preferred
        return next((e for e in entries if not e.via_link), entries[0] if entries else None)
    qs = switcher_companies(viewer=viewer)
    if account_id is not None:
        qs = qs.filter(
            Q(via_firm_id=account_id) | Q(via_firm_id__isnull=True, account_id=account_id)
        )
    company = qs.filter(pk=prefer_company).first() if prefer_company else None
    if company is None and fallback:
        company = qs.order_by(F("via_firm_id").asc(nulls_first=True), *qs.query.order_by).first()
    return _entries(viewer, [company])[0] if company is not None else None


def memberships_of(*, user: User) -> QuerySet[Membership]:
    """The user's memberships that let them in (active, in active accounts)."""
    return Membership.objects.filter(
        user=user, status=MembershipStatus.ACTIVE, account__is_active=True
    ).select_related("account")


def deactivated_memberships_of(*, user: User) -> QuerySet[Membership]:
    """The user's deactivated memberships, newest first: why someone may see no company."""
    return (
        Membership.objects.filter(user=user, status=MembershipStatus.DEACTIVATED)
        .select_related("account")
        .order_by("-deactivated_at", "-pk")
    )


def membership_count(*, user: User) -> int:
    """How many active memberships the user holds (one query on the (user, status) index)."""
    return Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).count()


def managed_account(*, viewer: User, account_id: int) -> Account | None:
    """The account if the viewer is its owner or an admin; None otherwise."""
    role = access_map(viewer).managed_accounts.get(account_id)
    if role is None:
        return None
    return Account.objects.filter(pk=account_id).first()


class MemberNotFound(Exception):
    """The membership or invitation does not exist or is in another account (indistinguishable)."""


@dataclass(frozen=True)
class MemberFilters:
    status: str = ""
    company_id: int | None = None
    profile_id: int | None = None


def member_for(*, account: Account, membership_id: int | str) -> Membership:
    """A membership of the account (the caller checked the viewer manages it); else not found."""
    try:
        return Membership.objects.select_related("user", "account").get(
            pk=int(membership_id), account=account
        )
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise MemberNotFound from None


def members_list(*, account: Account, filters: MemberFilters) -> QuerySet[Membership]:
    """The account's people with their grants, owner first, filtered by status/company/profile."""
    qs = Membership.objects.filter(account=account)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.company_id:
        qs = qs.filter(grants__company_id=filters.company_id)
    if filters.profile_id:
        qs = qs.filter(grants__profile_id=filters.profile_id)
    rank = Case(
        When(role=Role.OWNER, then=Value(0)),
        When(role=Role.ADMIN, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    grants = Grant.objects.select_related("company", "profile").order_by("company__razon_social")
    return (
        qs.distinct()
        .select_related("user")
        .prefetch_related(Prefetch("grants", queryset=grants))
        .annotate(rank=rank)
        .order_by("rank", "user__full_name", "pk")
    )


def account_companies(*, account: Account) -> QuerySet[Company]:
    """Companies the account's members can be granted: its own and those linked to it."""
    linked = CompanyLink.objects.filter(firm=account, status=LinkStatus.ACCEPTED).values(
        "company_id"
    )
    return Company.objects.filter(Q(account=account) | Q(pk__in=linked)).order_by("razon_social")


def account_profiles(*, account: Account) -> QuerySet[Profile]:
    """Profiles the account can use: the system presets and its own."""
    return Profile.objects.filter(Q(account__isnull=True) | Q(account=account)).order_by(
        "account_id", "name"
    )


def member_invitations(*, account: Account, status: str = "") -> QuerySet[Invitation]:
    """The account's member invitations, newest first, every status or only ``status``."""
    qs = Invitation.objects.filter(account=account, kind=InvitationKind.MEMBER).select_related(
        "membership__user", "invited_by"
    )
    if status:
        qs = qs.filter(Invitation.status_q(status, timezone.now()))
    return qs


def invitation_for(*, account: Account, invitation_id: int | str) -> Invitation:
    """A member invitation of the account; MemberNotFound otherwise."""
    try:
        return member_invitations(account=account).get(pk=int(invitation_id))
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise MemberNotFound from None


def managed_accounts_of(*, viewer: User) -> list[Account]:
    """Accounts the viewer owns or administers (active), by name."""
    ids = list(access_map(viewer).managed_accounts)
    return list(Account.objects.filter(pk__in=ids).order_by("name"))


# The "Empresas" workspace ------------------------------------------------------------

OWN = "own"  # status filter value for the firm's own companies (no link)
WORKSPACE_SORTS: dict[str, tuple[str, ...]] = {
    "razon_social": ("razon_social", "pk"),
    "-razon_social": ("-razon_social", "-pk"),
    "rfc": ("rfc",),
    "-rfc": ("-rfc",),
    "estado": ("link_status", "razon_social", "pk"),
    "-estado": ("-link_status", "razon_social", "pk"),
    "alta": ("-created_at", "-pk"),
}


@dataclass(frozen=True)
class WorkspaceFilters:
    q: str = ""
    status: str = ""
    sort: str = "razon_social"


def workspace_companies(
    *, viewer: User, account: Account, filters: WorkspaceFilters
) -> QuerySet[Company]:
    """Companies the account manages, as the viewer may see them, filtered in the database.

    Owners and admins see every company of the account and every company it has a link
    with (each with the status of its latest link, expiry derived); members see the
    companies they hold a grant on that are still the account's or linked to it.
    """
    now = timezone.now()
    qs = companies_matching(Company.objects.all(), filters.q)
    qs = qs.annotate(
        # A company the firm invited shows up only once its owner accepted (an invitation
        # never tells the firm whom an RFC or email belongs to): see firm_invitations.
        firm_link=FilteredRelation(
            "links",
            condition=Q(
                links__firm=account,
                links__is_latest=True,
                links__status__in=[LinkStatus.ACCEPTED, LinkStatus.REVOKED],
            ),
        )
    ).filter(Q(account=account) | Q(firm_link__isnull=False))
    if account.pk not in access_map(viewer).managed_accounts:
        granted = Grant.objects.filter(
            membership__user=viewer,
            membership__account=account,
            membership__status=MembershipStatus.ACTIVE,
        ).values("company_id")
        qs = qs.filter(pk__in=granted).filter(
            Q(account=account) | Q(firm_link__status=LinkStatus.ACCEPTED)
        )
    qs = qs.annotate(
        link_id=F("firm_link__id"),
        link_status=Case(
            When(
                firm_link__status=LinkStatus.PENDING,
                firm_link__expires_at__lte=now,
                then=Value(LinkStatus.EXPIRED),
            ),
            default=F("firm_link__status"),
            output_field=CharField(),
        ),
    )
    if filters.status == OWN:
        qs = qs.filter(account=account)
    elif filters.status:
        qs = qs.filter(link_status=filters.status).exclude(account=account)
    order = WORKSPACE_SORTS.get(filters.sort, WORKSPACE_SORTS["razon_social"])
    return qs.select_related("account").order_by(*order)


@dataclass(frozen=True)
class WorkspaceRow:
    company: Company
    own: bool
    link: CompanyLink | None
    status: str  # "own" or a LinkStatus value (expiry derived)
    status_label: str
    owner: User | None
    members: list[User]
    can_open: bool


def workspace_rows(
    *, viewer: User, account: Account, companies: list[Company]
) -> list[WorkspaceRow]:
    """One page of the workspace with its links, owners and members: three queries, any size."""
    ids = [c.pk for c in companies]
    link_ids = [c.link_id for c in companies if getattr(c, "link_id", None)]  # type: ignore[attr-defined]
    links = CompanyLink.objects.in_bulk(link_ids) if link_ids else {}
    owners = {
        m.account_id: m.user
        for m in Membership.objects.filter(
            account_id__in={c.account_id for c in companies}, role=Role.OWNER
        ).select_related("user")
    }
    members: dict[int, list[User]] = {}
    for grant in (
        Grant.objects.filter(
            company_id__in=ids,
            membership__account=account,
            membership__status=MembershipStatus.ACTIVE,
        )
        .select_related("membership__user")
        .order_by("membership__user__full_name")
    ):
        members.setdefault(grant.company_id, []).append(grant.membership.user)
    labels = dict(LinkStatus.choices)
    rows = []
    for company in companies:
        own = company.account_id == account.pk
        status = OWN if own else (company.link_status or LinkStatus.PENDING)  # type: ignore[attr-defined]
        rows.append(
            WorkspaceRow(
                company=company,
                own=own,
                link=None if own else links.get(company.link_id),  # type: ignore[attr-defined]
                status=status,
                status_label=str(_("Propia")) if own else str(labels.get(status, status)),
                owner=owners.get(company.account_id),
                members=members.get(company.pk, []) if own or status == LinkStatus.ACCEPTED else [],
                can_open=can_open(viewer, company),
            )
        )
    return rows


def account_is_firm(*, account: Account) -> bool:
    """Does the account work as an accounting firm: on the firm plan, or managing client links.

    A client company's own account (the plan its firm gave it, any links only on the company
    side) is not one, so the firm's actions (link, create clients, import) are not offered to it.
    """
    if account.plan == Plan.DESPACHO:
        return True
    return CompanyLink.objects.filter(firm=account).exists()


def firm_invitations(*, account: Account) -> QuerySet[CompanyLink]:
    """The firm's invitations nobody accepted yet, newest first, as the firm sees them: what
    it typed and the firm-side status (``CompanyLink.firm_status``), never the company."""
    return (
        CompanyLink.objects.filter(firm=account)
        .exclude(status__in=[LinkStatus.ACCEPTED, LinkStatus.REVOKED, LinkStatus.WITHDRAWN])
        .select_related("invited_by")
        .order_by("-invited_at", "-pk")
    )


def link_notices(*, viewer: User) -> QuerySet[CompanyLink]:
    """Pending link invitations the viewer must answer (as owner of the company's account)."""
    owned = Membership.objects.filter(
        user=viewer, role=Role.OWNER, status=MembershipStatus.ACTIVE
    ).values("account_id")
    return (
        CompanyLink.objects.filter(
            status=LinkStatus.PENDING,
            expires_at__gt=timezone.now(),
            company__account_id__in=owned,
        )
        .select_related("firm", "company", "invited_by")
        .order_by("-invited_at")
    )


class LinkNotFound(Exception):
    """The link does not exist or the viewer has nothing to do with it (indistinguishable)."""


def firm_link_for(*, account: Account, link_id: int | str) -> CompanyLink:
    """A link of the firm (the caller checked the viewer manages it)."""
    try:
        return CompanyLink.objects.select_related("firm", "company__account").get(
            pk=int(link_id), firm=account
        )
    except (CompanyLink.DoesNotExist, ValueError, TypeError):
        raise LinkNotFound from None


def company_side_link_for(*, viewer: User, link_id: int | str) -> CompanyLink:
    """A link to a company whose account the viewer owns or administers."""
    managed = list(access_map(viewer).managed_accounts)
    try:
        return CompanyLink.objects.select_related("firm", "company__account").get(
            pk=int(link_id), company__account_id__in=managed
        )
    except (CompanyLink.DoesNotExist, ValueError, TypeError):
        raise LinkNotFound from None


def company_links(*, viewer: User, company_id: int | str) -> tuple[Company, QuerySet[CompanyLink]]:
    """The firms linked to one of the viewer's own companies (owner/admin of its account)."""
    managed = list(access_map(viewer).managed_accounts)
    try:
        company = Company.objects.select_related("account").get(
            pk=int(company_id), account_id__in=managed
        )
    except (Company.DoesNotExist, ValueError, TypeError):
        raise CompanyNotFound from None
    links = (
        CompanyLink.objects.filter(company=company)
        .select_related("firm", "invited_by", "responded_by", "revoked_by")
        .order_by("-invited_at", "-pk")
    )
    return company, links


# Links as one account sees them (the API: a key acts for exactly one account) -------------


def link_status_q(status: str, moment: datetime) -> Q:
    """The filter for links whose ``status_at(moment)`` is ``status`` (the same rule)."""
    stale = Q(status=LinkStatus.PENDING, expires_at__lte=moment)
    if status == LinkStatus.EXPIRED:
        return Q(status=LinkStatus.EXPIRED) | stale
    if status == LinkStatus.PENDING:
        return Q(status=LinkStatus.PENDING) & ~stale
    return Q(status=LinkStatus(status))


def firm_link_status_q(status: str, moment: datetime) -> Q:
    """The filter for links whose ``firm_status_at(moment)`` is ``status``: until accepted,
    pending or expired by the date alone (the firm never learns of a decline)."""
    if status in (LinkStatus.ACCEPTED, LinkStatus.REVOKED, LinkStatus.WITHDRAWN):
        return Q(status=LinkStatus(status))
    unanswered = Q(status__in=[LinkStatus.PENDING, LinkStatus.DECLINED, LinkStatus.EXPIRED])
    if status == LinkStatus.PENDING:
        return unanswered & Q(expires_at__gt=moment)
    if status == LinkStatus.EXPIRED:
        return unanswered & Q(expires_at__lte=moment)
    return Q(pk__in=[])


def account_links(*, account: Account, side: str = "", status: str = "") -> QuerySet[CompanyLink]:
    """Links the account is a side of: as the firm (``side="firm"``), as the owner of the
    company (``side="company"``), or both; optionally of one status (expiry derived; on the
    firm's side, the status the firm sees)."""
    now = timezone.now()
    firm = Q(firm=account)
    company = Q(company__account=account)
    if status:
        firm &= firm_link_status_q(status, now)
        company &= link_status_q(status, now)
    sides = {"firm": firm, "company": company}
    condition = sides[side] if side else sides["firm"] | sides["company"]
    qs = CompanyLink.objects.filter(condition)
    return qs.select_related("firm", "company__account", "invited_by", "responded_by", "revoked_by")


def account_link_for(*, account: Account, link_id: int | str, side: str = "") -> CompanyLink:
    """One link the account is a side of (only as ``side`` when given); LinkNotFound otherwise."""
    try:
        return account_links(account=account, side=side).get(pk=int(link_id))
    except (CompanyLink.DoesNotExist, ValueError, TypeError):
        raise LinkNotFound from None


def company_links_seen_by(
    *, account: Account, company_id: int | str
) -> tuple[Company, QuerySet[CompanyLink]]:
    """A company's links as the account sees them: every firm's, if the company is the
    account's; the account's own invitations to it, if the account is a firm that invited it.
    CompanyNotFound when the account has nothing to do with the company."""
    links = account_links(account=account)
    try:
        company = Company.objects.select_related("account").get(pk=int(company_id))
    except (Company.DoesNotExist, ValueError, TypeError):
        raise CompanyNotFound from None
    links = links.filter(company=company)
    if company.account_id != account.pk:
        # As the firm: only links the company's owner accepted name the company.
        links = links.filter(status__in=[LinkStatus.ACCEPTED, LinkStatus.REVOKED])
    if company.account_id != account.pk and not links.exists():
        raise CompanyNotFound
    return company, links

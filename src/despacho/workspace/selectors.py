"""Reads for the header's company switcher, scoped by the viewer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce

from despacho.access.decisions import (
    USER_CACHE_PREFIX,
    access_map,
    can_open,
    companies_granted_opening,
)
from despacho.access.selectors import companies_matching
from despacho.people.models import User
from despacho.tenancy.models import (
    Account,
    Company,
    CompanyLink,
    LinkStatus,
    MembershipStatus,
    Role,
)
from despacho.textsearch import fold


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

"""Reads of a firm's Empresas workspace and of company links, scoped by the viewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Case,
    CharField,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.access.decisions import (
    access_map,
    can_open,
)
from despacho.access.models import Grant
from despacho.access.selectors import CompanyNotFound, companies_matching
from despacho.errors import NotFound
from despacho.firms.columns import Cell, workspace_cells
from despacho.people.models import User
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
    cells: list[Cell] = field(default_factory=list)  # the columns apps above register


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
    cells = workspace_cells(viewer, companies)
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
                cells=cells.get(company.pk, []),
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


class LinkNotFound(NotFound):
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

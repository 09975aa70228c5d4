"""Pages of the workspace: the home page and the company switcher."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from despacho.access.decisions import permissions_on
from despacho.names import before_period
from despacho.tenancy.selectors import deactivated_memberships_of, membership_count
from despacho.workspace.active import switch_company
from despacho.workspace.middleware import workspace_of
from despacho.workspace.notices import home_notices
from despacho.workspace.request import AppRequest
from despacho.workspace.selectors import switcher_page


@login_required
def home(request: AppRequest) -> HttpResponse:
    workspace = workspace_of(request)
    perms = permissions_on(request.user, workspace.company) if workspace.company else frozenset()
    context: dict[str, object] = {
        "perms": sorted(perms, key=lambda p: p.bit),
        "notice_blocks": home_notices(request.user),
    }
    if workspace.company is None:
        # Without a company, say why: a deactivated access is not solved by asking for a grant.
        context["deactivated"] = list(deactivated_memberships_of(user=request.user))
        context["has_active_membership"] = membership_count(user=request.user) > 0
    return render(request, "workspace/home.html", context)


@login_required
@require_POST
def switch_company_view(request: AppRequest) -> HttpResponse:
    try:
        company_id = int(request.POST.get("company", ""))
    except ValueError:
        company_id = 0
    entry = switch_company(request, company_id)
    if entry is None:
        messages.error(request, _("No tienes acceso a esa empresa."))
    else:
        messages.success(
            request,
            _("Ahora trabajas en %(company)s.")
            % {"company": before_period(entry.company.razon_social)},
        )
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response: HttpResponse = redirect(target)
    if request.htmx:
        # The whole page depends on the active company: let htmx reload it.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
    return response


@login_required
@require_GET
def switcher_search(request: AppRequest) -> HttpResponse:
    """The switcher's list, filtered by name or RFC (htmx fragment)."""
    page = switcher_page(viewer=request.user, query=request.GET.get("q", ""))
    # A firm may manage thousands of companies: the list shows the first 50 matches.
    return render(
        request,
        "workspace/_switcher_list.html",
        {
            "entries": page.entries,
            "total": page.total,
            "shown": len(page.entries),
            "next": request.GET.get("next", "/"),
        },
    )


@never_cache
@login_required
@require_GET
def session_check(request: AppRequest) -> JsonResponse:
    """The cheapest authenticated answer: the session's email and its active memberships.

    The floor under every page (session, middleware, one indexed query), which
    bench/load.py measures next to the CFDI list; it shows only the caller's own data.
    """
    return JsonResponse(
        {"email": request.user.email, "memberships": membership_count(user=request.user)}
    )

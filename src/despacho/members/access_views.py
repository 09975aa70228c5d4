"""Pages for owners and admins: profiles, the permissions window, and "why can't they?".

Views parse, call one service or selector, and render; htmx asks for fragments
(``request.htmx``) to validate toggles as they are clicked. Every refusal comes from
the services, unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from despacho.access import selectors, services
from despacho.access.catalog import AT_LEAST_ONE_CODE, Perm, PermSet, RuleViolation, violations
from despacho.access.decisions import explain
from despacho.access.guards import manager_account
from despacho.access.models import Profile
from despacho.forms import form_errors_from
from despacho.members.access_forms import (
    GrantForm,
    ProfileDeleteForm,
    ProfileForm,
    WhyForm,
)
from despacho.members.selectors import member_for
from despacho.names import before_period
from despacho.tenancy.models import Account, Company, Membership, Role
from despacho.tenancy.selectors import account_companies
from despacho.workspace.request import AppRequest

DEFAULT_PROFILE_CODE = "consulta"


@dataclass(frozen=True)
class Toggle:
    """One switch of the permissions window."""

    perm: Perm
    checked: bool
    origin: str  # "profile" | "added" | "removed" | ""
    broken: bool


@dataclass(frozen=True)
class Fix:
    """A rule a set breaks, with the permissions that switching off or on would satisfy it."""

    violation: RuleViolation
    drop: Perm | None
    add: Perm | None = None


def _toggles(checked: PermSet, profile_perms: PermSet | None) -> tuple[list[Toggle], list[Fix]]:
    found = violations(checked)
    broken = {perm for v in found for perm in v.perms}
    rows = []
    for perm in Perm:
        origin = ""
        if profile_perms is not None:
            if perm in checked and perm not in profile_perms:
                origin = "added"
            elif perm not in checked and perm in profile_perms:
                origin = "removed"
            elif perm in checked:
                origin = "profile"
        rows.append(Toggle(perm, perm in checked, origin, perm in broken and perm in checked))
    fixes = []
    offered: set[Perm] = set()  # Facturar and Cancelar both need Ventas: one "Activar Ventas"
    for v in found:
        if v.code == AT_LEAST_ONE_CODE:
            fixes.append(Fix(v, None))
            continue
        dependent, required = v.perms
        fixes.append(Fix(v, dependent, required if required not in offered else None))
        offered.add(required)
    return rows, fixes


FIX_BUTTONS = ("drop", "add")


def _is_fix(data: Mapping[str, Any]) -> bool:
    """Was a "switch this off too" / "switch that on" button pressed (not Save)?"""
    return any(name in data for name in FIX_BUTTONS)


def _dropped(data: Mapping[str, Any], checked: PermSet) -> PermSet:
    """Apply the "switch this off too" or "switch that on" button, if one was pressed."""
    try:
        if drop := data.get("drop"):
            return checked - {Perm(str(drop))}
        if add := data.get("add"):
            return checked | {Perm(str(add))}
    except ValueError:
        pass
    return checked


# --- the permissions window -------------------------------------------------


def _grant_target(request: AppRequest, membership_id: int, company_id: int):
    account = manager_account(request)
    try:
        membership = member_for(account=account, membership_id=membership_id)
        company = selectors.company_of(account=account, company_id=company_id)
    except selectors.NotFound:
        raise Http404 from None
    if membership.user_id == request.user.pk:
        raise PermissionDenied(_("No puedes cambiar tus propios permisos."))
    if membership.role == Role.OWNER:
        raise PermissionDenied(_("El propietario tiene todos los permisos; no se editan."))
    return account, membership, company


def _grant_context(
    *,
    account: Account,
    membership: Membership,
    company: Company,
    form: GrantForm,
    profile: Profile,
    checked: PermSet,
) -> dict[str, object]:
    toggles, fixes = _toggles(checked, profile.perms)
    args = [membership.pk, company.pk]
    return {
        "account": account,
        "membership": membership,
        "company": company,
        "form": form,
        "profile": profile,
        "toggles": toggles,
        "fixes": fixes,
        "grant": selectors.grant_of(membership=membership, company=company),
        "save_url": reverse("access:grant", args=args),
        "validate_url": reverse("access:grant_validate", args=args),
        "is_admin": membership.role == Role.ADMIN,
    }


def _posted_grant(
    request: AppRequest, account: Account
) -> tuple[GrantForm, Profile | None, PermSet]:
    form = GrantForm(request.POST, profiles=selectors.profiles_for(account=account))
    if not form.is_valid():
        return form, None, frozenset()
    profile: Profile = form.cleaned_data["profile"]
    checked: PermSet = form.cleaned_data["perms"]
    if request.POST.get("previous_profile") not in (None, str(profile.pk)):
        checked = profile.perms  # a new profile was chosen: start from its set
    return form, profile, _dropped(request.POST, checked)


@login_required
@require_http_methods(["GET", "POST"])
def grant_window(request: AppRequest, membership_id: int, company_id: int) -> HttpResponse:
    account, membership, company = _grant_target(request, membership_id, company_id)
    profiles = selectors.profiles_for(account=account)
    if request.method == "POST":
        form, profile, checked = _posted_grant(request, account)
        if profile is not None and not _is_fix(request.POST):
            try:
                services.grant_set(
                    actor=request.user,
                    membership=membership,
                    company=company,
                    profile=profile,
                    add=checked - profile.perms,
                    remove=profile.perms - checked,
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(
                    request,
                    _("Permisos de %(user)s en %(company)s guardados.")
                    % {"user": membership.user.full_name, "company": company.razon_social},
                )
                return redirect("access:grant", membership.pk, company.pk)
        if profile is None:
            profile = profiles.get(account__isnull=True, code=DEFAULT_PROFILE_CODE)
            checked = profile.perms
        status = 200 if _is_fix(request.POST) else 400
    else:
        grant = selectors.grant_of(membership=membership, company=company)
        profile = grant.profile if grant else profiles.get(code=DEFAULT_PROFILE_CODE)
        checked = grant.perms if grant else profile.perms
        form = GrantForm(initial={"profile": profile.pk}, profiles=profiles)
        status = 200
    context = _grant_context(
        account=account,
        membership=membership,
        company=company,
        form=form,
        profile=profile,
        checked=checked,
    )
    return render(request, "members/access/grant_window.html", context, status=status)


@login_required
@require_POST
def grant_validate(request: AppRequest, membership_id: int, company_id: int) -> HttpResponse:
    """The window's body re-rendered for the clicked toggles (htmx); saves nothing."""
    account, membership, company = _grant_target(request, membership_id, company_id)
    form, profile, checked = _posted_grant(request, account)
    if profile is None:
        profile = selectors.profiles_for(account=account).get(code=DEFAULT_PROFILE_CODE)
    context = _grant_context(
        account=account,
        membership=membership,
        company=company,
        form=form,
        profile=profile,
        checked=checked,
    )
    return render(request, "members/access/_grant_body.html", context)


@login_required
@require_POST
def grant_remove(request: AppRequest, membership_id: int, company_id: int) -> HttpResponse:
    _account, membership, company = _grant_target(request, membership_id, company_id)
    grant = selectors.grant_of(membership=membership, company=company)
    if grant is not None:
        grant.membership = membership
        services.grant_delete(actor=request.user, grant=grant)
        messages.success(
            request,
            _("%(user)s ya no tiene acceso a %(company)s.")
            % {"user": membership.user.full_name, "company": before_period(company.razon_social)},
        )
    return redirect("access:overview")


@login_required
@require_GET
def overview(request: AppRequest) -> HttpResponse:
    """Every member's access, company by company, with links to each permissions window."""
    account = manager_account(request)
    grants = list(selectors.grants_of(account=account))
    by_member: dict[int, list] = {}
    for grant in grants:
        by_member.setdefault(grant.membership_id, []).append(grant)
    members = [
        (m, by_member.get(m.pk, []))
        for m in selectors.members_of(account=account)
        if m.role != Role.OWNER
    ]
    return render(
        request,
        "members/access/overview.html",
        {
            "account": account,
            "members": members,
            "companies": list(account_companies(account=account)),
        },
    )


@login_required
@require_GET
def company_people(request: AppRequest, company_id: int) -> HttpResponse:
    """One company's people with their access there, each linking to their permissions window."""
    account = manager_account(request)
    try:
        company = selectors.company_of(account=account, company_id=company_id)
    except selectors.NotFound:
        raise Http404 from None
    return render(
        request,
        "members/access/company_people.html",
        {
            "account": account,
            "company": company,
            "people": selectors.company_people(account=account, company=company),
        },
    )


# --- "why can't they?" --------------------------------------------------------


@login_required
@require_GET
def why(request: AppRequest) -> HttpResponse:
    account = manager_account(request)
    form = WhyForm(
        request.GET or None,
        members=selectors.members_of(account=account),
        companies=account_companies(account=account),
    )
    explanation = None
    if form.is_valid():
        member: Membership = form.cleaned_data["member"]
        explanation = explain(
            member.user, form.cleaned_data["company"], Perm(form.cleaned_data["perm"])
        )
    template = "members/access/_why_result.html" if request.htmx else "members/access/why.html"
    return render(
        request,
        template,
        {"form": form, "explanation": explanation, "account": account},
    )


# --- profiles -------------------------------------------------------------------


def _own_profile(account: Account, profile_id: int) -> Profile:
    try:
        profile = selectors.profile_for(account=account, profile_id=profile_id)
    except selectors.NotFound:
        raise Http404 from None
    if profile.is_system:
        raise PermissionDenied(_("Los perfiles del sistema no se modifican."))
    return profile


@login_required
@require_GET
def profile_list(request: AppRequest) -> HttpResponse:
    account = manager_account(request)
    profiles = list(selectors.profiles_for(account=account))
    return render(
        request,
        "members/access/profile_list.html",
        {
            "account": account,
            "system": [p for p in profiles if p.is_system],
            "own": [p for p in profiles if not p.is_system],
            "perms": list(Perm),
        },
    )


def _profile_context(
    form: ProfileForm, checked: PermSet, profile: Profile | None
) -> dict[str, object]:
    toggles, fixes = _toggles(checked, None)
    impacts = []
    if profile is not None and not fixes:
        impacts = [
            i for i in selectors.profile_impact(profile=profile, permissions=checked) if i.changed
        ]
    preview_url = (
        reverse("access:profile_preview", args=[profile.pk])
        if profile
        else reverse("access:profile_create_preview")
    )
    return {
        "form": form,
        "profile": profile,
        "toggles": toggles,
        "fixes": fixes,
        "impacts": impacts,
        "broken": [i for i in impacts if i.violations],
        "preview_url": preview_url,
    }


def _posted_perms(form: ProfileForm) -> PermSet:
    """The checked permissions even when another field (the name) is invalid."""
    try:
        return form.fields["perms"].clean(form.data.getlist("perms"))  # type: ignore[attr-defined]
    except ValidationError:
        return frozenset()


def _profile_page(request: AppRequest, account: Account, profile: Profile | None) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST)
        checked = _dropped(request.POST, _posted_perms(form))
        if form.is_valid() and not _is_fix(request.POST):
            try:
                if profile is None:
                    profile = services.profile_create(
                        actor=request.user,
                        account=account,
                        name=form.cleaned_data["name"],
                        permissions=checked,
                    )
                    created = _("Perfil «%(name)s» creado.") % {"name": profile.name}
                    messages.success(request, created)
                else:
                    profile = services.profile_update(
                        actor=request.user,
                        profile=profile,
                        name=form.cleaned_data["name"],
                        permissions=checked,
                    )
                    messages.success(
                        request, _("Perfil «%(name)s» guardado.") % {"name": profile.name}
                    )
                return redirect("access:profiles")
            except ValidationError as exc:
                form_errors_from(form, exc)
        status = 200 if _is_fix(request.POST) else 400
    else:
        initial = {"name": profile.name} if profile else {}
        form = ProfileForm(initial=initial)
        checked = profile.perms if profile else frozenset({Perm.VENTAS})
    context = {"account": account, **_profile_context(form, checked, profile)}
    return render(request, "members/access/profile_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile_create(request: AppRequest) -> HttpResponse:
    return _profile_page(request, manager_account(request), None)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: AppRequest, profile_id: int) -> HttpResponse:
    account = manager_account(request)
    return _profile_page(request, account, _own_profile(account, profile_id))


@login_required
@require_POST
def profile_preview(request: AppRequest, profile_id: int | None = None) -> HttpResponse:
    """The toggles, the rules they break and who the edit reaches (htmx); saves nothing."""
    account = manager_account(request)
    profile = _own_profile(account, profile_id) if profile_id is not None else None
    form = ProfileForm(request.POST)
    checked = _dropped(request.POST, _posted_perms(form))
    return render(
        request, "members/access/_profile_body.html", _profile_context(form, checked, profile)
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_delete(request: AppRequest, profile_id: int) -> HttpResponse:
    account = manager_account(request)
    profile = _own_profile(account, profile_id)
    choices = selectors.profiles_for(account=account).exclude(pk=profile.pk)
    form = ProfileDeleteForm(request.POST if request.method == "POST" else None, profiles=choices)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.profile_delete(
                actor=request.user,
                profile=profile,
                replacement=form.cleaned_data["replacement"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
            status = 400
        else:
            messages.success(
                request,
                ngettext(
                    "Perfil «%(name)s» eliminado; %(count)s acceso cambió de perfil.",
                    "Perfil «%(name)s» eliminado; %(count)s accesos cambiaron de perfil.",
                    moved,
                )
                % {"name": profile.name, "count": moved},
            )
            return redirect("access:profiles")
    uses = profile.grants.count()
    return render(
        request,
        "members/access/profile_delete.html",
        {"account": account, "profile": profile, "form": form, "uses": uses},
        status=status,
    )

"""The "Claves de API" page: owners and admins create (the secret shown once), list, revoke."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from despacho.access.catalog import from_codes
from despacho.access.guards import manager_account
from despacho.api.forms import ApiKeyForm
from despacho.api.models import ApiKey
from despacho.api.services import api_key_create, api_key_for, api_key_revoke, api_keys_of
from despacho.forms import form_errors_from
from despacho.http import flash_and_redirect
from despacho.workspace.request import AppRequest


@login_required
def key_list(request: AppRequest) -> HttpResponse:
    account = manager_account(request)
    form = ApiKeyForm(request.POST or None, account=account, creator=request.user)
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = api_key_create(
                actor=request.user,
                account=account,
                membership=form.members[data["membership"]],
                name=data["name"],
                companies=[form.company_objects[pk] for pk in data["companies"]],
                permissions=from_codes(data["permissions"]) if data["permissions"] else None,
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            form_errors_from(form, exc, {"expires_at": "expires_on"})
        else:
            form = ApiKeyForm(account=account, creator=request.user)
    return render(
        request,
        "api/keys.html",
        {
            "account": account,
            "form": form,
            "created": created,
            "keys": api_keys_of(account=account),
        },
    )


@login_required
@require_POST
def key_revoke(request: AppRequest, key_id: int) -> HttpResponse:
    account = manager_account(request)
    try:
        key = api_key_for(account=account, key_id=key_id)
    except ApiKey.DoesNotExist:
        raise Http404 from None
    return flash_and_redirect(
        request,
        partial(api_key_revoke, actor=request.user, key=key),
        done=_("Revocamos la clave «%(name)s»; ya no funciona.") % {"name": key.name},
        to="api_keys:list",
    )

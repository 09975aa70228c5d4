"""The request type our middleware builds, for type-checked views (django-htmx's advice), and
the middleware that gives a 405 a page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from despacho.people.models import User
    from despacho.tenancy.workspace import Workspace


class AppRequest(HttpRequest):
    htmx: HtmxDetails
    workspace: Workspace
    user: User


class MethodNotAllowedPageMiddleware:
    """A page answering 405 (a GET on a form's target) renders the Spanish 405 page.

    Django's ``require_POST`` and friends answer an empty ``HttpResponseNotAllowed``, which
    the browser shows as a blank page. The API turns its own into the JSON envelope before
    it gets here (``api.errors.json_method_not_allowed``), so only pages are rendered.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = ""
        page = render(request, "405.html", {"allowed": response["Allow"], "back": back}, status=405)
        page["Allow"] = response["Allow"]
        return page

"""The second step of logging in, enforced before every view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from despacho.security.selectors import second_factor_status

# Views a person may reach before finishing the second step (besides the step itself).
_ALWAYS_OPEN = frozenset({"people:logout"})
_VERIFY = "security:verify"
_SETUP_VIEWS = frozenset({"security:setup"})


def _send_to(request: HttpRequest, view_name: str) -> HttpResponse:
    url = f"{reverse(view_name)}?{urlencode({'next': request.get_full_path()})}"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SecondFactorMiddleware:
    """A person with an authenticator must give a code after the password; a manager whose
    account demands 2FA and has none is sent to set it up. Nothing else opens until then.

    Runs after django-otp's OTPMiddleware, which marks a session verified by a device.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user: Any = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        view_name = match.view_name if match else ""
        if view_name in _ALWAYS_OPEN:
            return None
        status = second_factor_status(user=user)
        if status.has_device:
            return None if view_name == _VERIFY else _send_to(request, _VERIFY)
        if status.required and view_name not in _SETUP_VIEWS:
            return _send_to(request, "security:setup")
        return None

"""HTTP helpers every app may use: the middleware that gives a 405 a page, the one that keeps
private answers out of caches, the client's address, a write's answer as a message and a
redirect, and the page refusing a link or an invitation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme


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


# Pages behind a login of their own (the receivers' portal) and the API, whose answers
# are someone's data even before the request says who is asking.
PRIVATE_PREFIXES = ("/portal/", "/api/")


class PrivateCacheMiddleware:
    """Nothing anyone identified receives is stored by a browser or a proxy.

    Every response to a request that carries a session (staff or portal), a logged-in
    user or an ``Authorization`` header, and every portal and API response, gets
    ``Cache-Control: private, no-store``: logged-in pages, CFDI downloads and API answers
    must not stay in a shared cache or on a shared computer's disk. Static files are
    answered by WhiteNoise before this runs and keep their long cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if _identified(request):
            # Merged with what a view set: never_cache's no-cache stays, public goes (and with
            # no-store nothing is kept, whatever max-age says).
            patch_cache_control(response, private=True, no_store=True)
        return response


def _identified(request: HttpRequest) -> bool:
    if request.path.startswith(PRIVATE_PREFIXES):
        return True
    if "Authorization" in request.headers:
        return True
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def client_ip(request: HttpRequest) -> str | None:
    """The client address as the web server saw it.

    X-Forwarded-For is not trusted here: a proxy in front must set REMOTE_ADDR
    (gunicorn's --forwarded-allow-ips does).
    """
    return request.META.get("REMOTE_ADDR") or None


def flash_and_redirect(
    request: HttpRequest, write: Callable[[], object], *, done: str | None, to: str
) -> HttpResponse:
    """Run a service's write, say how it went in a message, then redirect to ``to``.

    A refusal (ValidationError) becomes one error message per reason; success shows
    ``done`` (nothing when it is None). ``to`` is a URL name without arguments or a URL.
    """
    try:
        write()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if done is not None:
            messages.success(request, done)
    return redirect(to)


def refused_page(
    request: HttpRequest,
    reasons: Iterable[str],
    *,
    status: int,
    title: str,
    heading: str,
    back: tuple[str, str] | None = None,
    base: str = "base.html",
    context: Mapping[str, object] | None = None,
) -> HttpResponse:
    """The page saying a link or an invitation can't be used, one alert per reason.

    ``back`` is the way on, (URL, label); without it, the home page for someone logged in
    and the login page otherwise. ``base`` and ``context`` dress the page for another
    site (the receivers' portal).
    """
    back_url, back_label = back or ("", "")
    page = {
        **(context or {}),
        "base": base,
        "title": title,
        "heading": heading,
        "reasons": list(reasons),
        "back_url": back_url,
        "back_label": back_label,
    }
    return render(request, "despacho/refused.html", page, status=status)

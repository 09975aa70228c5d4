"""Puts the client's IP address where audit writes can read it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from despacho.audit.context import current_ip


def client_ip(request: HttpRequest) -> str | None:
    """The client address as the web server saw it.

    X-Forwarded-For is not trusted here: a proxy in front must set REMOTE_ADDR
    (gunicorn's --forwarded-allow-ips does).
    """
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)

"""The active company of the session, available as ``request.active_company``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from despacho.workspace.active import Workspace, resolve_workspace


class ActiveCompanyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        def load() -> Workspace:
            return resolve_workspace(request)

        request.workspace = SimpleLazyObject(load)  # type: ignore[attr-defined]
        return self.get_response(request)


def workspace_of(request: Any) -> Workspace:
    return request.workspace

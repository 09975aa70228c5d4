"""The lock-out check as the first authentication backend (django-axes)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' backend: refuses a locked-out login before any password is checked.

    Every web login passes its request. ``authenticate()`` without one (Django's
    test ``Client.login``, a shell) is not a login from an address, so there is
    nothing to count or lock and the next backend decides.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)

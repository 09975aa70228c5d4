"""The project's one "not found" family.

Every app's "missing or not yours" exception derives from ``NotFound``: a viewer never
learns whether something exists in another tenant, so both answers are the same 404, on a
page (``NotFound`` is Django's ``Http404``) and in the API (``api.errors`` maps the base,
knowing no app).
"""

from __future__ import annotations

from django.http import Http404


class NotFound(Http404):
    """It does not exist, or it is not the viewer's: the two are never told apart."""

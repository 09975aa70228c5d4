"""Form helpers shared by every app's views."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def form_errors_from(form: forms.Form, exc: ValidationError, rename: dict[str, str]) -> None:
    """Put a service's ValidationError on the form, field by field (unknown fields on top)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = rename.get(name, name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc)

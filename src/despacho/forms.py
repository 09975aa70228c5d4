"""Form helpers shared by every app's views."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError

from despacho.satcatalogs import Catalog, descriptions


def form_errors_from(
    form: forms.Form, exc: ValidationError, rename: Mapping[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form, field by field (unknown fields on top).

    ``rename`` maps a service's field name to the form's where they differ.
    """
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = (rename or {}).get(name, name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def catalog_choices(catalog: Catalog) -> list[tuple[str, str]]:
    """A select's choices from one of SAT's catalogs: "code — name", the empty one first."""
    return [("", "—")] + [
        (code, f"{code} — {name}") for code, name in sorted(descriptions(catalog).items())
    ]

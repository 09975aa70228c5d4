"""One "not found" family: every app's "missing or not yours" derives from errors.NotFound."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django.http import Http404

import despacho
from despacho.errors import NotFound


def _project_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(despacho.__path__, "despacho."):
        if ".migrations" in info.name or info.name.endswith(("__main__", ".wsgi", ".asgi")):
            continue
        names.append(info.name)
    return names


def test_every_not_found_exception_of_the_project_derives_from_the_one_base():
    found = {}
    for name in _project_modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Exception)
                and attr.endswith("NotFound")
                and value.__module__ == name
            ):
                found[f"{name}.{attr}"] = value
    assert len(found) >= 6  # access, members, firms, cfdi, onboarding, portal
    assert {name for name, cls in found.items() if not issubclass(cls, NotFound)} == set()


def test_the_base_is_a_404_on_pages_too():
    # A view that lets a NotFound escape answers Django's 404 page, never a 500.
    assert issubclass(NotFound, Http404)

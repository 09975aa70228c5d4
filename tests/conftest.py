"""Shared test set-up: small factory functions live in tests/factories.py."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DESPACHO_TESTING", "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it there")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)

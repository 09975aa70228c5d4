"""Shared test set-up: small factory functions live in tests/factories.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("DESPACHO_TESTING", "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it there")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _sat_catalogs_kept_across_flushes() -> Iterator[None]:
    """A transactional test (``transaction=True``, ``live_server``) ends with ``flush``, which
    empties every table and emits post_migrate, and products reloads SAT's c_ClaveProdServ
    and c_ClaveUnidad there: 52,000 rows, 9-10 s per test (and a TRUNCATE of them on
    PostgreSQL). Those two tables hold reference data that only post_migrate writes, so the
    flush leaves them; post_migrate still runs ``catalogs_load``, which restores any row a
    test renamed or deleted, so every test still starts from the full, unchanged catalogs."""
    from django.core.management.commands import flush

    from despacho.products.catalogs import SOURCES

    kept = {model._meta.db_table for model, _catalog in SOURCES}
    everything = flush.sql_flush

    def sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        return connection.ops.sql_flush(
            style,
            [table for table in tables if table not in kept],
            reset_sequences=reset_sequences,
            allow_cascade=allow_cascade,
        )

    flush.sql_flush = sql_flush
    yield
    flush.sql_flush = everything


@pytest.fixture(autouse=True)
def _fail_on_failed_tasks():
    """The immediate task backend records a failing task and moves on; a test must not."""
    from django_tasks.base import TaskResultStatus
    from django_tasks.signals import task_finished

    failures: list[object] = []

    def record(sender, task_result, **kwargs):
        if task_result.status == TaskResultStatus.FAILED:
            failures.append(task_result)

    task_finished.connect(record, weak=False)
    yield
    task_finished.disconnect(record)
    if failures:
        errors = [e.traceback for r in failures for e in r.errors]  # type: ignore[attr-defined]
        pytest.fail("a background task failed:\n" + "\n".join(errors))


@pytest.fixture(autouse=True)
def _seals_unchecked_by_default(settings):
    """Most tests ingest synthetic CFDIs (tests/cfdi/cfdi_samples.py) that carry no seal.

    A CFDI without its seal is refused unless confirmed (issue 12), so by default the
    suite ingests with seal verification off (seal_verified stays None, "not
    checked"); tests of the seal rules ask for ``verify_seals``.
    """
    settings.CFDI_VERIFY_SEALS = False


@pytest.fixture(autouse=True)
def _sat_services_offline(settings):
    """SAT's public services (satstatus) point at a closed port on 127.0.0.1: nothing in the
    suite reaches SAT; tests of those services start the fake (tests/satstatus/fake_sat.py)."""
    from despacho.satstatus.certificates import forget_in_process

    closed = "http://127.0.0.1:9"
    settings.SATSTATUS_CONSULTA_URL = f"{closed}/ConsultaCFDIService.svc"
    settings.SATSTATUS_LIST_69B_URL = f"{closed}/69b.csv"
    settings.SATSTATUS_LIST_69_BASE_URL = f"{closed}/69/"
    settings.SATSTATUS_CERTIFICATE_URL = f"{closed}/rccf/"
    settings.SATSTATUS_TIMEOUT = 5
    forget_in_process()
    yield
    forget_in_process()


@pytest.fixture
def verify_seals(settings):
    """Seal verification on, as in production (CFDI_VERIFY_SEALS defaults to True)."""
    settings.CFDI_VERIFY_SEALS = True


@pytest.fixture
def smtp_inbox(settings):
    """Email goes over SMTP to an aiosmtpd server on a free port; the test reads the inbox."""
    from aiosmtpd.controller import Controller

    from tests.smtp import SITE_URL, Inbox, free_port

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.SITE_URL = SITE_URL
    try:
        yield inbox
    finally:
        controller.stop()

"""Timing one phase of a benchmark: seconds and queries, printed on one line."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import connection
from django.test.utils import CaptureQueriesContext

T = TypeVar("T")


def timed(
    label: str, run: Callable[[], T], note: Callable[[T], str] = lambda _: ""
) -> tuple[T, float]:
    """Run ``run`` once; print its seconds and queries (and ``note`` of its result)."""
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - start
    extra = note(result)
    print(
        f"{label:<14} {seconds:8.2f} s {len(queries):6d} queries"
        + (f"  ({extra})" if extra else "")
    )
    return result, seconds

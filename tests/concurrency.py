"""Running calls at the same moment, each on its own database connection (PostgreSQL tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection


def at_once(
    calls: Sequence[Callable[[], Any]],
    catching: tuple[type[BaseException], ...] = (Exception,),
) -> list[Any]:
    """Each call's result (or the exception of ``catching`` it raised), in order.

    Every call runs in its own thread, so on its own connection; all wait at a barrier and
    start together. Each thread closes its connection when done.
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = call()
        except catching as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes

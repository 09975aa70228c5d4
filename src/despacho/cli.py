"""The `despacho` command: Django's management commands with our settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run a management command (`despacho migrate`, `despacho demo`, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

"""despacho vault_rotate: re-encrypt every stored private key with the vault's newest key.

Put the new key first in DESPACHO_VAULT_KEY (``new,old``), run this, then remove the old
key. See docs/apps/seals.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from despacho.seals.services import vault_rotate


class Command(BaseCommand):
    help = "Vuelve a cifrar cada llave privada guardada (CSD, e.firma) con la llave más nueva."

    def handle(self, *args: Any, **options: Any) -> None:
        count = vault_rotate()
        self.stdout.write(f"Llaves privadas cifradas de nuevo con la llave más nueva: {count}.")

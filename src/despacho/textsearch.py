"""Case- and accent-insensitive matching, as people type names ("perez" finds "PÉREZ")."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case without diacritics (ñ folds to n, like most Mexican search boxes do)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()

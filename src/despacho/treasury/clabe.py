"""The CLABE (Clave Bancaria Estandarizada): 18 digits — bank (3), plaza (3), account (11)
and a check digit computed with the weights 3, 7, 1 repeated (Banxico's rule)."""

from __future__ import annotations

WEIGHTS = (3, 7, 1)


def clabe_check_digit(first17: str) -> int:
    """The check digit of the first 17 digits of a CLABE."""
    total = sum((int(d) * WEIGHTS[i % 3]) % 10 for i, d in enumerate(first17))
    return (10 - total % 10) % 10


def clabe_is_valid(clabe: str) -> bool:
    """Eighteen digits whose last is the check digit of the others."""
    if len(clabe) != 18 or not clabe.isascii() or not clabe.isdigit():
        return False
    return clabe_check_digit(clabe[:17]) == int(clabe[17])

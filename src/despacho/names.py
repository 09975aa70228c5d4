"""Names people type (profiles, companies, accounts, people, portal receivers, API keys).

One rule for every name field: only visible characters. Control characters, bidi
controls (U+202E turns "exe.pdf" into "fdp.exe"), zero-width and other invisible
characters make two different names look the same, or one name look like another, in
lists, emails and the audit trail, so they are refused, never silently removed.

``name_skeleton`` is the comparison key for names that must not look alike (a profile
named like a preset): a Unicode TR39-style skeleton, NFKC + case fold + each character
replaced by its Latin prototype from Unicode's confusables table (as packaged by
``confusable-homoglyphs``), so "Аdministrador" with a Cyrillic A is "administrador".
"""

from __future__ import annotations

import unicodedata
from functools import cache

from confusable_homoglyphs.confusables import confusables_data
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

# Control (Cc), format (Cf: bidi controls, zero-width joiners, BOM, soft hyphen), private
# use, surrogates, unassigned code points and the line/paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})

# Unicode's Default_Ignorable_Code_Point outside those categories: characters that
# render as nothing (Hangul fillers, variation selectors, the combining grapheme joiner).
_INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)


def is_forbidden_in_name(char: str) -> bool:
    """True for a character no name may carry (invisible, control or bidi)."""
    if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _INVISIBLE_RANGES)


def forbidden_characters(value: str) -> list[str]:
    """The forbidden characters of ``value``, once each, in order of appearance.

    Ordinary white space at either end is not counted: every name is trimmed before
    it is stored. Tabs and line breaks inside a name are control characters.
    """
    found: list[str] = []
    for char in value.strip(" \t\r\n"):
        if is_forbidden_in_name(char) and char not in found:
            found.append(char)
    return found


def validate_name_characters(value: str, *, field: str) -> None:
    """Refuse a name with control, bidi or invisible characters (``forbidden_characters``).

    ``field`` is the field's Spanish label, as the message starts with it.
    """
    found = forbidden_characters(value or "")
    if found:
        raise ValidationError(
            _(
                "%(field)s: quita los caracteres invisibles, de control o de dirección de "
                "texto (%(chars)s); un nombre solo lleva caracteres visibles."
            )
            % {"field": field, "chars": ", ".join(f"U+{ord(c):04X}" for c in found)},
            code="forbidden_characters",
        )


@deconstructible
class NameCharactersValidator:
    """``validate_name_characters`` as a form or model field validator."""

    def __init__(self, field: str) -> None:
        self.field = field

    def __call__(self, value: str) -> None:
        validate_name_characters(value, field=self.field)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NameCharactersValidator) and other.field == self.field

    def __hash__(self) -> int:
        return hash(self.field)


@cache
def _prototypes() -> dict[str, str]:
    """Each non-ASCII character that Unicode lists as confusable with an ASCII letter or
    digit, mapped to it (lower-case). ASCII characters stay themselves."""
    mapping: dict[str, str] = {}
    for char, homoglyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        latin = sorted(
            {
                glyph["c"].casefold()
                for glyph in homoglyphs
                if glyph["c"].isascii() and glyph["c"].isalnum()
            },
            key=lambda g: (len(g), g),
        )
        if latin:
            mapping[char] = latin[0]
    return mapping


def name_skeleton(value: str) -> str:
    """What a name looks like: equal skeletons are names a reader cannot tell apart."""
    prototypes = _prototypes()
    text = unicodedata.normalize("NFKC", " ".join(value.split())).casefold()
    mapped = "".join(prototypes.get(char, char) for char in text)
    return unicodedata.normalize("NFKC", mapped).casefold()


def before_period(name: str) -> str:
    """A name about to be followed by a sentence's period, without its own final period:
    "Méndez Ríos Contadores, S.C." ends the sentence once, not with "S.C.."."""
    return name[:-1] if name.endswith(".") else name

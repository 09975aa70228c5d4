"""The "importe con letra" of a printed CFDI: MIL PESOS 00/100 M.N.

Spanish cardinal numbers below 10**18 (Total's 18 integer digits), with the
apocope a noun requires (VEINTIÚN PESOS, UN MILLÓN DE PESOS, CIENTO UN MIL),
and the cents as NN/100 rounded half up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_UNITS = (
    "cero",
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "veintiuno",
    "veintidós",
    "veintitrés",
    "veinticuatro",
    "veinticinco",
    "veintiséis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
)
_TENS = {
    3: "treinta",
    4: "cuarenta",
    5: "cincuenta",
    6: "sesenta",
    7: "setenta",
    8: "ochenta",
    9: "noventa",
}
_HUNDREDS = {
    1: "ciento",
    2: "doscientos",
    3: "trescientos",
    4: "cuatrocientos",
    5: "quinientos",
    6: "seiscientos",
    7: "setecientos",
    8: "ochocientos",
    9: "novecientos",
}

# Currency: (singular, plural, suffix after the cents). Others print their ISO code.
_CURRENCIES = {
    "MXN": ("peso", "pesos", "M.N."),
    "USD": ("dólar", "dólares", "USD"),
    "EUR": ("euro", "euros", "EUR"),
}


def _below_thousand(n: int) -> str:
    if n < 30:
        return _UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens] + (f" y {_UNITS[unit]}" if unit else "")
    if n == 100:
        return "cien"
    hundreds, rest = divmod(n, 100)
    return _HUNDREDS[hundreds] + (f" {_below_thousand(rest)}" if rest else "")


def _apocope(words: str) -> str:
    """«uno» before a noun (or before «mil», «millones»): un, veintiún."""
    if words.endswith("veintiuno"):
        return words[: -len("veintiuno")] + "veintiún"
    if words.endswith("uno"):
        return words[:-1]
    return words


def _below_million(n: int) -> str:
    thousands, rest = divmod(n, 1000)
    parts = []
    if thousands == 1:
        parts.append("mil")
    elif thousands:
        parts.append(f"{_apocope(_below_thousand(thousands))} mil")
    if rest or not thousands:
        parts.append(_below_thousand(rest))
    return " ".join(parts)


def number_words(n: int) -> str:
    """The Spanish cardinal of a non-negative integer, as «uno» is said alone."""
    if n < 0:
        raise ValueError("number_words takes a non-negative integer")
    if n >= 10**18:
        raise ValueError("number_words goes up to 10**18 - 1")
    if n < 1_000_000:
        return _below_million(n)
    if n < 10**12:
        millions, rest = divmod(n, 1_000_000)
        head = "un millón" if millions == 1 else f"{_apocope(_below_million(millions))} millones"
        return head + (f" {_below_million(rest)}" if rest else "")
    billions, rest = divmod(n, 10**12)
    head = "un billón" if billions == 1 else f"{_apocope(_below_million(billions))} billones"
    return head + (f" {number_words(rest)}" if rest else "")


def amount_in_words(amount: Decimal, moneda: str = "MXN") -> str:
    """The importe con letra: «MIL PESOS 00/100 M.N.», «UN MILLÓN DE PESOS 50/100 M.N.»."""
    cents_total = int(abs(amount).quantize(Decimal("0.01"), ROUND_HALF_UP) * 100)
    whole, cents = divmod(cents_total, 100)
    code = (moneda or "MXN").upper()
    singular, plural, suffix = _CURRENCIES.get(code, ("", "", code))
    words = number_words(whole)
    if singular:
        if whole == 1:
            noun = singular
        elif words.endswith(("millón", "millones", "billón", "billones")):
            noun = f"de {plural}"  # un millón de pesos
        else:
            noun = plural
        words = f"{_apocope(words)} {noun}"
    return f"{words} {cents:02d}/100 {suffix}".upper()

"""The reconciliation engine: which CFDIs each bank movement pays, with a score and the
reasons, computed in memory over plain rows (no ORM here) so 10,000 movements against
50,000 CFDIs take seconds (bench/reconcile.py measures it).

Evidence, strongest first: the UUID or the folio in the concept/reference, the
counterparty's RFC or a distinctive word of its name in the concept, the amount (exact,
or within ``TOLERANCE`` for bank fees), and how close the dates are. Single pairs are
tried first; a movement with the counterparty identified but no single CFDI of its amount
is tried against groups of that counterparty's CFDIs (a deposit paying several invoices),
and a CFDI against groups of that counterparty's movements (an invoice paid in parts).
Payroll withdrawals are matched against the day's nómina total. Ambiguous movements (two
candidates as good, nothing to tell them apart) get no suggestion: precision first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import combinations

from despacho.textsearch import fold

CENT = Decimal("0.01")
TOLERANCE = Decimal("0.05")  # a bank fee or a rounding can keep up to 5 % of the amount
WINDOW_BEFORE = 7  # a payment may come this many days before the CFDI's date …
WINDOW_AFTER = 60  # … or this many after
THRESHOLD = 0.6
GROUP_MAX = 4
GROUP_CANDIDATES = 10

# Words that say nothing about who the counterparty is.
STOPWORDS = frozenset(
    [
        "sa",
        "de",
        "cv",
        "rl",
        "s",
        "a",
        "c",
        "v",
        "sapi",
        "sab",
        "sc",
        "ac",
        "the",
        "y",
        "del",
        "la",
        "las",
        "los",
        "el",
        "en",
        "para",
        "por",
        "con",
        "spei",
        "pago",
        "transferencia",
        "deposito",
        "abono",
        "cargo",
        "traspaso",
        "recibido",
        "enviado",
        "cliente",
        "proveedor",
        "mexico",
        "servicios",
        "comercial",
        "grupo",
        "empresa",
        "company",
        "corporativo",
        "internacional",
        "nacional",
    ]
)
RFC_RE = re.compile(r"\b([A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3})\b")
UUID_RE = re.compile(r"[0-9a-f]{8}(?:-?[0-9a-f]{4}){3}-?[0-9a-f]{12}")
HEX8_RE = re.compile(r"\b[0-9a-f]{8}\b")
WORD_RE = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class CfdiRow:
    id: int
    uuid: str  # lower case with dashes
    side: int  # +1 paid into the account (deposit), -1 paid out (withdrawal)
    kind: str  # "invoice", "payment", "credit_note", "payroll"
    fecha: date
    amount: Decimal
    rfc: str
    name: str
    serie: str
    folio: str


@dataclass(frozen=True)
class MovementRow:
    id: int
    date: date
    amount: Decimal  # signed
    text: str  # description and reference


@dataclass
class Suggestion:
    movements: tuple[int, ...]
    cfdis: tuple[int, ...]
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class _Text:
    """What a movement's text says, parsed once."""

    upper: str
    words: set[str]
    rfcs: set[str]
    uuids: set[str]
    hex8: set[str]


def squash(text: str) -> str:
    """Letters and digits only, folded: «A-101» and «a101» read alike."""
    return "".join(WORD_RE.findall(fold(text)))


def _parse_text(text: str) -> _Text:
    folded = fold(text)
    return _Text(
        upper=text.upper(),
        words=set(WORD_RE.findall(folded)) | {squash(piece) for piece in folded.split()},
        rfcs=set(RFC_RE.findall(text.upper())),
        uuids={u.replace("-", "") for u in UUID_RE.findall(folded)},
        hex8=set(HEX8_RE.findall(folded)),
    )


def name_key(name: str) -> str:
    """The counterparty's most distinctive word (the longest not in STOPWORDS)."""
    words = [w for w in WORD_RE.findall(fold(name)) if len(w) >= 4 and w not in STOPWORDS]
    return max(words, key=len) if words else ""


class _Index:
    def __init__(self, cfdis: Iterable[CfdiRow]) -> None:
        self.by_id: dict[int, CfdiRow] = {}
        self.by_amount: dict[tuple[int, Decimal], list[CfdiRow]] = defaultdict(list)
        self.by_rfc: dict[str, list[CfdiRow]] = defaultdict(list)
        self.by_uuid: dict[str, CfdiRow] = {}
        self.by_uuid8: dict[str, list[CfdiRow]] = defaultdict(list)
        self.by_folio: dict[str, list[CfdiRow]] = defaultdict(list)
        self.rfc_by_name: dict[str, set[str]] = defaultdict(set)
        self.payroll_days: dict[date, list[CfdiRow]] = defaultdict(list)
        self.folio_keys: dict[int, tuple[str, ...]] = {}
        for row in cfdis:
            self.by_id[row.id] = row
            if row.kind == "payroll":
                self.payroll_days[row.fecha].append(row)
                continue
            self.by_amount[(row.side, row.amount)].append(row)
            self.by_rfc[row.rfc].append(row)
            plain = row.uuid.replace("-", "")
            self.by_uuid[plain] = row
            self.by_uuid8[plain[:8]].append(row)
            folio = squash(row.folio)
            if len(folio) >= 3:
                keys = (folio, squash(row.serie + row.folio)) if row.serie else (folio,)
                self.folio_keys[row.id] = keys
                for key in keys:
                    self.by_folio[key].append(row)
            key = name_key(row.name)
            if key:
                self.rfc_by_name[key].add(row.rfc)
        self.payroll: list[tuple[date, Decimal, tuple[int, ...]]] = [
            (day, sum((r.amount for r in rows), Decimal("0")), tuple(r.id for r in rows))
            for day, rows in self.payroll_days.items()
        ]
        self.payroll_by_amount: dict[Decimal, list[tuple[date, tuple[int, ...]]]] = defaultdict(
            list
        )
        for day, total, ids in self.payroll:
            self.payroll_by_amount[total].append((day, ids))


def _in_window(movement_day: date, fecha: date) -> bool:
    days = (movement_day - fecha).days
    return -WINDOW_BEFORE <= days <= WINDOW_AFTER


def _date_score(movement_day: date, fecha: date) -> float:
    days = abs((movement_day - fecha).days)
    return 0.1 * max(0.0, 1 - days / WINDOW_AFTER)


def _amount_score(bank: Decimal, cfdi: Decimal) -> tuple[float, str] | None:
    if bank == cfdi:
        return 0.45, "amount_exact"
    if cfdi <= 0:
        return None
    gap = abs(cfdi - bank) / cfdi
    if gap <= TOLERANCE:
        # Never enough alone (0.3–0.4 + date < THRESHOLD): a fee-short amount needs the
        # counterparty or the document named too.
        return 0.3 + 0.1 * float(1 - gap / TOLERANCE), "amount_tolerance"
    return None


def _identity(
    text: _Text, row: CfdiRow, name_rfcs: set[str], folio_keys: tuple[str, ...]
) -> tuple[float, list[str]]:
    """How surely the movement names this CFDI (document) and its counterparty (who)."""
    score, reasons = 0.0, []
    plain = row.uuid.replace("-", "")
    if plain in text.uuids or plain[:8] in text.hex8:
        score += 0.35
        reasons.append("uuid")
    elif any(key in text.words for key in folio_keys):
        score += 0.25
        reasons.append("folio")
    if row.rfc and row.rfc in text.rfcs:
        score += 0.25
        reasons.append("rfc")
    elif row.rfc in name_rfcs:
        score += 0.15
        reasons.append("name")
    return score, reasons


def suggest(
    movements: Iterable[MovementRow],
    cfdis: Iterable[CfdiRow],
    *,
    rejected: set[tuple[tuple[int, ...], tuple[int, ...]]] | None = None,
) -> list[Suggestion]:
    """Suggestions for the movements, each movement and CFDI in at most one."""
    index = _Index(cfdis)
    rejected = rejected or set()
    moves = list(movements)
    texts = {m.id: _parse_text(m.text) for m in moves}
    candidates: list[Suggestion] = []
    unresolved: list[MovementRow] = []
    for movement in moves:
        found = _singles(movement, texts[movement.id], index)
        found = [s for s in found if (s.movements, s.cfdis) not in rejected]
        found.sort(key=lambda s: -s.score)
        if not found or found[0].score < THRESHOLD:
            unresolved.append(movement)
            continue
        best = found[0]
        # Two as good: only the document named (UUID, folio) may break the tie.
        tied = len(found) > 1 and found[1].score > best.score - 0.1
        if tied and not {"uuid", "folio"} & set(best.reasons):
            unresolved.append(movement)
            continue
        candidates.append(best)
    for movement in unresolved:
        candidates.extend(
            s
            for s in _groups_for_movement(movement, texts[movement.id], index)
            if (s.movements, s.cfdis) not in rejected
        )
    candidates.extend(
        s
        for s in _groups_for_cfdi(unresolved, texts, index)
        if (s.movements, s.cfdis) not in rejected
    )
    return _select(candidates)


def _name_rfcs(text: _Text, index: _Index) -> set[str]:
    found: set[str] = set()
    for word in text.words:
        rfcs = index.rfc_by_name.get(word)
        if rfcs:
            found |= rfcs
    return found


def _singles(movement: MovementRow, text: _Text, index: _Index) -> list[Suggestion]:
    side = 1 if movement.amount > 0 else -1
    bank = abs(movement.amount)
    name_rfcs = _name_rfcs(text, index)
    pool: dict[int, CfdiRow] = {}
    for row in index.by_amount.get((side, bank), ()):
        pool[row.id] = row
    # Rows named by the text may differ in amount (fees): gather them too.
    for rfc in text.rfcs | name_rfcs:
        for row in index.by_rfc.get(rfc, ()):
            pool[row.id] = row
    for plain in text.uuids:
        if plain in index.by_uuid:
            pool[index.by_uuid[plain].id] = index.by_uuid[plain]
    for hex8 in text.hex8:
        for row in index.by_uuid8.get(hex8, ()):
            pool[row.id] = row
    for word in text.words:
        for row in index.by_folio.get(word, ()):
            pool[row.id] = row
    found = []
    scored = []
    exact_count = 0
    for row in pool.values():
        if row.side != side or not _in_window(movement.date, row.fecha):
            continue
        amount = _amount_score(bank, row.amount)
        if amount is None:
            continue
        exact_count += amount[1] == "amount_exact"
        scored.append((row, amount))
    for row, amount in scored:
        identity, reasons = _identity(text, row, name_rfcs, index.folio_keys.get(row.id, ()))
        score = amount[0] + identity + _date_score(movement.date, row.fecha)
        reasons = [amount[1], *reasons, "date"]
        if amount[1] == "amount_exact" and exact_count == 1:
            score += 0.1
            reasons.append("only_candidate")
        found.append(Suggestion((movement.id,), (row.id,), min(score, 1.0), reasons))
    found.extend(_payroll(movement, text, index))
    return found


def _payroll(movement: MovementRow, text: _Text, index: _Index) -> list[Suggestion]:
    if movement.amount > 0:
        return []
    found = []
    says_payroll = "nomina" in text.words or any(w.startswith("nomin") for w in text.words)
    for day, ids in index.payroll_by_amount.get(-movement.amount, ()):
        if abs((movement.date - day).days) > 5:
            continue
        score = 0.45 + (0.3 if says_payroll else 0.1) + _date_score(movement.date, day)
        reasons = ["amount_exact", "payroll_total", "date"]
        if says_payroll:
            reasons.append("payroll_concept")
        found.append(Suggestion((movement.id,), ids, min(score, 1.0), reasons))
    return found


def _groups_for_movement(movement: MovementRow, text: _Text, index: _Index) -> list[Suggestion]:
    """A deposit (or withdrawal) paying several CFDIs of the counterparty it names."""
    side = 1 if movement.amount > 0 else -1
    bank = abs(movement.amount)
    rfcs = text.rfcs or _name_rfcs(text, index)
    if len(rfcs) != 1:
        return []
    (rfc,) = rfcs
    rows = [
        r
        for r in index.by_rfc.get(rfc, ())
        if r.side == side and r.amount < bank and _in_window(movement.date, r.fecha)
    ]
    rows.sort(key=lambda r: abs((movement.date - r.fecha).days))
    rows = rows[:GROUP_CANDIDATES]
    reason = "rfc" if rfc in text.rfcs else "name"
    exact: list[tuple[CfdiRow, ...]] = []
    near: list[tuple[CfdiRow, ...]] = []
    for size in range(2, GROUP_MAX + 1):
        for group in combinations(rows, size):
            total = sum((r.amount for r in group), Decimal("0"))
            if total == bank:
                exact.append(group)
            elif not exact and _amount_score(bank, total) is not None:
                near.append(group)
    # Exactly one group that adds up (exactly, else within the tolerance), or none: two
    # groups that add up alike are left to a person.
    chosen = exact if exact else near
    if len(chosen) != 1:
        return []
    group = chosen[0]
    amount = _amount_score(bank, sum((r.amount for r in group), Decimal("0")))
    assert amount is not None
    score = amount[0] + (0.25 if reason == "rfc" else 0.15) + 0.05
    return [
        Suggestion(
            (movement.id,),
            tuple(sorted(r.id for r in group)),
            min(score, 1.0),
            [amount[1], reason, "several_cfdis"],
        )
    ]


def _groups_for_cfdi(
    movements: list[MovementRow], texts: dict[int, _Text], index: _Index
) -> list[Suggestion]:
    """One CFDI paid in parts: movements naming the same counterparty that add up to it."""
    by_rfc: dict[tuple[str, int], list[MovementRow]] = defaultdict(list)
    for movement in movements:
        text = texts[movement.id]
        if len(text.rfcs) == 1:
            (rfc,) = text.rfcs
            by_rfc[(rfc, 1 if movement.amount > 0 else -1)].append(movement)
    found = []
    for (rfc, side), group_moves in by_rfc.items():
        if len(group_moves) < 2:
            continue
        for row in index.by_rfc.get(rfc, ()):
            if row.side != side:
                continue
            near = [m for m in group_moves if _in_window(m.date, row.fecha)][:GROUP_CANDIDATES]
            for size in range(2, min(GROUP_MAX, len(near)) + 1):
                hits = [
                    g
                    for g in combinations(near, size)
                    if sum(abs(m.amount) for m in g) == row.amount
                ]
                if len(hits) == 1:
                    found.append(
                        Suggestion(
                            tuple(sorted(m.id for m in hits[0])),
                            (row.id,),
                            0.8,
                            ["amount_exact", "rfc", "several_movements"],
                        )
                    )
                    break
    return found


def _select(candidates: list[Suggestion]) -> list[Suggestion]:
    """Best first; a movement or a CFDI goes into one suggestion only."""
    taken_movements: set[int] = set()
    taken_cfdis: set[int] = set()
    chosen = []
    for suggestion in sorted(candidates, key=lambda s: (-s.score, s.movements, s.cfdis)):
        if suggestion.score < THRESHOLD:
            continue
        if taken_movements.intersection(suggestion.movements):
            continue
        if taken_cfdis.intersection(suggestion.cfdis):
            continue
        taken_movements.update(suggestion.movements)
        taken_cfdis.update(suggestion.cfdis)
        chosen.append(suggestion)
    return chosen

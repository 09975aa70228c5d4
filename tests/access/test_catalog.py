"""The catalog's rules, checked against every one of the 1,024 permission sets."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from despacho.access.catalog import (
    ALL_MASK,
    Perm,
    dependents_of,
    from_mask,
    is_valid,
    to_mask,
    violations,
)
from despacho.access.presets import SYSTEM_PROFILES

perm_sets = st.sets(st.sampled_from(list(Perm))).map(frozenset)


def rules_hold(perms: frozenset[Perm]) -> bool:
    """The rules as the issue states them, written independently of the catalog."""
    has_base = Perm.VENTAS in perms or Perm.EGRESOS in perms
    needs_ventas = {Perm.FACTURAR, Perm.CANCELAR, Perm.PORTAL} & perms
    return has_base and (not needs_ventas or Perm.VENTAS in perms)


def all_subsets() -> list[frozenset[Perm]]:
    return [from_mask(mask) for mask in range(ALL_MASK + 1)]


def test_there_are_ten_permissions_and_1024_sets():
    assert len(Perm) == 10
    assert len(set(all_subsets())) == 1024


def test_validation_accepts_exactly_the_valid_sets_among_all_1024():
    accepted = [perms for perms in all_subsets() if is_valid(perms)]
    assert all(rules_hold(perms) for perms in accepted)
    assert len(accepted) == sum(rules_hold(perms) for perms in all_subsets()) == 544


@given(perm_sets)
def test_validation_matches_the_rules(perms):
    assert is_valid(perms) == rules_hold(perms)


@given(perm_sets)
def test_every_broken_rule_is_reported_with_a_code_naming_both_permissions(perms):
    found = violations(perms)
    codes = [v.code for v in found]
    if not (Perm.VENTAS in perms or Perm.EGRESOS in perms):
        assert "requires_ventas_or_egresos" in codes
    for dependent in dependents_of(Perm.VENTAS):
        if dependent in perms and Perm.VENTAS not in perms:
            violation = next(v for v in found if v.perms == (dependent, Perm.VENTAS))
            assert violation.code == "requires_ventas"
            assert str(dependent.label) in violation.message
            assert "Ventas" in violation.message
    assert len(codes) == len(found)


def test_facturar_without_ventas_says_facturar_requiere_ventas():
    (violation,) = violations({Perm.FACTURAR, Perm.EGRESOS})
    assert violation.code == "requires_ventas"
    assert violation.message == "Facturar requiere Ventas."


def test_a_set_with_neither_ventas_nor_egresos_names_both():
    (violation,) = violations({Perm.NOMINA})
    assert violation.code == "requires_ventas_or_egresos"
    assert "Ventas" in violation.message and "Egresos" in violation.message


@given(perm_sets)
def test_masks_round_trip(perms):
    assert from_mask(to_mask(perms)) == perms


def test_every_permission_has_a_spanish_label_and_help_text():
    for perm in Perm:
        assert str(perm.label) and str(perm.help_text)
    assert len({str(p.label) for p in Perm}) == len(Perm)


def test_system_presets_are_all_valid_and_distinct():
    sets = [perms for _name, perms in SYSTEM_PROFILES.values()]
    assert all(is_valid(perms) for perms in sets)
    assert len(set(sets)) == len(sets)
    assert {name for name, _perms in SYSTEM_PROFILES.values()} == {
        "Administrador",
        "Contador",
        "Auxiliar de ventas",
        "Auxiliar de compras",
        "Nóminas",
        "Consulta",
    }


def test_dependents_of_ventas_are_facturar_cancelar_and_portal():
    assert set(dependents_of(Perm.VENTAS)) == {Perm.FACTURAR, Perm.CANCELAR, Perm.PORTAL}
    assert (
        list(itertools.chain.from_iterable(dependents_of(p) for p in Perm if p is not Perm.VENTAS))
        == []
    )

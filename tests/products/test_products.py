"""Products: SAT's keys checked against the catalogs in the database, a Decimal price with
CFDI's six decimals, objeto de impuesto and a tax scheme of the same company; every write
audited; every refusal names the field and the rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.errors import NotFound
from despacho.products.models import Product
from despacho.products.selectors import (
    ProductsForbidden,
    product_for,
    product_list,
)
from despacho.products.services import product_create, product_set_active, product_update
from tests.factories import make_account, make_company, make_grant, make_membership, owner_of
from tests.products.factories import make_product, make_scheme, product_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return make_company(make_account())


def create(company, **changes):
    with transaction.atomic():
        return product_create(
            company=company, actor=owner_of(company.account), data=product_data(**changes)
        )


def refusal(company, **changes):
    with pytest.raises(ValidationError) as caught:
        create(company, **changes)
    ((field, (message,)),) = caught.value.message_dict.items()
    return field, message


def test_a_product_is_created_with_its_keys_price_and_scheme_and_audited(company):
    scheme = make_scheme(company)
    product = create(
        company,
        tax_scheme=scheme,
        clave_unidad=" h87 ",
        description="  Café   de grano ",
        unit_price=Decimal("1234.567891"),
    )
    product.refresh_from_db()
    assert (product.clave_prod_serv_id, product.clave_unidad_id) == ("50201706", "H87")
    assert product.description == "Café de grano"
    assert product.unit_price == Decimal("1234.567891")
    assert product.tax_scheme == scheme
    event = AuditEvent.objects.get(action=Action.PRODUCT_CREATED, company=company)
    assert event.after["unit_price"] == "1234.567891"
    assert event.after["tax_scheme"] == scheme.name


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        (
            {"clave_prod_serv": "99999999"},
            "clave_prod_serv",
            "no está en el catálogo c_ClaveProdServ",
        ),
        ({"clave_prod_serv": ""}, "clave_prod_serv", "c_ClaveProdServ"),
        ({"clave_unidad": "ZZZ"}, "clave_unidad", "no está en el catálogo c_ClaveUnidad"),
        ({"description": "   "}, "description", "Descripción: escribe qué vendes"),
        ({"description": "Café\u202e"}, "description", "caracteres invisibles"),
        ({"description": "x" * 1001}, "description", "máximo 1000"),
        ({"unit": "x" * 21}, "unit", "Unidad: máximo 20"),
        ({"unit_price": Decimal("-1")}, "unit_price", "no puede ser negativo"),
        ({"unit_price": Decimal("1.1234567")}, "unit_price", "máximo 6 decimales"),
        ({"unit_price": Decimal("1e20")}, "unit_price", "demasiado grande"),
        ({"unit_price": Decimal("NaN")}, "unit_price", "debe ser un número"),
        ({"objeto_imp": "09"}, "objeto_imp", "no está en el catálogo c_ObjetoImp"),
        ({"objeto_imp": "02"}, "tax_scheme", "es obligatorio con objeto de impuesto 02"),
    ],
)
def test_each_refusal_names_the_field_and_the_rule(company, changes, field, says):
    got_field, message = refusal(company, **changes)
    assert got_field == field
    assert says in message
    assert not Product.objects.exists()


@pytest.mark.parametrize("objeto", ["01", "03", "04"])
def test_without_taxes_to_break_down_a_scheme_is_refused(company, objeto):
    field, message = refusal(company, objeto_imp=objeto, tax_scheme=make_scheme(company))
    assert field == "tax_scheme"
    assert f"con objeto de impuesto {objeto}" in message


@pytest.mark.parametrize("objeto", ["01", "03", "04", "05", "06", "07", "08"])
def test_other_objeto_codes_may_go_without_a_scheme(company, objeto):
    assert create(company, objeto_imp=objeto).tax_scheme is None


def test_another_companys_scheme_is_refused(company):
    foreign = make_scheme(make_company(make_account()), name="Ajeno")
    field, message = refusal(company, tax_scheme=foreign)
    assert (field, message) == ("tax_scheme", "Esquema de impuestos: no es de esta empresa.")


def test_editing_records_before_and_after_and_nothing_when_nothing_changed(company):
    product = make_product(company, description="Consultoría")
    owner = owner_of(company.account)
    with transaction.atomic():
        product_update(
            product=product,
            actor=owner,
            data=product_data(
                description="Consultoría fiscal",
                unit_price=Decimal("1500"),
                tax_scheme=product.tax_scheme,
                clave_prod_serv="80101500",
                clave_unidad="E48",
            ),
        )
    event = AuditEvent.objects.get(action=Action.PRODUCT_UPDATED)
    assert event.before["description"] == "Consultoría"
    assert event.after["description"] == "Consultoría fiscal"
    assert event.after["clave_unidad"] == "E48"
    product.refresh_from_db()
    with transaction.atomic():
        product_update(
            product=product,
            actor=owner,
            data=product_data(
                description="Consultoría fiscal",
                unit_price=Decimal("1500.000000"),
                tax_scheme=product.tax_scheme,
                clave_prod_serv="80101500",
                clave_unidad="E48",
            ),
        )
    assert AuditEvent.objects.filter(action=Action.PRODUCT_UPDATED).count() == 1


def test_archiving_hides_the_product_and_restoring_brings_it_back(company):
    product = make_product(company, description="Taza")
    owner = owner_of(company.account)
    with transaction.atomic():
        product_set_active(product=product, actor=owner, active=False)
    assert not product_list(viewer=owner, company=company).exists()
    assert list(product_list(viewer=owner, company=company, archived=True)) == [product]
    with transaction.atomic():
        product_set_active(product=product, actor=owner, active=False)  # already: no event
        product_set_active(product=product, actor=owner, active=True)
    actions = list(
        AuditEvent.objects.filter(target_id=str(product.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == [Action.PRODUCT_ARCHIVED, Action.PRODUCT_RESTORED]


def test_the_list_searches_descriptions_accent_blind_and_claves_by_prefix(company):
    scheme = make_scheme(company)
    cafe = make_product(company, description="CAFÉ de Chiapas", scheme=scheme)
    asesoria = make_product(
        company, description="Asesoría contable", scheme=scheme, clave_prod_serv="84111500"
    )
    owner = owner_of(company.account)

    def found(query):
        return list(product_list(viewer=owner, company=company, query=query))

    assert found("cafe chiapas") == [cafe]
    assert found("ASESORIA") == [asesoria]
    assert found("8411") == [asesoria]
    assert found("") == [asesoria, cafe]  # by description


def test_reads_need_datos_maestros_and_never_reach_another_company(company):
    product = make_product(company)
    other = make_company(make_account())
    foreign = make_product(other)
    owner = owner_of(company.account)
    with pytest.raises(NotFound):
        product_for(viewer=owner, company=company, product_id=foreign.pk)
    with pytest.raises(ProductsForbidden):
        product_for(viewer=owner, company=other, product_id=foreign.pk)
    member = make_membership(company.account)
    make_grant(member, company, "consulta")  # Ventas, Egresos, Nómina: no Datos maestros
    with pytest.raises(ProductsForbidden):
        product_list(viewer=member.user, company=company)
    keeper = make_membership(company.account)
    make_grant(keeper, company, "consulta", add=[_datos_maestros()])
    assert product_for(viewer=keeper.user, company=company, product_id=product.pk) == product


def _datos_maestros():
    from despacho.access.catalog import Perm

    return Perm.DATOS_MAESTROS


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"objeto_imp": "02", "tax_scheme": None}, "product_objeto_02_has_scheme"),
        ({"objeto_imp": "09"}, "product_objeto_imp_known"),
        ({"unit_price": Decimal("-1")}, "product_price_not_negative"),
        ({"description": ""}, "product_description_present"),
    ],
)
def test_the_database_holds_the_rules_a_row_alone_can_say(company, changes, constraint):
    product = make_product(company)
    for name, value in changes.items():
        setattr(product, name, value)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        product.save()

"""Small builders for the accounting tests: a company with its default chart, lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from despacho.accounting.models import Account, Poliza, PolizaTipo
from despacho.accounting.services import Line, chart_create_default, poliza_create
from despacho.tenancy.models import Company
from tests.cfdi.cfdi_samples import any_rfc
from tests.factories import make_account, make_company, owner_of


def chart_company(rfc: str | None = None) -> Company:
    """A persona moral with its default chart and posting rules."""
    account = make_account()
    company = make_company(account, rfc=rfc or any_rfc())
    chart_create_default(company=company, actor=owner_of(account))
    return company


def acct(company: Company, code: str) -> Account:
    return Account.objects.get(company=company, code=code)


def debit(account: Account, amount: str) -> Line:
    return Line(account=account, debe=Decimal(amount))


def credit(account: Account, amount: str) -> Line:
    return Line(account=account, haber=Decimal(amount))


def simple_poliza(company: Company, amount: str = "100.00", day: date | None = None) -> Poliza:
    """Bank against sales: a balanced diario of ``amount``."""
    return poliza_create(
        company=company,
        actor=None,
        tipo=PolizaTipo.DIARIO,
        fecha=day or date(2026, 1, 15),
        concepto="Venta de mostrador",
        lines=[debit(acct(company, "102.01"), amount), credit(acct(company, "401.01"), amount)],
    )


PAYMENT_DATE = "2026-02-10T12:00:00"


def pago_complement(*, invoice: str, pagado: str, saldo_ant: str) -> str:
    """A Pagos 2.0 complement paying ``pagado`` of one invoice."""
    insoluto = Decimal(saldo_ant) - Decimal(pagado)
    return (
        '<pago20:Pagos xmlns:pago20="http://www.sat.gob.mx/Pagos20" Version="2.0">'
        f'<pago20:Totales MontoTotalPagos="{pagado}"/>'
        f'<pago20:Pago FechaPago="{PAYMENT_DATE}" FormaDePagoP="03" MonedaP="MXN" '
        f'Monto="{pagado}">'
        f'<pago20:DoctoRelacionado IdDocumento="{invoice.upper()}" MonedaDR="MXN" '
        f'EquivalenciaDR="1" NumParcialidad="1" ImpSaldoAnt="{saldo_ant}" '
        f'ImpPagado="{pagado}" ImpSaldoInsoluto="{insoluto}" ObjetoImpDR="01"/>'
        "</pago20:Pago></pago20:Pagos>"
    )


def ppd(xml: bytes) -> bytes:
    return xml.replace(b'MetodoPago="PUE"', b'MetodoPago="PPD"')


def movements_of(poliza: Poliza) -> list[tuple[str, Decimal, Decimal]]:
    """(account code, debe, haber) of each movement, in order."""
    return [(m.account.code, m.debe, m.haber) for m in poliza.movements.select_related("account")]


def member_with(company: Company, profile_code: str):
    """An active member of the company's account holding ``profile_code`` on it."""
    from tests.factories import make_grant, make_membership

    membership = make_membership(company.account)
    make_grant(membership, company, profile_code)
    return membership.user


def login(client, user, company: Company) -> None:
    from despacho.workspace.active import SESSION_KEY

    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = company.pk
    session.save()

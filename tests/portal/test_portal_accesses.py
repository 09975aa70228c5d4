"""The issuer's side: accesses created by ingestion and by hand, the management pages, passwords."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.cfdi.models import Cfdi
from despacho.cfdi.services import cfdi_ingest, cfdi_ingest_files
from despacho.cfdi.signals import cfdi_stored
from despacho.portal.models import AccessStatus, Origin, PortalAccess
from despacho.portal.services.accesses import portal_access_create, portal_access_set_password
from tests.cfdi.cfdi_samples import INGRESO_HE, PAGO_HE, cfdi_xml, company_with_rfc, sample
from tests.factories import make_account, make_grant, make_membership, owner_of

from .scenario import RECEIVER_PASSWORD, access, issue, issuer, person, portal_login, receiver_rfc

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- created by ingestion


def test_ingesting_an_issued_cfdi_creates_the_receivers_access_once():
    company = company_with_rfc("H&E951128469")
    cfdi_ingest(company=company, data=sample(INGRESO_HE))
    cfdi_ingest(company=company, data=sample(PAGO_HE), accept_unverified=True)  # same receptor
    created = PortalAccess.objects.get(company=company)
    assert created.rfc == "KIJ0906199R1"
    assert created.origin == Origin.AUTO
    assert created.status == AccessStatus.NO_PASSWORD
    assert created.name
    assert AuditEvent.objects.filter(action=Action.PORTAL_ACCESSES_AUTO_CREATED).count() == 1


def test_generic_rfcs_never_get_an_access():
    company = issuer()
    issue(company, "XAXX010101000")
    issue(company, "XEXX010101000")
    assert not PortalAccess.objects.exists()


def test_received_cfdis_and_payroll_create_no_access():
    company = issuer()
    issue(company, receiver_rfc(), tipo="N")
    from tests.cfdi.cfdi_samples import any_rfc, cfdi_xml

    cfdi_ingest(company=company, data=cfdi_xml(emisor=any_rfc(), receptor=company.rfc))
    assert not PortalAccess.objects.exists()


def test_a_batch_with_many_documents_to_one_receiver_creates_one_access():
    import io

    from tests.cfdi.cfdi_samples import cfdi_xml, zip_of

    company = issuer()
    rfc, other = receiver_rfc(), receiver_rfc()
    members = {
        f"{n}.xml": cfdi_xml(emisor=company.rfc, receptor=rfc, folio=str(n)) for n in range(5)
    }
    members["x.xml"] = cfdi_xml(emisor=company.rfc, receptor=other)
    cfdi_ingest_files(company=company, files=[("lote.zip", io.BytesIO(zip_of(members)))])
    assert sorted(PortalAccess.objects.values_list("rfc", flat=True)) == sorted([rfc, other])


def test_an_existing_access_is_left_as_it_is_by_ingestion():
    company = issuer()
    rfc = receiver_rfc()
    found = access(company, rfc, name="NOMBRE PUESTO A MANO", email="a@cliente.mx")
    issue(company, rfc)
    found.refresh_from_db()
    assert found.name == "NOMBRE PUESTO A MANO"
    assert found.origin == Origin.MANUAL
    assert PortalAccess.objects.filter(company=company).count() == 1


def test_the_access_is_created_in_the_transaction_that_stores_the_cfdi_and_falls_with_it():
    # A receiver of cfdi_stored connected after the portal's sees the access already
    # there, inside the storing transaction; its failure rolls back the row and the access.
    company = issuer()
    rfc = receiver_rfc()
    seen = []

    def fails_after_the_portal(sender, *, company, rows, **kwargs):
        seen.append(
            (
                transaction.get_connection().in_atomic_block,
                [row.receptor_rfc for row in rows],
                PortalAccess.objects.filter(company=company, rfc=rfc).exists(),
            )
        )
        raise RuntimeError("a later receiver failed")

    cfdi_stored.connect(fails_after_the_portal, dispatch_uid="test_fails_after_the_portal")
    try:
        with pytest.raises(RuntimeError, match="a later receiver failed"):
            cfdi_ingest(company=company, data=cfdi_xml(emisor=company.rfc, receptor=rfc))
    finally:
        cfdi_stored.disconnect(dispatch_uid="test_fails_after_the_portal")
    assert seen == [(True, [rfc], True)]
    assert not PortalAccess.objects.filter(company=company).exists()
    assert not Cfdi.objects.filter(company=company).exists()
    assert not AuditEvent.objects.filter(action=Action.PORTAL_ACCESSES_AUTO_CREATED).exists()
    assert not default_storage.listdir(f"cfdi/{company.pk}")[1]


def test_when_the_access_cannot_be_written_the_cfdi_is_not_stored(monkeypatch):
    company = issuer()

    def broken_ensure(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("despacho.portal.services.accesses.portal_accesses_ensure", broken_ensure)
    with pytest.raises(RuntimeError, match="database went away"):
        cfdi_ingest(company=company, data=cfdi_xml(emisor=company.rfc, receptor=receiver_rfc()))
    assert not Cfdi.objects.filter(company=company).exists()
    assert not default_storage.listdir(f"cfdi/{company.pk}")[1]


# ---------------------------------------------------------------- created by hand


def _create(company, **fields):
    with transaction.atomic():
        return portal_access_create(company=company, actor=owner_of(company.account), **fields)


def test_an_access_created_by_hand_takes_a_persona_fisica_rfc_without_password():
    company = issuer()
    result = _create(company, rfc=" xojI740919u48 ")
    assert result.access.rfc == "XOJI740919U48"
    assert result.access.origin == Origin.MANUAL
    assert result.shown_password == ""
    assert result.access.status == AccessStatus.NO_PASSWORD


def test_a_generated_password_is_returned_once_and_stored_only_hashed():
    company = issuer()
    result = _create(company, rfc=receiver_rfc(), generate_password=True)
    assert len(result.shown_password) == 19
    stored = PortalAccess.objects.get(pk=result.access.pk)
    assert stored.password != result.shown_password
    assert check_password(result.shown_password, stored.password)
    event = AuditEvent.objects.get(action=Action.PORTAL_ACCESS_CREATED)
    assert result.shown_password not in str(event.after)
    assert stored.password not in str(event.after)


@pytest.mark.parametrize(
    ("rfc", "code"),
    [
        ("XAXX010101000", "generic_rfc"),
        ("ABC12", "rfc_length"),
        ("KIJ0906199R2", "rfc_check_digit"),
    ],
)
def test_a_bad_rfc_is_refused_naming_the_rule(rfc, code):
    with pytest.raises(ValidationError) as caught:
        _create(issuer(), rfc=rfc)
    assert caught.value.error_dict["rfc"][0].code == code
    assert caught.value.messages[0].startswith("RFC")


def test_a_second_access_for_the_same_rfc_is_refused():
    company = issuer()
    rfc = receiver_rfc()
    _create(company, rfc=rfc)
    with pytest.raises(ValidationError, match="ya tiene acceso"):
        _create(company, rfc=rfc)


def test_a_weak_password_is_refused_by_the_password_rules():
    with pytest.raises(ValidationError) as caught:
        _create(issuer(), rfc=receiver_rfc(), password="12345678")
    codes = {e.code for e in caught.value.error_dict["password"]}
    assert "password_too_short" in codes


@hypothesis_settings(max_examples=30, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789&Ñ -", max_size=16))
def test_any_rfc_typed_is_either_refused_with_a_code_or_stored_normalised(typed):
    from despacho.portal.services.accesses import receiver_rfc_checked

    try:
        rfc = receiver_rfc_checked(typed)
    except ValidationError as exc:
        assert exc.error_dict["rfc"][0].code
    else:
        assert rfc == rfc.strip().upper() and len(rfc) in (12, 13)


# ---------------------------------------------------------------- the management page


def _portal_staff(company, profile_code="auxiliar_ventas", **kwargs):
    from despacho.access.catalog import Perm

    membership = make_membership(company.account)
    make_grant(membership, company, profile_code, **kwargs)
    client = Client()
    client.force_login(membership.user)
    return client, Perm


def test_the_list_shows_rfc_name_email_origin_status_and_never_a_password(client):
    company = issuer()
    with_password = access(company, name="ÓPTICA PÉREZ SA DE CV", email="optica@cliente.mx")
    without = access(company, password=None, name="OTRO CLIENTE")
    client.force_login(owner_of(company.account))
    body = client.get(reverse("portal_manage:list")).content.decode()
    for text in (with_password.rfc, "ÓPTICA PÉREZ SA DE CV", "optica@cliente.mx", "Manual"):
        assert text in body
    assert "Activo" in body and "Sin contraseña" in body and without.rfc in body
    assert with_password.password not in body
    assert RECEIVER_PASSWORD not in body


def test_the_list_filters_by_rfc_or_name_ignoring_accents_and_case(client):
    company = issuer()
    perez = access(company, name="ÓPTICA PÉREZ SA DE CV")
    other = access(company, name="FERRETERA LÓPEZ")
    client.force_login(owner_of(company.account))

    def shown(q):
        body = client.get(reverse("portal_manage:list"), {"q": q}).content.decode()
        return {a.rfc for a in (perez, other) if f'data-rfc="{a.rfc}"' in body}

    assert shown("optica perez") == {perez.rfc}
    assert shown("lópez") == {other.rfc}
    assert shown(other.rfc[:6].lower()) == {other.rfc}
    assert shown("") == {perez.rfc, other.rfc}


def test_a_person_with_their_own_password_makes_the_access_active():
    company = issuer()
    shared = access(company, password=None)
    person(shared, "ana@cliente.mx")
    assert PortalAccess.objects.get(pk=shared.pk).status == AccessStatus.ACTIVE


def test_without_the_portal_permission_the_management_pages_are_forbidden():
    from despacho.access.catalog import Perm

    company = issuer()
    found = access(company)
    client, _perm = _portal_staff(company, "consulta")
    for url in (
        reverse("portal_manage:list"),
        reverse("portal_manage:create"),
        reverse("portal_manage:detail", args=[found.pk]),
        reverse("portal_manage:history", args=[found.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("portal_manage:active", args=[found.pk]), {"active": "0"})
    assert response.status_code == 403
    assert PortalAccess.objects.get(pk=found.pk).is_active
    allowed, _perm = _portal_staff(company, "consulta", add=[Perm.PORTAL])
    assert allowed.get(reverse("portal_manage:list")).status_code == 200
    assert "Portal de descargas" in allowed.get(reverse("home")).content.decode()
    assert "portal-accesos" not in client.get(reverse("home")).content.decode()


def test_anonymous_visitors_are_sent_to_the_staff_login(client):
    response = client.get(reverse("portal_manage:list"))
    assert response.status_code == 302
    assert reverse("people:login") in response["Location"]


ACCESS_ROUTES = [
    ("get", "portal_manage:detail", {}),
    ("get", "portal_manage:history", {}),
    ("post", "portal_manage:detail", {"name": "X", "email": ""}),
    ("post", "portal_manage:password", {"rfc_confirmation": "", "generate_password": "on"}),
    ("post", "portal_manage:send", {"email": "x@example.mx"}),
    ("post", "portal_manage:active", {"active": "0"}),
    ("post", "portal_manage:person_add", {"email": "y@example.mx"}),
]


@pytest.mark.parametrize(("method", "name", "data"), ACCESS_ROUTES)
def test_another_companys_access_is_not_found(client, method, name, data):
    mine = issuer()
    foreign = access(issuer())
    client.force_login(owner_of(mine.account))
    response = getattr(client, method)(reverse(name, args=[foreign.pk]), data)
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active and foreign.name != "X"


@pytest.mark.parametrize("name", ["portal_manage:person_active", "portal_manage:person_send"])
def test_another_companys_person_is_not_found(client, name):
    mine = issuer()
    foreign = person(access(issuer()), "z@cliente.mx")
    client.force_login(owner_of(mine.account))
    assert client.post(reverse(name, args=[foreign.pk]), {"active": "0"}).status_code == 404


def test_creating_by_hand_with_a_generated_password_shows_it_once(client):
    company = issuer()
    client.force_login(owner_of(company.account))
    rfc = receiver_rfc()
    response = client.post(
        reverse("portal_manage:create"),
        {"rfc": rfc, "name": "Cliente Nuevo", "generate_password": "on"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    created = PortalAccess.objects.get(company=company, rfc=rfc)
    shown = response.context["password"]
    assert shown in response.content.decode()
    assert check_password(shown, created.password)
    detail = client.get(reverse("portal_manage:detail", args=[created.pk])).content.decode()
    assert shown not in detail
    assert "Tiene contraseña (no se muestra)" in detail


def test_creating_by_hand_shows_the_rfc_error_in_spanish(client):
    company = issuer()
    client.force_login(owner_of(company.account))
    response = client.post(reverse("portal_manage:create"), {"rfc": "XAXX010101000"})
    assert "es genérico" in response.content.decode()
    assert not PortalAccess.objects.exists()


# ---------------------------------------------------------------- editing the password


def test_changing_the_password_requires_the_retyped_rfc(client):
    company = issuer()
    found = access(company)
    client.force_login(owner_of(company.account))
    url = reverse("portal_manage:password", args=[found.pk])
    refused = client.post(url, {"rfc_confirmation": "OTRO", "password": "Nueva.Clave.Larga.2026"})
    assert refused.status_code == 400
    assert "Confirmación: escribe el RFC del receptor" in refused.content.decode()
    assert check_password(RECEIVER_PASSWORD, PortalAccess.objects.get(pk=found.pk).password)
    accepted = client.post(
        url, {"rfc_confirmation": found.rfc.lower(), "password": "Nueva.Clave.Larga.2026"}
    )
    assert accepted.status_code == 200
    assert "Nueva.Clave.Larga.2026" in accepted.content.decode()
    assert check_password("Nueva.Clave.Larga.2026", PortalAccess.objects.get(pk=found.pk).password)


def test_changing_the_password_applies_the_password_rules():
    company = issuer()
    found = access(company)
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        portal_access_set_password(
            access=found,
            actor=owner_of(company.account),
            rfc_confirmation=found.rfc,
            password="1234567890",
        )
    codes = {e.code for e in caught.value.error_dict["password"]}
    assert "password_entirely_numeric" in codes


def test_changing_the_password_ends_the_receivers_sessions():
    company = issuer()
    found = access(company)
    receiver = Client()
    assert portal_login(receiver, company, found.rfc).status_code == 302
    with transaction.atomic():
        portal_access_set_password(
            access=found,
            actor=owner_of(company.account),
            rfc_confirmation=found.rfc,
            generate_password=True,
        )
    response = receiver.get(reverse("portal:home", args=[company.slug]))
    assert response.status_code == 302
    audit = AuditEvent.objects.get(action=Action.PORTAL_ACCESS_PASSWORD_SET)
    assert audit.actor == owner_of(company.account)


def test_disabling_and_enabling_from_the_page_is_audited(client):
    company = issuer()
    found = access(company)
    client.force_login(owner_of(company.account))
    client.post(reverse("portal_manage:active", args=[found.pk]), {"active": "0"})
    assert PortalAccess.objects.get(pk=found.pk).status == AccessStatus.DISABLED
    client.post(reverse("portal_manage:active", args=[found.pk]), {"active": "1"})
    assert PortalAccess.objects.get(pk=found.pk).is_active
    actions = list(
        AuditEvent.objects.filter(action__startswith="portal.access_").values_list(
            "action", flat=True
        )
    )
    assert Action.PORTAL_ACCESS_DISABLED in actions and Action.PORTAL_ACCESS_ENABLED in actions


def test_the_history_shows_logins_failures_and_downloads(client):
    company = issuer()
    rfc = receiver_rfc()
    cfdi = issue(company, rfc)
    found = access(company, rfc)
    receiver = Client()
    portal_login(receiver, company, rfc, "Mala.Clave.1")
    portal_login(receiver, company, rfc)
    receiver.get(reverse("portal:xml", args=[company.slug, cfdi.uuid]))
    client.force_login(owner_of(company.account))
    body = client.get(reverse("portal_manage:history", args=[found.pk])).content.decode()
    for label in ("Entrada fallida", "Entrada", "Descarga XML", cfdi.uuid_text, "127.0.0.1"):
        assert label in body
    listing = client.get(reverse("portal_manage:list")).content.decode()
    assert "—" in listing  # never-logged-in columns for others; this one has dates
    found.refresh_from_db()
    assert found.last_login_at and found.last_download_at


def test_a_member_without_the_ventas_grant_on_that_company_cannot_open_another_companys_page():
    company = issuer()
    elsewhere = make_account()
    client = Client()
    client.force_login(owner_of(elsewhere))
    assert client.get(reverse("portal_manage:detail", args=[access(company).pk])).status_code in (
        403,
        404,
    )

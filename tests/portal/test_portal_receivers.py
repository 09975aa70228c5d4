"""The receivers' portal: logins, lock-outs, separate sessions, isolation, downloads."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, make_password
from django.test import Client
from django.urls import reverse

from despacho.cfdi.models import Cfdi, Status
from despacho.portal.models import EventKind, PortalAccess, PortalEvent
from despacho.portal.services.accesses import portal_access_set_active, portal_user_set_active
from tests.factories import owner_of
from tests.security.conftest import enqueued_tasks_during, served_until_closed, without_csrf

from .scenario import (
    RECEIVER_PASSWORD,
    access,
    home,
    issue,
    issuer,
    person,
    portal_login,
    receiver_rfc,
)

pytestmark = pytest.mark.django_db

SAME_ERROR = "RFC o contraseña incorrectos"


def _logged_in(client: Client, company, identifier: str) -> None:
    response = portal_login(client, company, identifier)
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == home(company)


# ---------------------------------------------------------------- logging in


def test_a_receiver_logs_in_with_rfc_and_password_and_sees_its_cfdis(client):
    company = issuer("FERRETERA DEL NORTE SA DE CV")
    rfc = receiver_rfc()
    cfdi = issue(company, rfc)
    access(company, rfc)
    _logged_in(client, company, rfc.lower())  # RFCs are typed in any case
    body = client.get(home(company)).content.decode()
    assert "CFDI que te emitió FERRETERA DEL NORTE SA DE CV" in body
    assert cfdi.uuid_text in body
    event = PortalEvent.objects.get(kind=EventKind.LOGIN)
    assert event.access is not None and event.access.rfc == rfc
    assert event.ip == "127.0.0.1"
    assert PortalAccess.objects.get(company=company, rfc=rfc).last_login_at is not None


def test_the_receivers_list_shows_dates_amounts_and_tipo_readably(client):
    company = issuer()
    rfc = receiver_rfc()
    issue(company, rfc, total="17852.75", fecha="2020-01-02T22:40:38")
    access(company, rfc)
    _logged_in(client, company, rfc)
    body = client.get(home(company)).content.decode()
    assert "<td>2 ene 2020, 22:40</td>" in body
    assert '<td class="amount">$17,852.75 MXN</td>' in body


def test_a_wrong_password_and_an_unknown_rfc_get_the_same_error(client):
    company = issuer()
    known = access(company)
    wrong_password = portal_login(client, company, known.rfc, "Otra.Clave.2026")
    unknown_rfc = portal_login(client, company, receiver_rfc())
    no_password_yet = portal_login(client, company, access(company, password=None).rfc)
    bodies = [r.content.decode() for r in (wrong_password, unknown_rfc, no_password_yet)]
    assert all(SAME_ERROR in body for body in bodies)
    assert {r.status_code for r in (wrong_password, unknown_rfc, no_password_yet)} == {200}
    assert PortalEvent.objects.filter(kind=EventKind.LOGIN_FAILED).count() == 3
    assert "_auth_user_id" not in client.session and "portal" not in client.session


class CountingHasher(MD5PasswordHasher):
    """MD5 (the tests' hasher) that counts how often a password is checked."""

    calls = 0

    def verify(self, password, encoded):
        CountingHasher.calls += 1
        return super().verify(password, encoded)


def test_an_unknown_rfc_costs_a_password_hash_like_a_known_one(client, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    company = issuer()
    known = access(company)
    for identifier in (known.rfc, receiver_rfc(), "nadie@example.mx"):
        CountingHasher.calls = 0
        portal_login(client, company, identifier, "Otra.Clave.2026")
        assert CountingHasher.calls == 1, identifier


def test_a_person_of_the_receiver_logs_in_with_their_own_email_and_password(client):
    company = issuer()
    rfc = receiver_rfc()
    cfdi = issue(company, rfc)
    shared = access(company, rfc, password=None)
    person(shared, "compras@cliente.mx", "Compras.Propias.2026")
    _logged_in_response = portal_login(
        client, company, "Compras@Cliente.mx", "Compras.Propias.2026"
    )
    assert _logged_in_response.status_code == 302
    body = client.get(home(company)).content.decode()
    assert cfdi.uuid_text in body
    assert "compras@cliente.mx" in body


def test_a_disabled_access_with_the_right_password_is_told_so(client):
    company = issuer()
    found = access(company)
    portal_access_set_active(access=found, actor=owner_of(company.account), active=False)
    response = portal_login(client, company, found.rfc)
    assert "Tu acceso a este portal está deshabilitado" in response.content.decode()
    assert "portal" not in client.session


# ---------------------------------------------------------------- lock-outs


def test_five_failures_lock_the_rfc_for_fifteen_minutes_with_a_spanish_message(client):
    company = issuer()
    found = access(company)
    for _attempt in range(4):
        assert (
            SAME_ERROR in portal_login(client, company, found.rfc, "Mala.Clave.1").content.decode()
        )
    fifth = portal_login(client, company, found.rfc, "Mala.Clave.1")
    assert fifth.status_code == 429
    text = fifth.content.decode()
    assert "Demasiados intentos fallidos" in text
    assert "15 minutos" in text
    # Even the right password waits for the lock to end.
    locked = portal_login(client, company, found.rfc)
    assert locked.status_code == 429
    assert "portal" not in client.session
    assert PortalEvent.objects.filter(kind=EventKind.LOGIN_LOCKED).count() == 1


def test_the_rfc_lock_is_the_same_for_rfcs_without_access(client):
    company = issuer()
    for _attempt in range(5):
        response = portal_login(client, company, "AAA010101AAA")
    assert response.status_code == 429
    assert "Demasiados intentos fallidos" in response.content.decode()


def test_the_next_lock_out_lasts_twice_as_long(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from despacho.portal import lockout
    from despacho.portal.models import LoginThrottle

    company = issuer()
    found = access(company)
    key = lockout.attempt_for(company_id=company.pk, identifier=found.rfc, ip="127.0.0.1").pair_key
    for _attempt in range(5):
        portal_login(client, company, found.rfc, "Mala.Clave.1")
    first = LoginThrottle.objects.get(key=key)
    # The lock served its time.
    LoginThrottle.objects.filter(key=key).update(locked_until=timezone.now() - timedelta(seconds=1))
    for _attempt in range(5):
        response = portal_login(client, company, found.rfc, "Mala.Clave.1")
    second = LoginThrottle.objects.get(key=key)
    assert first.lockouts == 1 and second.lockouts == 2
    assert "30 minutos" in response.content.decode()


def test_failures_from_one_address_lock_every_rfc_tried_from_it(client, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_IP = 6
    company = issuer()
    found = access(company)
    for _attempt in range(6):
        portal_login(client, company, receiver_rfc(), "Mala.Clave.1")
    response = portal_login(client, company, found.rfc)
    assert response.status_code == 429
    assert "Demasiados intentos fallidos" in response.content.decode()
    other_address = Client(REMOTE_ADDR="10.0.0.9")
    assert portal_login(other_address, company, found.rfc).status_code == 302


def test_a_successful_login_forgets_the_rfcs_failures(client):
    company = issuer()
    found = access(company)
    for _attempt in range(4):
        portal_login(client, company, found.rfc, "Mala.Clave.1")
    assert portal_login(client, company, found.rfc).status_code == 302
    for _attempt in range(4):
        response = portal_login(client, company, found.rfc, "Mala.Clave.1")
    assert SAME_ERROR in response.content.decode()


def test_the_rfc_counts_however_it_is_typed(client):
    company = issuer()
    found = access(company, "KIJ0906199R1")
    # Each spelling the login reads as the same RFC, fullwidth look-alikes included.
    typed = ["KIJ-0906199R1", "KIJ_0906199R1", "K IJ0906199R1", "kij0906199r1"]
    for variant in typed:
        assert SAME_ERROR in portal_login(client, company, variant, "Mala.Clave.1").content.decode()
    fifth = portal_login(client, company, "ＫＩＪ０９０６１９９Ｒ１", "Mala.Clave.1")
    assert fifth.status_code == 429
    assert portal_login(client, company, found.rfc).status_code == 429


def test_a_persons_email_counts_however_it_is_typed(client):
    company = issuer()
    person(access(company, password=None), "ana@cliente.mx")
    typed = ["ANA@CLIENTE.MX", "ana@cliente.mx", " Ana@Cliente.mx", "ａｎａ@ｃｌｉｅｎｔｅ.ｍｘ"]
    for variant in typed:
        assert SAME_ERROR in portal_login(client, company, variant, "Mala.Clave.1").content.decode()
    assert portal_login(client, company, "ana@cliente.mx", "Mala.Clave.1").status_code == 429
    assert portal_login(client, company, "ana@cliente.mx").status_code == 429


def test_a_stranger_elsewhere_cannot_lock_the_receiver_out(client):
    company = issuer()
    found = access(company)
    stranger = Client(REMOTE_ADDR="198.51.100.66")
    for _attempt in range(8):
        response = portal_login(stranger, company, found.rfc, "Mala.Clave.1")
    assert response.status_code == 429
    assert portal_login(stranger, company, found.rfc).status_code == 429
    _logged_in(client, company, found.rfc)


def test_guesses_spread_over_addresses_slow_the_rfc_down_only_for_addresses_never_used(client):
    company = issuer()
    found = access(company)
    _logged_in(client, company, found.rfc)  # the receiver's own address
    client.post(reverse("portal:logout", args=[company.slug]))
    # Below the per-address limit at each address, ten failures from everywhere.
    for n in range(5):
        guesser = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        for _attempt in range(2):
            portal_login(guesser, company, found.rfc, "Mala.Clave.1")
    new_address = Client(REMOTE_ADDR="198.51.100.99")
    slowed = portal_login(new_address, company, found.rfc)  # even the right password waits
    assert slowed.status_code == 429
    assert "15 minutos" in slowed.content.decode()
    _logged_in(client, company, found.rfc)


def test_the_slow_down_grows_with_each_round_of_spread_guesses(client):
    from datetime import timedelta

    from django.utils import timezone

    from despacho.portal import lockout
    from despacho.portal.models import LoginThrottle

    company = issuer()
    found = access(company)
    key = lockout.attempt_for(company_id=company.pk, identifier=found.rfc, ip=None).identity_key
    addresses = iter(f"198.51.100.{n}" for n in range(1, 60))

    def spread_round():
        for _n in range(5):
            guesser = Client(REMOTE_ADDR=next(addresses))
            for _attempt in range(2):
                response = portal_login(guesser, company, found.rfc, "Mala.Clave.1")
        return response

    assert "15 minutos" in spread_round().content.decode()
    LoginThrottle.objects.filter(key=key).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert "30 minutos" in spread_round().content.decode()


# ---------------------------------------------------------------- login links by email

LINK_SENT = "Si ese correo está registrado"


def _ask_link(client: Client, company, email: str):
    url = reverse("portal:link_request", args=[company.slug])
    return enqueued_tasks_during(lambda: client.post(url, {"email": email}, follow=True))


def test_a_known_and_an_unknown_address_queue_the_same_task_and_get_the_same_page(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    company = issuer()
    access(company, email="pagos@cliente.mx")
    known, known_tasks = _ask_link(Client(), company, "pagos@cliente.mx")
    unknown, unknown_tasks = _ask_link(Client(), company, "nadie@example.mx")
    # The request only queues the task (the lookup is the task's), with the same arguments.
    assert known_tasks == [
        ("portal_login_links_send", {"company_id": company.pk, "email": "pagos@cliente.mx"})
    ]
    assert unknown_tasks == [
        ("portal_login_links_send", {"company_id": company.pk, "email": "nadie@example.mx"})
    ]
    assert known.redirect_chain == unknown.redirect_chain
    assert LINK_SENT in known.content.decode()
    assert without_csrf(known.content) == without_csrf(unknown.content)


def test_the_fourth_login_link_request_within_the_hour_sends_no_mail_and_answers_the_same(
    mailoutbox, django_capture_on_commit_callbacks
):
    company = issuer()
    access(company, email="pagos@cliente.mx")
    answers = []
    for _request in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(_ask_link(Client(), company, "pagos@cliente.mx"))
    assert len(mailoutbox) == 3
    first, fourth = answers[0], answers[3]
    assert fourth[1] == []
    assert fourth[0].redirect_chain == first[0].redirect_chain
    assert LINK_SENT in fourth[0].content.decode()
    assert without_csrf(fourth[0].content) == without_csrf(first[0].content)


def test_one_client_address_asks_for_at_most_twenty_login_links_an_hour(
    mailoutbox, django_capture_on_commit_callbacks
):
    company = issuer()
    access(company, email="pagos@cliente.mx")
    asker = Client(REMOTE_ADDR="198.51.100.66")
    for n in range(20):
        _answer, enqueued = _ask_link(asker, company, f"persona{n}@example.mx")
        assert [name for name, _kwargs in enqueued] == ["portal_login_links_send"]
    with django_capture_on_commit_callbacks(execute=True):
        answer, enqueued = _ask_link(asker, company, "pagos@cliente.mx")
    assert enqueued == [] and mailoutbox == []
    assert LINK_SENT in answer.content.decode()


@pytest.mark.django_db(transaction=True)  # commits really happen, as in production
def test_in_process_tasks_mail_the_login_link_only_after_the_answer_has_gone_out(mailoutbox):
    company = issuer()
    access(company, email="pagos@cliente.mx")
    url = reverse("portal:link_request", args=[company.slug])
    for email in ("pagos@cliente.mx", "nadie@example.mx"):
        before = len(mailoutbox)
        status, close = served_until_closed(url, {"email": email})
        assert status.startswith("302")
        assert len(mailoutbox) == before  # no mail work while answering, for either address
        close()
    assert [m.to for m in mailoutbox] == [["pagos@cliente.mx"]]


# ---------------------------------------------------------------- separate sessions


def test_a_portal_login_grants_nothing_in_the_staff_app(client):
    company = issuer()
    found = access(company)
    _logged_in(client, company, found.rfc)
    assert "_auth_user_id" not in client.session
    for url in (
        reverse("home"),
        reverse("portal_manage:list"),
        reverse("cfdi:list", args=["ventas"]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("people:login") in response["Location"]


def test_a_staff_login_grants_nothing_in_the_portal(client):
    company = issuer()
    rfc = receiver_rfc()
    cfdi = issue(company, rfc)
    client.force_login(owner_of(company.account))
    response = client.get(home(company))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login", args=[company.slug])
    xml = client.get(reverse("portal:xml", args=[company.slug, cfdi.uuid]))
    assert xml.status_code == 302


def test_logging_out_of_the_portal_ends_only_that_portal(client):
    first, second = issuer(), issuer()
    rfc = receiver_rfc()
    access(first, rfc)
    access(second, rfc)
    _logged_in(client, first, rfc)
    _logged_in(client, second, rfc)
    client.post(reverse("portal:logout", args=[first.slug]))
    assert client.get(home(first)).status_code == 302
    assert client.get(home(second)).status_code == 200


# ---------------------------------------------------------------- isolation


def test_a_receiver_buying_from_two_companies_sees_in_each_portal_only_that_companys_cfdis(client):
    company_a, company_b = issuer("EMPRESA A SA DE CV"), issuer("EMPRESA B SA DE CV")
    rfc = receiver_rfc()
    from_a = issue(company_a, rfc)
    from_b = issue(company_b, rfc)
    to_someone_else = issue(company_a, receiver_rfc())
    access(company_a, rfc)
    access(company_b, rfc, password="Otra.Clave.Distinta.2026")
    _logged_in(client, company_a, rfc)
    body = client.get(home(company_a)).content.decode()
    assert from_a.uuid_text in body
    assert from_b.uuid_text not in body
    assert to_someone_else.uuid_text not in body
    # A's session opens nothing at B's portal.
    assert client.get(home(company_b)).status_code == 302
    assert client.get(reverse("portal:xml", args=[company_a.slug, from_b.uuid])).status_code == 404


def test_changing_the_uuid_in_the_address_never_reaches_another_rfcs_document(client):
    company = issuer()
    rfc = receiver_rfc()
    mine = issue(company, rfc)
    theirs = issue(company, receiver_rfc())
    received = Cfdi.objects.filter(company=company).exclude(pk__in=[mine.pk, theirs.pk])
    assert not received.exists()
    access(company, rfc)
    _logged_in(client, company, rfc)
    for name in ("portal:xml", "portal:pdf"):
        assert client.get(reverse(name, args=[company.slug, theirs.uuid])).status_code == 404
        assert (
            client.get(
                reverse(name, args=[company.slug, "00000000-0000-0000-0000-000000000000"])
            ).status_code
            == 404
        )
    zipped = client.post(reverse("portal:zip", args=[company.slug]), {"uuid": [str(theirs.uuid)]})
    assert zipped.status_code == 302  # nothing of theirs to put in a ZIP
    assert not PortalEvent.objects.filter(kind=EventKind.DOWNLOAD_ZIP).exists()


def test_received_and_payroll_cfdis_never_show_in_the_portal(client):
    company = issuer()
    rfc = receiver_rfc()
    payroll = issue(company, rfc, tipo="N")
    access(company, rfc)
    _logged_in(client, company, rfc)
    assert payroll.uuid_text not in client.get(home(company)).content.decode()
    assert client.get(reverse("portal:xml", args=[company.slug, payroll.uuid])).status_code == 404


def test_an_access_disabled_mid_session_stops_working_on_the_next_request(client):
    company = issuer()
    rfc = receiver_rfc()
    cfdi = issue(company, rfc)
    found = access(company, rfc)
    _logged_in(client, company, rfc)
    assert client.get(home(company)).status_code == 200
    portal_access_set_active(access=found, actor=owner_of(company.account), active=False)
    response = client.get(reverse("portal:xml", args=[company.slug, cfdi.uuid]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login", args=[company.slug])
    # Enabling it again does not revive the old session.
    portal_access_set_active(access=found, actor=owner_of(company.account), active=True)
    assert client.get(home(company)).status_code == 302


def test_a_person_disabled_mid_session_is_out_and_the_others_stay(client):
    company = issuer()
    shared = access(company)
    ana = person(shared, "ana@cliente.mx")
    person(shared, "luis@cliente.mx")
    other = Client()
    assert portal_login(client, company, "ana@cliente.mx").status_code == 302
    assert portal_login(other, company, "luis@cliente.mx").status_code == 302
    portal_user_set_active(portal_user=ana, actor=owner_of(company.account), active=False)
    assert client.get(home(company)).status_code == 302
    assert other.get(home(company)).status_code == 200


def test_a_password_changed_elsewhere_ends_the_session(client):
    company = issuer()
    found = access(company)
    _logged_in(client, company, found.rfc)
    PortalAccess.objects.filter(pk=found.pk).update(password=make_password("Nueva.Clave.2026"))
    assert client.get(home(company)).status_code == 302


def test_an_unknown_portal_is_not_found(client):
    assert client.get(reverse("portal:login", args=["no-existe"])).status_code == 404


# ---------------------------------------------------------------- the list and downloads


def test_filters_by_date_tipo_and_folio_and_cancelled_ones_are_marked(client):
    company = issuer()
    rfc = receiver_rfc()
    january = issue(company, rfc, fecha="2026-01-10T09:00:00", folio="501")
    march = issue(company, rfc, fecha="2026-03-10T09:00:00", folio="502")
    credit_note = issue(company, rfc, tipo="E", fecha="2026-03-12T09:00:00", folio="503")
    Cfdi.objects.filter(pk=march.pk).update(status=Status.CANCELADO)
    access(company, rfc)
    _logged_in(client, company, rfc)

    def shown(**params):
        body = client.get(home(company), params).content.decode()
        return {c.uuid_text for c in (january, march, credit_note) if c.uuid_text in body}

    assert shown() == {january.uuid_text, march.uuid_text, credit_note.uuid_text}
    assert shown(since="2026-03-01") == {march.uuid_text, credit_note.uuid_text}
    assert shown(until="2026-01-31") == {january.uuid_text}
    assert shown(tipo="E") == {credit_note.uuid_text}
    assert shown(folio="502") == {march.uuid_text}
    body = client.get(home(company), {"folio": "502"}).content.decode()
    assert 'class="cancelled"' in body and "Cancelado" in body
    bad = client.get(home(company), {"since": "2026-03-01", "until": "2026-01-01"})
    assert "Hasta: debe ser igual o posterior" in bad.content.decode()


def test_a_cfdi_whose_seal_failed_is_marked_as_in_the_staff_list(settings, client):
    from despacho.cfdi.services import cfdi_ingest
    from tests.cfdi.cfdi_samples import PAGO_HE, company_with_rfc, sample

    # A real Pago whose SelloCFD belongs to another comprobante: stored only when confirmed.
    company = company_with_rfc("H&E951128469")
    settings.CFDI_VERIFY_SEALS = True
    stored = cfdi_ingest(company=company, data=sample(PAGO_HE), accept_unverified=True)
    bad = Cfdi.objects.get(company=company, uuid=stored.uuid)
    assert bad.seal_verified is False and bad.status == Status.VIGENTE
    settings.CFDI_VERIFY_SEALS = False  # the synthetic one beside it has no seal to check
    good = issue(company, bad.receptor_rfc)
    access(company, bad.receptor_rfc)
    _logged_in(client, company, bad.receptor_rfc)
    body = client.get(home(company)).content.decode()
    rows = {row.split("</tr>")[0] for row in body.split("<tr")[1:]}
    [bad_row] = [row for row in rows if bad.uuid_text in row]
    [good_row] = [row for row in rows if good.uuid_text in row]
    assert "Vigente" in bad_row and "sello no válido" in bad_row
    assert "sello no válido" not in good_row
    assert "no pasaron la verificación del sello" in body


def test_the_xml_download_is_the_original_bytes_and_is_recorded(client):
    from despacho.cfdi.services import cfdi_ingest
    from tests.cfdi.cfdi_samples import INGRESO_HE, company_with_rfc, sample

    company = company_with_rfc("H&E951128469")
    original = sample(INGRESO_HE)
    cfdi_ingest(company=company, data=original)
    found = PortalAccess.objects.get(company=company, rfc="KIJ0906199R1")
    found.password = make_password(RECEIVER_PASSWORD)
    found.save()
    _logged_in(client, company, "KIJ0906199R1")
    cfdi = Cfdi.objects.get(company=company)
    response = client.get(reverse("portal:xml", args=[company.slug, cfdi.uuid]))
    assert response.content == original
    assert response["Content-Type"] == "application/xml"
    event = PortalEvent.objects.get(kind=EventKind.DOWNLOAD_XML)
    assert event.detail["uuids"] == [cfdi.uuid_text]
    assert PortalAccess.objects.get(pk=found.pk).last_download_at is not None


def test_the_pdf_download_is_a_pdf_with_pages(client):
    import pypdf

    from despacho.cfdi.services import cfdi_ingest
    from tests.cfdi.cfdi_samples import INGRESO_HE, company_with_rfc, sample

    company = company_with_rfc("H&E951128469")
    cfdi_ingest(company=company, data=sample(INGRESO_HE))
    found = access(company, "KIJ0906199R1")
    _logged_in(client, company, found.rfc)
    cfdi = Cfdi.objects.get(company=company)
    response = client.get(reverse("portal:pdf", args=[company.slug, cfdi.uuid]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) >= 1
    assert PortalEvent.objects.filter(kind=EventKind.DOWNLOAD_PDF).count() == 1


def test_a_zip_of_a_selection_streams_the_original_xmls(client):
    company = issuer()
    rfc = receiver_rfc()
    first, second = issue(company, rfc), issue(company, rfc)
    issue(company, rfc)  # not selected
    access(company, rfc)
    _logged_in(client, company, rfc)
    response = client.post(
        reverse("portal:zip", args=[company.slug]),
        {"uuid": [str(first.uuid), str(second.uuid)], "with_pdf": "0"},
    )
    assert response.status_code == 200
    assert response.streaming
    data = b"".join(response.streaming_content)  # type: ignore[arg-type]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        assert len(names) == 2
        assert all(name.endswith(".xml") for name in names)
        from despacho.cfdi.selectors import cfdi_xml

        contents = {archive.read(name) for name in names}
        assert contents == {cfdi_xml(first), cfdi_xml(second)}
    event = PortalEvent.objects.get(kind=EventKind.DOWNLOAD_ZIP)
    assert event.detail["count"] == 2


def test_an_empty_selection_is_refused_with_a_message(client):
    company = issuer()
    found = access(company)
    _logged_in(client, company, found.rfc)
    response = client.post(reverse("portal:zip", args=[company.slug]), follow=True)
    assert "Selección: marca al menos un CFDI" in response.content.decode()


def test_portal_events_are_append_only():
    company = issuer()
    found = access(company)
    event = PortalEvent.objects.create(company=company, access=found, kind=EventKind.LOGIN)
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        PortalEvent.objects.all().delete()
    with pytest.raises(TypeError):
        PortalEvent.objects.update(kind=EventKind.LOGOUT)

"""A draft left ``stamping`` (the process died between the PAC call and storing) is not stuck:
after DESPACHO_STAMPING_RETRY_MINUTES its page offers «Reintentar», and retrying — there or
through the API's issue — recovers the same UUID when the PAC stamped it, or stamps again
with the same folio when it did not: never a second folio, never two stamped documents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from despacho.cfdi.models import Cfdi
from despacho.invoicing.models import Draft, DraftStatus, Series
from despacho.invoicing.services.issue import draft_issue
from despacho.pac.models import SandboxDocument
from despacho.pac.sandbox import SandboxPac
from despacho.workspace.active import SESSION_KEY as ACTIVE_COMPANY
from tests.api.conftest import api_as, error_of
from tests.api.factories import make_key, owner_membership
from tests.factories import owner_of
from tests.invoicing.issuing import (
    issuing_company,
    ready_draft,
    sandbox,
    storage_failing_once,
    stored_bytes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]
__all__ = ["sandbox"]


class ProcessDied(BaseException):
    """What a killed worker looks like to the code after it: nothing more runs (not an
    ``Exception``, so no handler of the issuing service sees it)."""


class PacThenDeath(SandboxPac):
    """A sandbox that dies before answering: the request never reached the PAC."""

    def stamp(self, xml: bytes):  # type: ignore[no-untyped-def]
        raise ProcessDied


def _died_after_the_stamp(monkeypatch, draft: Draft) -> None:
    storage_failing_once(monkeypatch, ProcessDied())
    with pytest.raises(ProcessDied):
        draft_issue(draft=draft, actor=owner_of(draft.company.account))
    draft.refresh_from_db()
    assert draft.status == DraftStatus.STAMPING


def _minutes_pass(draft: Draft, minutes: int) -> None:
    Draft.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))
    draft.refresh_from_db()


def test_a_draft_the_pac_stamped_but_nobody_stored_is_retried_to_the_same_uuid(monkeypatch):
    company = issuing_company()
    draft = ready_draft(company)
    _died_after_the_stamp(monkeypatch, draft)
    [stamp] = SandboxDocument.objects.all()
    assert not Cfdi.objects.exists() and draft.folio == 1
    _minutes_pass(draft, 6)
    cfdi = draft_issue(draft=draft, actor=owner_of(company.account))
    assert cfdi.uuid_text.lower() == stamp.uuid.lower()
    assert stored_bytes(cfdi) == bytes(stamp.stamped_xml)
    assert SandboxDocument.objects.count() == 1 and Cfdi.objects.count() == 1
    draft.refresh_from_db()
    assert (draft.status, draft.folio, cfdi.folio) == (DraftStatus.ISSUED, 1, "1")
    assert Series.objects.get(pk=draft.series_id).next_folio == 2


def test_a_draft_the_pac_never_stamped_is_stamped_again_with_the_same_folio():
    company = issuing_company()
    draft = ready_draft(company)
    owner = owner_of(company.account)
    with pytest.raises(ProcessDied):
        draft_issue(draft=draft, actor=owner, pac=PacThenDeath())
    draft.refresh_from_db()
    assert (draft.status, draft.folio) == (DraftStatus.STAMPING, 1)
    assert not SandboxDocument.objects.exists()
    _minutes_pass(draft, 6)
    cfdi = draft_issue(draft=draft, actor=owner)
    assert (cfdi.serie, cfdi.folio) == ("A", "1")
    assert SandboxDocument.objects.count() == 1 and Cfdi.objects.count() == 1
    assert Series.objects.get(pk=draft.series_id).next_folio == 2


def test_a_draft_still_within_the_retry_minutes_is_not_stamped_twice(monkeypatch):
    company = issuing_company()
    draft = ready_draft(company)
    _died_after_the_stamp(monkeypatch, draft)
    _minutes_pass(draft, 4)
    with pytest.raises(ValidationError) as caught:
        draft_issue(draft=draft, actor=owner_of(company.account))
    assert caught.value.code == "stamping_in_progress"
    assert "5 minutos" in caught.value.message
    assert SandboxDocument.objects.count() == 1 and not Cfdi.objects.exists()


def test_the_retry_minutes_are_configurable(monkeypatch, settings):
    settings.DESPACHO_STAMPING_RETRY_MINUTES = 30
    company = issuing_company()
    draft = ready_draft(company)
    _died_after_the_stamp(monkeypatch, draft)
    _minutes_pass(draft, 20)
    with pytest.raises(ValidationError):
        draft_issue(draft=draft, actor=owner_of(company.account))
    _minutes_pass(draft, 31)
    assert draft_issue(draft=draft, actor=owner_of(company.account)).folio == "1"


def _page(client, draft: Draft) -> str:
    client.force_login(owner_of(draft.company.account))
    session = client.session
    session[ACTIVE_COMPANY] = draft.company.pk
    session.save()
    return client.get(reverse("invoicing:edit", args=[draft.pk])).content.decode()


def test_the_draft_page_shows_reintentar_once_the_stamping_is_stuck(monkeypatch, client):
    company = issuing_company()
    draft = ready_draft(company)
    _died_after_the_stamp(monkeypatch, draft)
    page = _page(client, draft)
    assert "Este borrador se está timbrando" in page
    assert "Reintentar" not in page and ">Timbrar<" not in page
    _minutes_pass(draft, 6)
    page = _page(client, draft)
    assert "El timbrado de este borrador se interrumpió" in page
    assert "se recupera el mismo UUID" in page and "Reintentar" in page
    [stamp] = SandboxDocument.objects.all()
    response = client.post(reverse("invoicing:issue", args=[draft.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("cfdi:detail", kwargs={"uuid": stamp.uuid})
    assert Cfdi.objects.count() == 1


def test_the_api_issue_retries_a_stuck_draft_and_says_when_it_is_too_soon(monkeypatch):
    company = issuing_company()
    draft = ready_draft(company)
    _died_after_the_stamp(monkeypatch, draft)
    api = api_as(make_key(owner_membership(company.account)))
    shown = api.get(f"/drafts/{draft.pk}?company={company.pk}").json()
    assert (shown["status"], shown["stamping_interrupted"]) == ("stamping", False)
    soon = api.post(f"/drafts/{draft.pk}/issue?company={company.pk}")
    assert soon.status_code == 409
    assert error_of(soon)["code"] == "stamping_in_progress"
    _minutes_pass(draft, 6)
    assert api.get(f"/drafts/{draft.pk}?company={company.pk}").json()["stamping_interrupted"]
    issued = api.post(f"/drafts/{draft.pk}/issue?company={company.pk}")
    assert issued.status_code == 201, issued.content
    [stamp] = SandboxDocument.objects.all()
    assert issued.json()["uuid"].lower() == stamp.uuid.lower()
    assert issued.json()["folio"] == 1 and Cfdi.objects.count() == 1

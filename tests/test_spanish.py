"""The app speaks one Spanish: "tú", neutral in gender, counts that agree with their nouns,
one period after "S.C.", lower-case months and deadlines in one unit.

Django's own messages (form field errors, password validators, the auth forms) come in
Django's es/es_MX catalogs with "usted" ("Introduzca…", "Asegúrese…"); the project's
catalog in src/despacho/locale overrides the ones a person can see.
"""

from __future__ import annotations

import gettext
import importlib
import pkgutil
import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone

import despacho
from despacho.firms.templatetags.due import due_phrase
from despacho.members.services.members import member_deactivate
from despacho.onboarding.models import ImportJob, ImportStatus
from despacho.people.models import User
from despacho.tenancy.models import CompanyLink
from tests.factories import (
    add_member,
    invite_link,
    make_account,
    make_company,
    make_membership,
    make_own_company,
    make_user,
    owner_of,
)

pytestmark = pytest.mark.django_db

# "Usted" forms and gendered greetings the app must never show.
FORMAL = re.compile(
    r"\b(Introduzca|Asegúrese|Ingrese|Escoja|Corrija|Compruebe|Envíe|Su contraseña|"
    r"Por favor|Bienvenido|Bienvenida)\b"
)


# --- gender -------------------------------------------------------------------------


def test_deactivating_someone_says_whose_access_ended_in_neutral_words(client):
    account = make_account()
    member = add_member(account, full_name="Mariana Soto Ruiz", companies=[make_company(account)])
    client.force_login(owner_of(account))
    body = client.post(reverse("users:deactivate", args=[member.pk]), follow=True)
    text = body.content.decode()
    assert "Se desactivó el acceso de Mariana Soto Ruiz" in text
    assert "quedó desactivado" not in text
    body = client.post(reverse("users:reactivate", args=[member.pk]), follow=True)
    assert "Se reactivó el acceso de Mariana Soto Ruiz." in body.content.decode()


def test_refusals_about_a_persons_access_name_the_access_not_the_person():
    account = make_account()
    member = add_member(account, full_name="Mariana Soto Ruiz", companies=[make_company(account)])
    member_deactivate(membership=member, actor=owner_of(account))
    with pytest.raises(ValidationError) as caught:
        member_deactivate(membership=member, actor=owner_of(account))
    assert caught.value.messages == [f"El acceso de {member.user.email} ya está desactivado."]


def test_the_home_page_welcomes_everyone_the_same_way(client):
    person = make_user(full_name="María López Díaz")
    make_account(owner=person)
    client.force_login(person)
    text = client.get(reverse("home")).content.decode()
    assert "Te damos la bienvenida" in text
    assert not FORMAL.search(text)


# --- counts ---------------------------------------------------------------------------


def _job_fragment(**counts: int) -> str:
    job = ImportJob(pk=1, file_name="clientes.csv", **counts)
    context = {"job": job, "preview": [], "preview_limit": 50}
    return render_to_string("onboarding/_job.html", context)


def test_import_counts_agree_with_their_nouns():
    ready = _job_fragment(status=ImportStatus.READY, total_rows=2, valid_rows=1, invalid_rows=1)
    assert "1 fila válida se creará; 1 con errores se omitirá." in ready
    done = _job_fragment(status=ImportStatus.DONE, total_rows=3, created_rows=1, skipped_rows=2)
    assert "1 empresa creada o invitada; 2 filas omitidas." in done
    running = _job_fragment(status=ImportStatus.VALIDATING, total_rows=1, processed_rows=0)
    assert "0 de 1 fila procesada." in running
    many = _job_fragment(status=ImportStatus.READY, total_rows=5, valid_rows=3, invalid_rows=2)
    assert "3 filas válidas se crearán; 2 con errores se omitirán." in many


def test_the_seat_bar_agrees_with_a_single_seat():
    seats = SimpleNamespace(
        in_use=0, available=1, included=1, purchased=0, over_limit=False, free=1
    )
    bar = render_to_string("members/users/_seat_bar.html", {"seats": seats})
    assert "0 de 1 licencia en uso" in bar


# --- punctuation ------------------------------------------------------------------------


def test_a_razon_social_ending_in_a_period_ends_the_sentence_once(client):
    account = make_account()
    company = make_company(account, razon_social="MÉNDEZ RÍOS CONTADORES, S.C.")
    client.force_login(owner_of(account))
    response = client.post(reverse("tenancy:switch"), {"company": company.pk}, follow=True)
    text = response.content.decode()
    assert "Ahora trabajas en MÉNDEZ RÍOS CONTADORES, S.C." in text
    assert "S.C.." not in text


def test_why_not_reasons_end_a_razon_social_with_one_period():
    from despacho.access.catalog import Perm
    from despacho.access.decisions import explain

    account = make_account()
    company = make_company(account, razon_social="MÉNDEZ RÍOS CONTADORES, S.C.")
    member = make_membership(account, status="active")
    for user in (owner_of(account), member.user):
        reasons = " ".join(r.message for r in explain(user, company, Perm.VENTAS).reasons)
        assert "MÉNDEZ RÍOS CONTADORES, S.C." in reasons
        assert "S.C.." not in reasons


# --- dates --------------------------------------------------------------------------------


def test_month_names_are_lower_case():
    assert formats.date_format(date(2026, 12, 11), r"j \d\e F \d\e Y") == "11 de diciembre de 2026"
    assert formats.date_format(date(2026, 1, 6), "F") == "enero"


def test_a_deadline_reads_in_one_unit():
    now = timezone.now()
    assert due_phrase(now + timedelta(days=6, hours=23), now) == "vence en 6 días"
    assert due_phrase(now + timedelta(days=1, hours=2), now) == "vence en 1 día"
    assert due_phrase(now + timedelta(hours=3, minutes=5), now) == "vence en 3 horas"
    assert due_phrase(now + timedelta(minutes=1), now) == "vence en 1 minuto"
    assert due_phrase(now - timedelta(minutes=1), now) == "ya venció"


def test_the_firm_page_says_when_a_pending_link_expires_in_plain_spanish(client):
    firm = make_account()
    make_company(firm)
    pending = make_own_company(razon_social="HERRERIA Y ELECTRICOS")
    link = invite_link(firm, pending)
    CompanyLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() + timedelta(days=6, hours=23, minutes=30)
    )
    client.force_login(owner_of(firm))
    text = client.get(reverse("firm:list")).content.decode()
    assert "vence en 6 días" in text
    assert "desde ahora" not in text


# --- Django's own messages say "tú" ------------------------------------------------------


def _project_forms() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(despacho.__path__, "despacho."):
        if module.name.rsplit(".", 1)[-1] in {"forms", "user_forms", "firm_forms"}:
            importlib.import_module(module.name)
    found: list[type[forms.BaseForm]] = []
    pending: list[type] = [forms.Form, forms.ModelForm]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("despacho."):
                found.append(sub)
    return found


def _hostile(form: forms.BaseForm) -> dict[str, object]:
    """Data that breaks each field's rules: too long, not an email/number/date/choice."""
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.MultipleChoiceField):
            data[name] = ["no-existe"]
        elif isinstance(field, forms.BooleanField):
            continue
        else:
            data[name] = "x" * 400
    return data


def test_every_form_a_person_sees_answers_with_tu():
    person = User(email="ana@example.mx", full_name="Ana Torres Vega")
    checked, messages = 0, []
    for form_class in _project_forms():
        try:
            blank = form_class(data={})
        except TypeError:
            continue  # needs the objects its page passes (an account, a company)
        for form in (blank, form_class(data=_hostile(blank))):
            form.is_valid()
            checked += 1
            messages += [str(m) for errors in form.errors.values() for m in errors]
    for form in (
        auth_forms.AuthenticationForm(data={"username": "x@example.mx", "password": "mal"}),
        auth_forms.PasswordChangeForm(person, data={"old_password": "x", "new_password1": "1"}),
        auth_forms.SetPasswordForm(person, data={"new_password1": "123", "new_password2": "1"}),
        auth_forms.PasswordResetForm(data={"email": "no-es-correo"}),
    ):
        form.is_valid()
        checked += 1
        messages += [str(m) for errors in form.errors.values() for m in errors]
    with pytest.raises(ValidationError) as caught:
        validate_password("123456", person)
    messages += caught.value.messages
    assert checked > 15
    assert "Escribe un correo electrónico válido." in messages
    assert any(m.startswith("Escribe como máximo") for m in messages)
    assert any("Tu contraseña" in m or "Esta contraseña" in m for m in messages)
    assert [m for m in messages if FORMAL.search(m)] == []


def test_the_compiled_catalogs_match_their_sources():
    """The .mo files are committed (no gettext tools needed to run); `make messages`
    rebuilds them. Each .po entry must be in its .mo with the same translation."""
    locale = Path(despacho.__file__).parent / "locale"
    catalogs = sorted(locale.glob("*/LC_MESSAGES/django.po"))
    assert {p.parts[-3] for p in catalogs} == {"es", "es_MX"}
    for po in catalogs:
        with po.with_suffix(".mo").open("rb") as mo:
            compiled = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
        expected = _read_po(po.read_text(encoding="utf-8"))
        assert expected
        for key, value in expected.items():
            assert compiled.get(key) == value, (po, key)


def _read_po(text: str) -> dict[object, str]:
    """msgid/msgid_plural/msgstr[n] entries of a .po file (the header left out)."""
    entries: dict[object, str] = {}
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        current = ""
        for line in block.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = _unquote(match.group(2))
            else:
                fields[current] += _unquote(line.strip()[1:-1])
        if not fields.get("msgid"):
            continue
        if "msgid_plural" in fields:
            for key, value in fields.items():
                index = re.match(r"msgstr\[(\d)\]", key)
                if index:
                    entries[(fields["msgid"], int(index.group(1)))] = value
        else:
            entries[fields["msgid"]] = fields["msgstr"]
    return entries


def _unquote(value: str) -> str:
    return value.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")

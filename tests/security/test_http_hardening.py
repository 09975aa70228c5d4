"""HTTP hardening: CSP without inline code, CSRF on every form and htmx request, and the
production cookies and headers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import despacho
from despacho.tenancy.models import Membership
from tests.factories import make_account, make_company, owner_of
from tests.test_config import PRODUCTION, _despacho

pytestmark = pytest.mark.django_db

SOURCE = Path(despacho.__file__).parent
# Emails are not served by the site (and mail clients need inline styles).
PAGE_TEMPLATES = sorted(
    p for p in SOURCE.rglob("templates/**/*.html") if "/email/" not in p.as_posix()
)

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def _csp(header: str) -> dict[str, str]:
    parts = (d.strip().split(" ", 1) for d in header.split(";") if d.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def test_pages_carry_a_content_security_policy_without_inline_code(client):
    for url in [reverse("people:login"), reverse("security:password_reset")]:
        policy = _csp(client.get(url)["Content-Security-Policy"])
        for directive, value in EXPECTED_CSP.items():
            assert policy[directive] == value, directive
        assert "unsafe-inline" not in " ".join(policy.values())
        assert "unsafe-eval" not in " ".join(policy.values())


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: p.relative_to(SOURCE).as_posix())
def test_no_template_has_inline_scripts_styles_or_event_handlers(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "inline <script>"
    assert not re.search(r"<style\b", text), "<style> element"
    assert not re.search(r"\sstyle\s*=", text), "style= attribute"
    assert not re.search(r"\son[a-z]+\s*=", text), "on…= event handler"
    assert "javascript:" not in text
    assert "hx-on" not in text, "hx-on needs eval, which the CSP forbids"


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: p.relative_to(SOURCE).as_posix())
def test_every_post_form_carries_the_csrf_token(template):
    text = template.read_text()
    for form in re.finditer(r"<form\b[^>]*>.*?</form>", text, flags=re.S | re.I):
        if re.search(r'method="post"', form.group(0), flags=re.I):
            assert "{% csrf_token %}" in form.group(0), form.group(0)[:200]


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client):
    account = make_account()
    make_company(account)
    client.force_login(owner_of(account))
    body = client.get(reverse("home")).content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", body)
    assert config
    assert json.loads(config.group(1)) == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
    }
    css = (SOURCE / "static/despacho/app.css").read_text()
    assert ".htmx-indicator" in css


def test_an_htmx_post_without_the_csrf_token_is_refused():
    account = make_account()
    company = make_company(account)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner_of(account))
    url = reverse("tenancy:switch")
    refused = client.post(url, {"company": company.pk}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    page = client.get(reverse("home")).content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page)
    assert token, "base.html gives htmx the token in hx-headers"
    accepted = client.post(
        url, {"company": company.pk}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token.group(1)
    )
    assert accepted.status_code == 204


def test_a_plain_form_post_without_the_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("people:login"), {"username": "a@b.mx", "password": "x"})
    assert response.status_code == 403


def test_responses_carry_the_production_headers_and_cookie_flags(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    account = make_account()
    make_company(account)
    client = Client()
    login_page = client.get(reverse("people:login"), secure=True)
    assert login_page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert login_page["X-Frame-Options"] == "DENY"
    assert login_page["Referrer-Policy"] == "same-origin"
    assert login_page["X-Content-Type-Options"] == "nosniff"
    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"]
    owner = owner_of(account)
    from tests.factories import PASSWORD

    response = client.post(
        reverse("people:login"), {"username": owner.email, "password": PASSWORD}, secure=True
    )
    session = response.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"


def test_production_settings_turn_on_https_only_cookies_and_hsts(tmp_path):
    names = [
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "X_FRAME_OPTIONS",
        "SECURE_REFERRER_POLICY",
        "DEBUG",
    ]
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = _despacho(["shell", "-c", code], {**PRODUCTION, "DESPACHO_DATA_DIR": str(tmp_path)})
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_REFERRER_POLICY": "same-origin",
        "DEBUG": False,
    }


def test_private_answers_carry_cache_control_private_no_store(settings, tmp_path):
    """Logged-in pages, downloads, API answers and the receivers' portal: never cached."""
    from tests.api.factories import make_key
    from tests.portal.scenario import RECEIVER_PASSWORD, access, issue, portal_login

    settings.MEDIA_ROOT = tmp_path / "media"
    account = make_account()
    company = make_company(account)
    owner = owner_of(account)
    receiver = access(company)
    cfdi = issue(company, receiver.rfc)
    token = make_key(Membership.objects.get(account=account, user=owner))

    staff = Client()
    staff.force_login(owner)
    staff.post(reverse("tenancy:switch"), {"company": company.pk, "next": "/"})
    staff_paths = [
        reverse("home"),
        reverse("cfdi:list", args=["ventas"]),
        reverse("cfdi:detail", args=[cfdi.uuid]),
        reverse("cfdi:xml", args=[cfdi.uuid]),
        reverse("cfdi:pdf", args=[cfdi.uuid]),
        reverse("users:list"),
        reverse("api_keys:list"),
        reverse("firm:list"),
    ]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    api_paths = [
        "/api/v1/companies",
        f"/api/v1/cfdis?company={company.pk}&category=ventas",
        f"/api/v1/cfdis/{cfdi.uuid}/xml?company={company.pk}",
        "/api/v1/nada",  # an error answer too
    ]
    portal = Client()
    portal_login(portal, company, receiver.rfc, RECEIVER_PASSWORD)
    portal_paths = [
        reverse("portal:home", args=[company.slug]),
        reverse("portal:xml", args=[company.slug, cfdi.uuid]),
        reverse("portal:pdf", args=[company.slug, cfdi.uuid]),
    ]
    answered = []
    for client, paths in ((staff, staff_paths), (api, api_paths), (portal, portal_paths)):
        for path in paths:
            response = client.get(path)
            directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
            answered.append((path, response.status_code, directives))
    assert [a for a in answered if not {"private", "no-store"} <= a[2]] == []
    assert all(status in (200, 404) for _path, status, _cc in answered), answered
    # The portal's door is private too, before anyone logs in.
    door = Client().get(reverse("portal:login", args=[company.slug]))
    assert {"private", "no-store"} <= {d.strip() for d in door["Cache-Control"].split(",")}
    # A view's own stricter words stay (the session check is never_cache).
    check = staff.get(reverse("session_check"))
    assert {"private", "no-store", "no-cache"} <= {
        d.strip() for d in check["Cache-Control"].split(",")
    }

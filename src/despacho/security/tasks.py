"""Password reset mail as a background task, so the request does the same work for any email."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django_tasks import task

RESET_TEMPLATES = {
    "subject_template_name": "people/email/password_reset_subject.txt",
    "email_template_name": "people/email/password_reset.txt",
    "html_email_template_name": "people/email/password_reset.html",
}


@task()
def password_reset_send(email: str) -> None:
    """Mail a reset link to the person with that email, if there is one (Django's form decides).

    The lookup happens here, not in the request: the page answers identically,
    in content and in work done, whether the email belongs to someone or not.
    """
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    site = urlsplit(settings.SITE_URL)
    form.save(
        domain_override=site.netloc,
        use_https=site.scheme == "https",
        extra_email_context={"site_url": settings.SITE_URL},
        **RESET_TEMPLATES,  # type: ignore[arg-type]
    )

"""Password reset mail as a background task, so the request does the same work for any email."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django_tasks import task

from despacho.mail import subject_render

RESET_TEMPLATES = {
    "subject_template_name": "security/email/password_reset_subject.txt",
    "email_template_name": "security/email/password_reset.txt",
    "html_email_template_name": "security/email/password_reset.html",
}


class _PlainSubjectResetForm(PasswordResetForm):
    """Django's reset mail with the subject rendered as plain text, like every other mail."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = subject_render(subject_template_name, context)
        # Django renders the subject itself; a template that yields the finished subject
        # keeps the rest of its send_mail (body, HTML part, logging of failures) unchanged.
        super().send_mail(
            "security/email/plain_subject.txt",
            email_template_name,
            {**context, "plain_subject": subject},
            from_email,
            to_email,
            html_email_template_name,
        )


@task()
def password_reset_send(email: str) -> None:
    """Mail a reset link to the person with that email, if there is one (Django's form decides).

    The lookup happens here, not in the request: the page answers identically,
    in content and in work done, whether the email belongs to someone or not.
    """
    form = _PlainSubjectResetForm({"email": email})
    if not form.is_valid():
        return
    site = urlsplit(settings.SITE_URL)
    form.save(
        domain_override=site.netloc,
        use_https=site.scheme == "https",
        extra_email_context={"site_url": settings.SITE_URL},
        **RESET_TEMPLATES,  # type: ignore[arg-type]
    )

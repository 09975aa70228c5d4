"""Login, logout, password change and reset: Django's auth views with our templates."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from despacho.people.forms import (
    AuditedPasswordChangeForm,
    AuditedSetPasswordForm,
    EmailAuthenticationForm,
)


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "people/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = AuditedPasswordChangeForm
    template_name = "people/password_change.html"
    success_url = reverse_lazy("people:password_change_done")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "people/password_reset.html"
    email_template_name = "people/email/password_reset.txt"
    html_email_template_name = "people/email/password_reset.html"
    subject_template_name = "people/email/password_reset_subject.txt"
    success_url = reverse_lazy("people:password_reset_done")

    @property
    def extra_email_context(self) -> dict[str, str]:
        # Links in mail use SITE_URL, never the request's Host header (host poisoning).
        return {"site_url": settings.SITE_URL}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = AuditedSetPasswordForm
    template_name = "people/password_reset_confirm.html"
    success_url = reverse_lazy("people:password_reset_complete")
    post_reset_login = False

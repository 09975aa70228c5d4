"""Login and logout (Django's auth views). Password pages are security's; accepting an
invitation is members'."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from despacho.people.forms import EmailAuthenticationForm


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "people/login.html"
    redirect_authenticated_user = True

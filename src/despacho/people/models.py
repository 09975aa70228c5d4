"""People: the custom user, identified by email."""

from __future__ import annotations

from typing import Any, ClassVar, TypeAlias

from django.contrib.auth.models import (
    AbstractBaseUser,
    AnonymousUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.people.validators import normalize_email, normalize_full_name, validate_full_name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def create_user(
        self, email: str, full_name: str, password: str | None = None, **extra: Any
    ) -> User:
        user = self.model(
            email=normalize_email(email), full_name=normalize_full_name(full_name), **extra
        )
        user.set_password(password)  # None gives an unusable password (invited people)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, full_name: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, full_name, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with email; may belong to several accounts."""

    email = models.EmailField(_("correo electrónico"), max_length=254, unique=True)
    full_name = models.CharField(
        _("nombre completo"), max_length=150, validators=[validate_full_name]
    )
    is_active = models.BooleanField(_("activo"), default=True)
    is_staff = models.BooleanField(_("personal del sitio"), default=False)
    date_joined = models.DateTimeField(_("alta"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="people_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="people_user_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)
        self.full_name = normalize_full_name(self.full_name)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0]


# Whoever a request or a task acts for: a person, or nobody logged in. Decisions and
# selectors take a Viewer and answer "nothing" for the anonymous one.
Viewer: TypeAlias = User | AnonymousUser

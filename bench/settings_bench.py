"""Settings for bench/: the project's, plus django-guardian as the peer to compare with."""

from despacho.settings import *  # noqa: F403
from despacho.settings import AUTHENTICATION_BACKENDS, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "guardian"]
AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "guardian.backends.ObjectPermissionBackend"]
ANONYMOUS_USER_NAME = None  # no anonymous user row: the bench never asks about anonymous users
GUARDIAN_AUTO_PREFETCH = False  # guardian's default: one checker loads one object's permissions
LOGGING = {"version": 1, "disable_existing_loggers": False}

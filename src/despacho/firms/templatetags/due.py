"""When something expires, as a short Spanish phrase ("vence en 6 días").

Django's ``naturaltime``/``timeuntil`` read "6 días, 23 horas desde ahora": two units and a
calque of English. A deadline needs one unit, rounded down, in the app's voice.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def due_phrase(moment: datetime, now: datetime | None = None) -> str:
    """ "vence en 6 días" / "vence en 3 horas" / "vence en 1 minuto" / "ya venció"."""
    left = moment - (now or timezone.now())
    if left.total_seconds() <= 0:
        return _("ya venció")
    if left.days >= 1:
        return ngettext("vence en %(n)d día", "vence en %(n)d días", left.days) % {"n": left.days}
    hours = left.seconds // 3600
    if hours >= 1:
        return ngettext("vence en %(n)d hora", "vence en %(n)d horas", hours) % {"n": hours}
    minutes = max(1, left.seconds // 60)
    return ngettext("vence en %(n)d minuto", "vence en %(n)d minutos", minutes) % {"n": minutes}


register.filter("due_phrase", due_phrase)

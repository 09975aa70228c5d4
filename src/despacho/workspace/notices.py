"""Notices the home page shows, supplied by the apps above without the workspace knowing them.

An app registers, in its ``AppConfig.ready``, a template and a function that returns the
viewer's notices of that kind (an empty list shows nothing). Firms register the link
invitations a company owner must answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from despacho.people.models import User

NoticeSource = Callable[[User], Sequence[Any]]


@dataclass(frozen=True)
class NoticeBlock:
    template: str
    notices: Sequence[Any]


_SOURCES: dict[str, NoticeSource] = {}


def home_notices_register(template: str, source: NoticeSource) -> None:
    """Show ``source(viewer)``'s notices on the home page, rendered by ``template``."""
    _SOURCES[template] = source


def home_notices(viewer: User) -> list[NoticeBlock]:
    """Every registered kind of notice the viewer has, in registration order."""
    blocks = (NoticeBlock(template, source(viewer)) for template, source in _SOURCES.items())
    return [block for block in blocks if block.notices]

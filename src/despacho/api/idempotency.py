"""``Idempotency-Key`` on creating POSTs: the same key and body give the same result once.

The first request with a key reserves it (a row without a status), runs, and
stores its successful response; a retry with the same key and the same body gets
that response replayed (``Idempotent-Replayed: true``), a retry with another body
is refused (422 ``idempotency_key_reused``), and one arriving while the first is
still running gets 409 ``idempotency_in_progress``. Failed requests free the key, and so
do responses marked ``Cache-Control: no-store`` (a secret shown once is never stored).
Records are kept per API key for ``IDEMPOTENCY_TTL``.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
import typing
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header
from ninja.decorators import decorate_view
from ninja.utils import contribute_operation_args

from despacho.api.auth import principal_of
from despacho.api.errors import ApiError
from despacho.api.models import ApiKey, IdempotencyRecord

IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
KEY_PATTERN = re.compile(r"^[ -~]{1,255}$")  # visible ASCII, as HTTP header values are
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def request_digest(request: HttpRequest) -> str:
    """SHA-256 of what the request asks: method, path, query and body (files by content)."""
    digest = hashlib.sha256()
    digest.update(
        f"{request.method} {request.path}?{request.META.get('QUERY_STRING', '')}\n".encode()
    )
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        # The boundary differs on every retry; hash what the form carries instead.
        for name, values in sorted(request.POST.lists()):
            digest.update(repr((name, values)).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(repr((name, upload.name)).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(content_type.encode() + b"\n" + request.body)
    return digest.hexdigest()


def _reserve(
    key: ApiKey, value: str, request: HttpRequest, digest: str
) -> tuple[IdempotencyRecord, bool]:
    now = timezone.now()
    with transaction.atomic():
        IdempotencyRecord.objects.filter(
            api_key=key, key=value, created_at__lt=now - IDEMPOTENCY_TTL
        ).delete()
        return IdempotencyRecord.objects.get_or_create(
            api_key=key,
            key=value,
            defaults={
                "method": request.method or "",
                "path": request.path[:500],
                "request_hash": digest,
                "created_at": now,
            },
        )


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _idempotent(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(run)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        api = run.__self__.api  # type: ignore[attr-defined]  # the operation's, once mounted
        value = request.headers.get(HEADER)
        if not value or not KEY_PATTERN.fullmatch(value):
            return run(request, **kwargs)  # absent, or refused by the declared header's schema
        try:
            principal = principal_of(request)
        except ApiError:
            return run(request, **kwargs)  # the operation answers the auth error itself
        digest = request_digest(request)
        record, created = _reserve(principal.key, value, request, digest)
        if not created:
            if record.request_hash != digest:
                return api.on_exception(
                    request,
                    ApiError(
                        422,
                        "idempotency_key_reused",
                        _(
                            "Idempotency-Key: ya se usó con otra solicitud; usa una clave "
                            "nueva para cada operación distinta."
                        ),
                        fields=[
                            {
                                "field": HEADER,
                                "code": "idempotency_key_reused",
                                "message": _("Clave ya usada con otro contenido."),
                            }
                        ],
                    ),
                )
            if record.status_code is None:
                return api.on_exception(
                    request,
                    ApiError(
                        409,
                        "idempotency_in_progress",
                        _("Idempotency-Key: la primera solicitud con esta clave sigue en curso."),
                    ),
                )
            return _replay(record)
        try:
            response = run(request, **kwargs)
        except BaseException:
            record.delete()
            raise
        # A response marked no-store carries a secret shown once (a generated password):
        # it is not kept for replays, and the key is freed.
        keep = "no-store" not in response.get("Cache-Control", "")
        if 200 <= response.status_code < 300 and not response.streaming and keep:
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "application/json")
            record.body = response.content
            record.save(update_fields=["status_code", "content_type", "body"])
        else:
            record.delete()
        return response

    return wrapper


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a creating POST honour ``Idempotency-Key`` (place it below ``@router.post``).

    The header is declared on the operation (so OpenAPI documents it) and dropped before
    the view runs; the replay logic wraps the operation's run, after ninja's routing.
    """

    @functools.wraps(view)
    def inner(
        request: HttpRequest, *args: Any, idempotency_key: str | None = None, **kw: Any
    ) -> Any:
        return view(request, *args, **kw)

    # ninja reads the view's signature; resolve its (postponed) annotations here, where the
    # view's module is known, since ``inner`` lives in this module's globals.
    hints = typing.get_type_hints(view, include_extras=True)
    signature = inspect.signature(view)
    inner.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in signature.parameters.values()
        ],
        return_annotation=hints.get("return", signature.return_annotation),
    )

    contribute_operation_args(
        inner,
        "idempotency_key",
        typing.cast(Any, str | None),
        Header(
            None,
            alias=HEADER,
            max_length=MAX_KEY_LENGTH,
            pattern=KEY_PATTERN.pattern,
            description="Any unique string (e.g. a UUID): a retry with the same key and body "
            "replays the first response instead of creating twice.",
        ),
    )
    return decorate_view(_idempotent)(inner)

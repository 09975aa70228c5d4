"""API tests: a client that speaks JSON with a bearer key; originals in a temporary folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Api:
    """Django's test client aimed at /api/v1/ with ``Authorization: Bearer <token>``."""

    token: str | None
    client: Client

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        result = dict(headers or {})
        if self.token is not None:
            result.setdefault("Authorization", f"Bearer {self.token}")
        return result

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.get(
            f"/api/v1{path}", params or {}, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str] | None) -> Any:
        return getattr(self.client, method)(
            f"/api/v1{path}",
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=self._headers(headers),
        )

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self._send("post", path, body, headers)

    def put(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self._send("put", path, body, headers)

    def patch(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self._send("patch", path, body, headers)

    def delete(self, path: str, params: str = "", headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(f"/api/v1{path}{params}", headers=self._headers(headers))

    def multipart(
        self, path: str, fields: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Any:
        return self.client.post(f"/api/v1{path}", fields, headers=self._headers(headers))

    def upload(
        self, company: object, name: str, data: bytes, headers: dict[str, str] | None = None
    ) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        return self.multipart(
            "/cfdis", {"company": str(company), "file": SimpleUploadedFile(name, data)}, headers
        )


def api_as(token: str | None) -> Api:
    return Api(token=token, client=Client())


def error_of(response: Any) -> dict[str, Any]:
    """The error envelope's body, after checking the envelope's shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]

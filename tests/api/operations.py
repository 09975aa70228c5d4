"""The API's operations as its OpenAPI document states them, and requests built from them.

Used by the isolation matrix (tests/security/test_isolation_matrix.py), which tries every
operation as every actor with another tenant's ids: a new operation is covered as soon as
it is mounted, and a path parameter nobody knows how to fill fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

OPENAPI_URL = "/api/v1/openapi.json"


def openapi_document() -> dict[str, Any]:
    """The document the API serves (not a copy built in the test)."""
    response = Client().get(OPENAPI_URL)
    assert response.status_code == 200, response.content
    return response.json()


@dataclass(frozen=True)
class Parameter:
    name: str
    required: bool
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    method: str  # lower case, as in the document
    path: str  # as in the document: /api/v1/members/{member_id}
    path_params: tuple[str, ...]
    query: tuple[Parameter, ...]
    media_type: str = ""  # of the request body ("" without one)
    body_schema: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def url(self, values: Mapping[str, object]) -> str:
        url = self.path
        for name in self.path_params:
            url = url.replace("{" + name + "}", str(values[name]))
        return url

    def body_requires(self, name: str) -> bool:
        return name in self.body_schema.get("required", ())

    def names(self, parameter: str) -> bool:
        """The operation acts on this parameter's object: a required query or body field."""
        in_query = any(p.name == parameter and p.required for p in self.query)
        return in_query or self.body_requires(parameter)


def _resolve(document: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rpartition("/")[2]
        schema = document["components"]["schemas"][name]
    return schema


def api_operations(document: Mapping[str, Any]) -> list[Operation]:
    """Every operation (method + path) of the document, in its order."""
    found = []
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            params = spec.get("parameters", [])
            content = spec.get("requestBody", {}).get("content", {})
            media_type, body = next(iter(content.items()), ("", {}))
            found.append(
                Operation(
                    method=method,
                    path=path,
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    query=tuple(
                        Parameter(p["name"], bool(p.get("required")), p.get("schema", {}))
                        for p in params
                        if p["in"] == "query"
                    ),
                    media_type=media_type,
                    body_schema=_resolve(document, body.get("schema", {})),
                )
            )
    return found


Fill = Callable[[str], Any]  # a field's name → the value to send, or None to sample one


def sample(
    document: Mapping[str, Any], schema: Mapping[str, Any], fill: Fill, name: str = ""
) -> Any:
    """A value the schema accepts, with ``fill``'s value wherever a field is one it names.

    Objects get their required properties and every property ``fill`` knows (ids that name
    objects); strings their first enum value or a short text; numbers 0; lists one item when
    the item names objects (grants), else none. The aim is a request that passes the schema,
    so what answers is the lookup of the objects it names, not the validation.
    """
    given = fill(name) if name else None
    if given is not None:
        return given
    schema = _resolve(document, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(document, s).get("type") != "null"]
            return sample(document, options[0], fill, name) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", ()))
        return {
            prop: sample(document, sub, fill, prop)
            for prop, sub in schema.get("properties", {}).items()
            if prop in required or fill(prop) is not None
        }
    if kind == "array":
        item = sample(document, schema.get("items", {}), fill)
        return [item] if isinstance(item, dict) and item else []
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return 0
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00-06:00"
    if schema.get("format") == "date":
        return "2026-01-01"
    if schema.get("format") == "email" or name == "email":
        return "matriz@example.mx"
    return "x"

"""Responses and error envelopes in Confluent's formats.

* api.confluent.cloud and the telemetry API: ``{"errors":[{"id","status" (a string),"code","title","detail",
  "source"}]}``;
* the Stream Catalog (Schema Registry host): ``{"error_code": 404, "message": "…"}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson

JSON = "application/json"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = JSON

    @property
    def status_line(self) -> str:
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Unknown"
        return f"{self.status} {phrase}"


def json_reply(obj: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status=status, body=orjson.dumps(obj), headers=list(headers or []))


class ApiError(Exception):
    """An error answered in the api.confluent.cloud envelope."""

    def __init__(self, status: int, code: str, detail: str, *, title: str | None = None,
                 source: dict[str, str] | None = None, headers: list[tuple[str, str]] | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or _phrase(status)
        self.source = source
        self.headers = headers or []

    def reply(self, request_id: str) -> Reply:
        error: dict[str, Any] = {"id": request_id, "status": str(self.status), "code": self.code,
                                 "title": self.title, "detail": self.detail}
        error["source"] = self.source if self.source is not None else {}
        return json_reply({"errors": [error]}, self.status, self.headers)


class ForbiddenError(ApiError):
    """403 exactly as the live API words it."""

    def __init__(self):
        super().__init__(403, "forbidden_access", "Forbidden Access")

    def reply(self, request_id: str) -> Reply:
        return json_reply({"errors": [{"status": "403", "code": "forbidden_access", "detail": "Forbidden Access",
                                       "source": {}}]}, 403)


class CatalogError(Exception):
    """An error answered in the Schema Registry / Stream Catalog envelope."""

    def __init__(self, status: int, message: str, error_code: int | None = None,
                 headers: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code if error_code is not None else status
        self.headers = headers or []

    def reply(self, request_id: str) -> Reply:
        return json_reply({"error_code": self.error_code, "message": self.message}, self.status, self.headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def bad_request(detail: str, parameter: str | None = None, code: str = "invalid_input") -> ApiError:
    return ApiError(400, code, detail, source={"parameter": parameter} if parameter else None)

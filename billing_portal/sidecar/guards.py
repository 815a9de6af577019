"""Request guards that run before any view: a query string must be valid UTF-8 once percent-decoded.

Werkzeug keeps undecodable escapes such as `%FF` as literal text, which would turn a mangled filter value into a
silent "no match"; the API answers 400 naming the parameter instead.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from apiflask import APIFlask
from flask import request

from billing_portal.sidecar.errors import bad_parameter


def _check_query_string() -> None:
    raw: bytes = request.query_string
    if not raw:
        return
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            decoded_name = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise bad_parameter(name.decode("latin-1")[:64], "parameter name is not valid UTF-8") from None
        try:
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise bad_parameter(decoded_name[:64], "value is not valid UTF-8 text") from None


def register_guards(app: APIFlask) -> None:
    app.before_request(_check_query_string)

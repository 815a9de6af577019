"""What every read endpoint shares: how it is declared (`read_endpoint`: route, validated query, documented answer
and errors)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from apiflask import APIBlueprint, Schema
from marshmallow import RAISE

# Documented error answers of every read endpoint (all in the error envelope).
READ_ERRORS = {400: "Invalid parameter (the envelope names it)", 503: "Warehouse unreachable or query timeout"}
QUERY = {"location": "query", "unknown": RAISE}


ERROR_DESCRIPTIONS = {400: READ_ERRORS[400], 401: "Missing or wrong bearer token",
                      403: "Collect API disabled (no BILLING_PORTAL_API_TOKEN configured)", 404: "Not found",
                      503: READ_ERRORS[503]}
CSV_200 = {"description": "JSON by default; streamed CSV with format=csv",
           "content": {"text/csv": {"schema": {"type": "string"}}}}


def responses(*codes: int, csv: bool = False) -> dict:
    """OpenAPI responses for `@bp.doc(responses=...)`: errors in the envelope (HTTP_ERROR_SCHEMA), plus the CSV
    variant of the 200 answer when the endpoint supports format=csv."""
    out: dict = {c: ERROR_DESCRIPTIONS.get(c, "Error") for c in codes}
    if csv:
        out[200] = CSV_200
    return out


def read_endpoint(bp: APIBlueprint, path: str, query: type[Schema] | None, output: type[Schema] | None, *,
                  summary: str, description: str, errors: tuple[int, ...] = (400, 503), csv: bool = False,
                  documented: Mapping | None = None) -> Callable:
    """Declare `GET path` on `bp`, under the blueprint's tag: its query parameters validated by `query` (unknown
    ones refused, the handler gets them as `query_data`), its answer documented by `output`, its error answers
    (`errors`, and the CSV variant with `csv`); `documented` replaces the generated responses."""
    def register(view: Callable) -> Callable:
        view = bp.doc(tags=[bp.tag], summary=summary, description=description,
                      responses=documented if documented is not None else responses(*errors, csv=csv))(view)
        if output is not None:
            view = bp.output(output)(view)
        if query is not None:
            view = bp.input(query, **QUERY)(view)
        return bp.get(path)(view)

    return register

"""The collect API (mutating, bearer token): launch Dagster jobs on the running Dagster instance and follow them.

`POST /api/v1/collect/{billing,core-objects,catalog-tags,full}` launches the matching job for the UTC days of
`[from_ts, to_ts)` (or the aliases `start`..`end`, inclusive; default: the newest complete UTC day) as one run and
answers 202 with its id;
`GET /api/v1/collect/runs/<run_id>` reports the run's status.
"""

from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint, Schema
from flask import current_app, url_for
from marshmallow import RAISE, fields, validate

from billing_portal.sidecar.auth import SCHEME_NAME, require_token
from billing_portal.sidecar.dagster_client import TERMINAL
from billing_portal.sidecar.errors import bad_parameter
from billing_portal.sidecar.responses import CollectAccepted, RunStatus, answer
from billing_portal.sidecar.schemas import CollectQuery

bp = APIBlueprint("collect", __name__, tag="collect")

COLLECTIONS = {
    "billing": "collect_billing_job",
    "core-objects": "collect_core_objects_job",
    "catalog-tags": "collect_catalog_tags_job",
    "full": "chargeback_job",
}
RUN_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
COLLECT_ERRORS = {400: "Invalid parameter (the envelope names it)", 401: "Missing or wrong bearer token",
                  403: "Collect API disabled: no BILLING_PORTAL_API_TOKEN configured",
                  502: "Dagster refused the launch", 503: "Dagster webserver unreachable"}


class RunPath(Schema):
    run_id = fields.String(required=True, validate=validate.Regexp(RUN_ID_PATTERN, error="must be a Dagster run id "
                                                                                         "(a UUID)"))


def newest_complete_day() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def resolve_range(query_data: dict) -> tuple[dt.date, dt.date]:
    newest = newest_complete_day()
    names = query_data.get("names") or {"start": "start", "end": "end"}
    start = query_data.get("start")
    end = query_data.get("end") or (start if start else newest)
    start = start or end
    first = current_app.config["BILLING_START_DATE"]
    if start < first:
        raise bad_parameter(names["start"], f"{start} is before BILLING_START_DATE ({first}), the first daily "
                                            "partition")
    if end > newest:
        raise bad_parameter(names["end"], f"{end} is not a complete UTC day yet (the newest is {newest})")
    if start > end:
        raise bad_parameter(names["start"], f"must not be after the last day ({end})")
    return start, end


def _collect_view(collection: str, job_name: str):
    def view(query_data: dict):
        start, end = resolve_range(query_data)
        run_id = current_app.extensions["dagster"].launch(
            job_name, start, end, {"billing_portal/launched_by": "sidecar", "billing_portal/collection": collection})
        run = {"run_id": run_id, "job_name": job_name, "start": start, "end": end,
               "status_url": url_for("collect.run_status", run_id=run_id)}
        return answer(CollectAccepted, {"collection": collection, "runs": [run]}, status=202)

    view.__name__ = f"collect_{collection.replace('-', '_')}"
    view.__doc__ = f"Launch {job_name}"
    return view


for _collection, _job in COLLECTIONS.items():
    _view = _collect_view(_collection, _job)
    _view = bp.doc(tags=["collect"], summary=f"Collect: {_collection}", description=(
        f"Launches Dagster job `{_job}` for the UTC days of [from_ts, to_ts) (or start..end, inclusive; default: "
        "the newest complete UTC day) "
        "as one run on the Dagster webserver (DAGSTER_GRAPHQL_URL) and answers 202 with the run id. Requires "
        "`Authorization: Bearer <BILLING_PORTAL_API_TOKEN>`."), security=SCHEME_NAME,
        responses=COLLECT_ERRORS)(_view)
    _view = bp.output(CollectAccepted, status_code=202)(_view)
    _view = bp.input(CollectQuery, location="query", unknown=RAISE)(_view)
    _view = require_token(_view)
    bp.post(f"/api/v1/collect/{_collection}")(_view)


@bp.get("/api/v1/collect/runs/<run_id>")
@require_token
@bp.input(RunPath, location="path", arg_name="path_data")
@bp.output(RunStatus)
@bp.doc(tags=["collect"], summary="Status of a collect run", description="The Dagster status of a run launched by the collect API "
                                                        "(any run id of the instance). Requires the bearer token.",
        security=SCHEME_NAME, responses={**COLLECT_ERRORS, 404: "No such run"})
def run_status(run_id: str, path_data: dict):
    status = current_app.extensions["dagster"].status(path_data["run_id"])
    return answer(RunStatus, {"run_id": path_data["run_id"], "status": status, "finished": status in TERMINAL})



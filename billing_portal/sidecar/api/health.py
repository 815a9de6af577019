"""Liveness."""

from apiflask import APIBlueprint

bp = APIBlueprint("health", __name__, tag="health")


@bp.get("/healthz")
@bp.doc(summary="Process alive")
def healthz():
    return {"status": "ok"}

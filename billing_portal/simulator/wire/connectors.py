"""Managed connectors: ``GET /connect/v1/environments/{env}/clusters/{lkc}/connectors``.

Faithful: no envelope, no pagination. Without ``expand`` the API returns a JSON array of connector names; with
``expand=info,status,id`` (any subset) a map keyed by connector name holding the requested sections. The config
shows ``kafka.auth.mode`` and, depending on the mode, ``kafka.service.account.id`` or ``kafka.api.key`` (a visible
key id or the fully masked ``****************``); secrets are always masked. A cluster the environment does not
have → 404 in the error envelope; a cluster without connectors → ``{}``.
"""

from __future__ import annotations

import zlib
from typing import Any

from billing_portal.simulator.entities import Connector
from billing_portal.simulator.model import MASKED_KEY
from billing_portal.simulator.wire.context import RequestContext
from billing_portal.simulator.wire.envelopes import ApiError, Reply, bad_request, json_reply

SECTIONS = ("info", "status", "id")


def _config(ctx: RequestContext, conn: Connector) -> dict[str, str]:
    cluster = ctx.model.cluster_by_id[conn.cluster_id]
    config = {
        "cloud.environment": "prod",
        "cloud.provider": cluster.provider,
        "connector.class": conn.connector_class,
        "kafka.auth.mode": conn.auth_mode,
        "kafka.endpoint": f"SASL_SSL://{cluster.bootstrap_host}:9092",
        "kafka.region": cluster.region,
        "name": conn.name,
        "tasks.max": str(conn.tasks),
    }
    if conn.auth_mode == "SERVICE_ACCOUNT":
        config["kafka.service.account.id"] = conn.service_account_id or ""
        config["kafka.api.key"] = MASKED_KEY
    else:
        config["kafka.api.key"] = conn.api_key_shown
    config["kafka.api.secret"] = MASKED_KEY
    topics = sorted(t.name for t in ctx.model.topics if t.cluster_id == conn.cluster_id) or [conn.name]
    topic = topics[zlib.crc32(conn.id.encode()) % len(topics)]
    if conn.connector_type == "sink":
        config["topics"] = topic
        config["input.data.format"] = "JSON"
    else:
        config["kafka.topic"] = topic
        config["output.data.format"] = "JSON"
    return config


def _render(ctx: RequestContext, conn: Connector, sections: list[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for section in sections:
        if section == "id":
            doc["id"] = {"id": conn.id, "id_type": "ID"}
        elif section == "info":
            doc["info"] = {"name": conn.name, "type": conn.connector_type, "config": _config(ctx, conn)}
        elif section == "status":
            worker = f"{conn.name}-worker"
            doc["status"] = {"name": conn.name,
                             "connector": {"state": conn.state, "worker_id": worker, "trace": ""},
                             "tasks": [{"id": i, "state": conn.state, "worker_id": worker, "msg": ""}
                                       for i in range(conn.tasks)],
                             "type": conn.connector_type}
    return doc


def list_connectors(ctx: RequestContext, env_id: str, cluster_id: str) -> Reply:
    cluster = ctx.model.cluster_by_id.get(cluster_id)
    if cluster is None or cluster.env_id != env_id:
        raise ApiError(404, "not_found", f"Kafka cluster '{cluster_id}' not found in environment '{env_id}'")
    connectors = sorted((c for c in ctx.view.connectors if c.cluster_id == cluster_id), key=lambda c: c.name)
    expand = [s.strip() for raw in ctx.request.args.getlist("expand") for s in raw.split(",") if s.strip()]
    unknown = [s for s in expand if s not in SECTIONS]
    if unknown:
        raise bad_request(f"invalid expand value(s): {', '.join(unknown)}; allowed: {', '.join(SECTIONS)}", "expand")
    if not expand:
        return json_reply([c.name for c in connectors])
    sections = [s for s in SECTIONS if s in expand]
    return json_reply({c.name: _render(ctx, c, sections) for c in connectors})


ROUTES = [("GET", "/connect/v1/environments/<env_id>/clusters/<cluster_id>/connectors", list_connectors)]

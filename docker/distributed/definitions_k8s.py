"""The same Dagster definitions, with steps executed as Kubernetes pods (dagster-k8s `k8s_job_executor`).

Point the code location at this module (`dagster api grpc -f docker/distributed/definitions_k8s.py`, or the Helm
values' `dagsterApiGrpcArgs`). Steps of one run: at most 4 pods at a time. The four collection steps (billing, core
objects, catalog, metrics) are the only ones calling Confluent, each through a client that paces itself below the
API's limit (catalog 75 reads/s, metrics 4 requests in flight, Retry-After/X-RateLimit honoured), so one run uses at
most one client per API family; runs of the same organization are limited by the instance's run coordinator
(`dagster-k8s.yaml`: 2 at a time). The rest of the graph (ownership, facts, confidence) only touches PostgreSQL.
"""

from dagster import Definitions
from dagster_k8s import k8s_job_executor

from billing_portal.definitions import load_defs

EXECUTOR_CONFIG = {
    "max_concurrent": 4,
    "step_k8s_config": {
        "container_config": {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                           "limits": {"cpu": "2", "memory": "3Gi"}}},
    },
    "job_namespace": "billing-portal",
    "env_config_maps": ["billing-portal-env"],
    "env_secrets": ["billing-portal-secrets"],
}

defs = Definitions.merge(load_defs(), Definitions(executor=k8s_job_executor.configured(EXECUTOR_CONFIG,
                                                                                name="billing_portal_k8s")))

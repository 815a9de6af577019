"""docker/distributed/: the Kubernetes instance config, executor and Helm values load and validate with Dagster's own
config schemas (dagster-k8s pinned to the Dagster family), and agree with each other."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2] / "docker" / "distributed"

# In the dev extras: `make install` provides it, so the suite never skips this under CI.
dagster_k8s = pytest.importorskip("dagster_k8s", reason="pip install -e '.[dev]' (dagster-k8s==0.29.27)")


@pytest.fixture
def env(monkeypatch):
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("BILLING_PORTAL_IMAGE", "billing-portal:test")


def _validate(config_type, config):
    from dagster._config import process_config

    result = process_config(config_type, config)
    assert result.success, [e.message for e in result.errors]
    return result.value


def test_instance_config_validates_against_dagsters_schema(env):
    from dagster._core.instance.config import dagster_instance_config
    from dagster._core.run_coordinator import QueuedRunCoordinator

    config, _ = dagster_instance_config(str(ROOT), "dagster-k8s.yaml")
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    launcher_config = _validate(dagster_k8s.K8sRunLauncher.config_type(), launcher["config"])
    assert launcher_config["job_image"] == "billing-portal:test"
    assert launcher_config["run_k8s_config"]["container_config"]["resources"]["limits"]["memory"] == "3Gi"
    coordinator = config["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator"
    # the run queue lives under `concurrency.runs` (beside the pools of the collection assets)
    value = _validate(QueuedRunCoordinator.config_type(), config["concurrency"]["runs"])
    limits = {lim["key"]: lim for lim in value["tag_concurrency_limits"]}
    assert limits["billing-portal/confluent-org"]["limit"] == 2
    assert limits["dagster/partition"]["limit"] == 1
    assert config["concurrency"]["pools"]["default_limit"] == 1


def test_queued_coordinator_instantiates_from_the_file(env):
    from dagster._core.instance.config import dagster_instance_config
    from dagster._serdes import ConfigurableClassData

    config, _ = dagster_instance_config(str(ROOT), "dagster-k8s.yaml")
    rc = config["run_coordinator"]
    coordinator = ConfigurableClassData(rc["module"], rc["class"], yaml.safe_dump(config["concurrency"]["runs"])
                                        ).rehydrate(as_type=object)
    queue = coordinator.get_run_queue_config()
    assert queue.max_concurrent_runs == 4
    assert {lim["key"] for lim in queue.tag_concurrency_limits} >= {"billing-portal/confluent-org", "dagster/partition"}


def test_k8s_executor_definitions_load_and_validate():
    import importlib.util

    spec = importlib.util.spec_from_file_location("definitions_k8s", ROOT / "definitions_k8s.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    job = module.defs.resolve_job_def("chargeback_job")
    assert job.executor_def.name == "billing_portal_k8s"
    _validate(dagster_k8s.k8s_job_executor.config_schema.config_type, module.EXECUTOR_CONFIG)
    assert module.EXECUTOR_CONFIG["max_concurrent"] == 4


def test_helm_values_match_the_instance_config(env):
    from dagster._core.instance.config import dagster_instance_config

    values = yaml.safe_load((ROOT / "values.yaml").read_text())
    config, _ = dagster_instance_config(str(ROOT), "dagster-k8s.yaml")
    queued = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert queued["maxConcurrentRuns"] == config["concurrency"]["runs"]["max_concurrent_runs"]
    assert queued["tagConcurrencyLimits"] == config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    helm = values["runLauncher"]["config"]["k8sRunLauncher"]
    inst = config["run_launcher"]["config"]
    assert helm["jobNamespace"] == inst["job_namespace"]
    assert helm["runK8sConfig"]["containerConfig"]["resources"] == inst["run_k8s_config"]["container_config"][
        "resources"]
    user = values["dagster-user-deployments"]["deployments"][0]
    assert user["dagsterApiGrpcArgs"] == ["-f", "docker/distributed/definitions_k8s.py"]

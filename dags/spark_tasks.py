"""Spark applications as Airflow tasks: one `SparkApp(...)`, a few lines per pipeline.

Every task runs the companion job image's CLI (`spark-job`, see job/) in a KubernetesPodOperator pod:

* target ``k8s``: ``submit`` runs ``spark-job submit --target k8s`` (spark-submit in cluster mode,
  returns once the driver pod exists, writes ``/airflow/xcom/return.json``); ``monitor`` runs
  ``spark-job monitor --driver-pod <driverPod from submit's XCom>`` in a deferrable pod whose log is
  the driver's log. Retrying ``submit`` is safe: the driver pod name is derived from the app name and
  the run id, so a retry adopts the driver an earlier try created.
* target ``standalone``: one task runs ``spark-job submit --target standalone`` (client mode inside
  the pod against ``SPARK_MASTER_URL``); it ends when the application ends.

Configuration comes ONLY from the DAG contract environment (set by the `Airflow` construct on every
component that parses or runs DAGs; names in :data:`CONTRACT_ENV_NAMES`, see shared DESIGN.md). Parsing
never fails for a missing value, so the DagBag loads anywhere (CI, a laptop): the namespace and the
service accounts fall back to the documented platform defaults, and a task whose image (or pod
template ConfigMap, or standalone master URL) is missing fails loudly when it runs, before any pod is
created, naming the variable.

Example::

    from spark_tasks import SPARK_EXAMPLES_JAR, spark_submit_and_monitor

    submit, monitor = spark_submit_and_monitor(
        "", "spark-pi", SPARK_EXAMPLES_JAR,
        main_class="org.apache.spark.examples.SparkPi", app_args=["1000"],
        conf={"spark.executor.instances": "2"},
    )
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from kubernetes.client import models as k8s

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.cncf.kubernetes.utils.xcom_sidecar import PodDefaults
from airflow.sdk.exceptions import AirflowFailException

# --------------------------------------------------------------------------------------------------
# The DAG contract: the only environment variables dags/ reads. test/dags proves the Airflow
# construct sets exactly these names (with literal values) on scheduler, dag-processor and triggerer.
# --------------------------------------------------------------------------------------------------
ENV_JOB_IMAGE = "SPARK_JOB_IMAGE"
"""Fully pinned image of the job CLI (job/Dockerfile); runs every task pod and the XCom sidecar."""
ENV_NAMESPACE = "SPARK_NAMESPACE"
"""The jobs namespace: task pods, Spark drivers and executors (apart from the platform's Secrets)."""
ENV_SUBMITTER_SERVICE_ACCOUNT = "SPARK_SUBMITTER_SERVICE_ACCOUNT"
"""ServiceAccount of the task pods (may create, watch and read the logs of driver pods)."""
ENV_DRIVER_SERVICE_ACCOUNT = "SPARK_DRIVER_SERVICE_ACCOUNT"
"""ServiceAccount of the driver pods (may create executor pods)."""
ENV_MASTER_URL = "SPARK_MASTER_URL"
"""``spark://host:7077`` of the standalone cluster (target ``standalone`` only)."""
ENV_POD_TEMPLATES_CONFIGMAP = "SPARK_POD_TEMPLATES_CONFIGMAP"
"""ConfigMap with ``driver.yaml`` and ``executor.yaml`` Spark pod templates (target ``k8s`` only)."""
ENV_AUTH_SECRET_NAME = "SPARK_AUTH_SECRET_NAME"
"""Secret (key ``secret``) with the standalone cluster's shared RPC secret; empty = no authentication."""
ENV_EXECUTOR_MEMORY = "SPARK_EXECUTOR_MEMORY"
"""``spark.executor.memory`` that fits a standalone worker (its SPARK_WORKER_MEMORY, e.g. ``768m``)."""
ENV_EVENT_LOG_CLAIM = "SPARK_EVENT_LOG_CLAIM"
"""PersistentVolumeClaim of the Spark history server's event logs; empty = apps write no event log.
Kubernetes drivers get it from the application defaults; standalone task pods (the driver runs
there) mount it at ``EVENT_LOG_MOUNT_PATH``."""
ENV_EVENT_LOG_DIR = "SPARK_EVENT_LOG_DIR"
"""``spark.eventLog.dir`` of the drivers: ``file:/var/spark-events`` (the claim) or ``s3a://bucket/prefix``
(an object store); empty = apps write no event log."""
ENV_EVENT_LOG_CONF = "SPARK_EVENT_LOG_CONF"
"""The further Spark confs a driver in its task pod needs to write its event log (the object store's
``spark.hadoop.fs.s3a.*``), as a JSON object; empty = none."""
ENV_EVENT_LOG_SECRET = "SPARK_EVENT_LOG_SECRET"
"""Secret with the object store's ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``: standalone task
pods get them as env (Kubernetes drivers from the application defaults); empty = none."""

CONTRACT_ENV_NAMES: tuple[str, ...] = (
    ENV_JOB_IMAGE,
    ENV_NAMESPACE,
    ENV_SUBMITTER_SERVICE_ACCOUNT,
    ENV_DRIVER_SERVICE_ACCOUNT,
    ENV_MASTER_URL,
    ENV_POD_TEMPLATES_CONFIGMAP,
    ENV_AUTH_SECRET_NAME,
    ENV_EXECUTOR_MEMORY,
    ENV_EVENT_LOG_CLAIM,
    ENV_EVENT_LOG_DIR,
    ENV_EVENT_LOG_CONF,
    ENV_EVENT_LOG_SECRET,
)

#: The only parse-time fallbacks (DESIGN.md "Names"). Everything else has no safe default.
CONTRACT_DEFAULTS: Mapping[str, str] = {
    ENV_NAMESPACE: "spark-clu-jobs",
    ENV_SUBMITTER_SERVICE_ACCOUNT: "spark-submitter",
    ENV_DRIVER_SERVICE_ACCOUNT: "spark-driver",
}

# --------------------------------------------------------------------------------------------------
# Spark inside the job image. SPARK_VERSION must equal lib/versions.ts and the FROM tag of
# job/Dockerfile (test/dags/test_versions.py checks both).
# --------------------------------------------------------------------------------------------------
SPARK_VERSION = "4.1.2"
SPARK_SCALA_VERSION = "2.13"
SPARK_HOME = "/opt/spark"
#: The examples jar of the Spark distribution in the apache/spark image (and so in the job image).
SPARK_EXAMPLES_JAR = f"local://{SPARK_HOME}/examples/jars/spark-examples_{SPARK_SCALA_VERSION}-{SPARK_VERSION}.jar"
#: The applications the job image carries (job/apps/), e.g. ``f"{JOB_APPS}/orders_report.py"``.
JOB_APPS = "local:///opt/spark-job/apps"

#: uid/gid of the `spark` user of the apache/spark image, which the job image is built on.
SPARK_UID = 185

#: Where the submit pod mounts the pod template ConfigMap, and the env the CLI reads them from.
POD_TEMPLATES_MOUNT_PATH = "/opt/spark-job/pod-templates"
#: Key of the applications' spark-defaults.conf in that ConfigMap (lib/spark-rbac.ts
#: SPARK_APPLICATION_DEFAULTS_KEY): driver and executor sizes of the environment.
APPLICATION_DEFAULTS_KEY = "spark-defaults.conf"
#: Spark's PrometheusServlet on every UI and the executors' metrics on the driver's (mirrors
#: SPARK_METRICS_CONF of lib/monitoring.ts; test/dags checks they agree).
SPARK_METRICS_CONF: Mapping[str, str] = {
    "spark.metrics.conf.*.sink.prometheusServlet.class": "org.apache.spark.metrics.sink.PrometheusServlet",
    "spark.metrics.conf.*.sink.prometheusServlet.path": "/metrics/prometheus",
    "spark.metrics.conf.master.sink.prometheusServlet.path": "/metrics/master/prometheus",
    "spark.metrics.conf.applications.sink.prometheusServlet.path": "/metrics/applications/prometheus",
    "spark.ui.prometheus.enabled": "true",
}
#: The driver UI's port (``spark.ui.port``): metrics are scraped there.
SPARK_UI_PORT = 4040
#: Where a standalone task pod mounts the event-log claim (lib/spark-history.ts SPARK_EVENT_LOG_MOUNT_PATH).
EVENT_LOG_MOUNT_PATH = "/var/spark-events"
#: Keys of the object store's credentials Secret, and the env they become (lib/spark-history.ts
#: OBJECT_STORE_CREDENTIAL_KEYS): S3A reads them from the environment.
OBJECT_STORE_CREDENTIAL_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
ENV_CLI_DRIVER_POD_TEMPLATE = "SPARK_JOB_DRIVER_POD_TEMPLATE"
ENV_CLI_EXECUTOR_POD_TEMPLATE = "SPARK_JOB_EXECUTOR_POD_TEMPLATE"

#: Labels on every task pod (NetworkPolicies may select `app.kubernetes.io/name: spark-job`).
LABEL_NAME = "app.kubernetes.io/name"
LABEL_COMPONENT = "app.kubernetes.io/component"
LABEL_PART_OF = "app.kubernetes.io/part-of"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_APP_NAME = "spark-airflow-k8s/app-name"
LABEL_TARGET = "spark-airflow-k8s/target"

#: spark-submit options and confs that spark-job owns (mirrors job/src/submit.ts); setting them
#: here is a DAG author error, reported at parse time.
OWNED_SUBMIT_OPTIONS = frozenset({"--master", "--deploy-mode", "--name"})
OWNED_CONFS = frozenset(
    {
        "spark.master",
        "spark.submit.deployMode",
        "spark.app.name",
        "spark.kubernetes.namespace",
        "spark.kubernetes.driver.pod.name",
        "spark.kubernetes.submission.waitAppCompletion",
        "spark.kubernetes.driver.podTemplateFile",
        "spark.kubernetes.executor.podTemplateFile",
        "spark.kubernetes.authenticate.driver.serviceAccountName",
        # ports: pinned by spark-job (job/src/ports.ts) to what the NetworkPolicies open
        "spark.driver.port",
        "spark.driver.blockManager.port",
        "spark.blockManager.port",
    }
)
#: Confs spark-job also owns for ``target="k8s"`` (mirrors K8S_OWNED_CONFS in job/src/submit.ts):
#: every Kubernetes app authenticates and encrypts its RPC with a key of its own, from a Secret
#: spark-job creates and mounts as a file in the driver and executors.
K8S_OWNED_CONFS = frozenset(
    {
        "spark.authenticate",
        "spark.network.crypto.enabled",
        "spark.network.crypto.saslFallback",
        "spark.authenticate.secret.driver.file",
        "spark.authenticate.secret.executor.file",
        "spark.authenticate.secret",
        "spark.authenticate.secret.file",
        "spark.executorEnv.SPARK_JAVA_OPT_SPARK_JOB_MASTER",
    }
)

Target = Literal["k8s", "standalone"]


def parse_event_log_conf(value: str | None) -> dict[str, str]:
    """SPARK_EVENT_LOG_CONF: a JSON object of Spark confs (``spark.*`` keys, string values), or nothing."""
    if not value:
        return {}
    try:
        conf = json.loads(value)
    except json.JSONDecodeError as err:
        raise ValueError(f"{ENV_EVENT_LOG_CONF} is not JSON ({err}): {value[:200]!r}") from None
    if not isinstance(conf, dict) or not all(isinstance(k, str) and k.startswith("spark.") and isinstance(v, str) for k, v in conf.items()):
        raise ValueError(f"{ENV_EVENT_LOG_CONF} must be a JSON object of Spark confs (\"spark.*\" keys, string values): {value[:200]!r}")
    return conf


def _missing_marker(name: str) -> str:
    return f"unset-{name.lower().replace('_', '-')}"


@dataclass(frozen=True)
class SparkPlatform:
    """The DAG contract values, read once from the environment."""

    job_image: str | None
    namespace: str
    submitter_service_account: str
    driver_service_account: str
    master_url: str | None
    pod_templates_configmap: str | None
    auth_secret_name: str | None = None
    executor_memory: str | None = None
    event_log_claim: str | None = None
    event_log_dir: str | None = None
    event_log_conf: Mapping[str, str] = field(default_factory=dict)
    event_log_secret: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SparkPlatform:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = (env.get(name) or "").strip()
            return value or CONTRACT_DEFAULTS.get(name)

        def get_or_default(name: str) -> str:
            return get(name) or CONTRACT_DEFAULTS[name]

        return cls(
            job_image=get(ENV_JOB_IMAGE),
            namespace=get_or_default(ENV_NAMESPACE),
            submitter_service_account=get_or_default(ENV_SUBMITTER_SERVICE_ACCOUNT),
            driver_service_account=get_or_default(ENV_DRIVER_SERVICE_ACCOUNT),
            master_url=get(ENV_MASTER_URL),
            pod_templates_configmap=get(ENV_POD_TEMPLATES_CONFIGMAP),
            auth_secret_name=get(ENV_AUTH_SECRET_NAME),
            executor_memory=get(ENV_EXECUTOR_MEMORY),
            event_log_claim=get(ENV_EVENT_LOG_CLAIM),
            event_log_dir=get(ENV_EVENT_LOG_DIR),
            event_log_conf=parse_event_log_conf(get(ENV_EVENT_LOG_CONF)),
            event_log_secret=get(ENV_EVENT_LOG_SECRET),
        )

    def missing(self, *names: str) -> list[str]:
        """The given contract names that have no value (and no default)."""
        values = {
            ENV_JOB_IMAGE: self.job_image,
            ENV_MASTER_URL: self.master_url,
            ENV_POD_TEMPLATES_CONFIGMAP: self.pod_templates_configmap,
        }
        return [n for n in names if n in values and not values[n]]


# --------------------------------------------------------------------------------------------------
# Pod Security Standard "restricted", on the pod and on every container (sidecar included).
# --------------------------------------------------------------------------------------------------
def pod_security_context() -> k8s.V1PodSecurityContext:
    return k8s.V1PodSecurityContext(
        run_as_non_root=True,
        run_as_user=SPARK_UID,
        run_as_group=SPARK_UID,
        fs_group=SPARK_UID,
        seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
    )


def container_security_context() -> k8s.V1SecurityContext:
    return k8s.V1SecurityContext(
        run_as_non_root=True,
        run_as_user=SPARK_UID,
        run_as_group=SPARK_UID,
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        capabilities=k8s.V1Capabilities(drop=["ALL"]),
        seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
    )


def resources(cpu_request: str, memory_request: str, cpu_limit: str, memory_limit: str) -> k8s.V1ResourceRequirements:
    return k8s.V1ResourceRequirements(
        requests={"cpu": cpu_request, "memory": memory_request},
        limits={"cpu": cpu_limit, "memory": memory_limit},
    )


#: Defaults per pod kind. spark-submit (cluster mode) is a short JVM; the standalone pod hosts the
#: driver itself (``--driver-memory`` 1g heap + JVM overhead); monitor is a small Node.js process.
SUBMIT_RESOURCES = resources("100m", "768Mi", "1", "768Mi")
STANDALONE_RESOURCES = resources("250m", "1536Mi", "2", "1536Mi")
MONITOR_RESOURCES = resources("50m", "128Mi", "250m", "256Mi")
XCOM_SIDECAR_RESOURCES = resources("5m", "16Mi", "50m", "32Mi")
STANDALONE_DRIVER_MEMORY = "1g"
#: Driver ports of a standalone (client-mode) driver, which runs in the task pod: spark-job pins
#: them (job/src/ports.ts STANDALONE_PORTS) to what the NetworkPolicies open; the pod declares them.
STANDALONE_DRIVER_PORT = 7078
STANDALONE_DRIVER_BLOCK_MANAGER_PORT = 7079
#: Key of the shared secret in the SPARK_AUTH_SECRET_NAME Secret (lib/spark-cluster.ts SPARK_AUTH_SECRET_KEY).
AUTH_SECRET_KEY = "secret"
#: Spark's SecurityManager reads the shared secret from this environment variable.
SPARK_AUTH_SECRET_ENV = "_SPARK_AUTH_SECRET"
XCOM_VOLUME_SIZE_LIMIT = "1Mi"
#: Where a pod's API credentials are expected (in-cluster config of every Kubernetes client).
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
#: Lifetime the kubelet gives the projected token (as for automounted ones); it renews it at 80 %.
TOKEN_EXPIRATION_SECONDS = 3607


def api_access_volume() -> k8s.V1Volume:
    """The volume Kubernetes automounts for a ServiceAccount token (token, ca.crt, namespace), made
    explicit so that it can be mounted into one container only: the XCom sidecar gets no token."""
    return k8s.V1Volume(
        name="kube-api-access",
        projected=k8s.V1ProjectedVolumeSource(
            default_mode=0o444,
            sources=[
                k8s.V1VolumeProjection(
                    service_account_token=k8s.V1ServiceAccountTokenProjection(path="token", expiration_seconds=TOKEN_EXPIRATION_SECONDS)
                ),
                k8s.V1VolumeProjection(
                    config_map=k8s.V1ConfigMapProjection(name="kube-root-ca.crt", items=[k8s.V1KeyToPath(key="ca.crt", path="ca.crt")])
                ),
                k8s.V1VolumeProjection(
                    downward_api=k8s.V1DownwardAPIProjection(
                        items=[
                            k8s.V1DownwardAPIVolumeFile(
                                path="namespace", field_ref=k8s.V1ObjectFieldSelector(api_version="v1", field_path="metadata.namespace")
                            )
                        ]
                    )
                ),
            ],
        ),
    )


def dns_label(text: str, max_length: int = 40) -> str:
    """`text` as a DNS-1123 label prefix (lower case, [a-z0-9-], alphanumeric ends)."""
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:max_length].strip("-")
    return label or "spark"


def label_value(text: str) -> str:
    """`text` as a Kubernetes label value (at most 63 of [A-Za-z0-9_.-], alphanumeric ends)."""
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", value)


#: `spark-job monitor` exit codes (job/src/exit-codes.ts) that say the Spark application itself
#: failed: retrying the monitor task would only watch the same failed driver again.
MONITOR_FINAL_EXIT_CODES: Mapping[int, str] = {1: "the driver pod failed", 3: "the driver was OOMKilled"}


def _exit_code(pod: k8s.V1Pod | None, container: str) -> int | None:
    """The exit code of `container` in `pod`, when it has terminated."""
    statuses = (pod.status.container_statuses if pod is not None and pod.status else None) or []
    for status in statuses:
        if status.name == container and status.state and status.state.terminated:
            return status.state.terminated.exit_code
    return None


class SparkJobPodOperator(KubernetesPodOperator):
    """KubernetesPodOperator for the job image, hardened for a `restricted` namespace.

    * The XCom sidecar (added when ``do_xcom_push=True``) gets a pinned image (by default the job
      image itself: already on the node, no Docker Hub pull, runs as uid 185), requests and limits,
      and the restricted container security context (the provider's
      ``xcom_sidecar_container_security_context`` argument). The provider takes the sidecar image and
      resources only from the Kubernetes connection; this class sets them on the pod it builds, so
      no connection is needed and a connection cannot weaken them.
    * ``contract_missing`` lists DAG contract variables that were unset when the DAG was parsed; the
      task then fails before creating any pod, naming them.
    """

    def __init__(
        self,
        *,
        contract_missing: Sequence[str] = (),
        xcom_sidecar_image: str | None = None,
        xcom_sidecar_resources: k8s.V1ResourceRequirements | None = None,
        final_exit_codes: Mapping[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("xcom_sidecar_container_security_context", container_security_context())
        # Airflow runs inside the cluster: say so explicitly. The deferred half of a deferrable
        # task resumes in the triggerer through AsyncKubernetesHook, which (unlike the sync hook)
        # never tries the in-cluster config on its own and fails with "Invalid kube-config file.
        # No configuration found." (apache/airflow#44325). A Kubernetes connection or a config
        # file, when given, decides instead.
        if not any(key in kwargs for key in ("in_cluster", "kubernetes_conn_id", "config_file")):
            kwargs["in_cluster"] = True
        super().__init__(**kwargs)
        self.contract_missing = list(contract_missing)
        self.xcom_sidecar_image = xcom_sidecar_image or self.image
        self.xcom_sidecar_resources = xcom_sidecar_resources or XCOM_SIDECAR_RESOURCES
        #: exit codes of the task's container after which the task fails without retries
        self.final_exit_codes: Mapping[int, str] = dict(final_exit_codes or {})

    def _check_contract(self) -> None:
        if self.contract_missing:
            names = ", ".join(self.contract_missing)
            raise AirflowFailException(
                f"task {self.task_id}: the DAG contract environment variable(s) {names} are not set on this "
                "Airflow component; the Airflow construct sets them (see dags/spark_tasks.py). No pod was created."
            )

    def execute(self, context: Any) -> Any:
        self._check_contract()
        return super().execute(context)

    def cleanup(self, pod: k8s.V1Pod, remote_pod: k8s.V1Pod, *args: Any, **kwargs: Any) -> None:
        try:
            super().cleanup(pod, remote_pod, *args, **kwargs)
        except AirflowFailException:
            raise
        except Exception as err:
            code = _exit_code(remote_pod, self.base_container_name)
            if code in self.final_exit_codes:
                # The Spark app itself failed: a retry of this task would watch the same failed
                # driver again. Clearing the run resubmits (submit --replace-failed).
                raise AirflowFailException(
                    f"{err}\nspark-job exited {code} ({self.final_exit_codes[code]}): retrying this task cannot help."
                ) from err
            raise

    def build_pod_request_obj(self, *args: Any, **kwargs: Any) -> k8s.V1Pod:
        pod = super().build_pod_request_obj(*args, **kwargs)
        # No Docker-link variables of the namespace's Services: the Service `spark-master` would
        # put SPARK_MASTER_PORT=tcp://...:7077 into the pod, which Spark reads as a port number.
        pod.spec.enable_service_links = False
        for container in pod.spec.containers:
            if container.name == PodDefaults.SIDECAR_CONTAINER_NAME:
                container.image = self.xcom_sidecar_image
                container.image_pull_policy = "IfNotPresent"
                container.resources = self.xcom_sidecar_resources
                container.security_context = self.xcom_sidecar_container_security_context
        # The provider's XCom volume has no size limit; return.json is a few hundred bytes.
        # (Replaced, not mutated: older providers insert the shared PodDefaults.VOLUME object.)
        pod.spec.volumes = [
            k8s.V1Volume(name=v.name, empty_dir=k8s.V1EmptyDirVolumeSource(size_limit=XCOM_VOLUME_SIZE_LIMIT))
            if v.name == PodDefaults.VOLUME.name and v.empty_dir is not None
            else v
            for v in pod.spec.volumes or []
        ]
        return pod


@dataclass
class SparkApp:
    """One Spark application and the Airflow tasks that run it.

    ``application`` is the primary resource (``local:///...jar`` or ``.py`` inside the image);
    ``conf`` becomes ``--conf key=value``; ``spark_args`` are extra spark-submit options (e.g.
    ``["--driver-memory", "2g"]``) placed before ``--class``.
    """

    app_name: str
    application: str
    app_args: Sequence[str] = ()
    main_class: str | None = None
    conf: Mapping[str, str] = field(default_factory=dict)
    spark_args: Sequence[str] = ()
    target: Target = "k8s"
    task_id_prefix: str = ""
    #: ``spark.kubernetes.container.image`` of the driver and executor pods (target k8s). None = the
    #: job image (SPARK_JOB_IMAGE): it is built FROM apache/spark and its entrypoint hands Spark's
    #: ``driver``/``executor`` commands to Spark's own entrypoint (job/docker/spark-job).
    spark_image: str | None = None
    #: k8s: ``--replace-failed``: when a run is cleared after its driver failed, submit deletes that
    #: Failed driver and submits again (its log is already in the monitor task's log). Without it,
    #: submit refuses with exit code 8 and the run cannot be retried from the UI.
    replace_failed: bool = True
    #: ``spark-job monitor --timeout`` (e.g. "2h"); None = watch until the driver ends.
    monitor_timeout: str | None = None
    #: Seconds a deferred monitor waits before fetching the driver log so far (None = only at the end).
    monitor_logging_interval: int | None = 300
    submit_resources: k8s.V1ResourceRequirements | None = None
    monitor_resources: k8s.V1ResourceRequirements | None = None
    platform: SparkPlatform | None = None
    #: Extra KubernetesPodOperator arguments for every task (e.g. retries, node_selector).
    operator_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.app_name.strip():
            raise ValueError("SparkApp: app_name must not be empty")
        if self.target not in ("k8s", "standalone"):
            raise ValueError(f'SparkApp {self.app_name!r}: target must be "k8s" or "standalone", got {self.target!r}')
        if not self.application.strip():
            raise ValueError(f"SparkApp {self.app_name!r}: application must not be empty")
        for key in self.conf:
            if key in OWNED_CONFS:
                raise ValueError(f"SparkApp {self.app_name!r}: conf {key} is set by spark-job and the DAG helper; remove it")
            if self.target == "k8s" and key in K8S_OWNED_CONFS:
                raise ValueError(
                    f"SparkApp {self.app_name!r}: conf {key} is set by spark-job for Kubernetes apps "
                    "(each authenticates with a key of its own); remove it"
                )
        for arg in self.spark_args:
            if arg.split("=")[0] in OWNED_SUBMIT_OPTIONS:
                raise ValueError(f"SparkApp {self.app_name!r}: spark-submit option {arg} is set by spark-job; remove it")
        if self.platform is None:
            self.platform = SparkPlatform.from_env()

    # ---- names -----------------------------------------------------------------------------------
    def task_id(self, role: str) -> str:
        return f"{self.task_id_prefix}_{role}" if self.task_id_prefix else role

    @property
    def submit_task_id(self) -> str:
        return self.task_id("submit")

    @property
    def monitor_task_id(self) -> str:
        return self.task_id("monitor")

    def _labels(self, component: str) -> dict[str, str]:
        return {
            LABEL_NAME: "spark-job",
            LABEL_COMPONENT: component,
            LABEL_PART_OF: "spark-airflow-k8s",
            LABEL_MANAGED_BY: "airflow",
            LABEL_APP_NAME: label_value(self.app_name),
            LABEL_TARGET: self.target,
        }

    # ---- command lines ---------------------------------------------------------------------------
    def spark_submit_arguments(self) -> list[str]:
        """What goes after ``--``: options, confs, ``--class``, the application and its arguments."""
        args: list[str] = []
        if self.target == "standalone" and not any(a.split("=")[0] == "--driver-memory" for a in self.spark_args):
            args += ["--driver-memory", STANDALONE_DRIVER_MEMORY]
        args += list(self.spark_args)
        conf = dict(self.conf)
        if self.target == "standalone":
            if self.platform is not None and self.platform.executor_memory:
                # Spark's default (1g) may exceed what a worker offers: the app would wait forever.
                conf.setdefault("spark.executor.memory", self.platform.executor_memory)
            if self.platform is not None and self.platform.auth_secret_name:
                # The cluster authenticates and encrypts RPC; the secret reaches the driver as env.
                conf.setdefault("spark.authenticate", "true")
                conf.setdefault("spark.network.crypto.enabled", "true")
            # Prometheus metrics on the driver's UI (lib/monitoring.ts SPARK_METRICS_CONF): the
            # driver's own and its executors'; only a scraper the NetworkPolicies admit reaches them.
            for key, value in SPARK_METRICS_CONF.items():
                conf.setdefault(key, value)
            if self.platform is not None and self.platform.event_log_dir:
                # The driver runs in the task pod, which mounts the history server's claim or has
                # the object store's credentials.
                conf.setdefault("spark.eventLog.enabled", "true")
                conf.setdefault("spark.eventLog.dir", self.platform.event_log_dir)
                for key, value in self.platform.event_log_conf.items():
                    conf.setdefault(key, value)
        if self.target == "k8s":
            p = self.platform
            assert p is not None
            conf.setdefault("spark.kubernetes.container.image", self.spark_image or p.job_image or _missing_marker(ENV_JOB_IMAGE))
        for key in sorted(conf):
            args += ["--conf", f"{key}={conf[key]}"]
        if self.main_class:
            args += ["--class", self.main_class]
        return [*args, self.application, *self.app_args]

    def submit_arguments(self) -> list[str]:
        p = self.platform
        assert p is not None
        args = ["submit", "--name", self.app_name, "--run-id", "{{ run_id }}", "--target", self.target]
        if self.target == "k8s":
            args += ["--namespace", p.namespace, "--driver-service-account", p.driver_service_account]
            if self.replace_failed:
                args.append("--replace-failed")
        else:
            args += ["--master-url", p.master_url or _missing_marker(ENV_MASTER_URL)]
        args += ["--dag-id", "{{ dag.dag_id }}", "--task-id", "{{ task.task_id }}"]
        return [*args, "--", *self.spark_submit_arguments()]

    def monitor_arguments(self) -> list[str]:
        xcom = f"ti.xcom_pull(task_ids='{self.submit_task_id}')"
        args = ["monitor", "--driver-pod", f"{{{{ {xcom}['driverPod'] }}}}", "--namespace", f"{{{{ {xcom}['namespace'] }}}}"]
        if self.monitor_timeout:
            args += ["--timeout", self.monitor_timeout]
        return args

    # ---- tasks -----------------------------------------------------------------------------------
    def _common(self, component: str, required: Sequence[str], resources_: k8s.V1ResourceRequirements, tmp_size: str) -> dict[str, Any]:
        p = self.platform
        assert p is not None
        volumes = [k8s.V1Volume(name="tmp", empty_dir=k8s.V1EmptyDirVolumeSource(size_limit=tmp_size))]
        mounts = [k8s.V1VolumeMount(name="tmp", mount_path="/tmp")]
        # Only the k8s tasks call the API (create the driver, follow it): their token goes into the
        # task's container alone, never into the XCom sidecar. Standalone pods get no token.
        calls_api = self.target == "k8s"
        if calls_api:
            volumes.append(api_access_volume())
            mounts.append(k8s.V1VolumeMount(name="kube-api-access", mount_path=SERVICE_ACCOUNT_DIR, read_only=True))
        kwargs: dict[str, Any] = {
            "image": p.job_image or _missing_marker(ENV_JOB_IMAGE),
            "image_pull_policy": "IfNotPresent",
            "namespace": p.namespace,
            "automount_service_account_token": False,
            "name": f"{dns_label(self.app_name)}-{component}",
            "random_name_suffix": True,
            "labels": self._labels(component),
            "cmds": ["spark-job"],
            "security_context": pod_security_context(),
            "container_security_context": container_security_context(),
            "container_resources": resources_,
            "volumes": volumes,
            "volume_mounts": mounts,
            "get_logs": True,
            "on_finish_action": "delete_succeeded_pod",
            "startup_timeout_seconds": 600,
            "retries": 2,
            "retry_delay": timedelta(seconds=30),
            "contract_missing": p.missing(*required),
        }
        if calls_api:
            kwargs["service_account_name"] = p.submitter_service_account
        kwargs.update(self.operator_kwargs)
        return kwargs

    def submit_task(self) -> SparkJobPodOperator:
        p = self.platform
        assert p is not None
        if self.target == "k8s":
            kwargs = self._common("submit", (ENV_JOB_IMAGE, ENV_POD_TEMPLATES_CONFIGMAP), self.submit_resources or SUBMIT_RESOURCES, "1Gi")
            kwargs["volumes"].append(
                k8s.V1Volume(
                    name="pod-templates",
                    config_map=k8s.V1ConfigMapVolumeSource(
                        name=p.pod_templates_configmap or _missing_marker(ENV_POD_TEMPLATES_CONFIGMAP),
                        items=[
                            k8s.V1KeyToPath(key="driver.yaml", path="driver.yaml"),
                            k8s.V1KeyToPath(key="executor.yaml", path="executor.yaml"),
                            k8s.V1KeyToPath(key=APPLICATION_DEFAULTS_KEY, path="spark-defaults.conf"),
                        ],
                    ),
                )
            )
            kwargs["volume_mounts"].append(k8s.V1VolumeMount(name="pod-templates", mount_path=POD_TEMPLATES_MOUNT_PATH, read_only=True))
            kwargs["env_vars"] = [
                # spark-submit reads the platform's application defaults (sizes) from here
                k8s.V1EnvVar(name="SPARK_CONF_DIR", value=POD_TEMPLATES_MOUNT_PATH),
                k8s.V1EnvVar(name=ENV_CLI_DRIVER_POD_TEMPLATE, value=f"{POD_TEMPLATES_MOUNT_PATH}/driver.yaml"),
                k8s.V1EnvVar(name=ENV_CLI_EXECUTOR_POD_TEMPLATE, value=f"{POD_TEMPLATES_MOUNT_PATH}/executor.yaml"),
            ]
        else:
            kwargs = self._common("submit", (ENV_JOB_IMAGE, ENV_MASTER_URL), self.submit_resources or STANDALONE_RESOURCES, "2Gi")

            def field_env(name: str, path: str) -> k8s.V1EnvVar:
                return k8s.V1EnvVar(name=name, value_from=k8s.V1EnvVarSource(field_ref=k8s.V1ObjectFieldSelector(field_path=path)))

            # The driver runs in this pod: executors on the workers reach it at the pod IP.
            kwargs["ports"] = [
                k8s.V1ContainerPort(name="driver-rpc", container_port=STANDALONE_DRIVER_PORT, protocol="TCP"),
                k8s.V1ContainerPort(name="driver-blocks", container_port=STANDALONE_DRIVER_BLOCK_MANAGER_PORT, protocol="TCP"),
                # named like a Kubernetes driver's, so a PodMonitor finds the metrics the same way
                k8s.V1ContainerPort(name="spark-ui", container_port=SPARK_UI_PORT, protocol="TCP"),
            ]
            kwargs["env_vars"] = [
                field_env("POD_NAME", "metadata.name"),
                field_env("POD_NAMESPACE", "metadata.namespace"),
                field_env("POD_IP", "status.podIP"),
            ]
            if p.event_log_dir and p.event_log_secret:
                kwargs["env_vars"] += [
                    k8s.V1EnvVar(
                        name=key,
                        value_from=k8s.V1EnvVarSource(secret_key_ref=k8s.V1SecretKeySelector(name=p.event_log_secret, key=key)),
                    )
                    for key in OBJECT_STORE_CREDENTIAL_KEYS
                ]
            if p.event_log_claim and p.event_log_dir:
                kwargs["volumes"].append(
                    k8s.V1Volume(
                        name="event-logs",
                        persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(claim_name=p.event_log_claim),
                    )
                )
                kwargs["volume_mounts"].append(k8s.V1VolumeMount(name="event-logs", mount_path=EVENT_LOG_MOUNT_PATH))
            if p.auth_secret_name:
                kwargs["env_vars"].append(
                    k8s.V1EnvVar(
                        name=SPARK_AUTH_SECRET_ENV,
                        value_from=k8s.V1EnvVarSource(
                            secret_key_ref=k8s.V1SecretKeySelector(name=p.auth_secret_name, key=AUTH_SECRET_KEY)
                        ),
                    )
                )
        return SparkJobPodOperator(
            task_id=self.submit_task_id,
            arguments=self.submit_arguments(),
            do_xcom_push=True,
            deferrable=False,
            **kwargs,
        )

    def monitor_task(self) -> SparkJobPodOperator:
        if self.target != "k8s":
            raise ValueError(f"SparkApp {self.app_name!r}: only target k8s has a monitor task")
        kwargs = self._common("monitor", (ENV_JOB_IMAGE,), self.monitor_resources or MONITOR_RESOURCES, "64Mi")
        return SparkJobPodOperator(
            task_id=self.monitor_task_id,
            arguments=self.monitor_arguments(),
            do_xcom_push=False,
            deferrable=True,
            final_exit_codes=MONITOR_FINAL_EXIT_CODES,
            logging_interval=self.monitor_logging_interval,
            **kwargs,
        )

    def tasks(self) -> list[SparkJobPodOperator]:
        """The tasks in order, already chained: [submit, monitor] (k8s) or [submit] (standalone)."""
        submit = self.submit_task()
        if self.target == "standalone":
            return [submit]
        monitor = self.monitor_task()
        submit >> monitor
        return [submit, monitor]


def _app_tasks(target: Target, task_id_prefix: str, app_name: str, application: str, *, app_args: Sequence[str],
               main_class: str | None, conf: Mapping[str, str] | None, **kwargs: Any) -> list[SparkJobPodOperator]:
    return SparkApp(
        app_name=app_name,
        application=application,
        app_args=app_args,
        main_class=main_class,
        conf=conf or {},
        target=target,
        task_id_prefix=task_id_prefix,
        **kwargs,
    ).tasks()


def spark_submit_and_monitor(
    task_id_prefix: str,
    app_name: str,
    application: str,
    *,
    app_args: Sequence[str] = (),
    main_class: str | None = None,
    conf: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> tuple[SparkJobPodOperator, SparkJobPodOperator]:
    """Kubernetes cluster mode: ``(submit, monitor)``, chained. Call inside a DAG context."""
    submit, monitor = _app_tasks("k8s", task_id_prefix, app_name, application, app_args=app_args, main_class=main_class, conf=conf, **kwargs)
    return submit, monitor


def spark_submit_standalone(
    task_id_prefix: str,
    app_name: str,
    application: str,
    *,
    app_args: Sequence[str] = (),
    main_class: str | None = None,
    conf: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> SparkJobPodOperator:
    """Standalone cluster, client mode in the task pod: one task that ends with the application."""
    (run,) = _app_tasks("standalone", task_id_prefix, app_name, application, app_args=app_args, main_class=main_class, conf=conf, **kwargs)
    return run

/** The --help texts (kept apart from cli.ts so tests can read them without the Kubernetes client). */

export const MAIN_HELP = `spark-job: submit Spark applications from Airflow and monitor their driver pods

Usage:
  spark-job submit --name <app> --run-id <id> [options] -- <spark-submit arguments>
  spark-job monitor --driver-pod <name> --namespace <ns> [--timeout <duration>]
  spark-job <command> --help
  spark-job --version

Commands:
  submit    Submit an application (Kubernetes cluster mode, or client mode against a
            standalone master) and write Airflow's return.json.
  monitor   Watch a driver pod until it ends, streaming its log; the exit code says how it ended.

Exit codes: 0 ok, 1 failed, 2 usage, 3 OOMKilled, 4 pod deleted, 5 evicted,
            6 image pull failure, 7 timeout, 8 earlier driver failed, 10 internal error,
            143/130 stopped by SIGTERM/SIGINT.
`;

export const SUBMIT_HELP = `Usage: spark-job submit --name <app> --run-id <id> [options] -- <spark-submit arguments>

Kubernetes target (default): runs $SPARK_HOME/bin/spark-submit in cluster mode with
spark.kubernetes.submission.waitAppCompletion=false and a driver pod name derived from
--name and --run-id. A retry finds that pod and adopts it instead of submitting again.
Standalone target: runs spark-submit in client mode against a spark:// master and returns
when the application ends, with its exit code.
Writes return.json (SPARK_JOB_XCOM_FILE, default /airflow/xcom/return.json) atomically:
  {"driverPod", "namespace", "appName", "appId", "submissionId", "submittedAt", "target"}

Options:
  --name <app>                    Spark application name (required)
  --run-id <id>                   Airflow run id (required; default $AIRFLOW_CTX_DAG_RUN_ID)
  --target k8s|standalone         where to run (default k8s)
  --namespace <ns>                k8s: driver namespace (default $SPARK_NAMESPACE, else the pod's
                                  own namespace). standalone: reported only (default $POD_NAMESPACE)
  --driver-service-account <sa>   k8s: driver service account (default $SPARK_DRIVER_SERVICE_ACCOUNT)
  --replace-failed                k8s: if the earlier try's driver pod Failed, delete it and submit
                                  again (without it that is exit code 8)
  --label <key=value>             k8s: extra label on driver and executor pods (repeatable)
  --dag-id <id>                   label value (default $AIRFLOW_CTX_DAG_ID)
  --task-id <id>                  label value (default $AIRFLOW_CTX_TASK_ID)
  --master-url <url>              k8s: default $SPARK_JOB_K8S_MASTER or
                                  k8s://https://kubernetes.default.svc;
                                  standalone: default $SPARK_MASTER_URL (spark://host:7077)
  --driver-pod-template <file>    k8s: spark.kubernetes.driver.podTemplateFile
                                  (default $SPARK_JOB_DRIVER_POD_TEMPLATE)
  --executor-pod-template <file>  k8s: spark.kubernetes.executor.podTemplateFile
                                  (default $SPARK_JOB_EXECUTOR_POD_TEMPLATE)
  --help                          this text

Environment: SPARK_HOME (default /opt/spark), SPARK_JOB_XCOM_FILE, KUBECONFIG (outside a
cluster; in a pod the service account is used), POD_IP (standalone driver host), POD_NAME.

Exit codes: 0 submitted or adopted; 1 spark-submit failed or printed no deployment
(standalone: the application's own non-zero exit code); 2 usage; 8 the earlier try's driver
pod Failed; 10 Kubernetes API or internal error.
`;

export const MONITOR_HELP = `Usage: spark-job monitor --driver-pod <name> --namespace <ns> [--timeout <duration>] [--container <name>]

Watches the driver pod (a Kubernetes watch, resumed after disconnects and 410 Gone) and
streams its driver container's log to stdout until the pod ends. On failure the first line
on stderr is a one-line reason.

Options:
  --driver-pod <name>     driver pod name (required; driverPod from submit's return.json)
  --namespace <ns>        its namespace (required; default $SPARK_NAMESPACE)
  --timeout <duration>    give up after e.g. 90s, 30m, 2h, 1h30m (default: no limit)
  --container <name>      container to stream (default spark-kubernetes-driver)
  --help                  this text

Exit codes:
  0  driver pod Succeeded
  1  driver pod Failed (the container's exit code and reason are printed)
  2  usage error
  3  driver container OOMKilled
  4  driver pod deleted (or not found) before it finished
  5  driver pod evicted
  6  driver image cannot be pulled (ErrImagePull, ImagePullBackOff, InvalidImageName)
  7  --timeout elapsed
  10 Kubernetes API unreachable or refusing, or internal error
`;

"""test/runtime: run what we deploy (issue #11).

Reads dist/<env>/spark-airflow.k8s.yaml and runs its Spark and Airflow containers as host processes
through kubelet.py (no command line is retyped here), then checks them. Output: `PASS|FAIL <check>`
lines, `TIME <what> <seconds>` lines, and `N passed, N failed` at the end. Run it via run.sh.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import sys
import threading
import time
import traceback
from typing import Any

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kubelet import (  # noqa: E402
    Cluster, Container, HarnessError, Image, Pod, airflow_entrypoint, command_or_fail, http_get,
    postgres_entrypoint, spark_job_entrypoint,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T0 = time.monotonic()


class Results:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.lock = threading.Lock()
        self.times: list[tuple[str, float]] = []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        with self.lock:
            if ok:
                self.passed += 1
            else:
                self.failed += 1
            print(f"{'PASS' if ok else 'FAIL'} {name}" + (f" -- {detail}" if detail else ""), flush=True)
        return ok

    def time(self, what: str, seconds: float) -> None:
        self.times.append((what, seconds))
        print(f"TIME {what} {seconds:.1f}s", flush=True)


R = Results()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def tail(text: str, n: int = 15) -> str:
    return "\n    ".join(text.strip().splitlines()[-n:])


def show(c: Container) -> None:
    log(f"{c.label}: argv {' '.join(c.argv)}")
    for o in c.overrides:
        log(f"{c.label}: override {o}")


# --------------------------------------------------------------------------------------------------
# Test secret values (what the bootstrap Job or a secret manager provides in a cluster)
# --------------------------------------------------------------------------------------------------
def test_secrets(namespace: str) -> dict[str, dict[str, str]]:
    pg_password = secrets.token_hex(16)
    return {
        "spark-auth": {"secret": secrets.token_hex(32)},
        "airflow-secrets": {
            "fernet-key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "api-secret-key": secrets.token_hex(32),
            "jwt-secret": secrets.token_hex(32),
            "postgres-password": pg_password,
            # The same shape the bootstrap Job generates (lib/airflow.ts: user airflow, the Service's DNS name).
            "sql-alchemy-conn": f"postgresql+psycopg2://airflow:{pg_password}@airflow-postgresql.{namespace}.svc.cluster.local:5432/airflow",
        },
    }


def images(docs: list[dict[str, Any]], spark_home: str, pyspark_venv: str, airflow_venv: str) -> dict[str, Image]:
    java_home = os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("java") or "/usr/bin/java")))
    node_dir = os.path.dirname(os.path.realpath(shutil.which("node") or "/usr/bin/node"))
    base_path = "/usr/local/bin:/usr/bin:/bin"
    job_image = None
    for d in docs:
        for c in (d.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []):
            for e in c.get("env", []):
                if e["name"] == "SPARK_JOB_IMAGE" and "value" in e:
                    job_image = e["value"]
    spark_paths = {"/opt/spark": spark_home}
    table = {
        # apache/spark: ENV SPARK_HOME=/opt/spark, JAVA_HOME; WORKDIR /opt/spark/work-dir; python3 with pyspark.
        "apache/spark": Image(paths=spark_paths, owned=["/opt/spark/work-dir", "/home/spark"],
                              env={"SPARK_HOME": "/opt/spark", "JAVA_HOME": java_home, "PATH": f"{pyspark_venv}/bin:{base_path}", "HOME": "/home/spark"},
                              workdir="/opt/spark/work-dir", entrypoint=command_or_fail("apache/spark"),
                              bind_env={"SPARK_LOCAL_IP": "{ip}"}),
        # apache/airflow: ENV AIRFLOW_HOME=/opt/airflow, HOME=/home/airflow; WORKDIR /opt/airflow;
        # the image's Python has Airflow, psycopg2 and asyncpg (here: the lock's venv).
        "apache/airflow": Image(paths={}, owned=["/opt/airflow", "/home/airflow"],
                                env={"AIRFLOW_HOME": "/opt/airflow", "HOME": "/home/airflow", "PATH": f"{airflow_venv}/bin:{base_path}",
                                     "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False"},
                                workdir="/opt/airflow", entrypoint=airflow_entrypoint,
                                bind_env={"AIRFLOW__API__HOST": "{ip}", "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "{ip}"}),
        # postgres: docker-entrypoint.sh (initdb from POSTGRES_* env, then `postgres`), run as the Debian postgres user.
        "postgres": Image(paths={}, owned=["/home/postgres"], env={"PATH": f"/usr/lib/postgresql/15/bin:{base_path}", "HOME": "/home/postgres", "LANG": "C.UTF-8"},
                          workdir="/home/postgres", entrypoint=postgres_entrypoint, run_as="postgres"),
    }
    if job_image:
        # The job image (job/Dockerfile): FROM apache/spark, /opt/spark-job/{spark-job.js,apps/}, ENTRYPOINT spark-job.
        table[job_image] = Image(paths={**spark_paths, "/opt/spark-job/spark-job.js": os.path.join(REPO, "job/dist/spark-job.js"),
                                        "/opt/spark-job/apps": os.path.join(REPO, "job/apps")},
                                 owned=["/opt/spark/work-dir", "/home/spark"],
                                 env={"SPARK_HOME": "/opt/spark", "JAVA_HOME": java_home, "PATH": f"{pyspark_venv}/bin:{node_dir}:{base_path}", "HOME": "/home/spark"},
                                 workdir="/opt/spark/work-dir", entrypoint=spark_job_entrypoint, bind_env={"SPARK_LOCAL_IP": "{ip}"})
    return table


# --------------------------------------------------------------------------------------------------
# Spark
# --------------------------------------------------------------------------------------------------
def master_json(master: Container) -> dict[str, Any]:
    code, body = http_get(f"http://{master.pod.ip}:8080/json/", 3)
    return json.loads(body) if code == 200 else {}


def arg_after(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


class Spark:
    def __init__(self, cluster: Cluster, dag_env_container: Container | None):
        self.cluster = cluster
        self.master_w = cluster.find("Deployment", labels={"app.kubernetes.io/name": "spark", "app.kubernetes.io/component": "master"})
        self.worker_w = cluster.find("DaemonSet", labels={"app.kubernetes.io/name": "spark", "app.kubernetes.io/component": "worker"})
        self.master_pod = cluster.pod(self.master_w, f"{self.master_w['metadata']['name']}-0")
        # A DaemonSet on two nodes: two pods with the same template (their own IP and volumes).
        self.worker_pods = [cluster.pod(self.worker_w, f"{self.worker_w['metadata']['name']}-node{i}") for i in (1, 2)]
        self.containers: list[Container] = []
        self.dag_env_container = dag_env_container

    def start(self) -> Container | None:
        master = self.master_pod.container("master")
        self.master = master
        self.containers.append(master)
        show(master)
        master.start()
        ready, detail, secs = master.wait_probe(master.spec["readinessProbe"], time.monotonic() + 120)
        R.check("spark master ready (readiness probe)", ready, detail if ready else f"{detail}\n    {tail(master.output())}")
        R.time("spark master start->ready", secs)
        if not ready:
            return None
        workers = [p.container("worker") for p in self.worker_pods]
        self.workers = workers
        for w in workers:
            self.containers.append(w)
            show(w)
            w.start()
        t0 = time.monotonic()
        seen: dict[str, float] = {}
        alive: list[dict[str, Any]] = []
        while time.monotonic() - t0 < 120 and len(seen) < len(workers):
            alive = [w for w in master_json(master).get("workers", []) if w.get("state") == "ALIVE"]
            for w in alive:
                seen.setdefault(w["host"], time.monotonic() - t0)
            if any(not w.alive() for w in workers):
                break
            time.sleep(0.5)
        for w in workers:
            spec_args = w.spec["args"]
            want_cores = int(arg_after(spec_args, "--cores"))
            want_mem = arg_after(spec_args, "--memory")
            want_mb = int(want_mem[:-1]) * (1024 if want_mem.endswith("g") else 1)
            got = next((x for x in alive if x["host"] == w.pod.ip), None)
            ok = got is not None and got["cores"] == want_cores and got["memory"] == want_mb
            R.check(f"spark worker {w.pod.name} registered with {want_cores} cores / {want_mb} MB (from the manifest's --cores/--memory)", ok,
                    f"master reports {json.dumps(got) if got else 'nothing'}" + ("" if got else f"\n    {tail(w.output())}"))
            if w.pod.ip in seen:
                R.time(f"spark worker {w.pod.name} start->registered", seen[w.pod.ip])
        return master

    # ---- the DAG's standalone task pod -------------------------------------------------------------
    def submit_pod(self, app_args: list[str], suffix: str, auth: bool = True, extra_conf: dict[str, str] | None = None) -> tuple[Pod, Container]:
        """The pod the DAG helper (dags/spark_tasks.py) builds for a standalone app, from the DAG code itself."""
        assert self.dag_env_container is not None
        c = self.dag_env_container
        script = f"""
import json, os, sys
sys.path.insert(0, {c.map_path('/opt/airflow/dags')!r})
from kubernetes.client import ApiClient
from jinja2 import Template
from spark_tasks import SparkApp, SparkPlatform
platform = SparkPlatform.from_env({{k: v for k, v in os.environ.items() if {auth!r} or k != "SPARK_AUTH_SECRET_NAME"}})
app = SparkApp(app_name="spark pi", application="/opt/spark-job/apps/pi.py", app_args={app_args!r}, target="standalone", platform=platform)
op = app.submit_task()
pod = ApiClient().sanitize_for_serialization(op.build_pod_request_obj(None, dry_run=True))
ctx = {{"run_id": "runtime__{suffix}", "dag": {{"dag_id": "runtime_test"}}, "task": {{"task_id": op.task_id}}}}
for ctr in pod["spec"]["containers"]:
    ctr["args"] = [Template(a).render(**ctx) for a in ctr.get("args") or []]
print("POD-JSON " + json.dumps(pod))
"""
        rc, out = c.exec(["python", "-c", script], timeout=120, mapped=False)
        line = next((l for l in out.splitlines() if l.startswith("POD-JSON ")), None)
        if rc != 0 or line is None:
            raise HarnessError(f"building the submit pod from dags/spark_tasks.py failed (exit {rc}):\n{tail(out)}")
        pod_json = json.loads(line[len("POD-JSON "):])
        workload = {"kind": "Pod", "metadata": pod_json["metadata"], "spec": {"template": {"metadata": pod_json["metadata"], "spec": pod_json["spec"]}}}
        pod = self.cluster.pod(workload, f"{pod_json['metadata']['name']}")
        ctr = Container(pod, pod_json["spec"]["containers"][0], drop_env=("POD_IP",))
        if extra_conf:
            conf_dir = ctr.map_path("/tmp/spark-conf")
            os.makedirs(conf_dir, mode=0o700)
            fd = os.open(os.path.join(conf_dir, "spark-defaults.conf"), os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("".join(f"{k} {v}\n" for k, v in extra_conf.items()))
            ctr.env["SPARK_CONF_DIR"] = conf_dir
            ctr.overrides.append(f"env SPARK_CONF_DIR=/tmp/spark-conf with {sorted(extra_conf)} (workaround, see the FAIL above)")
        # The CLI's default return file /airflow/xcom/return.json is inside the xcom mount.
        ctr.env["SPARK_JOB_XCOM_FILE"] = ctr.map_path("/airflow/xcom/return.json")
        ctr.overrides.append("env SPARK_JOB_XCOM_FILE=<the xcom mount>/return.json (the CLI's default path, mapped)")
        self.containers.append(ctr)
        return pod, ctr

    def run_submit(self, ctr: Container, timeout: float = 240) -> tuple[int, float | None, float]:
        show(ctr)
        ctr.start()
        assert ctr.proc
        running_at = None
        self.starved = None
        starving_since = None
        while ctr.proc.poll() is None and time.monotonic() - ctr.started_at < timeout:
            state = master_json(self.master)
            apps = list(state.get("activeapps", []))  # pi.py renames itself ("spark-job pi"); it is the only app
            if running_at is None and any(a.get("state") == "RUNNING" for a in apps):
                running_at = time.monotonic() - ctr.started_at
            # An app no worker can ever host (executor memory > every worker's memory) waits forever.
            biggest = max((w.get("memory", 0) for w in state.get("workers", []) if w.get("state") == "ALIVE"), default=0)
            too_big = [a for a in apps if a.get("memoryperexecutor", 0) > biggest and not a.get("cores")]
            if too_big:
                starving_since = starving_since or time.monotonic()
                if time.monotonic() - starving_since > 15:
                    self.starved = (too_big[0]["memoryperexecutor"], biggest)
                    break
            time.sleep(0.25)
        if ctr.proc.poll() is None:
            ctr.stop(5)
        return ctr.proc.returncode, running_at, time.monotonic() - ctr.started_at

    def jobs(self) -> None:
        _, ok_ctr = self.submit_pod(["--partitions", "2"], "ok")
        rc, running_at, wall = self.run_submit(ok_ctr)
        out = ok_ctr.output()
        self.workaround: dict[str, str] = {}
        if rc != 0 and "A secret key must be specified via the spark.authenticate.secret config" in out:
            # Known bug (report of issue #11): a driver of a spark:// master reads the shared secret only
            # from the SparkConf (SecurityManager.initializeAuth), never from _SPARK_AUTH_SECRET.
            R.check("standalone DAG task pod authenticates with _SPARK_AUTH_SECRET alone", False,
                    "Spark driver: 'A secret key must be specified via the spark.authenticate.secret config.' "
                    "(the driver needs spark.authenticate.secret in its SparkConf; the env var only serves daemons and executors)")
            self.workaround = {"spark.authenticate.secret": ok_ctr.env["_SPARK_AUTH_SECRET"]}
            log("re-running the DAG's submit pod with the proposed fix: spark.authenticate.secret (from _SPARK_AUTH_SECRET) in a "
                "0600 spark-defaults.conf under the pod's /tmp, SPARK_CONF_DIR pointing at it, so the rest of the Spark checks still run")
            _, ok_ctr = self.submit_pod(["--partitions", "2"], "ok2", extra_conf=self.workaround)
            rc, running_at, wall = self.run_submit(ok_ctr)
            out = ok_ctr.output()
        if self.starved:
            want, have = self.starved
            R.check("the DAG's standalone app gets executors on the dev workers", False,
                    f"the app asks {want} MB per executor (spark.executor.memory default 1g; dags/spark_tasks.py sets none), "
                    f"the workers offer {have} MB (SPARK_WORKER_MEMORY from the construct): no executor is ever granted, "
                    "the driver logs 'Initial job has not accepted any resources' until the task times out")
            self.workaround["spark.executor.memory"] = f"{have}m"
            log(f"re-running with spark.executor.memory={have}m (harness-only workaround) so the rest of the Spark checks still run")
            _, ok_ctr = self.submit_pod(["--partitions", "2"], "ok3", extra_conf=self.workaround)
            rc, running_at, wall = self.run_submit(ok_ctr)
            out = ok_ctr.output()
        m = re.search(r"Pi is roughly (\d+\.\d+)", out)
        R.check("spark-job submit --target standalone pi.py exits 0", rc == 0, f"exit {rc}" + ("" if rc == 0 else f"\n    {tail(out)}"))
        R.check("pi.py result printed and plausible", bool(m) and 3.0 < float(m.group(1)) < 3.3, m.group(0) if m else "no 'Pi is roughly' line")
        ret: dict[str, Any] = {}
        try:
            with open(ok_ctr.env["SPARK_JOB_XCOM_FILE"]) as f:
                ret = json.load(f)
            R.check("return.json: target standalone, appId app-*, driverPod = POD_NAME",
                    ret.get("target") == "standalone" and str(ret.get("appId")).startswith("app-") and ret.get("driverPod") == ok_ctr.pod.name, json.dumps(ret))
        except (OSError, ValueError) as e:
            R.check("return.json: target standalone, appId app-*, driverPod = POD_NAME", False, str(e))
        done = master_json(self.master).get("completedapps", [])
        app_id = ret.get("appId")
        mine = [a for a in done if a.get("id") == app_id]
        R.check("master lists the app (appId of return.json) as FINISHED", bool(mine) and mine[0].get("state") == "FINISHED",
                json.dumps([(a.get("id"), a.get("name"), a.get("state"), a.get("cores"), a.get("memoryperexecutor")) for a in done]))
        executors = []
        for w in self.workers:
            work = w.map_path(arg_after(w.spec["args"], "--work-dir"))
            if app_id and os.path.isdir(os.path.join(work, app_id)):
                executors += [f"{w.pod.name}:{e}" for e in os.listdir(os.path.join(work, app_id))]
        R.check("executors ran on the workers (authenticated with the workers' secret)", bool(executors), ", ".join(executors) or "no executor dirs")
        if running_at is not None:
            R.time("submit start->app RUNNING on the master", running_at)
        R.time("pi.py app wall time (submit start->exit)", wall)

        _, fail_ctr = self.submit_pod(["--partitions", "2", "--fail"], "fail", extra_conf=self.workaround)
        rc, _, wall = self.run_submit(fail_ctr)
        out = fail_ctr.output()
        R.check("pi.py --fail: non-zero exit (3) with its error in the output", rc == 3 and "failing on purpose" in out, f"exit {rc}; " + ("error line found" if "failing on purpose" in out else tail(out)))
        R.time("pi.py --fail wall time", wall)

    def unauthenticated(self) -> None:
        """A client without the secret and without spark.authenticate must be refused by the master."""
        try:
            _, ctr = self.submit_pod(["--partitions", "2"], "noauth", auth=False)
            has_secret = "_SPARK_AUTH_SECRET" in ctr.env
            rc, running_at, wall = self.run_submit(ctr, timeout=150)
            out = ctr.output()
            apps = master_json(self.master)
            lines = out.splitlines()
            reason = "; ".join(dict.fromkeys(m.group(0) for l in lines for m in [re.search(r"Expected SaslMessage.*|All masters are unresponsive.*", l)] if m)) or tail(out, 3)
            evidence = next((l.strip() for l in self.master.output().splitlines() if re.search(r"AuthRpcHandler|SASL", l)), "")
            R.check("client without the secret (no _SPARK_AUTH_SECRET, no spark.authenticate) is refused by the master", not has_secret and rc not in (0, None) and running_at is None and not apps.get("activeapps"),
                    f"exit {rc} after {wall:.0f}s; client: {reason[:300]}; master: {evidence[:200]}")
        except Exception as e:  # noqa: BLE001
            R.check("client without the secret is refused", False, f"{type(e).__name__}: {e}")

    def probe_checks(self, up: bool) -> None:
        for c in [self.master, *self.workers]:
            for kind, probe in c.probes().items():
                ok, detail = c.probe(probe)
                want = "passes" if up else "fails after stop"
                R.check(f"probe {c.label} {kind} {want}", ok if up else not ok, detail)

    def spark_home_writes(self, marker: float, spark_home: str) -> None:
        new = []
        for dirpath, dirnames, filenames in os.walk(spark_home):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for f in filenames + dirnames:
                p = os.path.join(dirpath, f)
                try:
                    if os.lstat(p).st_mtime > marker and not p.endswith(".pyc"):
                        new.append(p[len(spark_home):])
                except OSError:
                    pass
        R.check("no writes into SPARK_HOME (/opt/spark is on the read-only root filesystem)", not new, ", ".join(new[:10]))


# --------------------------------------------------------------------------------------------------
# Airflow
# --------------------------------------------------------------------------------------------------
class Airflow:
    COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.pg_w = cluster.find("StatefulSet", labels={"app.kubernetes.io/name": "postgresql"})
        self.migrate_w = cluster.find("Job", labels={"app.kubernetes.io/component": "db-migrate"})
        self.pg_pod = cluster.pod(self.pg_w, f"{self.pg_w['metadata']['name']}-0")
        self.migrate_pod = cluster.pod(self.migrate_w, f"{self.migrate_w['metadata']['name']}-runtime")
        self.pods: dict[str, Pod] = {}
        for comp in self.COMPONENTS:
            w = next(d for d in cluster.docs if d["kind"] in ("Deployment", "StatefulSet") and d["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "airflow"
                     and d["metadata"]["labels"].get("app.kubernetes.io/component") == comp)
            self.pods[comp] = cluster.pod(w, f"{w['metadata']['name']}-0")
        self.main: dict[str, Container] = {}
        self.containers: list[Container] = []

    def dag_env_container(self) -> Container:
        """The scheduler's main container (it runs the DAG tasks); built early to read the DAG contract env."""
        c = self.pods["scheduler"].container("airflow", suffix="-exec")
        return c

    # ---- PostgreSQL (postgres image entrypoint, emulated with Debian's PostgreSQL) -----------------
    def start_postgres(self) -> bool:
        import pwd
        c = self.pg_pod.container("postgresql")
        self.pg = c
        self.containers.append(c)
        show(c)
        pw = pwd.getpwnam("postgres")
        # fsGroup / ownership: the volumes belong to the user the container runs as.
        for root in [self.pg_pod.dir]:
            for dirpath, dirnames, filenames in os.walk(root):
                for n in dirnames + filenames:
                    try:
                        os.lchown(os.path.join(dirpath, n), pw.pw_uid, pw.pw_gid)
                    except OSError:
                        pass
            os.lchown(root, pw.pw_uid, pw.pw_gid)
        env = c.env
        pgdata = env["PGDATA"]
        bindir = "/usr/lib/postgresql/15/bin"
        t0 = time.monotonic()
        steps = [
            [f"{bindir}/initdb", "-D", pgdata, f"--username={env['POSTGRES_USER']}", f"--pwfile={env['POSTGRES_PASSWORD_FILE']}",
             "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8"],
        ]
        for argv in steps:
            rc, out = c.exec(argv, timeout=120, mapped=False)
            if rc != 0:
                R.check("postgresql initdb (from POSTGRES_USER / POSTGRES_PASSWORD_FILE / PGDATA)", False, tail(out))
                return False
        with open(os.path.join(pgdata, "pg_hba.conf"), "a") as f:
            f.write("host all all all scram-sha-256\n")
        sock = c.map_path("/var/run/postgresql")
        # The image listens on '*' (pod IP and the pod's own 127.0.0.1, which the exec probe uses).
        c.start([f"{bindir}/postgres", "-D", pgdata, "-p", "5432", "-c", f"listen_addresses={c.pod.ip},127.0.0.1", "-c", f"unix_socket_directories={sock}"])
        ready, detail, secs = c.wait_probe(c.spec["readinessProbe"], time.monotonic() + 60, every=0.5)
        if ready and env.get("POSTGRES_DB", "postgres") != "postgres":
            rc, out = c.exec([f"{bindir}/createdb", "-h", sock, "-p", "5432", "-U", env["POSTGRES_USER"], env["POSTGRES_DB"]], timeout=60, mapped=False)
            ready = rc == 0 or "already exists" in out
            detail += f"; createdb {env['POSTGRES_DB']}: exit {rc} {out.strip()[:200]}"
        R.check("postgresql ready (readiness probe pg_isready)", ready, detail if ready else f"{detail}\n    {tail(c.output())}")
        R.time("postgresql initdb+start->ready", time.monotonic() - t0)
        return ready

    def migrate(self) -> bool:
        ok = True
        for spec in self.migrate_pod.containers(init=True) + self.migrate_pod.containers(init=False):
            c = self.migrate_pod.container(spec["name"])
            self.containers.append(c)
            show(c)
            rc = c.run(timeout=300)
            R.check(f"migration Job container {spec['name']} ({' '.join(spec['args'])}) exits 0", rc == 0, f"exit {rc}" + ("" if rc == 0 else f"\n    {tail(c.output())}"))
            R.time(f"migration {spec['name']}", time.monotonic() - c.started_at)
            ok = ok and rc == 0
            if not ok:
                break
        return ok

    def start_components(self) -> None:
        # Init containers of all pods in parallel (as the kubelets would), then the main containers.
        inits: list[Container] = []
        for comp, pod in self.pods.items():
            for spec in pod.containers(init=True):
                c = pod.container(spec["name"])
                inits.append(c)
                self.containers.append(c)
                show(c)
                c.start()
        for c in inits:
            assert c.proc
            try:
                rc = c.proc.wait(timeout=300)
            except Exception:  # noqa: BLE001
                c.stop(5)
                rc = -1
            R.check(f"init container {c.label} ({' '.join(c.spec['args'])}) exits 0", rc == 0, f"exit {rc} after {time.monotonic() - c.started_at:.1f}s" + ("" if rc == 0 else f"\n    {tail(c.output())}"))
        for comp, pod in self.pods.items():
            c = pod.container("airflow")
            self.main[comp] = c
            self.containers.append(c)
            show(c)
            c.start()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 240
        api = self.main["api-server"]
        # api-server: its startup probe; scheduler: its startup probe; triggerer: readiness (tcp).
        for comp, kind in (("scheduler", "startup"), ("triggerer", "readiness"), ("api-server", "startup")):
            c = self.main[comp]
            ok, detail, secs = c.wait_probe(c.probes()[kind], deadline)
            R.check(f"airflow {comp} ready ({kind} probe)", ok, detail if ok else f"{detail}\n    {tail(c.output())}")
            if ok:
                R.time(f"airflow {comp} start->{kind} probe passes", secs)
        # dag-processor: its heartbeat, through the api-server's health endpoint (cheaper than the exec probe in a loop).
        dp = self.main["dag-processor"]
        health: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                code, body = http_get(f"http://{api.pod.ip}:8080/api/v2/monitor/health", 5)
                health = json.loads(body) if code == 200 else {}
            except Exception:  # noqa: BLE001
                health = {}
            if all((health.get(k) or {}).get("status") == "healthy" for k in ("metadatabase", "scheduler", "triggerer", "dag_processor")):
                break
            time.sleep(1)
        R.time("airflow dag-processor start->healthy heartbeat", time.monotonic() - dp.started_at)
        R.check("api-server /api/v2/monitor/health: metadatabase, scheduler, triggerer, dag_processor healthy",
                all((health.get(k) or {}).get("status") == "healthy" for k in ("metadatabase", "scheduler", "triggerer", "dag_processor")), json.dumps(health))

    def dags_parsed(self) -> None:
        dp = self.main["dag-processor"]
        dag_files = sorted(f for f in os.listdir(dp.map_path("/opt/airflow/dags")) if f.endswith(".py") and not f.startswith("."))
        expected = {"spark_standalone", "spark_on_kubernetes"}
        script = (
            "import json\n"
            "from airflow.utils.session import create_session\n"
            "from sqlalchemy import text\n"
            "with create_session() as s:\n"
            "    dags = [r[0] for r in s.execute(text('select dag_id from dag where is_stale = false'))]\n"
            "    errs = [list(map(str, r)) for r in s.execute(text('select filename, stacktrace from import_error'))]\n"
            "print('DB-JSON ' + json.dumps({'dags': dags, 'errors': errs}))\n"
        )
        t0 = time.monotonic()
        state: dict[str, Any] = {}
        while time.monotonic() - t0 < 150:
            rc, out = dp.exec(["python", "-c", script], timeout=60, mapped=False)
            line = next((l for l in out.splitlines() if l.startswith("DB-JSON ")), None)
            state = json.loads(line[8:]) if line else {"raw": tail(out, 5)}
            if expected <= set(state.get("dags", [])) or state.get("errors"):
                break
            time.sleep(3)
        R.time("dag-processor start->DAGs in the database", time.monotonic() - dp.started_at)
        R.check(f"dag-processor parsed the DAG files {dag_files} into DAGs {sorted(expected)}", expected <= set(state.get("dags", [])), json.dumps(state)[:600])
        R.check("zero DAG import errors in the database", state.get("errors") == [], json.dumps(state.get("errors"))[:1500])
        rc, out = dp.exec(["airflow", "dags", "list-import-errors", "-o", "json"], timeout=90)
        last = out.strip().splitlines()[-1].strip() if out.strip() else ""
        R.check("`airflow dags list-import-errors` (dag-processor container) reports none", rc == 0 and (last == "[]" or "No data found" in out), f"exit {rc}: {last}")
        log_dir = dp.map_path("/opt/airflow/logs")
        recursive = []
        for dirpath, _, filenames in os.walk(log_dir):
            for f in filenames:
                with open(os.path.join(dirpath, f), errors="replace") as fh:
                    if "recursive loop" in fh.read():
                        recursive.append(f)
        R.check("no 'Detected recursive loop' in the dag-processor logs (the .airflowignore hides ..data)", not recursive and "recursive loop" not in dp.output(), ", ".join(recursive))

    def task_run(self) -> None:
        """Trigger spark_standalone: the scheduler runs its task (LocalExecutor) through the api-server's
        execution API (execution_api_server_url, JWT signed with the shared jwt secret). With no Kubernetes
        API here the operator must fail in its own code (kube config), which proves everything before it."""
        sch = self.main["scheduler"]
        t0 = time.monotonic()
        for cmd in (["airflow", "dags", "unpause", "spark_standalone"], ["airflow", "dags", "trigger", "spark_standalone", "--run-id", "runtime_test_run"]):
            rc, out = sch.exec(cmd, timeout=120)
            if rc != 0:
                R.check(f"`{' '.join(cmd)}` in the scheduler container", False, tail(out, 5))
                return
        logs = sch.map_path("/opt/airflow/logs")
        found = ""
        text = ""
        while time.monotonic() - t0 < 150:
            for dirpath, _, filenames in os.walk(logs):
                if "run_id=runtime_test_run" in dirpath:
                    for f in filenames:
                        with open(os.path.join(dirpath, f), errors="replace") as fh:
                            text = fh.read()
                        found = os.path.join(dirpath, f)[len(logs):]
            if re.search(r"ConfigException|Service host/port is not set|kube-config", text) or re.search(r"401|403|Invalid auth|Signature", text):
                break
            time.sleep(2)
        R.time("trigger->task ran to its operator code", time.monotonic() - t0)
        reached = bool(re.search(r"ConfigException|Service host/port is not set|kube-config", text))
        auth_err = re.search(r"[^\n]*(401 Unauthorized|403 Forbidden|Invalid auth token|Signature verification failed)[^\n]*", text)
        R.check("a DAG task runs through the execution API (scheduler->api-server JWT) up to the operator's Kubernetes call",
                reached and not auth_err, f"log {found}: " + (auth_err.group(0)[:200] if auth_err else ("operator failed on the missing Kubernetes config, as expected here" if reached else tail(text, 8) or "no task log")))

    def secrets_check(self, secrets_: dict[str, dict[str, str]]) -> None:
        s = secrets_["airflow-secrets"]
        want = {("core", "fernet_key"): s["fernet-key"], ("api", "secret_key"): s["api-secret-key"], ("api_auth", "jwt_secret"): s["jwt-secret"]}
        script = ("import json\nfrom airflow.configuration import conf\n"
                  "print('CONF-JSON ' + json.dumps({s + '.' + k: conf.get(s, k) for s, k in " + repr(list(want)) + "} | {'database.sql_alchemy_conn': conf.get('database', 'sql_alchemy_conn')}))\n")
        threads = []
        results: dict[str, tuple[int, str]] = {}
        for comp, c in self.main.items():
            def run(comp: str = comp, c: Container = c) -> None:
                results[comp] = c.exec(["python", "-c", script], timeout=120, mapped=False)
            t = threading.Thread(target=run)
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        for comp in self.main:
            rc, out = results[comp]
            line = next((l for l in out.splitlines() if l.startswith("CONF-JSON ")), None)
            got = json.loads(line[10:]) if line else {}
            ok = all(got.get(f"{sec}.{key}") == v for (sec, key), v in want.items()) and str(got.get("database.sql_alchemy_conn", "")).startswith("postgresql+psycopg2://airflow:")
            R.check(f"airflow {comp} reads the shared secrets (fernet key, api secret key, jwt secret, DB URL) from airflow-secrets", ok,
                    "all equal the test values" if ok else tail(out, 5))

    def probe_checks(self, up: bool, which: list[Container] | None = None) -> None:
        cs = which if which is not None else [self.pg, *self.main.values()]
        for c in cs:
            seen: dict[str, str] = {}
            for kind, probe in c.probes().items():
                handler = json.dumps({k: v for k, v in probe.items() if k in ("httpGet", "tcpSocket", "exec")}, sort_keys=True)
                if handler in seen:
                    R.check(f"probe {c.label} {kind} {'passes' if up else 'fails after stop'}", True, f"same handler as {seen[handler]} (checked there)")
                    continue
                seen[handler] = kind
                ok, detail = c.probe(probe)
                R.check(f"probe {c.label} {kind} {'passes' if up else 'fails after stop'}", ok if up else not ok, detail)


# --------------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", default="dev")
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--spark-home", required=True)
    ap.add_argument("--pyspark-venv", required=True)
    ap.add_argument("--airflow-venv", required=True)
    ap.add_argument("--only", choices=["spark", "airflow", "all"], default="all")
    a = ap.parse_args()
    manifest = os.path.join(REPO, "dist", a.env, "spark-airflow.k8s.yaml")
    with open(manifest) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    ns = next(d["metadata"]["name"] for d in docs if d["kind"] == "Namespace")
    sec = test_secrets(ns)
    cluster = Cluster(docs, sec, a.tmp, images(docs, a.spark_home, a.pyspark_venv, a.airflow_venv), log)
    log(f"manifests: {manifest} ({len(docs)} objects, namespace {ns}); work dir {a.tmp}")
    spark: Spark | None = None
    af: Airflow | None = None
    marker = time.time()
    noauth: threading.Thread | None = None
    try:
        # Every pod first (addresses and Service DNS are known before any container starts).
        af = Airflow(cluster)  # also when --only spark: the DAG contract env comes from the scheduler's container
        dag_env = af.dag_env_container() if af else None
        spark = Spark(cluster, dag_env) if a.only in ("spark", "all") else None
        for p in cluster.pods:
            log(f"pod {p.name}: ip {p.ip}")

        if spark:
            master = spark.start()
            if master:
                spark.jobs()
                noauth = threading.Thread(target=spark.unauthenticated)
                noauth.start()
        if a.only in ("airflow", "all") and af:
            if af.start_postgres() and af.migrate():
                af.start_components()
                af.wait_ready()
                af.dags_parsed()
                af.secrets_check(sec)
                af.task_run()
                af.probe_checks(up=True)
        if noauth:
            noauth.join()
        if spark and getattr(spark, "master", None) and getattr(spark, "workers", None):
            spark.probe_checks(up=True)

        # Stop in reverse order and check that each probe now fails (DB stays up for the exec probes).
        if af and af.main:
            for c in af.main.values():
                t0 = time.monotonic()
                rc = c.stop()
                R.time(f"airflow {c.pod.name} SIGTERM->exit {rc}", time.monotonic() - t0)
            af.probe_checks(up=False, which=list(af.main.values()))  # DB still up: exec probes fail on their own merit
        if af and getattr(af, "pg", None):
            af.pg.stop()
            af.probe_checks(up=False, which=[af.pg])
        if spark and getattr(spark, "master", None):
            for c in [*getattr(spark, "workers", []), spark.master]:
                c.stop()
            spark.probe_checks(up=False)
            spark.spark_home_writes(marker, a.spark_home)
        # Read-only root filesystem: nothing written outside the mounts.
        for c in (spark.containers if spark else []) + (af.containers if af else []):
            if c.proc is None:
                continue
            writes = c.root_writes()
            R.check(f"{c.label} wrote nothing outside its volume mounts (readOnlyRootFilesystem)", not writes, ", ".join(writes[:8]))
    except Exception as e:  # noqa: BLE001
        R.check("harness ran to the end", False, f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
    finally:
        for c in reversed((spark.containers if spark else []) + (af.containers if af else [])):
            if c.alive():
                c.stop(10)
        if noauth and noauth.is_alive():
            noauth.join(5)
    print("timings:", flush=True)
    for what, secs in R.times:
        print(f"  {secs:7.1f}s  {what}", flush=True)
    print(f"{R.passed} passed, {R.failed} failed", flush=True)
    return 0 if R.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

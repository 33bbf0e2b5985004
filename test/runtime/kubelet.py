"""A tiny kubelet for test/runtime: runs the containers of synthesized manifests as host processes.

Nothing here retypes a command line. For a container of a pod template in dist/<env> it takes
command, args, env, volumes and probes from the manifest and applies only the declared mappings
below (see test/runtime/README.md for the full table and the reasons):

* Pod network: each pod gets its own loopback address 127.0.0.N (the harness runs inside a private
  network namespace, so nothing is reachable from outside). `status.podIP` is that address, probes
  go to it (as the kubelet's do), and every server binds to it where the program lets us say so
  (IMAGES[...].bind_env), because all pods share one network namespace here.
* DNS: `<service>.<namespace>.svc.cluster.local` (and the shorter forms) in args and env values
  (literal or from Secrets) becomes the address of the pod the Service selects.
* Volumes: configMap/secret volumes are laid out like the kubelet does (`..<timestamp>` dir, `..data`
  link, one link per key, `items`, `defaultMode`, `subPath` as a copy of the resolved file);
  emptyDir and persistentVolumeClaim are fresh directories.
* Paths: every container gets its own root directory; a mount path P is P under that root. Image
  paths are mapped by IMAGES[...].paths (e.g. /opt/spark -> the pyspark wheel's Spark). Only path
  *prefixes* of whole arg / env values (or the part after `=`) are rewritten.
* Images: IMAGES declares what an image would contribute (ENV, WORKDIR, ENTRYPOINT) for the images
  the manifests use; an image the table does not know is an error, not a guess.
"""

from __future__ import annotations

import base64
import configparser
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable


# --------------------------------------------------------------------------------------------------
# Images: what each image contributes that the manifest does not say.
# --------------------------------------------------------------------------------------------------
@dataclass
class Image:
    #: image path prefix -> host path (read-only installs shared by pods)
    paths: dict[str, str]
    #: image paths that belong to the container's own (read-only) root filesystem
    owned: list[str]
    #: ENV of the image (values are container paths; they are mapped like manifest values)
    env: dict[str, str]
    #: WORKDIR of the image
    workdir: str
    #: ENTRYPOINT emulation: (command from manifest or None, args) -> argv (container paths)
    entrypoint: Callable[[list[str] | None, list[str]], list[str]]
    #: env that makes the servers of this image bind to the pod IP ("{ip}" is replaced)
    bind_env: dict[str, str] = field(default_factory=dict)
    #: host user to run as (None = the invoking user)
    run_as: str | None = None


def command_or_fail(image: str) -> Callable[[list[str] | None, list[str]], list[str]]:
    def ep(command: list[str] | None, args: list[str]) -> list[str]:
        if not command:
            raise HarnessError(f"{image}: the manifest gives no command and the harness does not emulate this image's entrypoint")
        return [*command, *args]
    return ep


def airflow_entrypoint(command: list[str] | None, args: list[str]) -> list[str]:
    """apache/airflow: ENTRYPOINT [dumb-init, --, /entrypoint]. With CONNECTION_CHECK_MAX_COUNT=0
    (set by the manifests) /entrypoint only does `exec airflow "${@:2}"` when $1 is `airflow`."""
    if command:
        return [*command, *args]
    if not args or args[0] != "airflow":
        raise HarnessError(f"apache/airflow entrypoint emulation only covers args [airflow, ...], got {args!r}")
    return ["airflow", *args[1:]]


def spark_job_entrypoint(command: list[str] | None, args: list[str]) -> list[str]:
    """The job image: /usr/local/bin/spark-job runs `node /opt/spark-job/spark-job.js` for submit/monitor."""
    argv = [*(command or ["spark-job"]), *args]
    if argv[0] != "spark-job" or not argv[1:] or argv[1] not in ("submit", "monitor", "--help", "--version"):
        raise HarnessError(f"job image emulation only covers `spark-job submit|monitor`, got {argv!r}")
    return ["node", "/opt/spark-job/spark-job.js", *argv[1:]]


def postgres_entrypoint(command: list[str] | None, args: list[str]) -> list[str]:
    """postgres: docker-entrypoint.sh postgres. Emulated by the harness itself (see Postgres below)."""
    return ["__postgres_entrypoint__", *args]


class HarnessError(Exception):
    pass


# --------------------------------------------------------------------------------------------------
# Kubelet-like helpers
# --------------------------------------------------------------------------------------------------
VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(value: str, env: dict[str, str]) -> str:
    """Kubelet $(VAR) expansion: defined vars are replaced, $$ is a literal $, unknown refs stay."""
    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)
    return VAR_REF.sub(sub, value)


def project_files(directory: str, files: dict[str, tuple[bytes, int]]) -> None:
    """Writes files like the kubelet's atomic writer: ..<ts>/<files>, ..data -> ..<ts>, <top> -> ..data/<top>."""
    os.makedirs(directory, exist_ok=True)
    ts = "..%s.%06d" % (time.strftime("%Y_%m_%d_%H_%M_%S", time.gmtime()), int(time.time() * 1e6) % 1000000)
    for rel, (data, mode) in files.items():
        path = os.path.join(directory, ts, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
    os.chmod(os.path.join(directory, ts), 0o755)
    os.symlink(ts, os.path.join(directory, "..data_tmp"))
    os.rename(os.path.join(directory, "..data_tmp"), os.path.join(directory, "..data"))
    for top in sorted({rel.split("/")[0] for rel in files}):
        os.symlink(os.path.join("..data", top), os.path.join(directory, top))


def http_get(url: str, timeout: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback only
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# --------------------------------------------------------------------------------------------------
# The cluster: manifests, secrets, pods, services
# --------------------------------------------------------------------------------------------------
class Cluster:
    def __init__(self, docs: list[dict[str, Any]], secrets: dict[str, dict[str, str]], tmp: str, images: dict[str, Image], log: Callable[[str], None]):
        self.docs = docs
        self.secrets = secrets
        self.tmp = tmp
        self.images = images
        self.log = log
        self.pods: list[Pod] = []
        self.next_ip = 2
        self.pidfile = os.path.join(tmp, "pids")
        ns = {d["metadata"].get("namespace") for d in docs if d["metadata"].get("namespace")}
        if len(ns) != 1:
            raise HarnessError(f"expected one namespace in the manifests, found {sorted(ns)}")
        self.namespace = ns.pop()

    # ---- lookups ---------------------------------------------------------------------------------
    def find(self, kind: str, name: str | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
        hits = [d for d in self.docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
                and all(d["metadata"].get("labels", {}).get(k) == v for k, v in (labels or {}).items())]
        if len(hits) != 1:
            raise HarnessError(f"expected exactly one {kind} {name or labels} in the manifests, found {len(hits)}")
        return hits[0]

    def config_map(self, name: str) -> dict[str, Any]:
        return self.find("ConfigMap", name)

    def secret(self, name: str) -> dict[str, str]:
        if name not in self.secrets:
            raise HarnessError(f"the manifests reference Secret {name!r}, which the harness has no test values for")
        return self.secrets[name]

    def allocate_ip(self) -> str:
        ip = f"127.0.0.{self.next_ip}"
        self.next_ip += 1
        return ip

    def host_map(self) -> list[tuple[re.Pattern[str], str]]:
        """Service DNS names -> the IP of the (first) pod the Service selects."""
        out = []
        for svc in (d for d in self.docs if d["kind"] == "Service"):
            selector = svc["spec"].get("selector") or {}
            pod = next((p for p in self.pods if selector and all(p.labels.get(k) == v for k, v in selector.items())), None)
            if pod is None:
                continue
            n, ns = svc["metadata"]["name"], self.namespace
            out.append((re.compile(rf"(?<![A-Za-z0-9.-]){re.escape(n)}\.{re.escape(ns)}(\.svc(\.cluster\.local)?)?(?![A-Za-z0-9-])"), pod.ip))
        return out

    def record_pid(self, pid: int) -> None:
        with open(self.pidfile, "a") as f:
            f.write(f"{pid}\n")

    def pod(self, workload: dict[str, Any], pod_name: str) -> Pod:
        p = Pod(self, workload, pod_name)
        self.pods.append(p)
        return p


class Pod:
    def __init__(self, cluster: Cluster, workload: dict[str, Any], name: str):
        self.cluster = cluster
        self.workload = workload
        self.name = name
        tmpl = workload["spec"]["template"]
        self.spec = tmpl["spec"]
        self.labels = tmpl["metadata"].get("labels", {})
        self.ip = cluster.allocate_ip()
        self.dir = os.path.join(cluster.tmp, "pods", name)
        os.makedirs(self.dir)
        self.volumes: dict[str, str] = {}
        for v in self.spec.get("volumes", []):
            self.volumes[v["name"]] = self._materialize(v)

    def _materialize(self, v: dict[str, Any]) -> str:
        path = os.path.join(self.dir, "volumes", v["name"])
        if "configMap" in v:
            cm = self.cluster.config_map(v["configMap"]["name"])
            data = {k: s.encode() for k, s in (cm.get("data") or {}).items()}
            data.update({k: base64.b64decode(b) for k, b in (cm.get("binaryData") or {}).items()})
            self._project(path, data, v["configMap"])
        elif "secret" in v:
            data = {k: s.encode() for k, s in self.cluster.secret(v["secret"]["secretName"]).items()}
            self._project(path, data, v["secret"])
        elif "emptyDir" in v or "persistentVolumeClaim" in v:
            os.makedirs(path)
        else:
            raise HarnessError(f"pod {self.name}: volume {v['name']} of an unsupported type: {sorted(v)}")
        return path

    @staticmethod
    def _project(path: str, data: dict[str, bytes], source: dict[str, Any]) -> None:
        mode = source.get("defaultMode", 0o644)
        if source.get("items"):
            files = {}
            for item in source["items"]:
                if item["key"] not in data:
                    raise HarnessError(f"volume item key {item['key']!r} is not in its source")
                files[item["path"]] = (data[item["key"]], item.get("mode", mode))
        else:
            files = {k: (b, mode) for k, b in data.items()}
        project_files(path, files)

    def container_spec(self, name: str) -> tuple[dict[str, Any], bool]:
        for c in self.spec.get("initContainers", []):
            if c["name"] == name:
                return c, True
        for c in self.spec["containers"]:
            if c["name"] == name:
                return c, False
        raise HarnessError(f"pod {self.name} has no container {name}")

    def container(self, name: str, **kw: Any) -> Container:
        spec, _ = self.container_spec(name)
        return Container(self, spec, **kw)

    def containers(self, init: bool) -> list[dict[str, Any]]:
        return list(self.spec.get("initContainers" if init else "containers", []))


class Container:
    """One container of a pod: resolved env, argv, path mapping, a host process, probes."""

    def __init__(self, pod: Pod, spec: dict[str, Any], *, drop_env: tuple[str, ...] = (), extra_env: dict[str, str] | None = None, suffix: str = ""):
        self.pod = pod
        self.spec = spec
        self.name = spec["name"]
        self.label = f"{pod.name}/{self.name}{suffix}"
        self.overrides: list[str] = []
        image_ref = spec["image"]
        image = next((img for key, img in pod.cluster.images.items() if image_ref == key or image_ref.split("@")[0].rsplit(":", 1)[0] == key), None)
        if image is None:
            raise HarnessError(f"{self.label}: image {image_ref} is not in the harness image table")
        self.image = image
        self.root = os.path.join(pod.dir, "root-" + self.name + suffix)
        os.makedirs(self.root)
        # Mounts: mountPath under the container root -> the volume (or a copy of a subPath file).
        self.mounts: list[tuple[str, str, bool]] = []
        for m in spec.get("volumeMounts", []):
            src = pod.volumes[m["name"]]
            target = self.root + m["mountPath"]
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if m.get("subPath"):
                real = os.path.realpath(os.path.join(src, m["subPath"]))
                if os.path.isdir(real):
                    os.symlink(real, target)
                else:
                    shutil.copy2(real, target)  # a subPath mount does not follow later updates
            else:
                os.symlink(src, target)
            self.mounts.append((m["mountPath"], target, bool(m.get("readOnly"))))
        self.host_map = pod.cluster.host_map()
        table = [(mp, target) for mp, target, _ in self.mounts]
        table += list(image.paths.items())
        table += [(p, self.root + p) for p in image.owned]
        self.path_table = sorted(table, key=lambda t: len(t[0]), reverse=True)
        for p in image.owned:
            os.makedirs(self.root + p, exist_ok=True)
        self.env = self._resolve_env(drop_env, extra_env or {})
        self.argv = self._argv()
        self.proc: subprocess.Popen[bytes] | None = None
        self.logfile = os.path.join(pod.dir, f"{self.name}{suffix}.log")
        self.started_at = 0.0

    # ---- mapping ---------------------------------------------------------------------------------
    def map_path(self, value: str) -> str:
        for prefix, host in self.path_table:
            if value == prefix or value.startswith(prefix + "/"):
                return host + value[len(prefix):]
        return value

    def map_value(self, value: str) -> str:
        for pattern, ip in self.host_map:
            value = pattern.sub(ip, value)
        if value.startswith("/"):
            return self.map_path(value)
        m = re.match(r"^([^=/]+=)(/.*)$", value)
        if m:
            return m.group(1) + self.map_path(m.group(2))
        return value

    # ---- env -------------------------------------------------------------------------------------
    def _resolve_env(self, drop: tuple[str, ...], extra: dict[str, str]) -> dict[str, str]:
        pod, cluster = self.pod, self.pod.cluster
        env: dict[str, str] = {}
        declared: dict[str, str] = {}
        for src in self.spec.get("envFrom", []):
            if "configMapRef" in src:
                declared.update(cluster.config_map(src["configMapRef"]["name"]).get("data") or {})
            elif "secretRef" in src:
                declared.update(cluster.secret(src["secretRef"]["name"]))
        for e in self.spec.get("env", []):
            if "value" in e:
                v = expand(e["value"], declared)
            elif "valueFrom" in e:
                vf = e["valueFrom"]
                if "fieldRef" in vf:
                    fp = vf["fieldRef"]["fieldPath"]
                    v = {"status.podIP": pod.ip, "status.hostIP": "127.0.0.1", "metadata.name": pod.name,
                         "metadata.namespace": cluster.namespace, "spec.nodeName": socket.gethostname()}.get(fp)
                    if v is None:
                        raise HarnessError(f"{self.label}: fieldRef {fp} is not emulated")
                elif "secretKeyRef" in vf:
                    ref = vf["secretKeyRef"]
                    v = cluster.secret(ref["name"]).get(ref["key"])
                    if v is None:
                        raise HarnessError(f"{self.label}: Secret {ref['name']} has no key {ref['key']}")
                elif "configMapKeyRef" in vf:
                    ref = vf["configMapKeyRef"]
                    v = (cluster.config_map(ref["name"]).get("data") or {}).get(ref["key"])
                    if v is None:
                        raise HarnessError(f"{self.label}: ConfigMap {ref['name']} has no key {ref['key']}")
                else:
                    raise HarnessError(f"{self.label}: env {e['name']}: unsupported valueFrom {sorted(vf)}")
            else:
                v = ""
            declared[e["name"]] = v
        for name in drop:
            if name in declared:
                del declared[name]
                self.overrides.append(f"env {name} dropped")
        # Image ENV first, the manifest's env overrides it (as in a container).
        for k, v in self.image.env.items():
            env[k] = self.map_value(v)
        for k, v in declared.items():
            env[k] = self.map_value(v)
        for k, v in self.image.bind_env.items():
            if k not in declared:
                env[k] = v.replace("{ip}", self.pod.ip)
                self.overrides.append(f"env {k}={env[k]} (bind to the pod IP)")
        # airflow.cfg mounted into AIRFLOW_HOME: values naming image paths or cluster DNS names
        # become AIRFLOW__SECTION__KEY overrides (the file itself stays as synthesized).
        home = env.get("AIRFLOW_HOME")
        if home and os.path.isfile(os.path.join(home, "airflow.cfg")):
            cp = configparser.ConfigParser(interpolation=None)
            cp.read(os.path.join(home, "airflow.cfg"))
            for section in cp.sections():
                for key, value in cp.items(section):
                    mapped = self.map_value(value)
                    name = f"AIRFLOW__{section.upper()}__{key.upper()}"
                    if mapped != value and name not in declared:
                        env[name] = mapped
                        self.overrides.append(f"env {name}={mapped} (airflow.cfg [{section}] {key} = {value})")
        for k, v in extra.items():
            env[k] = v
            self.overrides.append(f"env {k}={re.sub(r'secret=.*', 'secret=<redacted>', v)}")
        return env

    # ---- argv ------------------------------------------------------------------------------------
    def _argv(self) -> list[str]:
        command = [expand(c, self.env) for c in self.spec.get("command", [])] or None
        args = [expand(a, self.env) for a in self.spec.get("args", [])]
        argv = self.image.entrypoint(command, args)
        argv = [self.map_value(a) for a in argv]
        return self._which(argv)

    def _which(self, argv: list[str]) -> list[str]:
        if argv and not argv[0].startswith("/") and not argv[0].startswith("__"):
            found = shutil.which(argv[0], path=self.env.get("PATH", ""))
            if not found:
                raise HarnessError(f"{self.label}: {argv[0]} is not on the container PATH {self.env.get('PATH')}")
            argv = [found, *argv[1:]]
        return argv

    # ---- process ---------------------------------------------------------------------------------
    def _preexec(self) -> Callable[[], None] | None:
        if not self.image.run_as:
            return None
        import pwd
        pw = pwd.getpwnam(self.image.run_as)

        def drop() -> None:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
        return drop

    def start(self, argv: list[str] | None = None) -> None:
        cwd = self.map_path(self.image.workdir)
        os.makedirs(cwd, exist_ok=True)
        self.started_at = time.monotonic()
        out = open(self.logfile, "ab")
        self.proc = subprocess.Popen(argv or self.argv, env=self.env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=self._preexec())
        out.close()
        self.pod.cluster.record_pid(self.proc.pid)
        self.pod.cluster.log(f"started {self.label} pid {self.proc.pid}: {' '.join(argv or self.argv)}")

    def run(self, timeout: float, argv: list[str] | None = None) -> int:
        self.start(argv)
        assert self.proc
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return -999

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float | None = None) -> int | None:
        """SIGTERM to the process group, SIGKILL after terminationGracePeriodSeconds."""
        if self.proc is None:
            return None
        if grace is None:
            grace = float(self.pod.spec.get("terminationGracePeriodSeconds", 30))
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # leftovers of the group (e.g. executors, log servers)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        return self.proc.returncode

    def output(self) -> str:
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    # ---- exec & probes ---------------------------------------------------------------------------
    def exec(self, command: list[str], timeout: float, mapped: bool = True) -> tuple[int, str]:
        """Like `kubectl exec`: the command with the container's env (no entrypoint); container paths
        in it are mapped unless `mapped` is False (a command the harness built from host paths)."""
        argv = self._which([self.map_value(c) for c in command] if mapped else list(command))
        cwd = self.map_path(self.image.workdir)
        try:
            p = subprocess.run(argv, env=self.env, cwd=cwd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                               preexec_fn=self._preexec(), start_new_session=True)
            return p.returncode, (p.stdout + p.stderr).decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            return -1, f"timed out after {timeout}s: {(e.stdout or b'').decode(errors='replace')}"

    def probes(self) -> dict[str, dict[str, Any]]:
        return {kind: self.spec[f"{kind}Probe"] for kind in ("startup", "readiness", "liveness") if f"{kind}Probe" in self.spec}

    def _port(self, port: Any) -> int:
        if isinstance(port, int) or str(port).isdigit():
            return int(port)
        for p in self.spec.get("ports", []):
            if p.get("name") == port:
                return int(p["containerPort"])
        raise HarnessError(f"{self.label}: probe names port {port!r}, which the container does not declare")

    def probe(self, probe: dict[str, Any]) -> tuple[bool, str]:
        timeout = float(probe.get("timeoutSeconds", 1))
        if "httpGet" in probe:
            h = probe["httpGet"]
            url = f"{h.get('scheme', 'HTTP').lower()}://{h.get('host') or self.pod.ip}:{self._port(h['port'])}{h.get('path', '/')}"
            try:
                code, _ = http_get(url, timeout)
                return 200 <= code < 400, f"GET {url} -> {code}"
            except Exception as e:  # noqa: BLE001 - any failure is a failed probe
                return False, f"GET {url} -> {type(e).__name__}: {e}"
        if "tcpSocket" in probe:
            t = probe["tcpSocket"]
            addr = (t.get("host") or self.pod.ip, self._port(t["port"]))
            try:
                with socket.create_connection(addr, timeout=timeout):
                    return True, f"tcp {addr[0]}:{addr[1]} open"
            except OSError as e:
                return False, f"tcp {addr[0]}:{addr[1]} -> {e}"
        if "exec" in probe:
            cmd = probe["exec"]["command"]
            t0 = time.monotonic()
            rc, out = self.exec(cmd, timeout)
            last = out.strip().splitlines()[-1] if out.strip() else ""
            return rc == 0, f"exec {' '.join(cmd)} -> exit {rc} in {time.monotonic() - t0:.1f}s (timeoutSeconds {probe.get('timeoutSeconds', 1)}) {last[:160]}"
        raise HarnessError(f"{self.label}: unsupported probe {sorted(probe)}")

    def wait_probe(self, probe: dict[str, Any], deadline: float, every: float = 0.5) -> tuple[bool, str, float]:
        detail = "not tried"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False, f"process exited with {self.proc.returncode}", time.monotonic() - self.started_at
            ok, detail = self.probe(probe)
            if ok:
                return True, detail, time.monotonic() - self.started_at
            time.sleep(every)
        return False, detail, time.monotonic() - self.started_at

    # ---- read-only root filesystem check ---------------------------------------------------------
    def root_writes(self) -> list[str]:
        """Files the process created in its root outside its mounts (a read-only root would refuse them)."""
        mount_targets = {t for _, t, _ in self.mounts}
        owned_dirs = {self.root + p for p in self.image.owned}
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in mount_targets and not os.path.islink(os.path.join(dirpath, d))]
            for f in filenames:
                path = os.path.join(dirpath, f)
                if path not in mount_targets:
                    found.append(path[len(self.root):])
            for d in dirnames:
                path = os.path.join(dirpath, d)
                ancestor = any(t.startswith(path + "/") for t in mount_targets | owned_dirs)
                if not ancestor and path not in owned_dirs:
                    found.append(path[len(self.root):] + "/")
        return sorted(found)


def describe(c: Container) -> str:
    return json.dumps({"argv": c.argv, "overrides": c.overrides}, indent=None)

import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A SPARK_HOME whose bin/spark-submit records its arguments (one per line) to
 * $FAKE_SPARK_ARGS and then, by $FAKE_SPARK_MODE:
 *   deployed:   creates the driver pod in the fake API at $FAKE_KUBE_URL (when set), prints
 *               Spark 3.3+'s deployment line built from its own arguments, exits 0
 *   replay:     prints $FAKE_SPARK_STDOUT / $FAKE_SPARK_STDERR files, exits $FAKE_SPARK_EXIT
 *   sleep:      waits (for signal tests), reports SIGTERM
 *   standalone: prints a client-mode driver's registration line, exits $FAKE_SPARK_EXIT
 */
export function fakeSparkHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'spark-job-fake-spark-'));
  mkdirSync(join(home, 'bin'));
  const script = join(home, 'bin', 'spark-submit');
  writeFileSync(
    script,
    `#!/usr/bin/env bash
printf '%s\\n' "$@" > "$FAKE_SPARK_ARGS"
if [ -n "\${FAKE_SPARK_CONF_COPY:-}" ] && [ -n "\${SPARK_CONF_DIR:-}" ]; then
  { stat -c '%a' "$SPARK_CONF_DIR/spark-defaults.conf"; cat "$SPARK_CONF_DIR/spark-defaults.conf"; echo "dir=$SPARK_CONF_DIR"; } > "$FAKE_SPARK_CONF_COPY"
fi
name=; ns=; pod=; secret=
prev=
for a in "$@"; do
  case "$prev" in
    --name) name="$a" ;;
    --conf)
      case "$a" in
        spark.kubernetes.namespace=*) ns="\${a#*=}" ;;
        spark.kubernetes.driver.pod.name=*) pod="\${a#*=}" ;;
        spark.kubernetes.driver.secrets.*) secret="\${a#spark.kubernetes.driver.secrets.}"; secret="\${secret%%=*}" ;;
      esac ;;
  esac
  prev="$a"
done
case "$FAKE_SPARK_MODE" in
  deployed)
    if [ -n "\${FAKE_KUBE_URL:-}" ]; then
      # as spark-submit does: create the driver pod, mounting the Secrets named by the confs
      FAKE_POD="$pod" FAKE_NS="$ns" FAKE_SECRET="$secret" node -e '
        const e = process.env;
        const volumes = e.FAKE_SECRET ? [{ name: e.FAKE_SECRET + "-volume", secret: { secretName: e.FAKE_SECRET } }] : [];
        const body = { apiVersion: "v1", kind: "Pod", metadata: { name: e.FAKE_POD, namespace: e.FAKE_NS },
          spec: { containers: [{ name: "spark-kubernetes-driver" }], volumes }, status: { phase: "Pending" } };
        fetch(e.FAKE_KUBE_URL + "/api/v1/namespaces/" + e.FAKE_NS + "/pods", { method: "POST", body: JSON.stringify(body),
          headers: { authorization: "Bearer " + e.FAKE_KUBE_TOKEN, "content-type": "application/json" } })
          .then((r) => { if (r.status !== 201) { console.error("fake spark-submit: POST pod " + r.status); process.exit(1); } });
      ' || exit 1
      if [ -n "\${FAKE_SPARK_WAIT_FOR_SECRET:-}" ]; then
        # like the real one, keep running a while after the pod exists; note whether the Secret appeared meanwhile
        FAKE_NS="$ns" node -e '
          const e = process.env;
          const url = e.FAKE_KUBE_URL + "/api/v1/namespaces/" + e.FAKE_NS + "/secrets/" + e.FAKE_SPARK_WAIT_FOR_SECRET;
          const deadline = Date.now() + 5000;
          const poll = () => fetch(url, { headers: { authorization: "Bearer " + e.FAKE_KUBE_TOKEN } }).then((r) => {
            if (r.status === 200) return "yes";
            if (Date.now() > deadline) return "no";
            return new Promise((ok) => setTimeout(ok, 50)).then(poll);
          });
          poll().then((v) => require("fs").writeFileSync(e.FAKE_SPARK_ARGS.replace(/args$/, "saw-secret"), v + "\\n"));
        '
      fi
    fi
    echo "26/11/23 14:00:01 WARN Utils: Kubernetes master URL uses HTTP instead of HTTPS." >&2
    echo "26/11/23 14:00:02 INFO Client: Deployed Spark application $name with application ID spark-feedc0ffee0123456789abcdef012345 and submission ID $ns:$pod into Kubernetes" >&2
    exit 0 ;;
  replay)
    cat "$FAKE_SPARK_STDOUT"
    cat "$FAKE_SPARK_STDERR" >&2
    exit "$FAKE_SPARK_EXIT" ;;
  sleep)
    echo "fake spark-submit: sleeping" >&2
    trap 'echo "fake spark-submit: got SIGTERM" >&2; kill $! 2>/dev/null; exit 143' TERM
    sleep 30 & wait ;;
  standalone)
    echo "26/11/23 14:20:02 INFO StandaloneSchedulerBackend: Connected to Spark cluster with app ID app-20261123142002-0007" >&2
    echo "Pi is roughly 3.14158"
    exit "\${FAKE_SPARK_EXIT:-0}" ;;
esac
echo "fake spark-submit: unknown FAKE_SPARK_MODE" >&2
exit 99
`,
  );
  chmodSync(script, 0o755);
  return home;
}

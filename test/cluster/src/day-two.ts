/**
 * Day-two checks of the real-node scenario: metrics scraped from the scraper's namespace (and
 * refused from elsewhere), the Spark master deleted under a running application and recovered
 * from its claim, the history server listing finished apps, and (on a staging-shaped variant)
 * disruption budgets that let a drain evict one api-server and one scheduler at a time while
 * Airflow keeps answering.
 */
import { CheckFailure, expect, sleep, waitFor } from './checks';
import { apiStatus, type Cluster, runPod, run } from './kube';
import type { K8sObject } from './manifests';

const MINUTE = 60_000;

/** What one URL gave the scraper pod. */
export interface Scraped {
  readonly url: string;
  readonly status?: number;
  readonly error?: string;
  /** Metric names (deduplicated, sorted). */
  readonly names: readonly string[];
  /** Values of `executor_id` labels seen (Spark's executor metrics). */
  readonly executorIds: readonly string[];
}

const SCRAPER = String.raw`
import json, re, sys, urllib.request
timeout = float(sys.argv[1])
for url in sys.argv[2:]:
    r = {"url": url, "names": [], "executorIds": []}
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            r["status"] = resp.status
            text = resp.read().decode("utf-8", "replace")
        names, ids = set(), set()
        for line in text.splitlines():
            if line and not line.startswith("#"):
                m = re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line)
                if m:
                    names.add(m.group(0))
                ids.update(re.findall(r'executor_id="([^"]+)"', line))
        r["names"], r["executorIds"] = sorted(names), sorted(ids)
    except Exception as e:
        r["error"] = f"{type(e).__name__}: {e}"
    print("SCRAPE " + json.dumps(r), flush=True)
`;

/**
 * Fetches every URL once from a pod of `namespace` (Prometheus' place) and parses the Prometheus
 * text. `timeoutSeconds` per URL: generous where an answer is expected (a driver's REST API starts
 * on its first request), short where a refusal is (a dropped connection only times out).
 */
export async function scrape(cluster: Cluster, namespace: string, name: string, image: string, urls: readonly string[], timeoutSeconds = 30): Promise<Map<string, Scraped>> {
  const r = await runPod(cluster, { namespace, name, image, command: ['python3', '-c', SCRAPER, String(timeoutSeconds), ...urls], timeoutMs: 3 * MINUTE + urls.length * timeoutSeconds * 1000 });
  const out = new Map<string, Scraped>();
  for (const line of r.log.split('\n')) {
    if (line.startsWith('SCRAPE ')) {
      const s = JSON.parse(line.slice('SCRAPE '.length)) as Scraped;
      out.set(s.url, s);
    }
  }
  expect(out.size === urls.length, `the scraper reported ${out.size} of ${urls.length} URLs (exit ${r.exitCode}):\n${r.log.slice(-1500)}`);
  return out;
}

/** Creates a namespace unless it exists (the scraper's; another one for the control). */
export async function ensureNamespace(cluster: Cluster, name: string): Promise<void> {
  try {
    await cluster.core.createNamespace({ body: { metadata: { name, labels: { 'app.kubernetes.io/part-of': 'spark-airflow-k8s-test' } } } });
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
  }
}

/** The scraper namespace the manifests open the metrics ports to (from a `*-metrics-ingress` policy). */
export function scraperNamespace(objects: readonly K8sObject[]): string {
  const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name.endsWith('-metrics-ingress'));
  expect(policy, 'no *-metrics-ingress NetworkPolicy in the manifests (monitoring is not configured)');
  const ns = (policy.spec as { ingress: { from: { namespaceSelector?: { matchLabels?: Record<string, string> } }[] }[] }).ingress[0].from[0].namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
  expect(ns, `${policy.metadata.name} names no namespace`);
  return ns;
}

/** The IP of the one Running pod with `labels` in `namespace`. */
export async function podIp(cluster: Cluster, namespace: string, labels: Record<string, string>): Promise<{ name: string; ip: string; uid: string }> {
  const selector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  return waitFor(`a Running pod ${selector} in ${namespace}`, 3 * MINUTE, async (state) => {
    const pods = (await cluster.core.listNamespacedPod({ namespace, labelSelector: selector })).items.filter((p) => p.status?.phase === 'Running' && p.status.podIP && !p.metadata?.deletionTimestamp);
    state.last = `${pods.length} running`;
    return pods.length === 1 ? { name: pods[0].metadata?.name as string, ip: pods[0].status?.podIP as string, uid: pods[0].metadata?.uid as string } : undefined;
  }, 1000);
}

/** A name in `names` matching `pattern`, or a failure listing a few of the names. */
export function expectMetric(s: Scraped | undefined, pattern: RegExp, what: string): string {
  expect(s, `${what}: not scraped`);
  expect(s.status === 200, `${what} (${s.url}): ${s.error ?? `HTTP ${s.status}`}`);
  const name = s.names.find((n) => pattern.test(n));
  // the names closest to the pattern first (sharing its longest literal piece), then the rest
  const hint = (pattern.source.match(/[A-Za-z]{4,}/g) ?? []).sort((a, b) => b.length - a.length)[0] ?? '';
  const shown = [...s.names.filter((n) => n.includes(hint)), ...s.names.filter((n) => !n.includes(hint))].slice(0, 15);
  expect(name, `${what} (${s.url}): no metric matching ${pattern} among ${s.names.length}: ${shown.join(', ')}`);
  return name;
}

/** The master's /json/ as the UI serves it. */
export interface MasterJson {
  readonly url: string;
  readonly status: string;
  readonly workers: { id: string; state: string }[];
  readonly activeapps: { id: string; name: string; state: string }[];
  readonly completedapps: { id: string; name: string; state: string }[];
}

export async function masterJson(sparkUi: string): Promise<MasterJson> {
  const res = await fetch(`${sparkUi}/json/`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new CheckFailure(`GET ${sparkUi}/json/: HTTP ${res.status}`);
  return await res.json() as MasterJson;
}

/** An application the history server lists (`/api/v1/applications`). */
export interface HistoryApp {
  readonly id: string;
  readonly name: string;
  readonly attempts: { completed: boolean; sparkUser?: string }[];
}

/**
 * Evicts a pod through the Eviction API, as `kubectl drain` does; returns the HTTP status
 * (201 evicted, 429 refused by a PodDisruptionBudget) and the message.
 */
export async function evict(cluster: Cluster, namespace: string, name: string): Promise<{ status: number; message: string }> {
  try {
    await cluster.core.createNamespacedPodEviction({ namespace, name, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } } });
    return { status: 201, message: 'evicted' };
  } catch (err) {
    const status = apiStatus(err);
    if (status === undefined) throw err;
    const body = (err as { body?: unknown }).body;
    return { status, message: typeof body === 'string' ? body : JSON.stringify(body ?? '') };
  }
}

/** Polls `url` every 500 ms until `stop` resolves; returns the failures (status or error) seen. */
export function watchAvailability(url: string): { stop: () => Promise<{ requests: number; failures: string[] }> } {
  let running = true;
  const failures: string[] = [];
  let requests = 0;
  const loop = (async () => {
    while (running) {
      requests++;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        if (res.status !== 200) failures.push(`${new Date().toISOString()} HTTP ${res.status}`);
        await res.arrayBuffer();
      } catch (err) {
        failures.push(`${new Date().toISOString()} ${(err as Error).message}`);
      }
      await sleep(500);
    }
  })();
  return { stop: async () => { running = false; await loop; return { requests, failures }; } };
}

/** Installs the Prometheus operator's CRDs (lib/imports/crds) and waits until they are served. */
export async function installMonitoringCrds(crdDir: string): Promise<void> {
  const apply = await run('kubectl', ['apply', '--server-side', '-f', crdDir], 2 * MINUTE);
  expect(apply.code === 0, `kubectl apply -f ${crdDir} exited ${apply.code}: ${apply.stderr}`);
  const wait = await run('kubectl', ['wait', '--for=condition=Established', 'crd/podmonitors.monitoring.coreos.com', 'crd/servicemonitors.monitoring.coreos.com', '--timeout=60s'], 2 * MINUTE);
  expect(wait.code === 0, `the monitoring CRDs were not established: ${wait.stdout}${wait.stderr}`);
}

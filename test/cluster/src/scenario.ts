/**
 * The real-node scenario (run.sh runs it against the node of node.sh): deploy dist/dev exactly as
 * a user does, run both DAGs end to end through Airflow's REST API, the failure paths, and the
 * NetworkPolicies from real pods. Every step prints PASS/FAIL; timings print as TIME lines.
 *
 * Environment: KUBECONFIG, NODE_IP (node.sh env), CLUSTER_DIST (default dist/dev).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect as tcpConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { AirflowClient } from './airflow';
import { Checks, CheckFailure, expect, waitFor } from './checks';
import { apiStatus, connect, PodRecorder, run, runPod, type Cluster, type SeenPod } from './kube';
import { INGRESS_CLASS, installIngressController, selfSignedCertificate, uninstallIngressController, viaIngress } from './ingress-controller';
import { argValue, containers, envValue, find, loadManifests, nodePort, one, type K8sObject } from './manifests';
import { TEST_IMAGES } from '../../../lib/versions';
import { installObjectStore, OBJECT_STORE_PORT, type ObjectStore } from './object-store';
import { ensureNamespace, evict, expectMetric, installMonitoringCrds, masterJson, podIp, scrape, scraperNamespace, watchAvailability, type HistoryApp, type Scraped } from './day-two';

const DIST = resolve(process.env.CLUSTER_DIST ?? 'dist/dev');
const NODE_IP = process.env.NODE_IP ?? '10.88.0.1';
const MINUTE = 60_000;
/** Where the staging-shaped variant's ingress controller (Traefik) runs, and the hosts of its Ingresses. */
const CONTROLLER_NAMESPACE = 'sak-ingress';
const HOSTS = { spark: 'spark.sak.test', history: 'spark-history.sak.test', airflow: 'airflow.sak.test' } as const;
/** The variant's event logs: an S3 server in a namespace of its own, the platform's Secret with its keys. */
const STORE = { namespace: 'sak-s3', bucket: 'spark-events', prefix: 'staging-shaped', secret: 'spark-event-log-s3' } as const;

interface Platform {
  readonly objects: K8sObject[];
  /** The platform namespace: Spark, Airflow, PostgreSQL and their Secrets. */
  readonly namespace: string;
  /** The jobs namespace (DAG contract SPARK_NAMESPACE): task pods, drivers, executors. */
  readonly jobsNamespace: string;
  readonly sparkUi: string;
  readonly airflowUi: string;
  /** The Spark history server's UI and REST API (jobs namespace, NodePort). */
  readonly historyUi: string;
  /** The namespace the metrics ports are open to (monitoring.scraperNamespace). */
  readonly scraperNamespace: string;
  readonly jobImage: string;
  readonly workerCores: number;
  readonly workerMemoryMiB: number;
}

function platformOf(objects: K8sObject[]): Platform {
  const ns = find(objects, 'Namespace')[0];
  expect(ns, 'no Namespace in the manifests');
  const workers = find(objects, 'DaemonSet')[0];
  expect(workers, 'no worker DaemonSet in the manifests');
  const worker = containers(workers)[0];
  const scheduler = containers(one(objects, 'StatefulSet', 'airflow-scheduler'))[0];
  const jobImage = envValue(scheduler, 'SPARK_JOB_IMAGE');
  expect(jobImage, 'the scheduler has no SPARK_JOB_IMAGE (DAG contract)');
  const jobsNamespace = envValue(scheduler, 'SPARK_NAMESPACE');
  expect(jobsNamespace && jobsNamespace !== ns.metadata.name && find(objects, 'Namespace').some((n) => n.metadata.name === jobsNamespace),
    `the DAG contract's SPARK_NAMESPACE (${jobsNamespace}) is not a second Namespace of the manifests`);
  return {
    objects,
    namespace: ns.metadata.name,
    jobsNamespace,
    sparkUi: `http://${NODE_IP}:${nodePort(one(objects, 'Service', 'spark-master-ui'))}`,
    airflowUi: `http://${NODE_IP}:${nodePort(one(objects, 'Service', 'airflow-ui'))}`,
    historyUi: `http://${NODE_IP}:${nodePort(one(objects, 'Service', 'spark-history-ui'))}`,
    scraperNamespace: scraperNamespace(objects),
    jobImage,
    workerCores: Number(argValue(worker.args, '--cores')),
    workerMemoryMiB: Number((argValue(worker.args, '--memory') ?? '').replace(/m$/, '')),
  };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!res.ok) throw new CheckFailure(`GET ${url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export async function main(): Promise<number> {
  const checks = new Checks();
  const cluster = connect();
  const p = platformOf(loadManifests(DIST));
  const t0 = Date.now();
  let airflow: AirflowClient | undefined;
  // Every pod Airflow and Spark create at run time is in the jobs namespace.
  const recorder = new PodRecorder(cluster, p.jobsNamespace);

  // ---- deploy ---------------------------------------------------------------------------------
  await checks.run('kubectl apply --server-side -f dist/dev/: no error, no warning', async () => {
    const r = await run('kubectl', ['apply', '--server-side', '-f', DIST], 5 * MINUTE);
    expect(r.code === 0, `kubectl apply exited ${r.code}:\n${r.stderr}`);
    expect(!/warning/i.test(r.stderr), `kubectl apply warned:\n${r.stderr}`);
    await recorder.start();
  });
  const jobs = find(p.objects, 'Job');
  for (const job of jobs) {
    await checks.run(`Job ${job.metadata.name} completes`, () => waitForJob(cluster, p.namespace, job.metadata.name, 10 * MINUTE), ['kubectl apply --server-side -f dist/dev/: no error, no warning']);
  }
  const workloads = [...find(p.objects, 'Deployment'), ...find(p.objects, 'StatefulSet'), ...find(p.objects, 'DaemonSet')];
  await checks.run(`every Deployment, StatefulSet and DaemonSet rolls out with its probes (${workloads.length})`, async () => {
    for (const w of workloads) await waitForRollout(cluster, w.metadata.namespace ?? p.namespace, w, 12 * MINUTE - (Date.now() - t0));
    checks.time('apply to all Ready', (Date.now() - t0) / 1000);
  }, ['kubectl apply --server-side -f dist/dev/: no error, no warning']);
  const ready = `every Deployment, StatefulSet and DaemonSet rolls out with its probes (${workloads.length})`;

  await checks.run('no container of the platform restarted', async () => {
    const pods = await cluster.core.listNamespacedPod({ namespace: p.namespace });
    const restarted = pods.items.flatMap((pod) => (pod.status?.containerStatuses ?? [])
      .filter((c) => c.restartCount > 0)
      .map((c) => `${pod.metadata?.name}/${c.name}: ${c.restartCount} restarts, last ${c.lastState?.terminated?.reason ?? '?'} (${c.lastState?.terminated?.exitCode ?? '?'})`));
    expect(restarted.length === 0, restarted.join('\n'));
  }, [ready]);

  await checks.run(`Spark master UI answers on the NodePort from the host (${p.sparkUi})`, async () => {
    const res = await fetch(`${p.sparkUi}/`, { signal: AbortSignal.timeout(10_000) });
    const html = await res.text();
    expect(res.status === 200 && html.includes('Spark Master at spark://'), `HTTP ${res.status}: ${html.slice(0, 200)}`);
  }, [ready]);

  await checks.run(`Airflow answers on the NodePort from the host, every component healthy (${p.airflowUi})`, async () => {
    const health = await waitFor('Airflow /api/v2/monitor/health: all healthy', 3 * MINUTE, async (state) => {
      const h = await getJson<Record<string, { status?: string }>>(`${p.airflowUi}/api/v2/monitor/health`);
      state.last = JSON.stringify(h);
      return Object.values(h).every((c) => c?.status === 'healthy') ? h : undefined;
    });
    for (const component of ['metadatabase', 'scheduler', 'triggerer', 'dag_processor']) {
      expect(health[component]?.status === 'healthy', `${component} is not healthy: ${JSON.stringify(health)}`);
    }
  }, [ready]);

  await checks.run('the worker registered with the master (/json/: ALIVE, its cores and memory)', async () => {
    const master = await waitFor('an ALIVE worker in the master\'s /json/', 2 * MINUTE, async (state) => {
      const m = await getJson<{ workers: { state: string; cores: number; memory: number }[]; status: string }>(`${p.sparkUi}/json/`);
      state.last = JSON.stringify(m.workers);
      return m.workers.some((w) => w.state === 'ALIVE') ? m : undefined;
    });
    const alive = master.workers.filter((w) => w.state === 'ALIVE');
    expect(alive.length === 1, `expected 1 ALIVE worker (one node), got ${alive.length}`);
    expect(alive[0].cores === p.workerCores && alive[0].memory === p.workerMemoryMiB,
      `worker offers ${alive[0].cores} cores / ${alive[0].memory} MiB; the construct computed ${p.workerCores} / ${p.workerMemoryMiB}`);
  }, [ready]);

  // ---- Airflow: log in as the README says ------------------------------------------------------------
  const loggedIn = 'log in to the REST API as the README says: user admin, password from the Secret (never in the log)';
  let adminPassword = '';
  await checks.run(loggedIn, async () => {
    adminPassword = await readAdminPassword(p);
    airflow = new AirflowClient(p.airflowUi);
    await airflow.login('admin', adminPassword);
    await expectLoginRefused(p, 'admin', `${adminPassword}x`);
    await expectPasswordNotLogged(p, adminPassword);
  }, [ready]);

  await checks.run('both DAGs are parsed with no import errors', async () => {
    const a = airflow as AirflowClient;
    await waitFor('spark_on_kubernetes and spark_standalone in /api/v2/dags', 3 * MINUTE, async (state) => {
      const dags = await a.call<{ dags: { dag_id: string }[] }>('GET', '/api/v2/dags');
      state.last = dags.dags.map((d) => d.dag_id).join(', ');
      return ['spark_on_kubernetes', 'spark_standalone'].every((id) => dags.dags.some((d) => d.dag_id === id)) ? true : undefined;
    });
    const errors = await a.call<{ total_entries: number; import_errors: unknown[] }>('GET', '/api/v2/importErrors');
    expect(errors.total_entries === 0, `import errors: ${JSON.stringify(errors.import_errors)}`);
    for (const id of ['spark_on_kubernetes', 'spark_standalone']) await a.unpause(id);
  }, [loggedIn]);
  const dagsReady = 'both DAGs are parsed with no import errors';

  // ---- spark_on_kubernetes: the happy path -------------------------------------------------------------
  // One after the other: on two cores, running both at once takes as long and blurs their timings.
  const k8s = await sparkOnKubernetes(checks, cluster, p, () => airflow as AirflowClient, recorder, dagsReady);
  // The standalone app pauses 40 s between its stages: its metrics are scraped and the master is
  // deleted under it meanwhile.
  const standalone = checks.results.some((r) => r.name === dagsReady && r.ok) ? startRun(airflow as AirflowClient, 'spark_standalone', runId('ok'), { pause_seconds: 40 }) : undefined;
  const recovered = await metricsAndMasterRecovery(checks, cluster, p, recorder, standalone, dagsReady);
  await sparkStandalone(checks, p, () => airflow as AirflowClient, dagsReady, standalone);
  await checks.run('spark_standalone: the app the recovered master took over finished on it (FINISHED in its completed apps)', async () => {
    expect(recovered.appId, 'no app was seen running before the master was deleted');
    const m = await masterJson(p.sparkUi);
    const app = m.completedapps.find((a) => a.id === recovered.appId);
    expect(app?.state === 'FINISHED', `app ${recovered.appId} on the recovered master: ${JSON.stringify(app ?? m.completedapps)}`);
  }, ['the Spark master deleted under a running app comes back with its worker and the app (FILESYSTEM recovery)']);
  await historyServer(checks, p, () => airflow as AirflowClient, k8s, standalone);
  await logsSurviveRestart(checks, cluster, p, () => airflow as AirflowClient, k8s, () => adminPassword);
  // The failure paths run Spark apps through the DAG; the network checks only start probe pods:
  // both at once (two cores: the probes mostly wait for timeouts).
  await Promise.all([
    failurePaths(checks, cluster, p, () => airflow as AirflowClient, recorder, k8s),
    (async () => {
      await networkPolicies(checks, cluster, p, ready);
      await noWayIntoThePlatform(checks, cluster, p, ready);
      await masterRefusesAClientWithoutTheSecret(checks, cluster, p, ready);
    })(),
  ]);
  await tokensWhereUsed(checks, recorder, k8s);
  await checks.run('re-applying dist/dev changes nothing (kubectl diff --server-side is empty)', async () => {
    const r = await run('kubectl', ['diff', '--server-side', '-f', DIST], 2 * MINUTE);
    expect(r.code === 0, `kubectl diff exited ${r.code}:\n${r.stdout.slice(0, 3000)}${r.stderr}`);
  }, [ready]);

  await stagingShapedVariant(checks, cluster, p, ready);

  recorder.stop();
  await checks.run('kubectl delete -f dist/dev/ removes everything: both namespaces, the pods Spark created, the volumes', async () => {
    // --ignore-not-found: the staging-shaped variant deleted the policies it drops, as a user must
    const r = await run('kubectl', ['delete', '-f', DIST, '--ignore-not-found', '--wait=true', '--timeout=4m'], 5 * MINUTE);
    expect(r.code === 0, `kubectl delete exited ${r.code}:\n${r.stderr}`);
    for (const name of [p.namespace, p.jobsNamespace]) {
      await waitFor(`namespace ${name} to be gone`, 4 * MINUTE, async (state) => {
        try {
          const ns = await cluster.core.readNamespace({ name });
          state.last = `phase ${ns.status?.phase}`;
          return undefined;
        } catch (err) {
          return apiStatus(err) === 404 ? true : undefined;
        }
      });
    }
    // The Prometheus operator's CRDs the staging-shaped variant installed
    const crds = await run('kubectl', ['delete', '--ignore-not-found', '-f', resolve('lib/imports/crds')], 2 * MINUTE);
    expect(crds.code === 0, `kubectl delete of the monitoring CRDs exited ${crds.code}: ${crds.stderr}`);
    await waitFor('the volumes of its claims to be deleted', 2 * MINUTE, async (state) => {
      const left = (await cluster.core.listPersistentVolume()).items.filter((pv) => pv.spec?.claimRef?.namespace === p.namespace).map((pv) => pv.metadata?.name);
      state.last = left.join(', ') || 'none';
      return left.length === 0 ? true : undefined;
    });
  }, ['kubectl apply --server-side -f dist/dev/: no error, no warning']);
  process.stdout.write(`${checks.passed} passed, ${checks.failures} failed\n`);
  return checks.failures === 0 ? 0 : 1;
}

async function waitForJob(cluster: Cluster, namespace: string, name: string, timeoutMs: number): Promise<void> {
  await waitFor(`Job ${name} to complete`, timeoutMs, async (state) => {
    const job = await cluster.batch.readNamespacedJob({ namespace, name });
    const s = job.status ?? {};
    state.last = `succeeded=${s.succeeded ?? 0} failed=${s.failed ?? 0} active=${s.active ?? 0}`;
    if ((s.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True')) {
      throw new CheckFailure(`Job ${name} failed: ${state.last}`);
    }
    return (s.succeeded ?? 0) >= 1 ? true : undefined;
  });
}

async function waitForRollout(cluster: Cluster, namespace: string, w: K8sObject, timeoutMs: number): Promise<void> {
  const name = w.metadata.name;
  await waitFor(`${w.kind} ${name} to roll out`, Math.max(timeoutMs, 10_000), async (state) => {
    if (w.kind === 'DaemonSet') {
      const ds = await cluster.apps.readNamespacedDaemonSet({ namespace, name });
      const s = ds.status;
      state.last = `desired=${s?.desiredNumberScheduled} ready=${s?.numberReady} updated=${s?.updatedNumberScheduled}`;
      return s && s.desiredNumberScheduled > 0 && s.numberReady === s.desiredNumberScheduled && s.updatedNumberScheduled === s.desiredNumberScheduled ? true : undefined;
    }
    const obj = w.kind === 'Deployment'
      ? await cluster.apps.readNamespacedDeployment({ namespace, name })
      : await cluster.apps.readNamespacedStatefulSet({ namespace, name });
    const want = obj.spec?.replicas ?? 1;
    const s = obj.status;
    state.last = `replicas=${want} ready=${s?.readyReplicas ?? 0} updated=${s?.updatedReplicas ?? 0}`;
    return (s?.readyReplicas ?? 0) === want && (s?.updatedReplicas ?? 0) === want ? true : undefined;
  }, 3000);
}

interface K8sRun {
  readonly runId: string;
  readonly driverPod?: string;
}

function runId(label: string): string {
  return `cluster-${label}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
}

/** What one executor-like probe saw: its exit code and log. */
interface ExecutorProbe { readonly exitCode?: number; readonly log: string }

/**
 * Two pods with the executor labels (so the NetworkPolicies let them reach every driver's RPC
 * port) run Spark's own executor backend against the running driver, reading the key from a file
 * as the app's executors do, and asking for a resource profile that does not exist (999), so that
 * neither joins the app: the driver's answer "ResourceProfileId 999 not found!" proves that the
 * handshake passed and an RPC was served. The control has the app's key (read from its Secret by
 * the harness): it must get that answer. The intruder has another key, as another app's executor
 * would: it must not. Started once the first new driver has a running executor (its RPC is up).
 */
function startExecutorProbes(cluster: Cluster, p: Platform, recorder: PodRecorder): { done: Promise<{ driver: string; control: ExecutorProbe; intruder: ExecutorProbe }> } {
  const before = new Set(recorder.pods({ 'spark-role': 'driver' }).map((d) => d.name));
  const done = (async () => {
    const driver = await newDriverWithExecutor(recorder, before, 'to aim the probes at');
    const ip = driver.last.status?.podIP as string;
    const secretName = (driver.last.spec?.volumes ?? []).map((v) => v.secret?.secretName).find((n) => n?.startsWith('spark-app-auth-'));
    expect(secretName, `driver ${driver.name} mounts no spark-app-auth-* Secret`);
    const appKey = (await cluster.core.readNamespacedSecret({ namespace: p.jobsNamespace, name: secretName })).data?.secret as string;
    const script = [
      `if timeout 5 bash -c 'exec 3<>/dev/tcp/${ip}/7078'; then echo "probe: tcp ${ip}:7078 open"; else echo "probe: tcp ${ip}:7078 closed"; fi`,
      'printf %s "$KEY_B64" | base64 -d > /tmp/key',
      `exec java -Xmx192m -cp '/opt/spark/jars/*' -Dspark.authenticate=true -Dspark.network.crypto.enabled=true`
        + ' -Dspark.authenticate.secret.file=/tmp/key -Dspark.master=k8s://https://kubernetes.default.svc -Dspark.rpc.askTimeout=20s'
        + ` org.apache.spark.executor.CoarseGrainedExecutorBackend --driver-url spark://CoarseGrainedScheduler@${ip}:7078`
        + ' --executor-id probe --hostname "$(hostname -i)" --cores 1 --app-id probe --resourceProfileId 999',
    ].join('\n');
    const probe = (name: string, key: string) => runPod(cluster, {
      namespace: p.jobsNamespace, name, image: p.jobImage, tmp: true, memory: '512Mi',
      labels: { 'spark-role': 'executor', 'spark-app-selector': 'spark-probe' },
      env: { KEY_B64: key }, command: ['bash', '-c', script], timeoutMs: 3 * MINUTE,
    });
    const [control, intruder] = await Promise.all([
      probe('probe-executor-with-the-apps-key', appKey),
      probe('probe-executor-of-another-app', randomBytes(32).toString('base64')),
    ]);
    return { driver: driver.name, control, intruder };
  })();
  done.catch(() => undefined);
  return { done };
}

/** The first driver pod not in `before` that runs, with a running executor of its app (its RPC is up). */
function newDriverWithExecutor(recorder: PodRecorder, before: ReadonlySet<string>, purpose: string): Promise<SeenPod> {
  return waitFor(`a new driver pod with a running executor (${purpose})`, 10 * MINUTE, async () => {
    const d = recorder.pods({ 'spark-role': 'driver' }).find((x) => !before.has(x.name) && x.last.status?.phase === 'Running' && x.last.status.podIP);
    const app = d?.labels['spark-app-selector'];
    return d && app && recorder.pods({ 'spark-role': 'executor', 'spark-app-selector': app }).some((e) => e.last.status?.phase === 'Running') ? d : undefined;
  }, 250);
}

/**
 * Once a new driver runs with an executor, fetches its metrics from a pod of the scraper's
 * namespace: the driver's own (PrometheusServlet) and its executors' (spark.ui.prometheus.enabled).
 */
function startDriverScrape(cluster: Cluster, p: Platform, recorder: PodRecorder): Promise<{ driver: string; scraped: Map<string, Scraped> }> {
  const before = new Set(recorder.pods({ 'spark-role': 'driver' }).map((d) => d.name));
  const done = (async () => {
    await ensureNamespace(cluster, p.scraperNamespace);
    const driver = await newDriverWithExecutor(recorder, before, 'to scrape');
    const ip = driver.last.status?.podIP as string;
    const urls = [`http://${ip}:4040/metrics/prometheus`, `http://${ip}:4040/metrics/executors/prometheus`];
    // A Running executor pod registers with its driver a moment later: scrape until the driver
    // lists an executor besides itself (each try is a fresh pod of the scraper's namespace).
    let tries = 0;
    const scraped = await waitFor('the driver to list an executor in /metrics/executors/prometheus', 2 * MINUTE, async (state) => {
      const s = await scrape(cluster, p.scraperNamespace, `scrape-kubernetes-driver-${tries++}`, p.jobImage, urls);
      state.last = `try ${tries}: executor ids ${s.get(urls[1])?.executorIds.join(', ') || 'none'} (${s.get(urls[1])?.error ?? `HTTP ${s.get(urls[1])?.status}`})`;
      return s.get(urls[1])?.executorIds.some((e) => e !== 'driver') ? s : undefined;
    }, 1000);
    return { driver: driver.name, scraped };
  })();
  done.catch(() => undefined);
  return done;
}

/**
 * While the standalone app pauses: every metrics endpoint answers the scraper's namespace (and
 * no other); then the master pod is deleted and its replacement must recover the worker and the
 * running app from the claim.
 */
async function metricsAndMasterRecovery(checks: Checks, cluster: Cluster, p: Platform, recorder: PodRecorder, started: StartedRun | undefined, dagsReady: string): Promise<{ appId?: string }> {
  const out: { appId?: string } = {};
  const running = 'spark_standalone: the app runs on the master (paused between its stages)';
  let oldMaster = { name: '', ip: '', uid: '' };
  let workerIds: string[] = [];
  await checks.run(running, async () => {
    expect(started, 'the run was not started');
    const m = await waitFor('an orders-report app RUNNING on the master', 5 * MINUTE, async (state) => {
      const j = await masterJson(p.sparkUi);
      state.last = JSON.stringify(j.activeapps);
      return j.activeapps.some((a) => a.name === 'orders-report' && a.state === 'RUNNING') ? j : undefined;
    }, 1000);
    out.appId = m.activeapps.find((a) => a.name === 'orders-report')?.id;
    workerIds = m.workers.filter((w) => w.state === 'ALIVE').map((w) => w.id);
    oldMaster = await podIp(cluster, p.namespace, { 'app.kubernetes.io/component': 'master' });
  }, [dagsReady]);

  await checks.run(`metrics: from ${p.scraperNamespace}, the master, the worker, a standalone driver (and its executors) and Airflow's statsd-exporter answer with known metrics; from another namespace, none answers`, async () => {
    await ensureNamespace(cluster, p.scraperNamespace);
    await ensureNamespace(cluster, 'sak-not-a-scraper');
    const worker = await podIp(cluster, p.namespace, { 'app.kubernetes.io/component': 'worker' });
    const statsd = await podIp(cluster, p.namespace, { 'app.kubernetes.io/name': 'statsd-exporter' });
    const task = recorder.pods({ 'spark-airflow-k8s/target': 'standalone' }).find((t) => t.last.status?.phase === 'Running' && t.last.status.podIP);
    expect(task, 'no running standalone task pod (its driver is what we scrape)');
    const driver = task.last.status?.podIP as string;
    const urls = {
      master: `http://${oldMaster.ip}:8080/metrics/master/prometheus`,
      apps: `http://${oldMaster.ip}:8080/metrics/applications/prometheus`,
      worker: `http://${worker.ip}:8081/metrics/prometheus`,
      driver: `http://${driver}:4040/metrics/prometheus`,
      executors: `http://${driver}:4040/metrics/executors/prometheus`,
      statsd: `http://${statsd.ip}:9102/metrics`,
    };
    // the master UI is open to anyone in dev (NodePort): the control covers the other ports
    const closed = [urls.worker, urls.driver, urls.statsd];
    const [scraped, control] = await Promise.all([
      scrape(cluster, p.scraperNamespace, 'scrape-platform', p.jobImage, Object.values(urls)),
      scrape(cluster, 'sak-not-a-scraper', 'scrape-from-elsewhere', p.jobImage, closed, 5),
    ]);
    expectMetric(scraped.get(urls.master), /^metrics_master_aliveWorkers_Value$/, 'master');
    expectMetric(scraped.get(urls.apps), /^metrics_application_orders_report_\d+_cores_Value$/, 'master, per application');
    expectMetric(scraped.get(urls.worker), /^metrics_worker_coresUsed_Value$/, 'worker');
    expectMetric(scraped.get(urls.driver), /^metrics_.+_driver_(DAGScheduler|BlockManager)_\w+$/, 'standalone driver');
    expectMetric(scraped.get(urls.executors), /^metrics_executor_totalTasks_total$/, 'standalone driver, executors');
    expectMetric(scraped.get(urls.statsd), /^airflow_scheduler_heartbeat$/, 'statsd-exporter');
    for (const url of closed) {
      const c = control.get(url);
      expect(c?.error && c.status === undefined, `${url} answered a pod of another namespace: ${JSON.stringify(c)}`);
    }
    checks.info(`scraped ${Object.values(urls).map((u) => scraped.get(u)?.names.length).join('/')} metric names; from elsewhere: ${closed.map((u) => control.get(u)?.error?.split(':')[0]).join(', ')}`);
  }, [running]);

  await checks.run('the Spark master deleted under a running app comes back with its worker and the app (FILESYSTEM recovery)', async () => {
    expect(out.appId, 'no running app');
    const t = Date.now();
    await cluster.core.deleteNamespacedPod({ namespace: p.namespace, name: oldMaster.name });
    const m = await waitFor('a new master, ALIVE, with the worker and the running app recovered', 4 * MINUTE, async (state) => {
      const j = await masterJson(p.sparkUi);
      state.last = `${j.url} ${j.status}; workers ${j.workers.map((w) => `${w.id}=${w.state}`).join(', ')}; apps ${j.activeapps.map((a) => `${a.id}=${a.state}`).join(', ')}`;
      const fresh = !j.url.includes(oldMaster.ip);
      return fresh && j.status === 'ALIVE' && workerIds.every((id) => j.workers.some((w) => w.id === id && w.state === 'ALIVE')) && j.activeapps.some((a) => a.id === out.appId && a.state === 'RUNNING') ? j : undefined;
    }, 1000);
    checks.time('master pod deleted to recovered (worker and app back)', (Date.now() - t) / 1000);
    const newMaster = await podIp(cluster, p.namespace, { 'app.kubernetes.io/component': 'master' });
    expect(newMaster.uid !== oldMaster.uid, 'the master pod was not replaced');
    const log = await run('kubectl', ['-n', p.namespace, 'logs', newMaster.name], MINUTE);
    expect(/Recovery complete/.test(log.stdout) && /Trying to recover app/.test(log.stdout), `the new master's log shows no recovery:\n${log.stdout.split('\n').filter((l) => /[Rr]ecover/.test(l)).join('\n') || log.stdout.slice(-800)}`);
    checks.info(`recovered: ${m.url}, worker ${workerIds.join(', ')}, app ${out.appId}`);
  }, [running]);
  return out;
}

/** The history server lists both finished apps (Kubernetes and standalone) with their jobs. */
async function historyServer(checks: Checks, p: Platform, airflow: () => AirflowClient, k8s: K8sRun, standalone: StartedRun | undefined): Promise<void> {
  await checks.run(`the Spark history server lists both finished apps from their event logs, with their jobs (${p.historyUi}/api/v1/applications)`, async () => {
    const ids: string[] = [];
    const k8sXcom = await airflow().returnValue('spark_on_kubernetes', k8s.runId, 'submit') as Record<string, unknown>;
    const standaloneXcom = await airflow().returnValue('spark_standalone', standalone?.id ?? '', 'submit') as Record<string, unknown>;
    for (const x of [k8sXcom, standaloneXcom]) {
      expect(typeof x.appId === 'string' && x.appId !== '', `XCom has no appId: ${JSON.stringify(x)}`);
      ids.push(x.appId as string);
    }
    const t = Date.now();
    const apps = await waitFor(`${ids.join(' and ')} completed in the history server`, 2 * MINUTE, async (state) => {
      const list = await getJson<HistoryApp[]>(`${p.historyUi}/api/v1/applications`);
      state.last = list.map((a) => `${a.id}:${a.attempts.map((x) => x.completed).join('/')}`).join(', ');
      return ids.every((id) => list.some((a) => a.id === id && a.attempts.every((x) => x.completed))) ? list : undefined;
    }, 2000);
    checks.time('history server: both apps listed', (Date.now() - t) / 1000);
    for (const id of ids) {
      const jobs = await getJson<{ jobId: number; status: string }[]>(`${p.historyUi}/api/v1/applications/${id}/jobs`);
      expect(jobs.length >= 2 && jobs.every((j) => j.status === 'SUCCEEDED'), `${id}: jobs ${JSON.stringify(jobs.map((j) => [j.jobId, j.status]))}`);
    }
    checks.info(`history server: ${apps.length} apps; ${ids.join(', ')} completed`);
  }, ['spark_standalone succeeds when triggered through the REST API', 'spark_on_kubernetes succeeds when triggered through the REST API']);
}

async function sparkOnKubernetes(
  checks: Checks, cluster: Cluster, p: Platform, airflow: () => AirflowClient, recorder: PodRecorder, dagsReady: string,
): Promise<K8sRun> {
  const dag = 'spark_on_kubernetes';
  const id = runId('ok');
  const result: { driverPod?: string } = {};
  const name = `${dag} succeeds when triggered through the REST API`;
  let probes: ReturnType<typeof startExecutorProbes> | undefined;
  let driverMetrics: Promise<{ driver: string; scraped: Map<string, Scraped> }> | undefined;
  await checks.run(name, async () => {
    const t = Date.now();
    probes = startExecutorProbes(cluster, p, recorder);
    driverMetrics = startDriverScrape(cluster, p, recorder);
    // A 15 s pause between the app's stages: the probes and the scraper find it running.
    await airflow().trigger(dag, id, { pause_seconds: 15 });
    const r = await airflow().waitForRun(dag, id, 15 * MINUTE);
    checks.time(`${dag}: trigger to ${r.state}`, (Date.now() - t) / 1000);
    if (r.state !== 'success') throw new CheckFailure(`run ${id} ended ${r.state}:\n${await tasksSummary(airflow(), dag, id)}`);
  }, [dagsReady]);

  await checks.run(`${dag}: the submit task's XCom is return.json of the job CLI`, async () => {
    const xcom = await airflow().returnValue(dag, id, 'submit') as Record<string, unknown>;
    const keys = ['appId', 'appName', 'driverPod', 'namespace', 'submissionId', 'submittedAt', 'target'];
    expect(JSON.stringify(Object.keys(xcom).sort()) === JSON.stringify(keys), `XCom keys ${Object.keys(xcom).sort().join(',')} != ${keys.join(',')}`);
    expect(xcom.target === 'k8s' && xcom.namespace === p.jobsNamespace && typeof xcom.driverPod === 'string', `XCom: ${JSON.stringify(xcom)}`);
    result.driverPod = xcom.driverPod as string;
    const ti = await airflow().taskInstance(dag, id, 'submit');
    if (ti.start_date && typeof xcom.submittedAt === 'string') {
      checks.time(`${dag}: submit task start to return.json`, (Date.parse(xcom.submittedAt) - Date.parse(ti.start_date)) / 1000);
    }
  }, [name]);

  await checks.run(`${dag}: driver and executor pods ran, executors registered with the driver`, async () => {
    const driver = recorder.pods().find((s) => s.name === result.driverPod);
    expect(driver, `the driver pod ${result.driverPod} was never seen`);
    expect(driver.phases.has('Running') && driver.phases.has('Succeeded'), `driver phases: ${[...driver.phases].join(', ')}`);
    const appId = driver.labels['spark-app-selector'];
    const executors = recorder.pods({ 'spark-role': 'executor', 'spark-app-selector': appId });
    expect(executors.length >= 1 && executors.every((e) => e.phases.has('Running')), `executors of ${appId}: ${describe(executors)}`);
    const log = await airflow().taskLog(dag, id, 'monitor', 1);
    const registered = log.match(/Registered executor/g)?.length ?? 0;
    expect(registered >= executors.length, `${executors.length} executor pods ran but the driver log has ${registered} "Registered executor" lines`);
    // The ports the NetworkPolicies open (job/src/ports.ts): the driver's RPC and block manager,
    // and every executor's block manager as the driver registered it.
    expect(/'sparkDriver' on port 7078/.test(log), 'the driver did not listen on 7078 (spark.driver.port)');
    const managers = [...log.matchAll(/Registering block manager \S+:(\d+) with .*BlockManagerId\((\w+),/g)].map((m) => ({ port: m[1], id: m[2] }));
    const driverBm = managers.find((m) => m.id === 'driver');
    const executorBms = managers.filter((m) => m.id !== 'driver');
    expect(driverBm?.port === '7079', `driver block manager on ${driverBm?.port ?? 'no port seen'}, expected 7079`);
    expect(executorBms.length >= executors.length && executorBms.every((m) => m.port === '7079'),
      `executor block managers on ${executorBms.map((m) => `${m.id}:${m.port}`).join(', ') || 'none seen'}; expected 7079 each (spark.blockManager.port)`);
  }, [`${dag}: the submit task's XCom is return.json of the job CLI`]);

  await checks.run(`${dag}: the monitor task's log is the driver's log, with the app's shuffle, broadcast and large results checked`, async () => {
    const log = await airflow().taskLog(dag, id, 'monitor', 1);
    expect(log.includes('Running Spark version'), 'no "Running Spark version" line (driver log) in the monitor task log');
    expect(/orders_report: orders=\d+ regions=\d+ revenue=\d+ lines=\d+ check=ok/.test(log), 'the app\'s "orders_report: ... check=ok" line is not in the monitor task log');
  }, [name]);

  await checks.run(`${dag}: the app authenticates and encrypts with a key of its own, from a Secret its driver pod owns (deleted with it), never a pod env var`, async () => {
    const driver = recorder.pods().find((s) => s.name === result.driverPod);
    expect(driver, `the driver pod ${result.driverPod} was never seen`);
    const log = await airflow().taskLog(dag, id, 'monitor', 1);
    expect(/SecurityManager: authentication enabled/.test(log), 'the driver log has no "SecurityManager: authentication enabled"');
    const appId = driver.labels['spark-app-selector'];
    const pods = [driver, ...recorder.pods({ 'spark-role': 'executor', 'spark-app-selector': appId })];
    const secretNames = new Set(pods.flatMap((pod) => (pod.last.spec?.volumes ?? []).map((v) => v.secret?.secretName).filter((n): n is string => !!n?.startsWith('spark-app-auth-'))));
    expect(secretNames.size === 1, `driver and executors mount ${secretNames.size} spark-app-auth Secrets: ${[...secretNames].join(', ')}`);
    for (const pod of pods) {
      const env = (pod.last.spec?.containers ?? []).flatMap((c) => (c.env ?? []).map((e) => e.name));
      expect(!env.includes('SPARK_AUTH_SECRET') && !env.includes('_SPARK_AUTH_SECRET'), `${pod.name} has the key as an env var`);
    }
    // The Secret is created right after the pod: the kubelet retries the mount until it exists.
    const status = driver.last.status?.containerStatuses?.[0];
    const started = status?.state?.terminated?.startedAt ?? status?.state?.running?.startedAt;
    const created = driver.last.metadata?.creationTimestamp;
    if (started && created) checks.time(`${dag}: driver pod created to its container started`, (new Date(started).getTime() - new Date(created).getTime()) / 1000);
    const [secretName] = [...secretNames];
    const secret = await cluster.core.readNamespacedSecret({ namespace: p.jobsNamespace, name: secretName });
    const owner = secret.metadata?.ownerReferences?.[0];
    expect(owner?.kind === 'Pod' && owner.name === driver.name && owner.uid === driver.last.metadata?.uid, `Secret ${secretName} owner: ${JSON.stringify(owner)}`);
    expect(Buffer.from(secret.data?.secret ?? '', 'base64').length === 32, 'the key is not 32 random bytes');
    expect(!log.includes(secret.data?.secret ?? '#'), 'the key appears in the task log');
    // The key goes with its app: deleting the finished driver pod deletes the Secret (garbage collector).
    await cluster.core.deleteNamespacedPod({ namespace: p.jobsNamespace, name: driver.name });
    await waitFor(`Secret ${secretName} to be deleted with its driver pod`, 2 * MINUTE, async (state) => {
      try {
        await cluster.core.readNamespacedSecret({ namespace: p.jobsNamespace, name: secretName });
        state.last = 'still there';
        return undefined;
      } catch (err) {
        return apiStatus(err) === 404 ? true : undefined;
      }
    });
  }, [`${dag}: driver and executor pods ran, executors registered with the driver`]);

  await checks.run(`${dag}: an executor of another app reaches the driver's port but is refused; with the app's key the driver answers (control)`, async () => {
    expect(probes, 'the probes were not started');
    const { driver, control, intruder } = await probes.done;
    const tail = (r: ExecutorProbe) => r.log.split('\n').filter((l) => !/^\s+at |^\s*\.\.\. \d+ more/.test(l)).slice(-10).join('\n');
    const answered = /ResourceProfileId 999 not found/;
    for (const [who, r] of [['control', control], ['intruder', intruder]] as const) {
      expect(/tcp \S+:7078 open/.test(r.log), `the ${who} could not open a TCP connection to ${driver}:7078 (the check proves nothing):\n${tail(r)}`);
      expect(r.exitCode !== undefined && r.exitCode !== 0, `the ${who} exited ${r.exitCode} (it should not have joined the app):\n${tail(r)}`);
    }
    expect(answered.test(control.log), `with the app's key the driver did not answer (the handshake itself fails, so the intruder's refusal proves nothing):\n${tail(control)}`);
    expect(!answered.test(intruder.log), `with another key the driver answered an RPC:\n${tail(intruder)}`);
    const refused = /AuthClientBootstrap[^\n]*|Connection reset by peer|ClosedChannelException|[Aa]uthentication failed[^\n]*/.exec(intruder.log)?.[0];
    expect(refused, `no sign of a refused handshake in the intruder's log:\n${tail(intruder)}`);
    checks.info(`executor probe with another key: ${refused.trim().slice(0, 200)}; with the app's key: ${answered.exec(control.log)?.[0]}`);
  }, [name]);

  await checks.run(`metrics: a Kubernetes driver serves its own and its executors' metrics to the scraper's namespace (${p.scraperNamespace})`, async () => {
    expect(driverMetrics, 'the scrape was not started');
    const { driver, scraped } = await driverMetrics;
    const [own, executors] = [...scraped.values()];
    // The driver's own sources (scraped right after its start, a driver lists only its static ones,
    // CodeGenerator and the catalog; once it has executors, DAGScheduler and BlockManager too)
    const ownName = expectMetric(own, /^metrics_.+_driver_\w+$/, `driver ${driver} /metrics/prometheus`);
    expectMetric(executors, /^metrics_executor_totalTasks_total$/, `driver ${driver} /metrics/executors/prometheus`);
    expect(executors.executorIds.some((e) => e !== 'driver'), `no executor's metrics on the driver (executor ids: ${executors.executorIds.join(', ')})`);
    checks.info(`Kubernetes driver: ${own.names.length} metric names (e.g. ${ownName}), executors ${executors.executorIds.join(', ')}`);
  }, [name]);

  await checks.run(`${dag}: the deferrable monitor task deferred and resumed (the triggerer followed the driver)`, async () => {
    const log = await airflow().taskLog(dag, id, 'monitor', 1);
    expect(/defer/i.test(log), 'the monitor task log shows no deferral');
    const ti = await airflow().taskInstance(dag, id, 'monitor');
    expect(ti.state === 'success', `monitor ended ${ti.state}`);
  }, [name]);
  return { runId: id, driverPod: result.driverPod };
}

/** A DAG run triggered now and followed in the background until it ends. */
interface StartedRun {
  readonly id: string;
  readonly done: Promise<{ state?: string; seconds: number; error?: unknown }>;
}

function startRun(airflow: AirflowClient, dag: string, id: string, conf: Record<string, unknown> = {}): StartedRun {
  const t = Date.now();
  const done = airflow.trigger(dag, id, conf)
    .then(() => airflow.waitForRun(dag, id, 15 * MINUTE))
    .then((r) => ({ state: r.state, seconds: (Date.now() - t) / 1000 }), (error: unknown) => ({ error, seconds: (Date.now() - t) / 1000 }));
  return { id, done };
}

async function sparkStandalone(checks: Checks, p: Platform, airflow: () => AirflowClient, dagsReady: string, started: StartedRun | undefined): Promise<void> {
  const dag = 'spark_standalone';
  const id = started?.id ?? '';
  const name = `${dag} succeeds when triggered through the REST API`;
  await checks.run(name, async () => {
    expect(started, 'the run was not started');
    const r = await started.done;
    if (r.error) throw r.error;
    checks.time(`${dag}: trigger to ${r.state}`, r.seconds);
    if (r.state !== 'success') throw new CheckFailure(`run ${id} ended ${r.state}:\n${await tasksSummary(airflow(), dag, id)}`);
  }, [dagsReady]);
  await checks.run(`${dag}: XCom, the app's checked result in the task log, the app completed on the cluster`, async () => {
    const xcom = await airflow().returnValue(dag, id, 'submit') as Record<string, unknown>;
    expect(xcom.target === 'standalone', `XCom: ${JSON.stringify(xcom)}`);
    const log = await airflow().taskLog(dag, id, 'submit', 1);
    expect(/orders_report: .* check=ok/.test(log), 'the app\'s "check=ok" line is not in the task log');
    const m = await getJson<{ completedapps: { name: string; state: string; cores: number }[] }>(`${p.sparkUi}/json/`);
    expect(m.completedapps.some((a) => a.state === 'FINISHED'), `completed apps on the master: ${JSON.stringify(m.completedapps)}`);
  }, [name]);
}

async function logsSurviveRestart(checks: Checks, cluster: Cluster, p: Platform, airflow: () => AirflowClient, run: K8sRun, adminPassword: () => string): Promise<void> {
  const dag = 'spark_on_kubernetes';
  // The api-server restarts at the same time (one wait for both): the admin password must not change.
  const apiServerPods = async () => (await cluster.core.listNamespacedPod({ namespace: p.namespace, labelSelector: 'app.kubernetes.io/component=api-server' })).items;
  const oldApi = (await apiServerPods()).map((pod) => pod.metadata?.uid);
  let apiRestarted = false;
  const restartApiServer = async () => {
    apiRestarted = true;
    for (const pod of await apiServerPods()) await cluster.core.deleteNamespacedPod({ namespace: p.namespace, name: pod.metadata?.name as string });
  };
  await checks.run('task logs survive a restart of the scheduler (log persistence)', async () => {
    const before = await airflow().taskLog(dag, run.runId, 'monitor', 1);
    expect(before.includes('Running Spark version'), 'the monitor task log has no driver log to compare');
    const old = await cluster.core.readNamespacedPod({ namespace: p.namespace, name: 'airflow-scheduler-0' });
    await cluster.core.deleteNamespacedPod({ namespace: p.namespace, name: 'airflow-scheduler-0' });
    await restartApiServer();
    await waitFor('a new airflow-scheduler-0 to be Ready', 5 * MINUTE, async (state) => {
      const pod = await cluster.core.readNamespacedPod({ namespace: p.namespace, name: 'airflow-scheduler-0' }).catch(() => undefined);
      const ready = pod?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      state.last = `uid ${pod?.metadata?.uid ?? 'none'}, ready ${ready}`;
      return pod && pod.metadata?.uid !== old.metadata?.uid && ready ? true : undefined;
    });
    // The api-server reads the log from the new scheduler's log server; its DNS name may point at
    // the old pod's IP for the cache TTL of the cluster DNS (30 s): a user may see a short gap.
    await waitFor('the monitor task log, served by the new scheduler', 2 * MINUTE, async (state) => {
      const after = await airflow().taskLog(dag, run.runId, 'monitor', 1);
      state.last = after.split('\n').slice(0, 6).join(' | ');
      return after.includes('Running Spark version') && after.includes('check=ok') ? true : undefined;
    }, 5000);
  }, [`${dag}: the monitor task's log is the driver's log, with the app's shuffle, broadcast and large results checked`]);

  await checks.run('after an api-server restart the admin logs in with the same password (SimpleAuthManager reads it from the Secret, never generates one)', async () => {
    if (!apiRestarted) await restartApiServer(); // the scheduler check did not run
    await waitFor('a new, Ready api-server pod', 5 * MINUTE, async (state) => {
      const pods = await apiServerPods();
      state.last = pods.map((pod) => `${pod.metadata?.name} ready=${pod.status?.conditions?.find((c) => c.type === 'Ready')?.status}`).join(', ');
      return pods.length === 1 && !oldApi.includes(pods[0].metadata?.uid) && pods[0].status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    });
    expect(adminPassword() !== '', 'no admin password from the first login');
    await airflow().login('admin', adminPassword());
    await expectPasswordNotLogged(p, adminPassword());
  }, ['log in to the REST API as the README says: user admin, password from the Secret (never in the log)']);
}

/**
 * A staging-shaped variant of dist/dev, synthesized by the build's own synth and applied over the
 * running platform: the FAB auth manager (staging and prod log in through it), two api-servers
 * and two schedulers with PodDisruptionBudgets, and ServiceMonitors/PodMonitors (the Prometheus
 * operator's CRDs installed first, from lib/imports/crds). Checks: the FAB admin logs in with the
 * Secret's password; a drain's evictions take one api-server and one scheduler at a time while
 * Airflow keeps answering; the monitors are accepted by the API server's strict field validation.
 */
async function stagingShapedVariant(checks: Checks, cluster: Cluster, p: Platform, ready: string): Promise<void> {
  const applied = 'staging-shaped variant (FAB, 2 api-servers and 2 schedulers with budgets, monitors, every UI behind an Ingress): applied over dev, every workload rolls out';
  const dir = mkdtempSync(join(tmpdir(), 'sak-dev-variant-'));
  let migration = '';
  let historyCa = '';
  let controllerInstalled: Promise<void> | undefined;
  let store: ObjectStore | undefined;
  try {
    await checks.run(applied, async () => {
      // the event logs go to an object store, with its keys in a Secret the operator creates
      await ensureNamespace(cluster, STORE.namespace);
      store = await installObjectStore(STORE.namespace, TEST_IMAGES.objectStore, [STORE.bucket]);
      const credentials = { apiVersion: 'v1', kind: 'Secret', metadata: { name: STORE.secret, namespace: p.jobsNamespace }, type: 'Opaque', stringData: { AWS_ACCESS_KEY_ID: store.accessKeyId, AWS_SECRET_ACCESS_KEY: store.secretAccessKey } };
      const created = await run('kubectl', ['apply', '-f', '-'], MINUTE, JSON.stringify(credentials));
      expect(created.code === 0, `creating the Secret ${STORE.secret}: ${created.stderr}`);
      await installMonitoringCrds(resolve('lib/imports/crds'));
      // the node's ingress controller, as an operator installs one; it comes up while the variant rolls out
      await ensureNamespace(cluster, CONTROLLER_NAMESPACE);
      controllerInstalled = installIngressController(CONTROLLER_NAMESPACE, TEST_IMAGES.ingressController);
      controllerInstalled.catch(() => undefined); // awaited below
      // the history server's TLS Secret, as cert-manager would make it
      const tls = await selfSignedCertificate(HOSTS.history, dir);
      historyCa = tls.cert;
      const secret = await run('kubectl', ['-n', p.jobsNamespace, 'create', 'secret', 'tls', 'spark-history-tls', `--cert=${tls.certFile}`, `--key=${tls.keyFile}`], MINUTE);
      expect(secret.code === 0, `kubectl create secret tls spark-history-tls: ${secret.stderr}`);
      const script = [
        `const { synthAll } = require(${JSON.stringify(resolve('build/stacks/synth.js'))});`,
        `const { dev } = require(${JSON.stringify(resolve('build/stacks/dev.js'))});`,
        'synthAll({ dev: { ...dev,',
        `  airflow: { ...dev.airflow, auth: { manager: 'fab' }, replicas: { apiServer: 2, scheduler: 2 }, ui: { ...dev.airflow.ui, ingress: { host: ${JSON.stringify(HOSTS.airflow)} } } },`,
        // every UI behind an Ingress served by the node's controller (Traefik) in sak-ingress: the
        // history server over HTTPS on an explicit class, the others on the default class
        `  network: { ...dev.network, ingressController: { namespace: ${JSON.stringify(CONTROLLER_NAMESPACE)} } },`,
        `  spark: { ...dev.spark, ui: { ...dev.spark.ui, ingress: { host: ${JSON.stringify(HOSTS.spark)} } } },`,
        `  history: { ...dev.history, ui: { expose: false, ingress: { host: ${JSON.stringify(HOSTS.history)}, className: ${JSON.stringify(INGRESS_CLASS)}, tlsSecretName: 'spark-history-tls' } },`,
        // the event logs in the S3 server's pod: the egress policies open its address only
        `    eventLog: { objectStore: ${JSON.stringify({ url: `s3a://${STORE.bucket}/${STORE.prefix}`, endpoint: store.endpoint, pathStyleAccess: true, cidr: `${store.ip}/32`, credentialsSecretName: STORE.secret })} } },`,
        '  monitoring: { ...dev.monitoring, prometheusOperator: true } } },',
        `  ${JSON.stringify(dir)});`,
      ].join('\n');
      const synth = await run('node', ['-e', script], 2 * MINUTE);
      expect(synth.code === 0, `synth of the variant exited ${synth.code}: ${synth.stderr.slice(0, 2000)}`);
      const variant = loadManifests(join(dir, 'dev'));
      const job = find(variant, 'Job').find((j) => j.metadata.name.startsWith('airflow-db-migrate-'));
      expect(job, 'no airflow-db-migrate Job in the variant');
      migration = job.metadata.name;
      expect(find(variant, 'PodDisruptionBudget').length === 2 && find(variant, 'PodMonitor').length === 4 && find(variant, 'ServiceMonitor').length === 1, 'the variant lacks its budgets or monitors');
      const t = Date.now();
      const apply = await run('kubectl', ['apply', '--server-side', '--force-conflicts', '-f', join(dir, 'dev')], 2 * MINUTE);
      expect(apply.code === 0, `kubectl apply of the variant exited ${apply.code}: ${apply.stderr}`);
      expect(!/warning/i.test(apply.stderr), `kubectl apply of the variant warned:\n${apply.stderr}`);
      // apply does not delete what the variant no longer has (as `--prune` or Pulumi would): the
      // NetworkPolicies of dev that the variant drops (the history server's NodePort) go by hand
      const kept = new Set(find(variant, 'NetworkPolicy').map((o) => `${o.metadata.namespace ?? p.namespace}/${o.metadata.name}`));
      for (const policy of find(p.objects, 'NetworkPolicy').filter((o) => !kept.has(`${o.metadata.namespace ?? p.namespace}/${o.metadata.name}`))) {
        const del = await run('kubectl', ['-n', policy.metadata.namespace ?? p.namespace, 'delete', 'networkpolicy', policy.metadata.name], MINUTE);
        expect(del.code === 0, `kubectl delete networkpolicy ${policy.metadata.name}: ${del.stderr}`);
      }
      const done = await run('kubectl', ['-n', p.namespace, 'wait', '--for=condition=complete', `job/${migration}`, '--timeout=300s'], 6 * MINUTE);
      expect(done.code === 0, `Job ${migration} did not complete: ${done.stdout}${done.stderr}`);
      // the history server first creates the event-log prefix in the store: drivers need it (as
      // after `kubectl apply`, a user waits for the rollout; `pulumi up` waits by itself)
      for (const [ns, w] of [[p.namespace, 'deploy/airflow-api-server'], [p.namespace, 'sts/airflow-scheduler'], [p.jobsNamespace, 'deploy/spark-history']]) {
        const rollout = await run('kubectl', ['-n', ns, 'rollout', 'status', w, '--timeout=300s'], 6 * MINUTE);
        expect(rollout.code === 0, `${w} did not roll out in the variant: ${rollout.stdout}${rollout.stderr}`);
      }
      checks.time('variant: apply to api-servers and schedulers rolled out', (Date.now() - t) / 1000);
      await controllerInstalled;
    }, [ready]);

    await checks.run('the FAB auth manager (staging, prod): the migration Job creates the admin from the Secret, who logs in with it; a wrong password is refused', async () => {
      const jobLog = await run('kubectl', ['-n', p.namespace, 'logs', `job/${migration}`, '-c', 'admin-user'], MINUTE);
      expect(/created the admin user admin \(role Admin\)/.test(jobLog.stdout), `the admin-user step did not create the admin:\n${jobLog.stdout.slice(-1500)}${jobLog.stderr}`);
      const password = await readAdminPassword(p);
      const client = new AirflowClient(p.airflowUi);
      await waitFor('a FAB login through POST /auth/token', 3 * MINUTE, async (state) => {
        try {
          await client.login('admin', password);
          return true;
        } catch (err) {
          state.last = (err as Error).message;
          return undefined;
        }
      }, 3000);
      const dags = await client.call<{ total_entries: number }>('GET', '/api/v2/dags');
      expect(dags.total_entries >= 2, `GET /api/v2/dags as the FAB admin: ${JSON.stringify(dags)}`);
      await expectLoginRefused(p, 'admin', `${password}x`);
      await expectPasswordNotLogged(p, password);
      expect(!jobLog.stdout.includes(password), 'the admin password is in the migration Job\'s log');
    }, [applied]);

    await checks.run(`event logs in an object store (staging, prod): both DAGs' apps write them to s3a://${STORE.bucket}/${STORE.prefix} with the Secret's keys, the history server lists them from there; the store refuses unsigned requests, and a jobs pod without the flow cannot reach it`, async () => {
      const s3 = store as ObjectStore;
      const client = new AirflowClient(p.airflowUi);
      await client.login('admin', await readAdminPassword(p));
      // both at once: nothing else runs meanwhile, and the standalone app mostly waits for its executor
      const runs = { spark_on_kubernetes: startRun(client, 'spark_on_kubernetes', runId('s3')), spark_standalone: startRun(client, 'spark_standalone', runId('s3')) };
      const ids: string[] = [];
      for (const [dag, started] of Object.entries(runs)) {
        const r = await started.done;
        if (r.error) throw r.error;
        if (r.state !== 'success') throw new CheckFailure(`${dag} run ${started.id} ended ${r.state}:\n${await tasksSummary(client, dag, started.id)}\nstore log:\n${(await s3.log()).slice(-1500)}`);
        checks.time(`object store: ${dag} trigger to success`, r.seconds);
        const xcom = await client.returnValue(dag, started.id, 'submit') as Record<string, unknown>;
        expect(typeof xcom.appId === 'string' && xcom.appId !== '', `${dag}: XCom has no appId: ${JSON.stringify(xcom)}`);
        ids.push(xcom.appId as string);
      }
      // Spark's rolling event log: a directory per app, renamed out of .inprogress when the app ends
      for (const id of ids) {
        const dir = `${STORE.bucket}/${STORE.prefix}/eventlog_v2_${id}`;
        const files = s3.list(dir);
        expect(files.includes(`appstatus_${id}`) && files.some((f) => f.startsWith('events_1_')), `${dir} in the store holds ${JSON.stringify(files)}, expected a completed event log (appstatus_${id}, events_1_*)`);
      }
      const server = await podIp(cluster, p.jobsNamespace, { 'app.kubernetes.io/component': 'history-server' });
      const listed = await waitFor(`${ids.join(' and ')} completed in the history server (from the store)`, 2 * MINUTE, async (state) => {
        const list = await getJson<HistoryApp[]>(`http://${server.ip}:18080/api/v1/applications`);
        state.last = list.map((a) => `${a.id}:${a.attempts.map((x) => x.completed).join('/')}`).join(', ');
        return ids.every((id) => list.some((a) => a.id === id && a.attempts.every((x) => x.completed))) ? list : undefined;
      });
      // the dev apps were on the claim: this server reads the store only
      expect(listed.length === ids.length, `the history server lists ${listed.length} apps, expected only the ${ids.length} written to the store: ${listed.map((a) => a.id).join(', ')}`);
      const unsigned = await fetch(`${s3.endpoint}/${STORE.bucket}/${STORE.prefix}/`, { signal: AbortSignal.timeout(5000) });
      expect(unsigned.status === 403, `an unsigned GET of the bucket: HTTP ${unsigned.status}, expected 403`);
      // No connection at all, not even the store's 403 (a connection in a new pod's first seconds
      // gets through: see connectProbe; a probe with no wait "reached" the store)
      const probe = await connectProbe(cluster, p.jobImage, { name: 'probe-no-store-flow', namespace: p.jobsNamespace, host: s3.ip, port: OBJECT_STORE_PORT, waitSeconds: 10 });
      expect(probe.exitCode === 10, `a jobs pod that no flow names, connecting to the store ${s3.ip}:${OBJECT_STORE_PORT}: exit ${probe.exitCode} (${probe.log.trim()}), expected a timeout`);
      checks.info(`object store ${s3.endpoint}: ${ids.join(', ')} written under s3a://${STORE.bucket}/${STORE.prefix}, listed by the history server; unsigned request 403; a jobs pod without the flow: ${probe.log.trim()}`);
    }, [applied]);

    // The drain (it waits for replacement pods) and the read-only checks of the variant, at once
    await Promise.all([
      checks.run('a drain evicts one api-server and one scheduler at a time (PodDisruptionBudgets), and Airflow answers throughout', async () => {
        const budget = (name: string) => run('kubectl', ['-n', p.namespace, 'get', 'pdb', name, '-o', 'jsonpath={.status.currentHealthy}/{.status.disruptionsAllowed}'], MINUTE);
        const components = [['api-server', 'airflow-api-server'], ['scheduler', 'airflow-scheduler']] as const;
        const pods: Record<string, string[]> = {};
        for (const [component, name] of components) {
          await waitFor(`PodDisruptionBudget ${name} to allow one disruption`, 2 * MINUTE, async (state) => {
            state.last = (await budget(name)).stdout;
            return state.last === '2/1' ? true : undefined;
          }, 2000);
          pods[component] = (await cluster.core.listNamespacedPod({ namespace: p.namespace, labelSelector: `app.kubernetes.io/component=${component}` })).items
            .filter((x) => !x.metadata?.deletionTimestamp).map((x) => x.metadata?.name as string).sort();
          expect(pods[component].length === 2, `${component}: ${pods[component].length} pods, expected 2`);
        }
        // as `kubectl drain` does on a node running one of each: both evictions at once
        const watch = watchAvailability(`${p.airflowUi}/api/v2/monitor/health`);
        const t = Date.now();
        const first = await Promise.all(components.map(([component]) => evict(cluster, p.namespace, pods[component][0])));
        const second = await Promise.all(components.map(([component]) => evict(cluster, p.namespace, pods[component][1])));
        components.forEach(([component], i) => {
          expect(first[i].status === 201, `evicting ${pods[component][0]}: HTTP ${first[i].status} ${first[i].message.slice(0, 300)}`);
          expect(second[i].status === 429, `evicting ${pods[component][1]} right after: HTTP ${second[i].status} (the budget should refuse it) ${second[i].message.slice(0, 300)}`);
        });
        // the replacements come up; then each budget allows one disruption again
        for (const [, name] of components) {
          await waitFor(`${name}: two Ready pods again`, 4 * MINUTE, async (state) => {
            state.last = (await budget(name)).stdout;
            return state.last === '2/1' ? true : undefined;
          }, 2000);
        }
        checks.time('drain: evictions to both budgets healthy again', (Date.now() - t) / 1000);
        const seen = await watch.stop();
        expect(seen.failures.length === 0, `Airflow failed ${seen.failures.length} of ${seen.requests} health requests during the evictions: ${seen.failures.slice(0, 5).join('; ')}`);
        const health = await getJson<Record<string, { status?: string }>>(`${p.airflowUi}/api/v2/monitor/health`);
        expect(health.scheduler?.status === 'healthy', `scheduler health after the evictions: ${JSON.stringify(health)}`);
        checks.info(`evicted ${components.map(([c]) => pods[c][0]).join(', ')} (201); refused ${components.map(([c]) => pods[c][1]).join(', ')} (429); ${seen.requests} health requests, none failed`);
      }, [applied]),
      (async () => {
        await checks.run(`a real ingress controller (${TEST_IMAGES.ingressController}, namespace ${CONTROLLER_NAMESPACE}) routes each UI's Ingress to its pods through the NetworkPolicies: the history server over HTTPS with its TLS Secret's certificate (class ${INGRESS_CLASS}), Airflow and the Spark master over HTTP (the default class); an unknown host is not routed`, async () => {
          const ing = await run('kubectl', ['-n', p.jobsNamespace, 'get', 'ingress', 'spark-history-ui', '-o', 'jsonpath={.spec.ingressClassName} {.spec.rules[0].host} {.spec.rules[0].http.paths[0].backend.service.name}:{.spec.rules[0].http.paths[0].backend.service.port.number} {.spec.tls[0].secretName}'], MINUTE);
          expect(ing.stdout === `${INGRESS_CLASS} ${HOSTS.history} spark-history-ui:18080 spark-history-tls`, `Ingress spark-history-ui: ${ing.stdout}${ing.stderr}`);
          const svc = await cluster.core.readNamespacedService({ namespace: p.jobsNamespace, name: 'spark-history-ui' });
          expect(svc.spec?.type === 'ClusterIP', `spark-history-ui is ${svc.spec?.type}, expected ClusterIP behind the Ingress`);
          const controller = await podIp(cluster, CONTROLLER_NAMESPACE, { 'app.kubernetes.io/name': 'traefik' });
          // the controller picks an Ingress up within seconds of seeing it; then every UI answers through it
          const apps = await waitFor(`https://${HOSTS.history}/api/v1/applications through the controller`, 2 * MINUTE, async (state) => {
            const r = await viaIngress(controller.ip, HOSTS.history, '/api/v1/applications', { ca: historyCa });
            state.last = `HTTP ${r.status} (certificate ${r.certificateSubject}): ${r.body.slice(0, 200)}`;
            expect(r.certificateSubject === HOSTS.history, `the controller served a certificate for ${r.certificateSubject}, not the Secret's (${HOSTS.history})`);
            return r.status === 200 ? JSON.parse(r.body) as HistoryApp[] : undefined;
          });
          expect(apps.length > 0, `the history server behind the Ingress lists no application: ${JSON.stringify(apps)}`);
          const airflowHealth = await waitFor(`http://${HOSTS.airflow}/api/v2/monitor/health through the controller`, MINUTE, async (state) => {
            const r = await viaIngress(controller.ip, HOSTS.airflow, '/api/v2/monitor/health');
            state.last = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
            return r.status === 200 ? JSON.parse(r.body) as Record<string, { status?: string }> : undefined;
          });
          expect(airflowHealth.metadatabase?.status === 'healthy', `Airflow through the Ingress: ${JSON.stringify(airflowHealth)}`);
          const master = await waitFor(`http://${HOSTS.spark}/ through the controller`, MINUTE, async (state) => {
            const r = await viaIngress(controller.ip, HOSTS.spark, '/');
            state.last = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
            return r.status === 200 ? r.body : undefined;
          });
          expect(master.includes('Spark Master at spark://'), `the Spark master UI through the Ingress: ${master.slice(0, 300)}`);
          const unknown = await viaIngress(controller.ip, 'nothing-here.sak.test', '/');
          expect(unknown.status === 404, `a host no Ingress names: HTTP ${unknown.status}, expected the controller's 404`);
          checks.info(`through ${TEST_IMAGES.ingressController} at ${controller.ip}: ${apps.length} apps in the history server (HTTPS, certificate CN=${HOSTS.history}), Airflow healthy, the Spark master UI; an unknown host 404`);
        }, [applied]);

        await checks.run(`the history server behind its Ingress answers the controller's namespace (${CONTROLLER_NAMESPACE}) and no other`, async () => {
          const server = await podIp(cluster, p.jobsNamespace, { 'app.kubernetes.io/component': 'history-server' });
          const url = `http://${server.ip}:18080/api/v1/version`;
          await ensureNamespace(cluster, 'sak-not-a-scraper');
          const other = await scrape(cluster, 'sak-not-a-scraper', 'probe-not-the-controller', p.jobImage, [url], 5);
          expect(other.get(url)?.error && other.get(url)?.status === undefined, `from another namespace the history server answered: ${JSON.stringify(other.get(url))}`);
        }, [applied]);

        await checks.run('the ServiceMonitor and PodMonitors are served by the API server (strict field validation of the CRDs)', async () => {
          const r = await run('kubectl', ['get', 'servicemonitors,podmonitors', '-A', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}{"\\n"}{end}'], MINUTE);
          const got = r.stdout.trim().split('\n').sort();
          expect(got.length === 5, `monitors on the node: ${got.join(', ')}`);
          const bad = await run('kubectl', ['apply', '--server-side', '--dry-run=server', '-f', '-'], MINUTE,
            JSON.stringify({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'probe-bad', namespace: p.namespace }, spec: { selector: {}, podMetricsEndpoints: [{ port: 'http', pathh: '/x' }] } }));
          expect(bad.code !== 0 && /pathh/.test(bad.stderr), `a PodMonitor with an unknown field was not refused: ${bad.stdout}${bad.stderr}`);
        }, [applied]);
      })(),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (store) {
      await checks.run(`the object store is uninstalled (namespace ${STORE.namespace})`, async () => {
        await store?.uninstall();
        await cluster.core.deleteNamespace({ name: STORE.namespace }).catch((err: unknown) => { if (apiStatus(err) !== 404) throw err; });
      });
    }
    if (controllerInstalled) {
      await checks.run('the ingress controller is uninstalled (its namespace, class and cluster role)', async () => {
        await controllerInstalled?.catch(() => undefined);
        await uninstallIngressController(CONTROLLER_NAMESPACE, TEST_IMAGES.ingressController);
        await cluster.core.deleteNamespace({ name: CONTROLLER_NAMESPACE }).catch((err: unknown) => { if (apiStatus(err) !== 404) throw err; });
      });
    }
  }
}

/** The admin password as the README says to read it: `kubectl get secret airflow-secrets -o jsonpath='{.data.admin-password}' | base64 -d`. */
async function readAdminPassword(p: Platform): Promise<string> {
  const r = await run('kubectl', ['-n', p.namespace, 'get', 'secret', 'airflow-secrets', '-o', 'jsonpath={.data.admin-password}'], MINUTE);
  expect(r.code === 0 && r.stdout.trim() !== '', `kubectl get secret airflow-secrets exited ${r.code}: ${r.stderr}`);
  const password = Buffer.from(r.stdout.trim(), 'base64').toString('utf8');
  expect(password.length >= 12, 'the admin password in airflow-secrets is shorter than 12 characters');
  return password;
}

/** POST /auth/token with a wrong password is refused (401), the control of every login check. */
async function expectLoginRefused(p: Platform, username: string, password: string): Promise<void> {
  const res = await fetch(`${p.airflowUi}/auth/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }), signal: AbortSignal.timeout(30_000),
  });
  expect(res.status === 401 || res.status === 403, `a wrong password got HTTP ${res.status}, expected 401`);
}

/** Neither the password nor SimpleAuthManager's "Password for user" line is in the api-server's log (any container). */
async function expectPasswordNotLogged(p: Platform, password: string): Promise<void> {
  const r = await run('kubectl', ['-n', p.namespace, 'logs', 'deploy/airflow-api-server', '--all-containers', '--prefix'], MINUTE);
  expect(r.code === 0, `kubectl logs exited ${r.code}: ${r.stderr}`);
  expect(!r.stdout.includes(password), 'the admin password is in the api-server log');
  expect(!/Password for user/.test(r.stdout), 'the api-server log has a "Password for user" line (a generated password)');
}

async function failurePaths(
  checks: Checks, cluster: Cluster, p: Platform, airflow: () => AirflowClient, recorder: PodRecorder, ok: K8sRun,
): Promise<void> {
  const dag = 'spark_on_kubernetes';
  const needs = [`${dag} succeeds when triggered through the REST API`];
  const failedRun = async (label: string, conf: Record<string, unknown>): Promise<{ id: string; monitorLog: string }> => {
    const id = runId(label);
    await airflow().trigger(dag, id, conf);
    const r = await airflow().waitForRun(dag, id, 15 * MINUTE);
    expect(r.state === 'failed', `run ${id} with ${JSON.stringify(conf)} ended ${r.state}, expected failed`);
    const monitor = await airflow().taskInstance(dag, id, 'monitor');
    expect(monitor.state === 'failed', `monitor ended ${monitor.state}:\n${await tasksSummary(airflow(), dag, id)}`);
    const submit = await airflow().taskInstance(dag, id, 'submit');
    expect(submit.state === 'success', `submit ended ${submit.state}`);
    return { id, monitorLog: await airflow().taskLog(dag, id, 'monitor', monitor.try_number) };
  };

  // Two runs at a time: the adopting run waits most of its time (the retry delay, the grace for an
  // interrupted submit), so the raising run's app fills that; all three at once took longer than one
  // after the other (executors Pending on two cores' requests). Every pod is told apart by its run
  // id (KubernetesPodOperator's `run_id` label on task pods, the CLI's `spark-airflow-k8s/run-id` on
  // drivers).
  const oom = () => checks.run(`${dag}: a driver over its memory limit is reported OOMKilled`, async () => {
    const { monitorLog } = await failedRun('oom', { mode: 'oom-driver' });
    expect(monitorLog.includes('OOMKilled'), 'the monitor task log does not say OOMKilled');
  }, needs);
  await Promise.all([
    checks.run(`${dag}: an app that raises fails the monitor task, with the reason in its log`, async () => {
      const { monitorLog } = await failedRun('raise', { mode: 'raise' });
      expect(monitorLog.includes('failing on purpose (--mode raise)'), 'the app\'s exception is not in the monitor task log');
      expect(/driver pod .* (Failed|failed)/i.test(monitorLog), 'the monitor task log does not say the driver failed');
    }, needs),

    checks.run(`${dag}: deleting the submit pod after the driver exists makes the retry adopt that driver, or replace it if it could never start (one driver pod)`, async () => {
      const id = runId('adopt');
      const ofRun = { 'spark-role': 'driver', 'spark-airflow-k8s/run-id': id };
      await airflow().trigger(dag, id);
      // The first try's driver: the one labelled with this run.
      const driver = await waitFor(`the driver pod of run ${id}`, 10 * MINUTE, async () => recorder.pods(ofRun)[0], 200);
      const submitPods = recorder.pods({ 'app.kubernetes.io/component': 'submit', run_id: id }).filter((s) => !s.deleted && !s.phases.has('Succeeded'));
      expect(submitPods.length === 1, `expected one running submit pod of run ${id}, saw ${describe(submitPods)}`);
      await cluster.core.deleteNamespacedPod({ namespace: p.jobsNamespace, name: submitPods[0].name, gracePeriodSeconds: 0 });
      const r = await airflow().waitForRun(dag, id, 20 * MINUTE);
      expect(r.state === 'success', `run ${id} ended ${r.state}:\n${await tasksSummary(airflow(), dag, id)}`);
      const submit = await airflow().taskInstance(dag, id, 'submit');
      expect(submit.try_number >= 2, `submit succeeded on try ${submit.try_number}: the deletion did not make it retry`);
      const xcom = await airflow().returnValue(dag, id, 'submit') as Record<string, unknown>;
      expect(xcom.driverPod === driver.name, `the retry's XCom names ${String(xcom.driverPod)}, the first try created ${driver.name}`);
      const drivers = recorder.pods(ofRun);
      expect(drivers.length === 1, `driver pods created for the run: ${describe(drivers)}`);
      const log = await airflow().taskLog(dag, id, 'submit', submit.try_number);
      // The deletion lands at a random moment of spark-submit: after it created the driver's
      // ConfigMaps the retry adopts the driver; between the pod and its ConfigMaps the pod can never
      // start, and the retry replaces it (same name), once the grace period has shown it.
      const adopted = /adopted driver pod/.test(log);
      const replaced = /never got its ConfigMaps \(that submit was interrupted\)/.test(log);
      expect(adopted || replaced, 'the retry\'s log says neither that it adopted the driver nor that it replaced a never-started one');
      checks.info(`the retry ${adopted ? 'adopted the driver' : 'replaced a driver whose ConfigMaps spark-submit never created'}`);
    }, needs),
  ]);
  await oom();
  void ok;
}

async function masterRefusesAClientWithoutTheSecret(checks: Checks, cluster: Cluster, p: Platform, ready: string): Promise<void> {
  await checks.run('the Spark master refuses a client without the shared secret', async () => {
    const script = [
      'exec /opt/spark/bin/spark-submit',
      `--master spark://spark-master.${p.namespace}.svc:7077 --deploy-mode client --driver-memory 256m`,
      '--conf spark.driver.host=$(hostname -i) --conf spark.driver.bindAddress=0.0.0.0',
      '--conf spark.driver.port=7078 --conf spark.driver.blockManager.port=7079 --conf spark.ui.enabled=false',
      '/opt/spark-job/apps/pi.py --partitions 1 --samples-per-partition 10',
    ].join(' ');
    const r = await runPod(cluster, {
      namespace: p.jobsNamespace, name: 'probe-spark-no-secret', image: p.jobImage, tmp: true, memory: '1Gi',
      labels: { 'app.kubernetes.io/name': 'spark-job', 'spark-airflow-k8s/target': 'standalone' },
      command: ['bash', '-c', script], timeoutMs: 4 * MINUTE,
    });
    expect(r.exitCode !== undefined && r.exitCode !== 0, `spark-submit without the secret exited ${r.exitCode}:\n${r.log.split('\n').slice(-15).join('\n')}`);
    expect(!/Pi is roughly/.test(r.log), 'the app ran without the secret');
    const reason = /All masters are unresponsive|Expected SaslMessage|[Aa]uthenticat/.exec(r.log)?.[0];
    expect(reason, `no sign of a refused registration in the client log:\n${r.log.split('\n').slice(-15).join('\n')}`);
  }, [ready]);
}

/**
 * A pod that tries one TCP connection to `host:port` and exits 0 (connected), 10 (timed out: a
 * NetworkPolicy dropped it) or 11 (refused, or another error). It waits `waitSeconds` first:
 * kube-network-policies learns a pod's IP from the pod's status in the API (containerd 1.6 has no
 * NRI to tell it earlier), and a connection in a new pod's first seconds gets through (measured: at
 * 0 s connected, at 8 s timed out). A real workload's start-up gives it that moment.
 */
async function connectProbe(cluster: Cluster, image: string, o: { name: string; namespace: string; labels?: Record<string, string>; host: string; port: number; waitSeconds: number }): Promise<{ exitCode?: number; log: string }> {
  const script = [
    'import socket, sys, time',
    `time.sleep(${o.waitSeconds})`,
    `host, port = ${JSON.stringify(o.host)}, ${o.port}`,
    'try:',
    '    socket.create_connection((host, port), timeout=5).close(); print("connected"); sys.exit(0)',
    'except socket.timeout:',
    '    print("timed out"); sys.exit(10)',
    'except OSError as e:',
    '    print(f"error: {e}"); sys.exit(11)',
  ].join('\n');
  return runPod(cluster, { namespace: o.namespace, name: o.name, image, labels: o.labels, command: ['python3', '-c', script], timeoutMs: 2 * MINUTE });
}

async function networkPolicies(checks: Checks, cluster: Cluster, p: Platform, ready: string): Promise<void> {
  const ns = p.namespace;
  // Allowed flows, from the real pods (kubectl exec, as an operator would check them).
  const execConnect = async (target: string, host: string, port: number): Promise<void> => {
    const r = await run('kubectl', ['-n', ns, 'exec', target, '--', 'bash', '-c', `timeout 5 bash -c '</dev/tcp/${host}/${port}' && echo connected`], MINUTE);
    expect(r.code === 0 && r.stdout.includes('connected'), `${target} -> ${host}:${port} did not connect (exit ${r.code}): ${r.stderr.trim()}`);
  };
  for (const [from, host, port, what] of [
    ['ds/spark-worker', 'spark-master', 7077, 'worker to master'],
    ['sts/airflow-scheduler', 'airflow-postgresql', 5432, 'Airflow to PostgreSQL'],
    ['sts/airflow-scheduler', 'airflow-api-server', 8080, 'Airflow to the api-server'],
  ] as const) {
    await checks.run(`NetworkPolicy allows ${what} (${from} -> ${host}:${port})`, () => execConnect(from, host, port), [ready]);
  }

  // Denied flows, from pods that carry the labels of the pods that run user code.
  const probe = async (name: string, namespace: string, labels: Record<string, string>, host: string, port: number): Promise<number | undefined> =>
    (await connectProbe(cluster, p.jobImage, { name, namespace, labels, host, port, waitSeconds: 5 })).exitCode;
  const svc = (name: string): string => `${name}.${ns}.svc`;
  const api = '10.96.0.1';
  const jobs = p.jobsNamespace;
  // The labels of the scheduler, which may reach PostgreSQL: a pod of the jobs namespace that
  // copies them must not (the policies name the namespace, not only labels).
  const schedulerLabels = (one(p.objects, 'StatefulSet', 'airflow-scheduler').spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
  const denied: [string, string, Record<string, string>, string, number][] = [
    ['a driver pod to PostgreSQL 5432', jobs, { 'spark-role': 'driver' }, svc('airflow-postgresql'), 5432],
    ['an executor pod to PostgreSQL 5432', jobs, { 'spark-role': 'executor' }, svc('airflow-postgresql'), 5432],
    ['a task pod to PostgreSQL 5432', jobs, { 'app.kubernetes.io/name': 'spark-job', 'spark-airflow-k8s/target': 'k8s' }, svc('airflow-postgresql'), 5432],
    ['a jobs pod with the scheduler\'s labels to PostgreSQL 5432', jobs, schedulerLabels, svc('airflow-postgresql'), 5432],
    ['a jobs pod with the scheduler\'s labels to the api-server 8080', jobs, schedulerLabels, svc('airflow-api-server'), 8080],
    ['an executor pod to the Kubernetes API', jobs, { 'spark-role': 'executor' }, api, 443],
    ['a pod in another namespace to the master 7077', 'sak-outsider', {}, svc('spark-master'), 7077],
  ];
  await checks.run('NetworkPolicy probes work: a driver pod reaches the Kubernetes API (control)', async () => {
    await cluster.core.createNamespace({ body: { metadata: { name: 'sak-outsider', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } }).catch((err: unknown) => {
      if (apiStatus(err) !== 409) throw err;
    });
    const code = await probe('probe-control', jobs, { 'spark-role': 'driver' }, api, 443);
    expect(code === 0, `the control probe exited ${code}: probes cannot connect at all, so a timeout below would prove nothing`);
  }, [ready]);
  // The probes are independent pods: start them all, then report each.
  const control = 'NetworkPolicy probes work: a driver pod reaches the Kubernetes API (control)';
  const controlOk = checks.results.some((r) => r.name === control && r.ok);
  // Pod names: a readable prefix and the probe's index (two probes may share the prefix).
  const running = denied.map(([what, namespace, labels, host, port], i) => (controlOk
    ? probe(`probe-${i}-${what.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 40).replace(/-+$/, '')}`, namespace, labels, host, port).then((code) => ({ code }), (error: unknown) => ({ error }))
    : Promise.resolve({ error: new CheckFailure('not run') })));
  for (const [i, [what]] of denied.entries()) {
    await checks.run(`NetworkPolicy denies ${what} (times out)`, async () => {
      const r = await running[i];
      if ('error' in r) throw r.error;
      expect(r.code === 10, `exit ${r.code}: ${r.code === 0 ? 'it connected' : 'not a timeout'}`);
    }, [control]);
  }
  await checks.run('pod traffic never leaves the machine: a pod without NetworkPolicies cannot reach what the host reaches', async () => {
    // The host's own DNS resolver answers the host on TCP 53 (the control); the node forwards
    // nothing off its bridge, so the same connection from a pod times out.
    const resolver = /^nameserver\s+(\d+\.\d+\.\d+\.\d+)/m.exec(readFileSync('/etc/resolv.conf', 'utf8'))?.[1];
    expect(resolver && !resolver.startsWith('127.'), 'the host has no non-loopback IPv4 resolver to test against');
    await new Promise<void>((resolve, reject) => {
      const socket = tcpConnect({ host: resolver, port: 53, timeout: 5000 }, () => { socket.destroy(); resolve(); });
      socket.on('timeout', () => { socket.destroy(); reject(new CheckFailure(`the host itself cannot reach ${resolver}:53: nothing to compare with`)); });
      socket.on('error', (err) => reject(new CheckFailure(`the host itself cannot reach ${resolver}:53: ${err.message}`)));
    });
    const code = await probe('probe-outside', 'sak-outsider', {}, resolver, 53);
    expect(code === 10, `a pod reached ${resolver}:53 outside the node (exit ${code})`);
  }, ['NetworkPolicy probes work: a driver pod reaches the Kubernetes API (control)']);
  await cluster.core.deleteNamespace({ name: 'sak-outsider' }).catch(() => undefined);

}

/**
 * The pods Airflow created carry a token only where the API is called: the submit and monitor
 * containers of the k8s DAG (projected into that container alone), never the XCom sidecar or a
 * standalone task pod, which runs the driver of the application.
 */
async function tokensWhereUsed(checks: Checks, recorder: PodRecorder, k8s: K8sRun): Promise<void> {
  await checks.run('task pods hold a token only in the container that calls the API (not the XCom sidecar, not standalone pods)', async () => {
    const tokenMounts = (pod: SeenPod) => (pod.last.spec?.containers ?? []).map((c) => `${c.name}:${(c.volumeMounts ?? []).some((m) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount') ? 'token' : 'none'}`).join(',');
    const byTarget = (target: string, component: string) => recorder.pods({ 'app.kubernetes.io/name': 'spark-job', 'spark-airflow-k8s/target': target, 'app.kubernetes.io/component': component });
    const k8sSubmit = byTarget('k8s', 'submit');
    const monitor = byTarget('k8s', 'monitor');
    const standalone = byTarget('standalone', 'submit');
    expect(k8sSubmit.length > 0 && monitor.length > 0 && standalone.length > 0, `task pods seen: submit ${describe(k8sSubmit)}; monitor ${describe(monitor)}; standalone ${describe(standalone)}`);
    for (const pod of [...k8sSubmit, ...monitor, ...standalone]) expect(pod.last.spec?.automountServiceAccountToken === false, `${pod.name} automounts a token`);
    for (const pod of k8sSubmit) expect(tokenMounts(pod) === 'base:token,airflow-xcom-sidecar:none', `${pod.name}: ${tokenMounts(pod)}`);
    for (const pod of monitor) expect(tokenMounts(pod) === 'base:token', `${pod.name}: ${tokenMounts(pod)}`);
    for (const pod of standalone) expect(!/token/.test(tokenMounts(pod)) && !pod.last.spec?.serviceAccountName?.includes('submitter'), `${pod.name}: ${tokenMounts(pod)}, sa ${pod.last.spec?.serviceAccountName}`);
    void k8s;
  }, [`spark_on_kubernetes: the submit task's XCom is return.json of the job CLI`]);
}

/**
 * The namespace split, proven from inside: a pod of the jobs namespace running as the driver's
 * ServiceAccount (what application code holds) calls the API with its own token. It may list
 * pods in the jobs namespace (the control), and is refused every path into the platform.
 */
async function noWayIntoThePlatform(checks: Checks, cluster: Cluster, p: Platform, ready: string): Promise<void> {
  const driverSa = envValue(containers(one(p.objects, 'StatefulSet', 'airflow-scheduler'))[0], 'SPARK_DRIVER_SERVICE_ACCOUNT') ?? 'spark-driver';
  const ns = p.namespace;
  const calls: [string, string, string, unknown?][] = [
    ['control', 'GET', `/api/v1/namespaces/${p.jobsNamespace}/pods`],
    ['read a platform Secret', 'GET', `/api/v1/namespaces/${ns}/secrets/airflow-secrets`],
    ['list the platform Secrets', 'GET', `/api/v1/namespaces/${ns}/secrets`],
    ['create a pod in the platform namespace', 'POST', `/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'intruder' }, spec: { containers: [{ name: 'c', image: p.jobImage }] } }],
    ['patch the DAG ConfigMap', 'PATCH', `/api/v1/namespaces/${ns}/configmaps/airflow-dags`, { data: { 'intruder.py': 'x = 1' } }],
    ['patch the api-server Service', 'PATCH', `/api/v1/namespaces/${ns}/services/airflow-api-server`, { spec: { selector: { intruder: 'yes' } } }],
    ['exec into the scheduler', 'POST', `/api/v1/namespaces/${ns}/pods/airflow-scheduler-0/exec?command=true&stdout=true`],
    ['read the copy of the Spark secret in its own namespace', 'GET', `/api/v1/namespaces/${p.jobsNamespace}/secrets/spark-auth`],
  ];
  const script = [
    'import json, ssl, sys, urllib.request',
    'sa = "/var/run/secrets/kubernetes.io/serviceaccount"',
    'token = open(f"{sa}/token").read().strip()',
    'ctx = ssl.create_default_context(cafile=f"{sa}/ca.crt")',
    `calls = json.loads(${JSON.stringify(JSON.stringify(calls))})`,
    'out = {}',
    'for what, method, path, *body in calls:',
    '    data = json.dumps(body[0]).encode() if body else None',
    '    ctype = "application/merge-patch+json" if method == "PATCH" else "application/json"',
    '    req = urllib.request.Request("https://kubernetes.default.svc" + path, data=data, method=method, headers={"Authorization": "Bearer " + token, "Content-Type": ctype})',
    '    try:',
    '        with urllib.request.urlopen(req, context=ctx, timeout=10) as r: out[what] = r.status',
    '    except urllib.error.HTTPError as e: out[what] = e.code',
    'print("STATUS " + json.dumps(out))',
  ].join('\n');
  await checks.run(`a pod running as ${p.jobsNamespace}/${driverSa} (application code) is refused every path into ${ns} (403), and reads nothing Secret`, async () => {
    const r = await runPod(cluster, {
      namespace: p.jobsNamespace, name: 'probe-driver-token', image: p.jobImage, serviceAccountName: driverSa, automountToken: true,
      labels: { 'spark-role': 'driver' }, command: ['python3', '-c', script], timeoutMs: 2 * MINUTE,
    });
    const line = /^STATUS (.*)$/m.exec(r.log)?.[1];
    expect(line, `no result (exit ${r.exitCode}):\n${r.log.slice(-1500)}`);
    const status = JSON.parse(line) as Record<string, number>;
    expect(status.control === 200, `the control call (list pods in ${p.jobsNamespace}) got ${status.control}: the token does not work, so a 403 below would prove nothing`);
    const allowed = Object.entries(status).filter(([what, code]) => what !== 'control' && code !== 403);
    expect(allowed.length === 0, `not refused: ${allowed.map(([what, code]) => `${what} -> ${code}`).join(', ')}`);
  }, [ready]);
}

async function tasksSummary(airflow: AirflowClient, dag: string, id: string): Promise<string> {
  const tis = await airflow.taskInstances(dag, id).catch(() => []);
  const parts: string[] = [];
  for (const ti of tis) {
    parts.push(`${ti.task_id}: ${ti.state} (try ${ti.try_number})`);
    if (ti.state !== 'success' && ti.try_number > 0) {
      const log = await airflow.taskLog(dag, id, ti.task_id, ti.try_number).catch((e: unknown) => `(no log: ${(e as Error).message})`);
      parts.push(log.split('\n').slice(-25).map((l) => `  | ${l}`).join('\n'));
    }
  }
  return parts.join('\n');
}

function describe(pods: readonly SeenPod[]): string {
  return pods.length === 0 ? 'none' : pods.map((s) => `${s.name} [${[...s.phases].join(',')}]${s.deleted ? ' deleted' : ''}`).join('; ');
}

if (require.main === module) {
  main().then((code) => process.exit(code), (err: unknown) => {
    process.stdout.write(`FAIL scenario aborted: ${(err as Error).stack ?? String(err)}\n0 passed, 1 failed\n`);
    process.exit(1);
  });
}

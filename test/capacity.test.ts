/**
 * dev fits a 2-CPU / 8 GiB node (minikube's default CPU count), next to a minikube control plane:
 * computed from dist/dev as synthesized (`npm test` synthesizes first) and from the DAG helper's
 * task pod sizes, the way the scheduler adds requests up.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { parseCpuMillis, parseMemoryBytes } from '../lib';
import { K8sObject, podSpec } from './support/synth';

const ROOT = path.resolve(__dirname, '..');
const MIB = 2 ** 20;

/** A 2-CPU / 8 GiB node: its allocatable (no kube/system reservations, as minikube and kind). */
const NODE = { cpuMillis: 2000, memoryMiB: 8192 };
/**
 * What a single-node minikube runs next to our pods, by its requests: kube-apiserver 250m,
 * kube-controller-manager 200m, kube-scheduler 100m, etcd 100m/100Mi, CoreDNS 100m/70Mi.
 */
const SYSTEM = { cpuMillis: 750, memoryMiB: 170 };

interface Request { cpuMillis: number; memoryMiB: number }
const add = (...rs: Request[]): Request => rs.reduce((a, b) => ({ cpuMillis: a.cpuMillis + b.cpuMillis, memoryMiB: a.memoryMiB + b.memoryMiB }), { cpuMillis: 0, memoryMiB: 0 });
const max = (a: Request, b: Request): Request => ({ cpuMillis: Math.max(a.cpuMillis, b.cpuMillis), memoryMiB: Math.max(a.memoryMiB, b.memoryMiB) });
const times = (r: Request, n: number): Request => ({ cpuMillis: r.cpuMillis * n, memoryMiB: r.memoryMiB * n });

function quantity(cpu: string | undefined, memory: string | undefined): Request {
  return { cpuMillis: cpu ? parseCpuMillis(cpu) ?? NaN : 0, memoryMiB: memory ? (parseMemoryBytes(memory) ?? NaN) / MIB : 0 };
}

/** A container's requests. */
function containerRequest(c: { resources?: { requests?: Record<string, string> } }): Request {
  return quantity(c.resources?.requests?.cpu, c.resources?.requests?.memory);
}

/** A pod's effective request: the larger of its biggest init container and the sum of its containers. */
function podRequest(spec: { containers: object[]; initContainers?: object[] }): Request {
  const init = (spec.initContainers ?? []).map(containerRequest).reduce(max, { cpuMillis: 0, memoryMiB: 0 });
  return max(init, add(...spec.containers.map(containerRequest)));
}

function loadDist(env: string): K8sObject[] {
  const dir = path.join(ROOT, 'dist', env);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject));
}

/** `NAME = resources("cpu req", "mem req", ...)` of dags/spark_tasks.py. */
function dagResources(name: string): Request {
  const text = fs.readFileSync(path.join(ROOT, 'dags', 'spark_tasks.py'), 'utf8');
  const m = new RegExp(`^${name} = resources\\("([^"]+)", "([^"]+)"`, 'm').exec(text);
  if (!m) throw new Error(`dags/spark_tasks.py has no ${name} = resources("cpu", "memory", ...)`);
  return quantity(m[1], m[2]);
}

/** Driver or executor pod requests from the applications' spark-defaults.conf, as Spark computes them. */
function sparkPod(conf: Record<string, string>, role: 'driver' | 'executor'): Request {
  const mib = (v: string | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const m = /^(\d+)([mg])$/.exec(v);
    if (!m) throw new Error(`unexpected Spark memory size ${v}`);
    return Number(m[1]) * (m[2] === 'g' ? 1024 : 1);
  };
  const heap = mib(conf[`spark.${role}.memory`], 1024);
  const overhead = mib(conf[`spark.${role}.memoryOverhead`], Math.max(384, Math.ceil(heap * 0.1)));
  const cpu = conf[`spark.kubernetes.${role}.request.cores`] ?? conf[`spark.${role}.cores`] ?? '1';
  return { cpuMillis: parseCpuMillis(cpu) ?? NaN, memoryMiB: heap + overhead };
}

describe('dev fits a 2-CPU / 8 GiB node', () => {
  const dev = loadDist('dev');
  const workloads = dev.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind));
  const platform = add(...workloads.map((w) => times(podRequest(podSpec(w)), w.kind === 'DaemonSet' ? 1 : w.spec.replicas ?? 1)));
  const templates = dev.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'spark-pod-templates');
  const conf = Object.fromEntries((templates?.data?.['spark-defaults.conf'] as string ?? '').split('\n').filter(Boolean).map((l) => {
    const i = l.indexOf(' ');
    return [l.slice(0, i), l.slice(i + 1)];
  }));
  const budget = { cpuMillis: NODE.cpuMillis - SYSTEM.cpuMillis, memoryMiB: NODE.memoryMiB - SYSTEM.memoryMiB };

  test('every long-running container has requests', () => {
    for (const w of workloads) {
      for (const c of podSpec(w).containers) expect([w.metadata.name, c.resources?.requests?.cpu !== undefined, c.resources?.requests?.memory !== undefined]).toEqual([w.metadata.name, true, true]);
    }
  });

  test('the platform alone fits with room for an app', () => {
    expect(platform.cpuMillis).toBeLessThanOrEqual(budget.cpuMillis - 300);
    expect(platform.memoryMiB).toBeLessThanOrEqual(budget.memoryMiB - 2048);
  });

  test('the platform plus a running Spark app on Kubernetes (task pod, driver, executors) fits', () => {
    const instances = Number(conf['spark.executor.instances'] ?? '2');
    expect(instances).toBeGreaterThanOrEqual(1);
    const app = add(sparkPod(conf, 'driver'), times(sparkPod(conf, 'executor'), instances));
    // The submit pod ends once spark-submit has created the driver pod, before the driver asks
    // for executors; the monitor pod runs while the app runs. The larger of the two phases:
    const submitting = add(platform, dagResources('SUBMIT_RESOURCES'), dagResources('XCOM_SIDECAR_RESOURCES'), sparkPod(conf, 'driver'));
    const running = add(platform, dagResources('MONITOR_RESOURCES'), app);
    const peak = max(submitting, running);
    const report = `platform ${platform.cpuMillis}m/${platform.memoryMiB}Mi + app ${app.cpuMillis}m/${app.memoryMiB}Mi (${instances} executors) + task pod; budget ${budget.cpuMillis}m/${budget.memoryMiB}Mi`;
    expect({ fits: peak.cpuMillis <= budget.cpuMillis && peak.memoryMiB <= budget.memoryMiB, report }).toEqual({ fits: true, report });
  });

  test('the platform plus a running standalone app (its task pod hosts the driver) fits', () => {
    const task = add(dagResources('STANDALONE_RESOURCES'), dagResources('XCOM_SIDECAR_RESOURCES'));
    const peak = add(platform, task);
    expect(peak.cpuMillis).toBeLessThanOrEqual(budget.cpuMillis);
    expect(peak.memoryMiB).toBeLessThanOrEqual(budget.memoryMiB);
  });
});

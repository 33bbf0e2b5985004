import { Testing } from 'cdk8s';
import { PlatformConfig, SparkAirflowPlatform } from '../../lib';

/** A synthesized Kubernetes object, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

/** Synthesizes one environment's chart into plain objects. */
export function synthPlatform(config: PlatformConfig): K8sObject[] {
  const chart = new SparkAirflowPlatform(Testing.app(), 'spark-airflow', { config });
  return chart.toJson() as K8sObject[];
}

/** The object of a kind and name; fails the test when missing. */
export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in [${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}]`);
  return found;
}

/**
 * `Kind/name` of every object, in order. Job names end in a hash of their pod template
 * (lib/jobs.ts), shown as `<hash>`: the inventory is about which objects exist.
 */
export function inventory(objects: K8sObject[]): string[] {
  return objects.map((o) => {
    const name = `${o.kind}/${o.kind === 'Job' ? o.metadata.name.replace(/-[0-9a-f]{8}$/, '-<hash>') : o.metadata.name}`;
    // Objects of the jobs namespace (or any other than the platform's) say where they are.
    return o.metadata.namespace === undefined || o.metadata.namespace === 'spark-clu' ? name : `${name} (${o.metadata.namespace})`;
  });
}

/** The Job whose name is `base` plus the hash of its pod template. */
export function findJob(objects: K8sObject[], base: string): K8sObject {
  const found = objects.find((o) => o.kind === 'Job' && new RegExp(`^${base}-[0-9a-f]{8}$`).test(o.metadata.name));
  if (!found) throw new Error(`no Job ${base}-<hash> in [${inventory(objects).join(', ')}]`);
  return found;
}

/** The pod template spec of a workload, or the spec of a Pod. */
export function podSpec(obj: K8sObject): K8sObject['spec'] {
  return obj.kind === 'Pod' ? obj.spec : obj.spec.template.spec;
}

/** Every workload that creates pods. */
export function workloads(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob', 'Pod'].includes(o.kind));
}

/** The labels a workload's pods carry. */
export function podLabels(obj: K8sObject): Record<string, string> {
  return obj.kind === 'Pod' ? obj.metadata.labels ?? {} : obj.spec.template.metadata?.labels ?? {};
}

/** Value of `--flag` in an argument list. */
export function argAfter(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

/** What the scenario reads from the synthesized manifests (dist/<env>/*.k8s.yaml): never retyped. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
}

export function loadManifests(dir: string): K8sObject[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  if (files.length === 0) throw new Error(`no *.yaml in ${dir}: run npm run synth first`);
  return files.flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject).filter(Boolean));
}

export function find(objects: readonly K8sObject[], kind: string, predicate: (o: K8sObject) => boolean = () => true): K8sObject[] {
  return objects.filter((o) => o.kind === kind && predicate(o));
}

export function one(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the manifests`);
  return found;
}

interface Container { name: string; image: string; args?: string[]; env?: { name: string; value?: string }[] }

/** The containers of a workload's pod template. */
export function containers(workload: K8sObject): Container[] {
  const spec = workload.spec as { template?: { spec?: { containers?: Container[] } } } | undefined;
  return spec?.template?.spec?.containers ?? [];
}

/** The value of an option in a container's args (`--cores 1` -> "1"). */
export function argValue(args: readonly string[] | undefined, option: string): string | undefined {
  const i = (args ?? []).indexOf(option);
  return i >= 0 ? args?.[i + 1] : undefined;
}

/** The literal env value of a container, e.g. the DAG contract's SPARK_JOB_IMAGE. */
export function envValue(container: Container, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

/** The nodePort of a NodePort Service's only port. */
export function nodePort(service: K8sObject): number {
  const spec = service.spec as { type?: string; ports?: { nodePort?: number }[] };
  const port = spec.ports?.[0]?.nodePort;
  if (spec.type !== 'NodePort' || port === undefined) throw new Error(`Service ${service.metadata.name} is not a NodePort Service`);
  return port;
}

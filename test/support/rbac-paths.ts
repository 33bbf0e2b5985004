/**
 * RBAC paths over a set of manifests: what each ServiceAccount can do directly (its grants, per
 * namespace), and what it can reach through them:
 *
 * - `get`/`list`/`watch` on Secrets reads them (by name when the rule names them);
 * - creating pods (or workloads) in a namespace runs code as any ServiceAccount there and mounts
 *   any Secret there;
 * - `create` on `pods/exec` runs code inside the pods of the namespace: their identities and
 *   mounts (pods there are created at run time, as any of its ServiceAccounts: counted like pod
 *   creation);
 * - patching or updating a ConfigMap runs code in every pod that mounts it (DAG files, airflow.cfg,
 *   pod templates): that workload's identity and Secrets;
 * - patching Services redirects the traffic of the namespace (recorded, not followed);
 * - RBAC objects or ServiceAccount tokens: the whole namespace;
 * - creating Secrets mints a token for any ServiceAccount of the namespace (a Secret of type
 *   `kubernetes.io/service-account-token`): counted, conservatively, as those identities.
 *
 * The closure over these edges is each identity's reach.
 */
import { K8sObject, podSpec, workloads } from './synth';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

/** `namespace/name`. */
export type Ref = string;

/** One grant: a verb on a resource in a namespace (optionally limited to names). */
export interface Grant {
  readonly namespace: string;
  readonly resource: string;
  readonly verb: string;
  readonly resourceNames?: readonly string[];
}

/** What an identity can reach, directly or through other identities. */
export interface Reach {
  /** Identities whose rights it gets (itself included). */
  readonly identities: ReadonlySet<Ref>;
  /** Secrets it can read or mount: `ns/name`, or `ns/*` for every Secret of a namespace. */
  readonly secrets: ReadonlySet<Ref>;
  /** Namespaces where it can create pods (directly or through another identity). */
  readonly podNamespaces: ReadonlySet<string>;
  /** Namespaces whose Services it can redirect. */
  readonly serviceNamespaces: ReadonlySet<string>;
  /** ConfigMaps it can change: `ns/name` or `ns/*`. */
  readonly configMaps: ReadonlySet<Ref>;
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch'];
const WORKLOADS = ['pods', 'deployments', 'statefulsets', 'daemonsets', 'replicasets', 'jobs', 'cronjobs'];

/** Every grant of every ServiceAccount (`ns/name`) through RoleBindings. */
export function grantsBySubject(objects: readonly K8sObject[]): Map<Ref, Grant[]> {
  const out = new Map<Ref, Grant[]>();
  for (const binding of objects.filter((o) => o.kind === 'RoleBinding')) {
    const ns = binding.metadata.namespace as string;
    if (binding.roleRef.kind !== 'Role') throw new Error(`RoleBinding ${ns}/${binding.metadata.name} refers to a ${binding.roleRef.kind}`);
    const role = objects.find((o) => o.kind === 'Role' && o.metadata.name === binding.roleRef.name && o.metadata.namespace === ns);
    if (!role) throw new Error(`RoleBinding ${ns}/${binding.metadata.name}: no Role ${ns}/${binding.roleRef.name}`);
    for (const s of binding.subjects) {
      if (s.kind !== 'ServiceAccount') throw new Error(`RoleBinding ${ns}/${binding.metadata.name}: subject ${s.kind}`);
      const key = `${s.namespace}/${s.name}`;
      const list = out.get(key) ?? [];
      for (const rule of role.rules as Rule[]) {
        for (const resource of rule.resources) {
          for (const verb of rule.verbs) list.push({ namespace: ns, resource, verb, ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}) });
        }
      }
      out.set(key, list);
    }
  }
  return out;
}

/** `resource:verb` grants per namespace, sorted: the RBAC matrix of one identity. */
export function matrix(grants: readonly Grant[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const g of grants) {
    const text = `${g.resource}:${g.verb}${g.resourceNames ? `(${g.resourceNames.join(',')})` : ''}`;
    out[g.namespace] = [...new Set([...(out[g.namespace] ?? []), text])].sort();
  }
  return out;
}

/** A pod of the manifests (from a workload) with what it runs as and what it mounts. */
interface PodFacts {
  readonly namespace: string;
  readonly serviceAccount: Ref;
  readonly tokenMounted: boolean;
  readonly secrets: Ref[];
  readonly configMaps: Ref[];
}

function podFacts(objects: readonly K8sObject[]): PodFacts[] {
  return workloads(objects as K8sObject[]).map((w) => {
    const ns = w.metadata.namespace as string;
    const spec = podSpec(w);
    const sa = spec.serviceAccountName ?? 'default';
    const saObject = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === sa && o.metadata.namespace === ns);
    const tokenMounted = spec.automountServiceAccountToken ?? saObject?.automountServiceAccountToken ?? true;
    const secrets = new Set<string>();
    const configMaps = new Set<string>();
    for (const v of spec.volumes ?? []) {
      if (v.secret) secrets.add(`${ns}/${v.secret.secretName}`);
      if (v.configMap) configMaps.add(`${ns}/${v.configMap.name}`);
      for (const source of v.projected?.sources ?? []) {
        if (source.secret) secrets.add(`${ns}/${source.secret.name}`);
        if (source.configMap) configMaps.add(`${ns}/${source.configMap.name}`);
      }
    }
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) secrets.add(`${ns}/${e.valueFrom.secretKeyRef.name}`);
      for (const e of c.envFrom ?? []) {
        if (e.secretRef) secrets.add(`${ns}/${e.secretRef.name}`);
        if (e.configMapRef) configMaps.add(`${ns}/${e.configMapRef.name}`);
      }
    }
    return { namespace: ns, serviceAccount: `${ns}/${sa}`, tokenMounted, secrets: [...secrets].sort(), configMaps: [...configMaps].sort() };
  });
}

function applies(g: Grant, resource: string, verbs: readonly string[]): boolean {
  return g.resource === resource && verbs.includes(g.verb);
}

/** The closure of what `start` (a ServiceAccount, `ns/name`) can reach. */
export function reach(objects: readonly K8sObject[], start: Ref): Reach {
  const grants = grantsBySubject(objects);
  const pods = podFacts(objects);
  const accountsIn = (ns: string) => objects.filter((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === ns).map((o) => `${ns}/${o.metadata.name}`);
  const identities = new Set<Ref>();
  const secrets = new Set<Ref>();
  const podNamespaces = new Set<string>();
  const serviceNamespaces = new Set<string>();
  const configMaps = new Set<Ref>();
  const queue: Ref[] = [start];
  const ownNamespace = (ns: string) => {
    // Running arbitrary pods in `ns`: any of its ServiceAccounts, any of its Secrets.
    podNamespaces.add(ns);
    secrets.add(`${ns}/*`);
    queue.push(...accountsIn(ns));
  };
  while (queue.length > 0) {
    const who = queue.shift() as Ref;
    if (identities.has(who)) continue;
    identities.add(who);
    for (const g of grants.get(who) ?? []) {
      const ns = g.namespace;
      if (applies(g, 'secrets', READ)) for (const name of g.resourceNames ?? ['*']) secrets.add(`${ns}/${name}`);
      if (WORKLOADS.includes(g.resource) && ['create', 'update', 'patch'].includes(g.verb)) ownNamespace(ns);
      if (applies(g, 'pods/exec', ['create'])) ownNamespace(ns);
      if (['roles', 'rolebindings', 'serviceaccounts/token'].includes(g.resource) && ['create', 'update', 'patch', 'bind', 'escalate'].includes(g.verb)) ownNamespace(ns);
      if (applies(g, 'secrets', ['create'])) queue.push(...accountsIn(ns));
      if (applies(g, 'services', WRITE)) serviceNamespaces.add(ns);
      if (applies(g, 'configmaps', ['update', 'patch'])) {
        for (const name of g.resourceNames ?? ['*']) {
          configMaps.add(`${ns}/${name}`);
          for (const pod of pods.filter((p) => p.configMaps.some((cm) => cm === `${ns}/${name}` || (name === '*' && cm.startsWith(`${ns}/`))))) {
            for (const s of pod.secrets) secrets.add(s);
            if (pod.tokenMounted) queue.push(pod.serviceAccount);
          }
        }
      }
    }
  }
  return { identities, secrets, podNamespaces, serviceNamespaces, configMaps };
}

/**
 * The ServiceAccounts whose token is mounted in a pod that runs application code: every
 * ServiceAccount of the jobs namespace (task pods, Spark drivers, KubernetesExecutor workers are
 * all created there at run time, by Airflow or by a driver, as any ServiceAccount of it).
 */
export function userCodeIdentities(objects: readonly K8sObject[], jobsNamespace: string): Ref[] {
  return objects.filter((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === jobsNamespace).map((o) => `${jobsNamespace}/${o.metadata.name}`).sort();
}

/** Everything of `namespace` in a reach (Secrets, identities, pods, Services, ConfigMaps). */
export function reachInto(r: Reach, namespace: string): string[] {
  const inNs = (ref: string) => ref.startsWith(`${namespace}/`);
  return [
    ...[...r.secrets].filter(inNs).map((s) => `secret ${s}`),
    ...[...r.identities].filter(inNs).map((s) => `identity ${s}`),
    ...[...r.configMaps].filter(inNs).map((s) => `configmap ${s}`),
    ...(r.podNamespaces.has(namespace) ? [`pods in ${namespace}`] : []),
    ...(r.serviceNamespaces.has(namespace) ? [`services in ${namespace}`] : []),
  ].sort();
}

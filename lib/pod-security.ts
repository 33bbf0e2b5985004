/**
 * The Pod Security Standard `restricted` profile (Kubernetes 1.28) plus the platform's own rules,
 * checked on synthesized objects. The platform runs this at synth, so a workload added through
 * any API (our constructs, cdk8s-plus, raw objects) that breaks them fails the synth.
 */

/** A loosely typed Kubernetes object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Volume types `restricted` allows. */
const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

/** The pod spec of a workload object, or undefined for other kinds. */
export function podSpecOf(obj: Obj): Obj | undefined {
  const path = POD_SPEC_PATHS[obj.kind];
  if (!path) return undefined;
  return path.reduce<Obj | undefined>((o, key) => o?.[key], obj);
}

/** Options of {@link podSecurityViolations}. */
export interface PodSecurityCheckOptions {
  /** Allow hostPath volumes (a namespace that enforces `privileged`, dev only). @default false */
  readonly allowHostPath?: boolean;
}

/** Every violation of `restricted` and of the platform's rules, as `Kind/name container: problem`. */
export function podSecurityViolations(obj: Obj, options: PodSecurityCheckOptions = {}): string[] {
  const spec = podSpecOf(obj);
  if (!spec) return [];
  const where = `${obj.kind}/${obj.metadata?.name}`;
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[flag]) out.push(`${where}: ${flag} must not be true`);
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((k) => k !== 'name');
    if (type === 'hostPath' && options.allowHostPath) continue;
    if (!type || !RESTRICTED_VOLUMES.includes(type)) out.push(`${where}: volume ${volume.name} of type ${type} is not allowed by Pod Security "restricted"`);
  }
  if (pod.runAsUser === 0) out.push(`${where}: securityContext.runAsUser must not be 0`);
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  for (const c of containers) {
    const at = `${where} container ${c.name}`;
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`${at}: securityContext.privileged must not be true`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: securityContext.allowPrivilegeEscalation must be false`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) out.push(`${at}: securityContext.capabilities.drop must include ALL`);
    const add: string[] = sc.capabilities?.add ?? [];
    for (const cap of add) if (cap !== 'NET_BIND_SERVICE') out.push(`${at}: capability ${cap} must not be added`);
    const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (runAsNonRoot !== true) out.push(`${at}: runAsNonRoot must be true (pod or container)`);
    const user = sc.runAsUser ?? pod.runAsUser;
    if (typeof user !== 'number' || user === 0) out.push(`${at}: runAsUser must be a numeric non-root uid (images that name their user need it for runAsNonRoot)`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${at}: seccompProfile.type must be RuntimeDefault or Localhost`);
    if (sc.readOnlyRootFilesystem !== true) out.push(`${at}: securityContext.readOnlyRootFilesystem must be true (mount an emptyDir where it writes)`);
    for (const kind of ['requests', 'limits']) {
      for (const resource of ['cpu', 'memory']) {
        if (c.resources?.[kind]?.[resource] === undefined) out.push(`${at}: resources.${kind}.${resource} must be set`);
      }
    }
  }
  return out;
}

import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/**
 * The security context every pod of the platform runs with: the Pod Security Standard
 * `restricted` profile (non-root numeric user, no privilege escalation, all capabilities
 * dropped, RuntimeDefault seccomp).
 */
export interface RunAs {
  /** Numeric uid; images that declare a user by name need this for runAsNonRoot. */
  readonly user: number;
  /** Numeric gid. */
  readonly group: number;
  /** Group that owns mounted volumes. */
  readonly fsGroup: number;
}

/** Pod-level security context for cdk8s-plus workloads. */
export function podSecurityContext(runAs: RunAs): kplus.PodSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: runAs.user,
    group: runAs.group,
    fsGroup: runAs.fsGroup,
    fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
  };
}

/** Container-level security context for cdk8s-plus containers. */
export function containerSecurityContext(runAs: RunAs, readOnlyRootFilesystem = true): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: runAs.user,
    group: runAs.group,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}

/**
 * The same pod-level context as raw Kubernetes JSON, for pod manifests the platform hands to
 * other programs (Spark pod templates, the KubernetesExecutor worker template).
 */
export function podSecurityContextJson(runAs: RunAs): Record<string, unknown> {
  return { fsGroup: runAs.fsGroup, runAsGroup: runAs.group, runAsNonRoot: true, runAsUser: runAs.user, seccompProfile: { type: 'RuntimeDefault' } };
}

/** The container-level context of {@link containerSecurityContext} as raw Kubernetes JSON. */
export function containerSecurityContextJson(runAs: RunAs): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsGroup: runAs.group,
    runAsNonRoot: true,
    runAsUser: runAs.user,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * Adds what cdk8s-plus cannot express on a pod template: the pod-level seccomp profile, and no
 * Docker-link environment variables for the namespace's Services (`enableServiceLinks: false`).
 * Those variables collide with the programs' own: a Service named `spark-master` gives every pod
 * `SPARK_MASTER_PORT=tcp://10.x.x.x:7077`, which the Spark master reads as its port and dies on
 * (found on a real node; kwok never starts a container).
 * `templatePath` is the JSON pointer of the pod spec inside the object, e.g. `/spec/template/spec`.
 */
export function hardenPodSpec(obj: ApiObject, templatePath: string): void {
  obj.addJsonPatch(JsonPatch.add(`${templatePath}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
  obj.addJsonPatch(JsonPatch.add(`${templatePath}/enableServiceLinks`, false));
}

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
 * Adds what cdk8s-plus cannot express on a pod template: the pod-level seccomp profile.
 * `templatePath` is the JSON pointer of the pod spec inside the object, e.g. `/spec/template/spec`.
 */
export function hardenPodSpec(obj: ApiObject, templatePath: string): void {
  obj.addJsonPatch(JsonPatch.add(`${templatePath}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
}

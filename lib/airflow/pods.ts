import { ApiObject, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { ConfigMapDagSource, DAGS_MOUNT_PATH, GitSyncDagSource, HostPathDagSource, PvcDagSource } from '../dag-source';
import { objectLabels, selectorLabels } from '../labels';
import { ParsedResources, toKplusResources } from '../resources';
import { containerSecurityContext, hardenPodSpec, RunAs } from '../security';
import { AIRFLOW_UID, AIRFLOW_VERSION, GIT_SYNC_UID, IMAGES } from '../versions';
import type { ResolvedAirflow } from './options';
import type { EnvSpec } from './secrets';

/** Airflow's containers run as the image's airflow user, group 0 (as the official image expects). */
export const AIRFLOW_RUN_AS: RunAs = { user: AIRFLOW_UID, group: 0, fsGroup: 0 };
/** git-sync runs as its image's own user. */
export const GIT_SYNC_RUN_AS: RunAs = { user: GIT_SYNC_UID, group: GIT_SYNC_UID, fsGroup: GIT_SYNC_UID };

/** Where airflow.cfg is mounted. */
export const AIRFLOW_CFG_PATH = '/opt/airflow/airflow.cfg';

/** Labels of one Airflow object (component `component`). */
export function airflowLabels(component: string): Record<string, string> {
  return objectLabels(selectorLabels('airflow', component, 'airflow'), AIRFLOW_VERSION);
}

/** An empty, writable directory of a pod. */
export interface ScratchDir {
  readonly name: string;
  readonly path: string;
}

/** The scratch directories every Airflow process writes to. */
export const BASE_SCRATCH: readonly ScratchDir[] = [{ name: 'tmp', path: '/tmp' }, { name: 'logs', path: '/opt/airflow/logs' }];

/**
 * The plumbing every Airflow pod shares: the container, its mounts (airflow.cfg, scratch space,
 * DAGs, log claims), git-sync, labels and hardening. Objects are created in `scope`, the Airflow
 * construct, and each volume once per pod.
 * @internal
 */
export class AirflowPods {
  /** sha256 of airflow.cfg; on every pod as an annotation, so a config change rolls the pods. */
  public readonly configChecksum: string;
  private readonly secretRefs = new Map<string, kplus.ISecret>();
  private readonly podVolumes = new Map<kplus.AbstractPod, Map<string, kplus.Volume>>();
  private readonly logClaims = new Map<string, kplus.PersistentVolumeClaim>();

  constructor(
    private readonly scope: Construct,
    private readonly config: ResolvedAirflow,
    private readonly configMap: kplus.ConfigMap,
    private readonly dagsConfigMap: kplus.ConfigMap | undefined,
  ) {
    this.configChecksum = createHash('sha256').update(configMap.data['airflow.cfg'] ?? '').digest('hex');
  }

  /** A reference to a Secret by name (one per name). */
  public secretRef(name: string): kplus.ISecret {
    let ref = this.secretRefs.get(name);
    if (!ref) {
      ref = kplus.Secret.fromSecretName(this.scope, `SecretRef-${name}`, name);
      this.secretRefs.set(name, ref);
    }
    return ref;
  }

  /** Environment for cdk8s-plus: literals as values, secrets as references. */
  public env(env: readonly EnvSpec[]): Record<string, kplus.EnvValue> {
    const out: Record<string, kplus.EnvValue> = {};
    for (const e of env) {
      out[e.name] = e.secret
        ? kplus.EnvValue.fromSecretValue({ secret: this.secretRef(e.secret.name), key: e.secret.key })
        : kplus.EnvValue.fromValue(e.value as string);
    }
    return out;
  }

  /** An Airflow container running `args` through the image's entrypoint. */
  public container(name: string, args: string[], resources: ParsedResources, env: readonly EnvSpec[]): kplus.ContainerProps {
    return {
      name,
      image: this.config.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // The image's entrypoint (dumb-init + /entrypoint) stays in place; it execs these args.
      args,
      envVariables: this.env(env),
      resources: toKplusResources(resources),
      securityContext: containerSecurityContext(AIRFLOW_RUN_AS),
    };
  }

  /** Mounts airflow.cfg, scratch space and (optionally) the DAGs into a container of a pod. */
  public mountFiles(pod: kplus.AbstractPod, container: kplus.Container, scratch: readonly ScratchDir[], withDags: boolean): void {
    container.mount(AIRFLOW_CFG_PATH, this.volume(pod, 'config', () => kplus.Volume.fromConfigMap(pod, 'ConfigVolume', this.configMap, { name: 'airflow-config' })), { subPath: 'airflow.cfg', readOnly: true });
    for (const dir of scratch) container.mount(dir.path, this.volume(pod, dir.name, () => kplus.Volume.fromEmptyDir(pod, `${dir.name}-volume`, dir.name)));
    if (withDags) container.mount(DAGS_MOUNT_PATH, this.volume(pod, 'dags', () => this.dagsVolume(pod)), { readOnly: !(this.config.dags instanceof GitSyncDagSource) });
  }

  /** The volume `name` of `pod`, made by `make` the first time it is asked for. */
  public volume(pod: kplus.AbstractPod, name: string, make: () => kplus.Volume): kplus.Volume {
    let volumes = this.podVolumes.get(pod);
    if (!volumes) this.podVolumes.set(pod, (volumes = new Map()));
    let volume = volumes.get(name);
    if (!volume) volumes.set(name, (volume = make()));
    return volume;
  }

  private dagsVolume(pod: kplus.AbstractPod): kplus.Volume {
    const dags = this.config.dags;
    if (dags instanceof ConfigMapDagSource && this.dagsConfigMap) {
      const items = Object.fromEntries(dags.files().map((f) => [f.key, { path: f.path }]));
      return kplus.Volume.fromConfigMap(pod, 'DagsVolume', this.dagsConfigMap, { name: 'dags', items });
    }
    if (dags instanceof PvcDagSource) {
      return kplus.Volume.fromPersistentVolumeClaim(pod, 'DagsVolume', kplus.PersistentVolumeClaim.fromClaimName(pod, 'DagsClaim', dags.claimName), { name: 'dags', readOnly: true });
    }
    if (dags instanceof HostPathDagSource) {
      return kplus.Volume.fromHostPath(pod, 'DagsVolume', 'dags', { path: dags.hostDirectory, type: kplus.HostPathVolumeType.DIRECTORY });
    }
    return kplus.Volume.fromEmptyDir(pod, 'DagsVolume', 'dags');
  }

  /** git-sync: a one-time clone before start (init) and a sidecar that keeps pulling. */
  public addGitSync(pod: kplus.AbstractPod, dags: GitSyncDagSource): void {
    const args = (oneTime: boolean) => [
      `--repo=${dags.repo}`, `--ref=${dags.branch}`, '--root=/git', '--link=repo', '--depth=1', `--period=${dags.period}`,
      ...(oneTime ? ['--one-time'] : []),
    ];
    const env: Record<string, kplus.EnvValue> = {};
    if (dags.credentialsSecret) {
      env.GITSYNC_USERNAME = kplus.EnvValue.fromSecretValue({ secret: this.secretRef(dags.credentialsSecret), key: 'username' });
      env.GITSYNC_PASSWORD = kplus.EnvValue.fromSecretValue({ secret: this.secretRef(dags.credentialsSecret), key: 'password' });
    }
    const props = (name: string, oneTime: boolean): kplus.ContainerProps => ({
      name,
      image: IMAGES.gitSync,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args: args(oneTime),
      envVariables: { ...env, HOME: kplus.EnvValue.fromValue('/tmp') },
      resources: toKplusResources(this.config.resources.gitSync),
      securityContext: containerSecurityContext(GIT_SYNC_RUN_AS),
    });
    for (const container of [pod.addInitContainer(props('git-sync-init', true)), pod.addContainer(props('git-sync', false))]) {
      container.mount('/git', this.volume(pod, 'dags', () => this.dagsVolume(pod)));
      container.mount('/tmp', this.volume(pod, 'tmp', () => kplus.Volume.fromEmptyDir(pod, 'tmp-volume', 'tmp')));
    }
  }

  /**
   * The claim that keeps task logs shared by the KubernetesExecutor's worker pods, scheduler,
   * triggerer and api-server (ReadWriteMany), when log persistence is on; undefined otherwise.
   * With the LocalExecutor each scheduler and triggerer pod keeps its own claim instead (see
   * {@link logClaimTemplate}).
   */
  public logClaim(component: string): kplus.PersistentVolumeClaim | undefined {
    const c = this.config;
    const persistence = c.logPersistence;
    if (!persistence || c.executor !== 'KubernetesExecutor' || !['scheduler', 'triggerer', 'api-server', 'worker'].includes(component)) return undefined;
    const name = 'airflow-logs';
    let claim = this.logClaims.get(name);
    if (!claim) {
      claim = new kplus.PersistentVolumeClaim(this.scope, `LogClaim-${name}`, {
        metadata: { name, labels: airflowLabels('logs') },
        accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_MANY],
        storage: Size.gibibytes(persistence.sizeGiB),
        ...(persistence.storageClassName ? { storageClassName: persistence.storageClassName } : {}),
        volumeMode: kplus.PersistentVolumeMode.FILE_SYSTEM,
      });
      this.logClaims.set(name, claim);
    }
    return claim;
  }

  /**
   * With the LocalExecutor and log persistence, the StatefulSet claim template of a scheduler or
   * triggerer: each pod gets its own ReadWriteOnce claim `logs-<pod>` (its log server serves the
   * logs of the tasks it ran), so scaling to more pods adds claims instead of sharing one.
   */
  public logClaimTemplate(component: string): kplus.k8s.PersistentVolumeClaimTemplate | undefined {
    const c = this.config;
    const persistence = c.logPersistence;
    if (!persistence || c.executor === 'KubernetesExecutor' || !['scheduler', 'triggerer'].includes(component)) return undefined;
    return {
      metadata: { name: 'logs', labels: airflowLabels('logs') },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: kplus.k8s.Quantity.fromString(`${persistence.sizeGiB}Gi`) } },
        ...(persistence.storageClassName ? { storageClassName: persistence.storageClassName } : {}),
        volumeMode: 'Filesystem',
      },
    };
  }

  /** Labels, selector, checksum annotation and pod-level hardening of a workload's pods. */
  public finish(workload: kplus.Deployment | kplus.StatefulSet | kplus.Job, selector: Record<string, string>, extraLabels: Record<string, string> = {}): void {
    for (const [key, value] of Object.entries({ ...objectLabels(selector, AIRFLOW_VERSION), ...extraLabels })) workload.podMetadata.addLabel(key, value);
    workload.podMetadata.addAnnotation('spark-airflow-k8s/airflow-config-sha256', this.configChecksum);
    if (!(workload instanceof kplus.Job)) workload.select(kplus.LabelSelector.of({ labels: selector }));
    hardenPodSpec(ApiObject.of(workload), '/spec/template/spec');
  }
}

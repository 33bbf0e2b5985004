import { Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ConfigMapDagSource, DAGS_MOUNT_PATH, GitSyncDagSource, HostPathDagSource, PvcDagSource } from '../dag-source';
import { ParsedResources } from '../resources';
import { containerSecurityContextJson, podSecurityContextJson } from '../security';
import { IMAGES } from '../versions';
import { POD_TEMPLATE_DIR } from './configuration';
import type { ResolvedAirflow } from './options';
import { AIRFLOW_CFG_PATH, AIRFLOW_RUN_AS, AirflowPods, airflowLabels, GIT_SYNC_RUN_AS } from './pods';
import type { EnvSpec } from './secrets';

/** What the KubernetesExecutor needs from the Airflow construct. */
export interface KubernetesExecutorContext {
  readonly scope: Construct;
  readonly config: ResolvedAirflow;
  readonly pods: AirflowPods;
  /** The ServiceAccount of the scheduler, which launches the worker pods. */
  readonly serviceAccount: kplus.ServiceAccount;
  /** The scheduler. */
  readonly scheduler: kplus.Deployment | kplus.StatefulSet;
  /** Environment of a worker pod. */
  readonly env: readonly EnvSpec[];
  /** airflow.cfg and (for DagSource.configMap()) the DAGs, copied into the jobs namespace when it is another. */
  readonly configMap: kplus.ConfigMap;
  readonly dagsConfigMap?: kplus.ConfigMap;
}

/**
 * The KubernetesExecutor: worker pods in the jobs namespace, from a pod template the scheduler
 * mounts; the scheduler's right to manage them there; their own ServiceAccount; and, when the
 * jobs namespace is not Airflow's, copies of airflow.cfg and the DAG ConfigMap for them to mount.
 * Returns the workers' ServiceAccount.
 */
export function addKubernetesExecutor(ctx: KubernetesExecutorContext): kplus.ServiceAccount {
  const c = ctx.config;
  const labels = airflowLabels('kubernetes-executor');
  const jobs = c.jobsNamespace;
  const role = new kplus.Role(ctx.scope, 'ExecutorRole', { metadata: { name: 'airflow-kubernetes-executor', namespace: jobs, labels } });
  role.allow(['create', 'get', 'list', 'watch', 'patch', 'delete'], kplus.ApiResource.custom({ apiGroup: '', resourceType: 'pods' }));
  role.allow(['get'], kplus.ApiResource.custom({ apiGroup: '', resourceType: 'pods/log' }));
  new kplus.RoleBinding(ctx.scope, 'ExecutorBinding', { metadata: { name: 'airflow-kubernetes-executor', namespace: jobs, labels }, role }).addSubjects(ctx.serviceAccount);
  // The token is mounted by the pod template (workers run KubernetesPodOperator tasks).
  const workerServiceAccount = new kplus.ServiceAccount(ctx.scope, 'WorkerServiceAccount', {
    metadata: { name: c.workerServiceAccountName, namespace: jobs, labels: airflowLabels('worker') },
    automountToken: false,
  });
  if (jobs !== c.namespace) {
    new kplus.ConfigMap(ctx.scope, 'JobsConfig', { metadata: { name: ctx.configMap.name, namespace: jobs, labels: airflowLabels('config') }, data: ctx.configMap.data });
    if (ctx.dagsConfigMap) {
      new kplus.ConfigMap(ctx.scope, 'JobsDags', {
        metadata: { name: ctx.dagsConfigMap.name, namespace: jobs, labels: airflowLabels('dags') },
        data: ctx.dagsConfigMap.data,
        binaryData: ctx.dagsConfigMap.binaryData,
      });
    }
  }

  // The worker pod template is a plain Pod manifest inside a ConfigMap.
  const configMap = new kplus.ConfigMap(ctx.scope, 'PodTemplate', {
    metadata: { name: 'airflow-pod-template', labels },
    data: { 'pod_template.yaml': Yaml.stringify(workerPodTemplate(ctx)) },
  });
  const [main] = ctx.scheduler.containers;
  main.mount(POD_TEMPLATE_DIR, kplus.Volume.fromConfigMap(ctx.scheduler, 'PodTemplateVolume', configMap, { name: 'pod-templates' }), { readOnly: true });
  return workerServiceAccount;
}

/** A worker pod: the components' image, environment and mounts, as plain Pod JSON. */
function workerPodTemplate(ctx: KubernetesExecutorContext): Record<string, unknown> {
  const c = ctx.config;
  const env = ctx.env.map((e) => e.secret
    ? { name: e.name, valueFrom: { secretKeyRef: { name: e.secret.name, key: e.secret.key } } }
    : { name: e.name, value: e.value });
  const dags = c.dags;
  const dagsVolume = dags instanceof ConfigMapDagSource
    ? { name: 'dags', configMap: { name: dags.name, items: dags.files().map((f) => ({ key: f.key, path: f.path })) } }
    : dags instanceof PvcDagSource ? { name: 'dags', persistentVolumeClaim: { claimName: dags.claimName, readOnly: true } }
      : dags instanceof HostPathDagSource ? { name: 'dags', hostPath: { path: dags.hostDirectory, type: 'Directory' } }
        : { name: 'dags', emptyDir: {} };
  const initContainers = dags instanceof GitSyncDagSource ? [{
    name: 'git-sync-init',
    image: IMAGES.gitSync,
    imagePullPolicy: 'IfNotPresent',
    args: [`--repo=${dags.repo}`, `--ref=${dags.branch}`, '--root=/git', '--link=repo', '--depth=1', '--one-time'],
    env: [{ name: 'HOME', value: '/tmp' }, ...(dags.credentialsSecret ? [
      { name: 'GITSYNC_USERNAME', valueFrom: { secretKeyRef: { name: dags.credentialsSecret, key: 'username' } } },
      { name: 'GITSYNC_PASSWORD', valueFrom: { secretKeyRef: { name: dags.credentialsSecret, key: 'password' } } },
    ] : [])],
    resources: toRaw(c.resources.gitSync),
    securityContext: containerSecurityContextJson(GIT_SYNC_RUN_AS),
    volumeMounts: [{ name: 'dags', mountPath: '/git' }, { name: 'tmp', mountPath: '/tmp' }],
  }] : [];
  // Log claims cannot be mounted across namespaces (resolveAirflow rejects persistence then).
  const logClaim = c.logPersistence && c.jobsNamespace === c.namespace ? ctx.pods.logClaim('worker') : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'placeholder-name', labels: airflowLabels('worker') },
    spec: {
      serviceAccountName: c.workerServiceAccountName,
      automountServiceAccountToken: true,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      securityContext: podSecurityContextJson(AIRFLOW_RUN_AS),
      initContainers,
      containers: [{
        name: 'base',
        image: c.image,
        imagePullPolicy: 'IfNotPresent',
        env,
        resources: toRaw(c.resources.task),
        securityContext: { ...containerSecurityContextJson(AIRFLOW_RUN_AS) },
        volumeMounts: [
          { name: 'config', mountPath: AIRFLOW_CFG_PATH, subPath: 'airflow.cfg', readOnly: true },
          { name: 'dags', mountPath: DAGS_MOUNT_PATH, readOnly: !(dags instanceof GitSyncDagSource) },
          { name: 'logs', mountPath: '/opt/airflow/logs' },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      }],
      volumes: [
        { name: 'config', configMap: { name: 'airflow-config' } },
        dagsVolume,
        logClaim ? { name: 'logs', persistentVolumeClaim: { claimName: logClaim.name } } : { name: 'logs', emptyDir: {} },
        { name: 'tmp', emptyDir: {} },
      ],
    },
  };
}

function toRaw(r: ParsedResources): Record<string, Record<string, string>> {
  return {
    limits: { cpu: `${r.cpuLimitMillis}m`, memory: `${r.memoryLimitBytes / 2 ** 20}Mi` },
    requests: { cpu: `${r.cpuRequestMillis}m`, memory: `${r.memoryRequestBytes / 2 ** 20}Mi` },
  };
}

import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GitSyncDagSource } from '../dag-source';
import { selectorLabels, selectPods } from '../labels';
import { imageSuppressions, suppress, SUPPRESSIONS } from '../scanners';
import { podSecurityContext } from '../security';
import { IMAGES } from '../versions';
import { AIRFLOW_PORTS, Component, COMPONENT_NAMES, DAG_COMPONENTS, ResolvedAirflow } from './options';
import { AIRFLOW_RUN_AS, AirflowPods, airflowLabels, BASE_SCRATCH, ScratchDir } from './pods';
import type { AdminStep } from './auth';
import type { EnvSpec, SecretConsumer } from './secrets';

/** How one component runs: its workload kind, command, ports and probes. */
interface ComponentSpec {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly args: string[];
  readonly ports: { name: string; number: number }[];
  readonly probes: { startup?: kplus.Probe; readiness?: kplus.Probe; liveness?: kplus.Probe };
  readonly extraScratch?: readonly ScratchDir[];
  /** A headless Service with this port gives the pods stable DNS names (log servers). */
  readonly headlessPort?: { name: string; port: number };
}

/** What every component needs from the Airflow construct. */
export interface ComponentContext {
  readonly scope: Construct;
  readonly config: ResolvedAirflow;
  readonly pods: AirflowPods;
  readonly serviceAccount: kplus.ServiceAccount;
  /** The secrets (and settings) one Airflow process gets. */
  readonly env: (consumer: SecretConsumer) => readonly EnvSpec[];
  /** The DAG contract, for the components that parse or run DAGs. */
  readonly dagEnv: readonly EnvSpec[];
  /** Writable directories the api-server needs for authentication. */
  readonly apiServerScratch: readonly ScratchDir[];
  /** An init container of the api-server that sets up authentication (SimpleAuthManager's password file). */
  readonly apiServerInit?: AdminStep;
}

const health = (path: string, port: number, periodSeconds: number, failureThreshold: number, timeoutSeconds = 5) =>
  kplus.Probe.fromHttpGet(path, { port, periodSeconds: Duration.seconds(periodSeconds), failureThreshold, timeoutSeconds: Duration.seconds(timeoutSeconds) });

/** The four components, in the order they are built. */
function componentSpecs(apiServerScratch: readonly ScratchDir[]): Record<Component, ComponentSpec> {
  const jobCheck = (jobType: string) => ['airflow', 'jobs', 'check', '--job-type', jobType, '--local'];
  return {
    apiServer: {
      kind: 'Deployment',
      args: ['airflow', 'api-server'],
      ports: [{ name: 'http', number: AIRFLOW_PORTS.apiServer }],
      probes: {
        startup: health('/api/v2/monitor/health', AIRFLOW_PORTS.apiServer, 10, 30),
        readiness: health('/api/v2/monitor/health', AIRFLOW_PORTS.apiServer, 10, 3),
        liveness: health('/api/v2/monitor/health', AIRFLOW_PORTS.apiServer, 20, 5),
      },
      extraScratch: apiServerScratch,
    },
    scheduler: {
      kind: 'StatefulSet',
      args: ['airflow', 'scheduler'],
      ports: [{ name: 'health', number: AIRFLOW_PORTS.schedulerHealth }, { name: 'task-logs', number: AIRFLOW_PORTS.workerLogs }],
      probes: {
        startup: health('/health', AIRFLOW_PORTS.schedulerHealth, 10, 30),
        readiness: health('/health', AIRFLOW_PORTS.schedulerHealth, 15, 3),
        liveness: health('/health', AIRFLOW_PORTS.schedulerHealth, 30, 5, 10),
      },
      headlessPort: { name: 'task-logs', port: AIRFLOW_PORTS.workerLogs },
    },
    dagProcessor: {
      kind: 'Deployment',
      args: ['airflow', 'dag-processor'],
      ports: [],
      probes: {
        // No port to probe: the job heartbeat in the database tells whether the processor lives.
        readiness: kplus.Probe.fromCommand(jobCheck('DagProcessorJob'), { initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(60), timeoutSeconds: Duration.seconds(30), failureThreshold: 3 }),
        liveness: kplus.Probe.fromCommand(jobCheck('DagProcessorJob'), { initialDelaySeconds: Duration.seconds(60), periodSeconds: Duration.seconds(60), timeoutSeconds: Duration.seconds(30), failureThreshold: 5 }),
      },
    },
    triggerer: {
      kind: 'StatefulSet',
      args: ['airflow', 'triggerer'],
      ports: [{ name: 'trigger-logs', number: AIRFLOW_PORTS.triggererLogs }],
      probes: {
        readiness: kplus.Probe.fromTcpSocket({ port: AIRFLOW_PORTS.triggererLogs, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
        liveness: kplus.Probe.fromCommand(jobCheck('TriggererJob'), { initialDelaySeconds: Duration.seconds(60), periodSeconds: Duration.seconds(60), timeoutSeconds: Duration.seconds(30), failureThreshold: 5 }),
      },
      headlessPort: { name: 'trigger-logs', port: AIRFLOW_PORTS.triggererLogs },
    },
  };
}

/** Builds api-server, scheduler, dag-processor and triggerer; returns them by workload name suffix. */
export function addComponents(ctx: ComponentContext): Record<string, kplus.Deployment | kplus.StatefulSet> {
  const out: Record<string, kplus.Deployment | kplus.StatefulSet> = {};
  const specs = componentSpecs(ctx.apiServerScratch);
  for (const component of Object.keys(specs) as Component[]) {
    out[COMPONENT_NAMES[component]] = addComponent(ctx, component, specs[component]);
  }
  return out;
}

/**
 * A PodDisruptionBudget that lets voluntary disruptions (a drain, an autoscaler) evict at most one
 * pod of the component at a time.
 */
function addDisruptionBudget(scope: Construct, component: Component, name: string, selector: Record<string, string>): void {
  new kplus.k8s.KubePodDisruptionBudget(scope, `${component}Budget`, {
    metadata: { name, labels: airflowLabels(COMPONENT_NAMES[component]) },
    spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
  });
}

function addComponent(ctx: ComponentContext, component: Component, spec: ComponentSpec): kplus.Deployment | kplus.StatefulSet {
  const { scope, config: c, pods } = ctx;
  const componentName = COMPONENT_NAMES[component];
  const name = `airflow-${componentName}`;
  const selector = selectorLabels('airflow', componentName, 'airflow');
  const parsesDags = DAG_COMPONENTS.includes(componentName);
  // Components that launch pods or watch them (KubernetesPodOperator, deferrable triggers, the
  // KubernetesExecutor) run with the airflow ServiceAccount; the others get no API token.
  const callsApi = component === 'scheduler' || component === 'triggerer';
  let headless: kplus.Service | undefined;
  if (spec.headlessPort) {
    headless = new kplus.Service(scope, `${component}Headless`, {
      metadata: { name, labels: airflowLabels(componentName) },
      clusterIP: 'None',
      ports: [{ name: spec.headlessPort.name, port: spec.headlessPort.port, targetPort: spec.headlessPort.port }],
    });
    selectPods(headless, selector);
  }
  const common: kplus.WorkloadProps = {
    metadata: { name, labels: airflowLabels(componentName) },
    select: false,
    securityContext: podSecurityContext(AIRFLOW_RUN_AS),
    automountServiceAccountToken: callsApi,
    ...(callsApi ? { serviceAccount: ctx.serviceAccount } : {}),
    containers: [
      {
        ...pods.container('airflow', spec.args, c.resources[component], [...ctx.env(componentName as SecretConsumer), ...(parsesDags ? ctx.dagEnv : [])]),
        ports: spec.ports,
        ...spec.probes,
      },
    ],
  };
  const replicas = c.replicas[component];
  const workload = spec.kind === 'StatefulSet'
    ? new kplus.StatefulSet(scope, component, { ...common, replicas, ...(headless ? { service: headless } : {}) })
    : new kplus.Deployment(scope, component, {
      ...common,
      replicas,
      // Start the new pod before stopping an old one: the capacity never drops during a rollout.
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
    });
  if (replicas > 1) {
    // Prefer one pod per node, so that losing a node leaves the others; still schedulable on one.
    workload.scheduling.separate(kplus.Pods.select(scope, `${component}Peers`, { labels: selector }), { topology: kplus.Topology.HOSTNAME, weight: 100 });
    addDisruptionBudget(scope, component, name, selector);
  }
  const [main] = workload.containers;
  const logClaim = pods.logClaim(componentName);
  if (logClaim) pods.volume(workload, 'logs', () => kplus.Volume.fromPersistentVolumeClaim(workload, 'LogsVolume', logClaim, { name: 'logs' }));
  const logTemplate = workload instanceof kplus.StatefulSet ? pods.logClaimTemplate(componentName) : undefined;
  // With a claim template, the pod's "logs" volume is the StatefulSet controller's to add.
  const scratch = logTemplate ? BASE_SCRATCH.filter((d) => d.name !== 'logs') : BASE_SCRATCH;
  pods.mountFiles(workload, main, [...scratch, ...(spec.extraScratch ?? [])], parsesDags);
  const wait = workload.addInitContainer(pods.container('wait-for-migrations', ['airflow', 'db', 'check-migrations', '--migration-wait-timeout', '600'], c.resources.task, ctx.env('db-migrate')));
  pods.mountFiles(workload, wait, scratch, false);
  if (logTemplate) {
    const logs = BASE_SCRATCH.find((d) => d.name === 'logs') as ScratchDir;
    ApiObject.of(workload).addJsonPatch(
      JsonPatch.add('/spec/volumeClaimTemplates', [logTemplate]),
      JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/-', { name: 'logs', mountPath: logs.path }),
      JsonPatch.add('/spec/template/spec/initContainers/0/volumeMounts/-', { name: 'logs', mountPath: logs.path }),
    );
  }
  if (component === 'apiServer' && ctx.apiServerInit) {
    const step = ctx.apiServerInit;
    const init = workload.addInitContainer(pods.container(step.name, step.args, c.resources.task, step.env));
    pods.mountFiles(workload, init, [...BASE_SCRATCH, ...(spec.extraScratch ?? [])], false);
  }
  if (parsesDags && c.dags instanceof GitSyncDagSource) pods.addGitSync(workload, c.dags);
  pods.finish(workload, selector);
  const images = [c.image, ...(parsesDags && c.dags instanceof GitSyncDagSource ? [IMAGES.gitSync] : [])];
  suppress(workload, ...imageSuppressions(images), SUPPRESSIONS.secretEnv, ...(callsApi ? [SUPPRESSIONS.apiToken] : []));
  return workload;
}

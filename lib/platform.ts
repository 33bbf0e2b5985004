import { ApiObject, Chart, ChartProps, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PART_OF } from './labels';
import { resolveSparkCluster, SparkCluster, SparkClusterProps } from './spark-cluster';
import { checkDns1123Label, IssueCollector, ValidationError } from './validation';
import { KUBERNETES_VERSION } from './versions';

/** A Pod Security Standard level. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

/** Pod Security admission labels of the namespace. */
export interface PodSecurityOptions {
  /** Pods violating this level are rejected. @default "restricted" */
  readonly enforce?: PodSecurityLevel;
  /** Violations of this level are recorded in the audit log. @default "restricted" */
  readonly audit?: PodSecurityLevel;
  /** Violations of this level are returned as warnings to the client. @default "restricted" */
  readonly warn?: PodSecurityLevel;
}

/** The namespace everything runs in. */
export interface NamespaceOptions {
  /** @default "spark-clu" */
  readonly name?: string;
  /** @default - restricted for enforce, audit and warn */
  readonly podSecurity?: PodSecurityOptions;
}

/** Spark options of the platform: {@link SparkClusterProps} without the namespace, which the platform owns. */
export type PlatformSparkOptions = Omit<SparkClusterProps, 'namespace'>;

/** One environment of the platform: the single source of truth for cdk8s and Pulumi. */
export interface PlatformConfig {
  /** Name of the environment (e.g. "dev"); a DNS-1123 label, used in error messages and labels. */
  readonly environment: string;
  /** @default - namespace "spark-clu", Pod Security restricted */
  readonly namespace?: NamespaceOptions;
  /** @default - the SparkCluster defaults (UI not exposed) */
  readonly spark?: PlatformSparkOptions;
}

/** Default namespace name (from the original single-file setup). */
export const DEFAULT_NAMESPACE = 'spark-clu';

/**
 * Validates a whole environment without building anything. Throws a {@link ValidationError}
 * that names the environment, each bad field, its value and what is allowed.
 */
export function validatePlatformConfig(config: PlatformConfig): void {
  const issues = new IssueCollector();
  checkDns1123Label(issues, 'environment', config.environment);
  const namespace = config.namespace?.name ?? DEFAULT_NAMESPACE;
  checkDns1123Label(issues, 'namespace.name', namespace);
  for (const mode of ['enforce', 'audit', 'warn'] as const) {
    const level = config.namespace?.podSecurity?.[mode];
    if (level !== undefined && !LEVELS.includes(level)) {
      issues.add(`namespace.podSecurity.${mode}`, level, `must be one of ${LEVELS.map((l) => `"${l}"`).join(', ')}`);
    }
  }
  const spark = resolveSparkCluster({ ...config.spark, namespace });
  issues.addAll('spark', spark.issues.filter((i) => i.field !== 'namespace'));

  const nodePorts: ExposedNodePort[] = [];
  if (spark.resolved?.ui.expose) nodePorts.push({ field: 'spark.ui.nodePort', port: spark.resolved.ui.nodePort });
  checkUniqueNodePorts(issues, nodePorts);
  ValidationError.throwIfAny(issues.issues, typeof config.environment === 'string' ? config.environment : undefined);
}

/** A NodePort some component of the environment asks for. */
export interface ExposedNodePort {
  /** The config field that sets it. */
  readonly field: string;
  /** The port. */
  readonly port: number;
}

/** Every exposed NodePort must be unique within an environment (the API server rejects duplicates). */
export function checkUniqueNodePorts(issues: IssueCollector, nodePorts: readonly ExposedNodePort[]): void {
  const seen = new Map<number, string>();
  for (const { field, port } of nodePorts) {
    const first = seen.get(port);
    if (first !== undefined) issues.add(field, port, `must be unique within the environment; ${first} already uses it`);
    else seen.set(port, field);
  }
}

/** Props of {@link SparkAirflowPlatform}. */
export interface SparkAirflowPlatformProps extends ChartProps {
  /** The environment to build. */
  readonly config: PlatformConfig;
}

/**
 * The whole platform of one environment in one namespace, as a cdk8s Chart.
 * Validates the entire config first: nothing is built from a bad config.
 */
export class SparkAirflowPlatform extends Chart {
  /** The environment's configuration. */
  public readonly config: PlatformConfig;
  /** The namespace name. */
  public readonly namespaceName: string;
  /** The Spark standalone cluster. */
  public readonly spark: SparkCluster;

  constructor(scope: Construct, id: string, props: SparkAirflowPlatformProps) {
    validatePlatformConfig(props.config);
    const namespaceName = props.config.namespace?.name ?? DEFAULT_NAMESPACE;
    super(scope, id, { ...props, namespace: namespaceName, disableResourceNameHashes: true });
    this.config = props.config;
    this.namespaceName = namespaceName;

    const podSecurity = props.config.namespace?.podSecurity ?? {};
    const namespace = new kplus.Namespace(this, 'Namespace', {
      metadata: {
        name: namespaceName,
        labels: {
          'app.kubernetes.io/part-of': PART_OF,
          'pod-security.kubernetes.io/enforce': podSecurity.enforce ?? 'restricted',
          'pod-security.kubernetes.io/enforce-version': `v${KUBERNETES_VERSION}`,
          'pod-security.kubernetes.io/audit': podSecurity.audit ?? 'restricted',
          'pod-security.kubernetes.io/audit-version': `v${KUBERNETES_VERSION}`,
          'pod-security.kubernetes.io/warn': podSecurity.warn ?? 'restricted',
          'pod-security.kubernetes.io/warn-version': `v${KUBERNETES_VERSION}`,
        },
      },
    });
    // A Namespace is cluster-scoped: it must not carry the chart's metadata.namespace.
    ApiObject.of(namespace).addJsonPatch(JsonPatch.remove('/metadata/namespace'));

    this.spark = new SparkCluster(this, 'Spark', { ...props.config.spark, namespace: namespaceName });
    // Everything else depends on the namespace, so it is applied (and listed) first.
    for (const child of this.node.findAll()) {
      if (child instanceof ApiObject && child !== ApiObject.of(namespace)) child.addDependency(ApiObject.of(namespace));
    }
  }
}

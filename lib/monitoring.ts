import { Construct } from 'constructs';
import { PodMonitor, ServiceMonitor } from './imports/monitoring-coreos-com';
import { objectLabels } from './labels';
import { NamespacePeer, NetworkFlows, PodGroup } from './network';
import { checkDns1123Label, checkLabels, IssueCollector, ValidationIssue } from './validation';

/**
 * Prometheus metrics of the platform. Spark's master, workers and drivers serve them with Spark's
 * own PrometheusServlet (the drivers also for their executors, `spark.ui.prometheus.enabled`);
 * Airflow sends StatsD to a statsd-exporter, which serves them, as the Airflow Helm chart does.
 * NetworkPolicies open the metrics ports to the scraper's namespace alone.
 */
export interface MonitoringOptions {
  /** Namespace of the Prometheus that scrapes: the only one the metrics ports are open to. @default "monitoring" */
  readonly scraperNamespace?: string;
  /** Labels of the Prometheus pods in that namespace. @default - every pod of the namespace */
  readonly scraperPodLabels?: Readonly<Record<string, string>>;
  /**
   * Add `ServiceMonitor` and `PodMonitor` objects (monitoring.coreos.com/v1) for a Prometheus
   * operator; its CRDs must be installed before the manifests are applied.
   * @default false
   */
  readonly prometheusOperator?: boolean;
  /**
   * Labels on the ServiceMonitors and PodMonitors, for the Prometheus' `serviceMonitorSelector` /
   * `podMonitorSelector` (e.g. `release: kube-prometheus-stack`).
   * @default - none
   */
  readonly monitorLabels?: Readonly<Record<string, string>>;
  /** Scrape interval of the monitors. @default "30s" */
  readonly interval?: string;
}

/**
 * The validated monitoring options.
 * @internal
 */
export interface ResolvedMonitoring {
  readonly scraper: NamespacePeer;
  readonly prometheusOperator: boolean;
  readonly monitorLabels: Readonly<Record<string, string>>;
  readonly interval: string;
}

const DURATION = /^[1-9][0-9]*(s|m)$/;

/**
 * Validates {@link MonitoringOptions}; field paths relative to them.
 * @internal
 */
export function resolveMonitoring(options: MonitoringOptions): { resolved?: ResolvedMonitoring; issues: readonly ValidationIssue[] } {
  const issues = new IssueCollector();
  const namespace = options.scraperNamespace ?? 'monitoring';
  checkDns1123Label(issues, 'scraperNamespace', namespace);
  checkLabels(issues, 'scraperPodLabels', options.scraperPodLabels);
  checkLabels(issues, 'monitorLabels', options.monitorLabels);
  const prometheusOperator = options.prometheusOperator ?? false;
  if (typeof prometheusOperator !== 'boolean') issues.add('prometheusOperator', prometheusOperator, 'must be true or false');
  const interval = options.interval ?? '30s';
  if (typeof interval !== 'string' || !DURATION.test(interval)) issues.add('interval', interval, 'must be a whole number of seconds or minutes, e.g. "30s" or "1m"');
  if (issues.issues.length > 0) return { issues: issues.issues };
  return {
    issues: [],
    resolved: {
      scraper: { kind: 'namespace', namespace, ...(options.scraperPodLabels ? { podLabels: { ...options.scraperPodLabels } } : {}) },
      prometheusOperator,
      monitorLabels: { ...options.monitorLabels },
      interval,
    },
  };
}

/** Path of the PrometheusServlet on a daemon or driver UI (`/metrics/master/prometheus` on the master). */
export const SPARK_METRICS_PATH = '/metrics/prometheus';
/** The master's own metrics. */
export const SPARK_MASTER_METRICS_PATH = '/metrics/master/prometheus';
/** The master's metrics of the applications it runs. */
export const SPARK_APPLICATIONS_METRICS_PATH = '/metrics/applications/prometheus';
/** A driver's metrics of its executors (`spark.ui.prometheus.enabled`). */
export const SPARK_EXECUTORS_METRICS_PATH = '/metrics/executors/prometheus';
/** The Spark UI port of a driver (`spark.ui.port`). */
export const SPARK_DRIVER_UI_PORT = 4040;

/**
 * Spark confs that turn on the PrometheusServlet on every UI of a Spark process (master, worker,
 * driver) and the executors' metrics on the driver's UI.
 */
export const SPARK_METRICS_CONF: Readonly<Record<string, string>> = {
  'spark.metrics.conf.*.sink.prometheusServlet.class': 'org.apache.spark.metrics.sink.PrometheusServlet',
  'spark.metrics.conf.*.sink.prometheusServlet.path': SPARK_METRICS_PATH,
  'spark.metrics.conf.master.sink.prometheusServlet.path': SPARK_MASTER_METRICS_PATH,
  'spark.metrics.conf.applications.sink.prometheusServlet.path': SPARK_APPLICATIONS_METRICS_PATH,
  'spark.ui.prometheus.enabled': 'true',
};

/** One scrape target of the platform: pods, the port (name and number) and the paths. */
export interface MetricsTarget {
  /** The pods, in a namespace the NetworkFlows manage. */
  readonly pods: PodGroup;
  /** Name of the container port (as the pods declare it). */
  readonly portName: string;
  /** Its number, for the NetworkPolicy. */
  readonly port: number;
  /** HTTP paths serving Prometheus text. */
  readonly paths: readonly string[];
  /**
   * A Service in front of the pods, labeled like them, with a port named {@link portName}: the
   * target is then a ServiceMonitor (a PodMonitor otherwise).
   * @default - none
   */
  readonly service?: string;
}

/**
 * Opens each target's metrics port to the scraper and, with the Prometheus operator, adds one
 * ServiceMonitor (targets behind a Service) or PodMonitor per target, in the target's namespace.
 */
export class PlatformMonitoring extends Construct {
  /** The targets, in the order they were added. */
  public readonly targets: MetricsTarget[] = [];

  /** `options`: the validated monitoring options of the platform. */
  constructor(scope: Construct, id: string, private readonly options: ResolvedMonitoring) {
    super(scope, id);
  }

  /** Adds a target: its NetworkPolicy and (with the operator) its PodMonitor. */
  public add(target: MetricsTarget): void {
    this.targets.push(target);
    const name = `${target.pods.name}-metrics`;
    NetworkFlows.of(this).allow({
      name,
      from: this.options.scraper,
      to: { kind: 'pods', group: target.pods },
      ports: [{ port: target.port }],
      purpose: `Prometheus in "${this.options.scraper.namespace}" scrapes ${target.paths.join(', ')}`,
    });
    if (!this.options.prometheusOperator) return;
    const metadata = {
      name,
      ...(target.pods.namespace ? { namespace: target.pods.namespace } : {}),
      labels: { ...objectLabels({ 'app.kubernetes.io/name': 'metrics', 'app.kubernetes.io/component': target.pods.name }), ...this.options.monitorLabels },
    };
    const selector = { matchLabels: { ...target.pods.labels } };
    if (target.service) {
      new ServiceMonitor(this, name, {
        metadata,
        spec: { selector, endpoints: target.paths.map((path) => ({ port: target.portName, path, interval: this.options.interval })) },
      });
    } else {
      new PodMonitor(this, name, {
        metadata,
        spec: { selector, podMetricsEndpoints: target.paths.map((path) => ({ port: target.portName, path, interval: this.options.interval })) },
      });
    }
  }
}

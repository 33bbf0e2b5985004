import { ApiObject, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { objectLabels, selectorLabels, selectPods } from '../labels';
import { NetworkFlows, PodGroup } from '../network';
import { toKplusResources } from '../resources';
import { imageSuppressions, suppress } from '../scanners';
import { containerSecurityContext, hardenPodSpec, podSecurityContext, RunAs } from '../security';
import { IMAGES, STATSD_EXPORTER_UID } from '../versions';
import { AIRFLOW_PORTS, ResolvedAirflow } from './options';

/** Name of the statsd-exporter Deployment and Service. */
export const STATSD_NAME = 'airflow-statsd';

const RUN_AS: RunAs = { user: STATSD_EXPORTER_UID, group: STATSD_EXPORTER_UID, fsGroup: STATSD_EXPORTER_UID };

/** The `[metrics]` section of airflow.cfg: StatsD to the exporter's Service. */
export function metricsSettings(c: ResolvedAirflow, dnsSuffix: string): Record<string, string> | undefined {
  if (!c.statsd) return undefined;
  return { statsd_on: 'True', statsd_host: `${STATSD_NAME}.${dnsSuffix}`, statsd_port: String(AIRFLOW_PORTS.statsd), statsd_prefix: 'airflow' };
}

/**
 * The statsd-exporter: receives Airflow's StatsD packets (UDP 9125) and serves them as Prometheus
 * metrics on 9102 (`/metrics`). Stateless, no token, no volume. Returns its pods.
 */
export function addStatsdExporter(scope: Construct, c: ResolvedAirflow, airflowPods: readonly PodGroup[]): PodGroup {
  // Not labeled as Airflow: the flows every Airflow pod gets (the database, the api-server) must not
  // select the exporter.
  const selector = selectorLabels('statsd-exporter', 'metrics', STATSD_NAME);
  const labels = objectLabels(selector, IMAGES.statsdExporter.split(':')[1].replace(/^v/, ''));
  const deployment = new kplus.Deployment(scope, 'Statsd', {
    metadata: { name: STATSD_NAME, labels },
    replicas: 1,
    select: false,
    securityContext: podSecurityContext(RUN_AS),
    automountServiceAccountToken: false,
    containers: [{
      name: 'statsd-exporter',
      image: IMAGES.statsdExporter,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args: [`--statsd.listen-udp=:${AIRFLOW_PORTS.statsd}`, '--statsd.listen-tcp=', `--web.listen-address=:${AIRFLOW_PORTS.statsdMetrics}`],
      ports: [{ name: 'statsd', number: AIRFLOW_PORTS.statsd, protocol: kplus.Protocol.UDP }, { name: 'metrics', number: AIRFLOW_PORTS.statsdMetrics }],
      readiness: kplus.Probe.fromHttpGet('/-/ready', { port: AIRFLOW_PORTS.statsdMetrics, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
      liveness: kplus.Probe.fromHttpGet('/-/healthy', { port: AIRFLOW_PORTS.statsdMetrics, periodSeconds: Duration.seconds(20), failureThreshold: 5 }),
      resources: toKplusResources(c.resources.statsd),
      securityContext: containerSecurityContext(RUN_AS),
    }],
  });
  for (const [key, value] of Object.entries(labels)) deployment.podMetadata.addLabel(key, value);
  deployment.select(kplus.LabelSelector.of({ labels: selector }));
  hardenPodSpec(ApiObject.of(deployment), '/spec/template/spec');
  suppress(deployment, ...imageSuppressions([IMAGES.statsdExporter]));

  const service = new kplus.Service(scope, 'StatsdService', {
    metadata: { name: STATSD_NAME, labels },
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [
      { name: 'statsd', port: AIRFLOW_PORTS.statsd, targetPort: AIRFLOW_PORTS.statsd, protocol: kplus.Protocol.UDP },
      { name: 'metrics', port: AIRFLOW_PORTS.statsdMetrics, targetPort: AIRFLOW_PORTS.statsdMetrics },
    ],
  });
  selectPods(service, selector);

  const exporter: PodGroup = { name: STATSD_NAME, labels: selector };
  const flows = NetworkFlows.of(scope);
  for (const from of airflowPods) {
    flows.allow({ name: `${from.name}-to-statsd`, from: { kind: 'pods', group: from }, to: { kind: 'pods', group: exporter }, ports: [{ port: AIRFLOW_PORTS.statsd, protocol: 'UDP' }], purpose: 'Airflow sends its metrics (StatsD)' });
  }
  return exporter;
}

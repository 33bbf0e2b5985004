/**
 * The ports `spark-job submit` pins (job/src/ports.ts) are the ports the NetworkPolicies open
 * (lib SPARK_K8S_PORTS, SPARK_APP_PORTS): one list on each side, kept equal here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SPARK_APP_PORTS, SPARK_K8S_PORTS } from '../lib';
import { ENVIRONMENTS } from '../stacks/environments';
import { K8sObject, synthPlatform } from './support/synth';

function cliPorts(name: string): Record<string, number> {
  const text = fs.readFileSync(path.join(__dirname, '..', 'job', 'src', 'ports.ts'), 'utf8');
  const block = new RegExp(`export const ${name} = \\{([\\s\\S]*?)\\} as const;`).exec(text);
  if (!block) throw new Error(`job/src/ports.ts has no ${name}`);
  return Object.fromEntries([...block[1].matchAll(/^\s*(\w+): (\d+),/gm)].map((m) => [m[1], Number(m[2])]));
}

/** Ports a policy of `objects` opens from pods with `from` labels to pods with `to` labels. */
function opened(objects: K8sObject[], from: Record<string, string>, to: Record<string, string>): Set<number> {
  const matches = (sel: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) =>
    Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const ports = new Set<number>();
  for (const p of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    if (!matches(p.spec.podSelector, to)) continue;
    for (const rule of p.spec.ingress ?? []) {
      // peers of the policy's own namespace only (a namespaceSelector names another one, e.g. the scraper's)
      if (!(rule.from ?? []).some((peer: { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: object }) => peer.podSelector && !peer.namespaceSelector && matches(peer.podSelector, from))) continue;
      for (const port of rule.ports ?? []) for (let n = port.port; n <= (port.endPort ?? port.port); n++) ports.add(n);
    }
  }
  return ports;
}

describe('pinned Spark ports', () => {
  test('Kubernetes: the CLI pins what lib/spark-rbac.ts opens', () => {
    const cli = cliPorts('K8S_PORTS');
    expect(cli).toEqual({ driver: SPARK_K8S_PORTS.driver, driverBlockManager: SPARK_K8S_PORTS.blockManager, blockManager: SPARK_K8S_PORTS.blockManager });
  });

  test('standalone: the CLI pins what lib/spark-cluster.ts opens', () => {
    const cli = cliPorts('STANDALONE_PORTS');
    expect(cli).toEqual({ driver: SPARK_APP_PORTS.driver, driverBlockManager: SPARK_APP_PORTS.driverBlockManager, blockManager: SPARK_APP_PORTS.executorBlockManagerFirst });
  });

  test.each(Object.keys(ENVIRONMENTS))('%s: the policies let drivers and executors reach each other on exactly the pinned ports', (env) => {
    const objects = synthPlatform(ENVIRONMENTS[env]);
    const k8s = cliPorts('K8S_PORTS');
    const driver = { 'spark-role': 'driver' };
    const executor = { 'spark-role': 'executor' };
    expect([...opened(objects, executor, driver)].sort()).toEqual([k8s.driver, k8s.driverBlockManager].sort());
    expect([...opened(objects, driver, executor)]).toEqual([k8s.blockManager]);
    expect([...opened(objects, executor, executor)]).toEqual([k8s.blockManager]);
  });
});

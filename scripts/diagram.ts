/**
 * `npm run diagram`: the architecture picture, generated from the synthesized objects of each
 * environment (never drawn by hand). Writes docs/architecture-<env>.md (Mermaid) and the dev
 * diagram into README.md between the diagram markers. `--check` exits 1 when a committed file
 * is stale (CI and a test use it).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { PlatformConfig, podSpecOf, SparkAirflowPlatform } from '../lib';
import { ENVIRONMENTS } from '../stacks/environments';
import { REPO_ROOT } from '../stacks/paths';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export const README_START = '<!-- diagram:dev:start -->';
export const README_END = '<!-- diagram:dev:end -->';

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];

/** Pods the platform does not create itself but selects in NetworkPolicies, named for people. */
function virtualGroupName(labels: Record<string, string>): string | undefined {
  if (labels['spark-role'] === 'driver') return 'Spark driver pods';
  if (labels['spark-role'] === 'executor') return 'Spark executor pods';
  if (labels['app.kubernetes.io/name'] === 'spark-job') return `task pods: spark-job ${labels['spark-airflow-k8s/target'] ?? ''}`.trim();
  return undefined;
}

function id(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, '_');
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function ports(list: Obj[] | undefined): string {
  return (list ?? []).map((p) => (p.endPort ? `${p.port}-${p.endPort}` : String(p.port ?? p.containerPort))).join(',');
}

/** The Mermaid flowchart of one environment: one subgraph per namespace (platform, jobs). */
export function mermaid(config: PlatformConfig): string {
  const objects = new SparkAirflowPlatform(Testing.app(), 'spark-airflow', { config }).toJson() as Obj[];
  const namespaces = objects.filter((o) => o.kind === 'Namespace') as Obj[];
  const ours = new Set(namespaces.map((n) => n.metadata.name as string));
  const workloads = objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
  const podLabels = (w: Obj): Record<string, string> => (w.spec.template?.metadata?.labels ?? {}) as Record<string, string>;
  const nsOf = (o: Obj): string => o.metadata.namespace as string;
  const workloadId = (w: Obj) => id(`${w.kind}_${w.metadata.name}`);
  const saId = (ns: string, name: string) => id(`sa_${ns}_${name}`);
  const lines: string[] = ['flowchart LR'];
  // virtual groups (pods created at run time), per namespace: name -> node id
  const virtual = new Map<string, Map<string, string>>();
  const nodeFor = (selector: Record<string, string>, ns: string): string[] => {
    const hits = workloads.filter((w) => nsOf(w) === ns && matches(selector, podLabels(w))).map(workloadId);
    if (hits.length > 0) return hits;
    const name = virtualGroupName(selector);
    if (!name) return [];
    const groups = virtual.get(ns) ?? new Map<string, string>();
    virtual.set(ns, groups);
    if (!groups.has(name)) groups.set(name, id(`pods_${ns}_${name}`));
    return [groups.get(name) as string];
  };
  /** The namespace a policy peer's pods are in (undefined: not one of ours, e.g. kube-system DNS). */
  const peerNamespace = (peer: Obj, policyNs: string): string | undefined => {
    const named = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
    const ns = named ?? policyNs;
    return ours.has(ns) ? ns : undefined;
  };
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  // Collect the run-time pod groups the policies name first, so they are declared inside their namespace.
  for (const p of policies) {
    nodeFor(p.spec.podSelector.matchLabels ?? {}, nsOf(p));
    for (const rule of [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])]) {
      for (const peer of [...(rule.from ?? []), ...(rule.to ?? [])]) {
        const ns = peer.podSelector ? peerNamespace(peer, nsOf(p)) : undefined;
        if (ns) nodeFor(peer.podSelector.matchLabels ?? {}, ns);
      }
    }
  }
  const bindings = objects.filter((o) => o.kind === 'RoleBinding');
  const roleOf = (b: Obj) => objects.find((o) => o.kind === 'Role' && o.metadata.name === b.roleRef.name && nsOf(o) === nsOf(b)) as Obj;
  const boundTo = (b: Obj, ns: string, name: string) => b.subjects.some((s: Obj) => s.name === name && s.namespace === ns);
  namespaces.forEach((n, index) => {
    const ns = n.metadata.name as string;
    const role = index === 0 ? 'platform' : 'jobs';
    lines.push(`  subgraph ${id(`ns_${ns}`)}["${role} namespace ${ns} · Pod Security ${n.metadata.labels['pod-security.kubernetes.io/enforce']}"]`);
    for (const w of workloads.filter((x) => nsOf(x) === ns)) {
      const spec = podSpecOf(w) ?? {};
      const containerPorts = (spec.containers ?? []).flatMap((c: Obj) => c.ports ?? []);
      const sa = spec.serviceAccountName ? `<br/>sa: ${spec.serviceAccountName}` : '';
      const replicas = w.kind === 'DaemonSet' ? 'one per node' : w.kind === 'Job' ? 'job' : `${w.spec.replicas ?? 1} replica`;
      lines.push(`    ${workloadId(w)}["${w.kind} ${w.metadata.name}<br/>${replicas}${containerPorts.length ? `<br/>:${ports(containerPorts)}` : ''}${sa}"]`);
    }
    for (const s of objects.filter((o) => o.kind === 'Service' && nsOf(o) === ns)) {
      const exposed = s.spec.type === 'NodePort' ? ` NodePort ${s.spec.ports.map((p: Obj) => p.nodePort).join(',')}` : s.spec.clusterIP === 'None' ? ' headless' : '';
      lines.push(`    ${id(`svc_${s.metadata.name}`)}(["Service ${s.metadata.name}<br/>${ports(s.spec.ports)}${exposed}"])`);
      for (const target of nodeFor(s.spec.selector ?? {}, ns)) lines.push(`    ${id(`svc_${s.metadata.name}`)} --> ${target}`);
    }
    // Ingresses: host (https with a TLS Secret) to the Service they route to.
    for (const ing of objects.filter((o) => o.kind === 'Ingress' && nsOf(o) === ns)) {
      for (const rule of ing.spec.rules as Obj[]) {
        const scheme = (ing.spec.tls ?? []).some((t: Obj) => (t.hosts ?? []).includes(rule.host)) ? 'https' : 'http';
        const ingId = id(`ing_${ing.metadata.name}`);
        lines.push(`    ${ingId}>"Ingress ${ing.metadata.name}<br/>${scheme}://${rule.host}${ing.spec.ingressClassName ? `<br/>class ${ing.spec.ingressClassName}` : ''}"]`);
        for (const path of rule.http.paths as Obj[]) lines.push(`    ${ingId} --> ${id(`svc_${path.backend.service.name}`)}`);
      }
    }
    for (const [name, node] of [...(virtual.get(ns) ?? new Map<string, string>()).entries()].sort()) lines.push(`    ${node}[/"${name}"/]`);
    // ServiceAccounts and what their Roles allow, per namespace of the Role.
    for (const sa of objects.filter((o) => o.kind === 'ServiceAccount' && nsOf(o) === ns)) {
      const byNamespace = new Map<string, Map<string, Set<string>>>();
      for (const b of bindings.filter((x) => boundTo(x, ns, sa.metadata.name))) {
        const grants = byNamespace.get(nsOf(b)) ?? new Map<string, Set<string>>();
        byNamespace.set(nsOf(b), grants);
        for (const rule of roleOf(b).rules) {
          for (const r of rule.resources) {
            const key = `${r}${rule.resourceNames ? ` (${rule.resourceNames.join(',')})` : ''}`;
            const verbs = grants.get(key) ?? new Set<string>();
            for (const v of rule.verbs) verbs.add(v);
            grants.set(key, verbs);
          }
        }
      }
      const text = [...byNamespace].sort(([a], [b]) => a.localeCompare(b)).flatMap(([where, grants]) => [
        ...(where === ns ? [] : [`in ${where}:`]),
        ...[...grants].sort(([a], [b]) => a.localeCompare(b)).map(([r, verbs]) => `${r}: ${[...verbs].join(' ')}`),
      ]);
      lines.push(`    ${saId(ns, sa.metadata.name)}{{"ServiceAccount ${sa.metadata.name}<br/>${text.join('<br/>') || 'no grants'}"}}`);
    }
    lines.push('  end');
  });
  lines.push('  apiserver[("Kubernetes API server")]');
  lines.push('  outside(("outside the cluster"))');
  // the object store of the event logs (lib/spark-history.ts allowEventLogWriters names its policies)
  const storeFlows = policies.filter((p) => p.metadata.name.endsWith('-to-event-log-store-egress'));
  if (storeFlows.length > 0) lines.push('  eventlogs[("object store: Spark event logs")]');
  // Who runs as which ServiceAccount, and which pods each creates (launch path).
  for (const w of workloads) {
    const sa = podSpecOf(w)?.serviceAccountName;
    if (sa) lines.push(`  ${workloadId(w)} -. runs as .-> ${saId(nsOf(w), sa)}`);
  }
  // The pods created at run time run as the accounts the DAG contract names, in its namespace.
  const scheduler = workloads.find((w) => w.metadata.name === 'airflow-scheduler') ?? {};
  const dagEnv = Object.fromEntries(((podSpecOf(scheduler)?.containers?.[0]?.env ?? []) as Obj[]).map((e) => [e.name, e.value]));
  const jobs = dagEnv.SPARK_NAMESPACE as string;
  const taskPods = (target: string) => ({ 'app.kubernetes.io/name': 'spark-job', 'spark-airflow-k8s/target': target });
  const runtimeAccounts: [Record<string, string>, string | undefined][] = [
    // standalone task pods run with no token (dags/spark_tasks.py)
    [taskPods('k8s'), dagEnv.SPARK_SUBMITTER_SERVICE_ACCOUNT],
    [{ 'spark-role': 'driver' }, dagEnv.SPARK_DRIVER_SERVICE_ACCOUNT],
  ];
  for (const [pods, sa] of runtimeAccounts) {
    if (sa) for (const node of nodeFor(pods, jobs)) lines.push(`  ${node} -. runs as .-> ${saId(jobs, sa)}`);
  }
  const createsIn = (saNs: string, sa: string, where: string) => bindings.some((b) => nsOf(b) === where && boundTo(b, saNs, sa) &&
    roleOf(b).rules.some((r: Obj) => r.resources.includes('pods') && r.verbs.includes('create')));
  const schedulerSa: [string, string] = [nsOf(scheduler as Obj), podSpecOf(scheduler)?.serviceAccountName ?? 'airflow'];
  const launch: [[string, string], Record<string, string>][] = [
    [schedulerSa, taskPods('k8s')],
    [schedulerSa, taskPods('standalone')],
    [[jobs, dagEnv.SPARK_SUBMITTER_SERVICE_ACCOUNT ?? 'spark-submitter'], { 'spark-role': 'driver' }],
    [[jobs, dagEnv.SPARK_DRIVER_SERVICE_ACCOUNT ?? 'spark-driver'], { 'spark-role': 'executor' }],
  ];
  for (const [[saNs, sa], pods] of launch) {
    if (createsIn(saNs, sa, jobs)) for (const target of nodeFor(pods, jobs)) lines.push(`  ${saId(saNs, sa)} ==creates pods==> ${target}`);
  }
  // Network flows from the NetworkPolicies (ingress side; egress to outside and to the API server).
  const edges = new Set<string>();
  const externals = new Map<string, string>();
  for (const p of policies) {
    const targets = nodeFor(p.spec.podSelector.matchLabels ?? {}, nsOf(p));
    for (const rule of p.spec.ingress ?? []) {
      for (const peer of rule.from ?? []) {
        const peerNs = peer.podSelector ? peerNamespace(peer, nsOf(p)) : undefined;
        // another namespace's pods (an ingress controller, a Prometheus): one node per namespace
        const foreign = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
        const external = !peerNs && foreign && !ours.has(foreign) ? id(`ns_ext_${foreign}`) : undefined;
        if (external) externals.set(external, foreign);
        const sources = peer.ipBlock ? ['outside'] : peerNs ? nodeFor(peer.podSelector?.matchLabels ?? {}, peerNs) : external ? [external] : [];
        for (const s of sources) for (const t of targets) edges.add(`  ${s} -- "${ports(rule.ports)}" --> ${t}`);
      }
    }
    for (const rule of p.spec.egress ?? []) {
      for (const peer of rule.to ?? []) {
        if (!peer.ipBlock) continue;
        const api = (rule.ports ?? []).some((x: Obj) => x.port === 443 || x.port === 6443) && !(rule.ports ?? []).some((x: Obj) => x.port === 22);
        const to = storeFlows.includes(p) ? 'eventlogs' : api ? 'apiserver' : 'outside';
        for (const s of targets) edges.add(`  ${s} -- "${ports(rule.ports)}" --> ${to}`);
      }
    }
  }
  for (const [node, ns] of [...externals].sort()) lines.push(`  ${node}(("pods of namespace ${ns}"))`);
  lines.push(...[...edges].sort());
  return `${lines.join('\n')}\n`;
}

/** docs/architecture-<env>.md. */
export function architectureDoc(env: string, config: PlatformConfig): string {
  return [
    `# Architecture: ${env}`,
    '',
    `Generated by \`npm run diagram\` from the objects synthesized for \`${env}\` (do not edit).`,
    'The platform namespace holds Spark, Airflow, PostgreSQL and their Secrets; the jobs namespace',
    'everything that runs application code. Boxes are workloads, rounded boxes Services, hexagons',
    'ServiceAccounts with what their Roles allow (and where, when that is another namespace),',
    'slanted boxes the pods Airflow and Spark create at run time; labelled arrows are the flows the',
    'NetworkPolicies allow (everything else is denied), thick arrows who creates which pods.',
    '',
    '```mermaid',
    mermaid(config).trimEnd(),
    '```',
    '',
  ].join('\n');
}

/** README.md with the dev diagram between the markers. */
export function readmeWithDiagram(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} ... ${README_END} markers`);
  const block = `${README_START}\n\`\`\`mermaid\n${mermaid(ENVIRONMENTS.dev).trimEnd()}\n\`\`\`\n`;
  return readme.slice(0, start) + block + readme.slice(end);
}

function main(): void {
  const check = process.argv.includes('--check');
  const outputs = new Map<string, string>();
  for (const [env, config] of Object.entries(ENVIRONMENTS)) outputs.set(path.join(REPO_ROOT, 'docs', `architecture-${env}.md`), architectureDoc(env, config));
  const readmePath = path.join(REPO_ROOT, 'README.md');
  outputs.set(readmePath, readmeWithDiagram(fs.readFileSync(readmePath, 'utf8')));
  const stale = [...outputs].filter(([file, text]) => !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text).map(([file]) => path.relative(REPO_ROOT, file));
  if (check) {
    if (stale.length > 0) {
      process.stderr.write(`stale architecture diagrams: ${stale.join(', ')}; run \`npm run diagram\` and commit\n`);
      process.exitCode = 1;
    }
    return;
  }
  fs.mkdirSync(path.join(REPO_ROOT, 'docs'), { recursive: true });
  for (const [file, text] of outputs) fs.writeFileSync(file, text);
  process.stdout.write(stale.length ? `updated ${stale.join(', ')}\n` : 'diagrams are up to date\n');
}

if (require.main === module) main();

import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { PART_OF } from './labels';
import { checkDns1123Label, isIpv4Cidr, IssueCollector, ValidationError } from './validation';

/** A set of pods, by labels, in one of the namespaces the {@link NetworkFlows} manage. */
export interface PodGroup {
  /** Short name used in policy names, e.g. `spark-worker`. */
  readonly name: string;
  /** Labels that select the pods (matchLabels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Namespace of the pods. @default - the chart's namespace */
  readonly namespace?: string;
}

/** One end of a flow. */
export type FlowPeer = PodsPeer | ApiServerPeer | AnywherePeer | CidrPeer | NamespacePeer;

/**
 * Pods of a namespace the flows do not manage (a Prometheus, an ingress controller), by the
 * namespace's name and optionally by labels. Only the other end's policy is written.
 */
export interface NamespacePeer {
  /** Discriminator. */
  readonly kind: 'namespace';
  /** Name of the namespace. */
  readonly namespace: string;
  /** Labels of the pods in it. @default - every pod of the namespace */
  readonly podLabels?: Readonly<Record<string, string>>;
}

/** Pods of a namespace the flows manage. */
export interface PodsPeer {
  /** Discriminator. */
  readonly kind: 'pods';
  /** Which pods. */
  readonly group: PodGroup;
}

/** The Kubernetes API server (not selectable by labels: an IP block, see {@link NetworkFlowsProps.apiServerCidr}). */
export interface ApiServerPeer {
  /** Discriminator. */
  readonly kind: 'apiServer';
}

/** Any address (ingress to exposed UIs; egress to external databases and git hosts). */
export interface AnywherePeer {
  /** Discriminator. */
  readonly kind: 'anywhere';
}

/** Addresses outside the cluster, as an IPv4 CIDR (an external database, a git host). */
export interface CidrPeer {
  /** Discriminator. */
  readonly kind: 'cidr';
  /** e.g. "10.0.64.0/20"; "0.0.0.0/0" is any address. */
  readonly cidr: string;
}

/** Ports of a flow. */
export interface FlowPort {
  /** First (or only) port. */
  readonly port: number;
  /** Last port of a range. @default - a single port */
  readonly endPort?: number;
  /** @default "TCP" */
  readonly protocol?: 'TCP' | 'UDP';
}

/** A network flow the platform needs: traffic from one peer to another on some ports. */
export interface NetworkFlow {
  /** Unique DNS-1123 name; the policies are `<name>-ingress` and `<name>-egress`. */
  readonly name: string;
  /** Where connections start. */
  readonly from: FlowPeer;
  /** Where they go. */
  readonly to: FlowPeer;
  /** Destination ports. */
  readonly ports: readonly FlowPort[];
  /** Why the platform needs it (documentation, diagrams). */
  readonly purpose: string;
}

/** Props of {@link NetworkFlows}. */
export interface NetworkFlowsProps {
  /**
   * Where the Kubernetes API server is, for egress of pods that call it. NetworkPolicies cannot
   * select the API server by label; narrow this to your control plane's addresses when you know them.
   * @default "0.0.0.0/0"
   */
  readonly apiServerCidr?: string;
  /**
   * Ports of the API server: the `kubernetes` Service port and the endpoint port behind it
   * (CNIs evaluate egress after the Service's DNAT).
   * @default [443, 6443]
   */
  readonly apiServerPorts?: readonly number[];
  /**
   * Further namespaces whose pods the flows may name (besides the chart's own): each gets the
   * same default-deny and DNS policies. A flow between namespaces becomes an egress policy in the
   * sender's namespace and an ingress policy in the receiver's, each naming the other end by
   * namespaceSelector plus podSelector.
   * @default - none
   */
  readonly extraNamespaces?: readonly string[];
}

/** Pods in a namespace, by labels. */
export interface NamespacedPods {
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Labels of the pods. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Pods of the cluster DNS (kube-dns / CoreDNS) in kube-system. */
export const CLUSTER_DNS: NamespacedPods = {
  /** Namespace of the DNS pods. */
  namespace: 'kube-system',
  /** Labels of the DNS pods. */
  labels: { 'k8s-app': 'kube-dns' },
};


/**
 * The NetworkPolicies of a chart's namespace (and of {@link NetworkFlowsProps.extraNamespaces}),
 * derived from the flows the constructs declare.
 *
 * Creating it denies all ingress and egress of every pod of those namespaces and allows DNS. Each construct that
 * opens a port declares the flows to it with {@link allow}; each flow becomes an ingress policy on
 * the receiving pods and an egress policy on the sending pods. There is no hand-kept list.
 * Use {@link NetworkFlows.of} to get the one of a chart.
 */
export class NetworkFlows extends Construct {
  /** The NetworkFlows of the chart `scope` belongs to, created with defaults on first use. */
  public static of(scope: IConstruct): NetworkFlows {
    const chart = Chart.of(scope);
    const existing = chart.node.tryFindChild(NetworkFlows.ID);
    return existing instanceof NetworkFlows ? existing : new NetworkFlows(chart, {});
  }

  private static readonly ID = 'NetworkFlows';

  private readonly declared: NetworkFlow[] = [];
  private readonly apiServerCidr: string;
  private readonly apiServerPorts: readonly number[];
  /** The chart's namespace (undefined: the objects get none, kubectl applies them to its current one). */
  private readonly namespace: string | undefined;
  /** Every namespace whose pods the flows may name: the chart's first. */
  public readonly namespaces: readonly (string | undefined)[];

  /** Creates the NetworkFlows of `chart` (one per chart). */
  constructor(chart: Chart, props: NetworkFlowsProps = {}) {
    super(chart, NetworkFlows.ID);
    const issues = new IssueCollector();
    this.apiServerCidr = props.apiServerCidr ?? '0.0.0.0/0';
    this.apiServerPorts = props.apiServerPorts ?? [443, 6443];
    if (!isIpv4Cidr(this.apiServerCidr)) issues.add('apiServerCidr', this.apiServerCidr, 'must be an IPv4 CIDR, e.g. "10.0.0.1/32" or "0.0.0.0/0"');
    for (const port of this.apiServerPorts) if (!validPort(port)) issues.add('apiServerPorts', port, 'must be a port number in 1-65535');
    const chartNamespace = chart.namespace;
    const extra = props.extraNamespaces ?? [];
    if (chartNamespace === undefined && extra.length > 0) issues.add('extraNamespaces', extra, 'need a chart with a namespace: a flow between namespaces names both');
    for (const ns of extra) {
      if (checkDns1123Label(issues, 'extraNamespaces', ns) && (ns === chartNamespace || extra.indexOf(ns) !== extra.lastIndexOf(ns))) {
        issues.add('extraNamespaces', ns, 'must differ from the chart\'s namespace and from each other');
      }
    }
    ValidationError.throwIfAny(issues.issues);
    this.namespace = chartNamespace;
    this.namespaces = [chartNamespace, ...extra];
    for (const ns of this.namespaces) this.denyAll(ns);
  }

  /** Deny all ingress and egress of every pod of `namespace`; allow DNS. */
  private denyAll(namespace: string | undefined): void {
    const id = (name: string) => (namespace === this.namespace ? name : `${namespace}-${name}`);
    new kplus.NetworkPolicy(this, id('DefaultDeny'), {
      metadata: this.policyMetadata('default-deny-all', namespace),
      selector: kplus.Pods.all(this, id('AllPods')),
      ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
      egress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });
    const dns = kplus.Pods.select(this, id('ClusterDns'), {
      labels: CLUSTER_DNS.labels,
      namespaces: kplus.Namespaces.select(this, id('KubeSystem'), { names: [CLUSTER_DNS.namespace] }),
    });
    new kplus.NetworkPolicy(this, id('Dns'), {
      metadata: this.policyMetadata('allow-dns-egress', namespace),
      selector: kplus.Pods.all(this, id('AllPodsDns')),
      egress: { rules: [{ peer: dns, ports: [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)] }] },
    });
  }

  /** Every flow declared so far. */
  public get flows(): readonly NetworkFlow[] {
    return this.declared;
  }

  /** Allows a flow: an ingress policy on the receiving pods and an egress policy on the sending pods. */
  public allow(flow: NetworkFlow): void {
    const issues = new IssueCollector(`flow ${flow.name}`);
    if (checkDns1123Label(issues, 'name', flow.name) && flow.name.length > 55) issues.add('name', flow.name, 'must be at most 55 characters (policies append "-ingress")');
    if (this.declared.some((f) => f.name === flow.name)) issues.add('name', flow.name, 'is declared twice');
    if (flow.from.kind !== 'pods' && flow.to.kind !== 'pods') issues.add('from', flow.from.kind, 'a flow needs pods at one end at least');
    for (const end of [flow.from, flow.to]) {
      if (end.kind === 'pods' && !this.namespaces.includes(this.namespaceOf(end.group))) {
        issues.add('namespace', end.group.namespace, `must be one of the namespaces the flows manage (${this.namespaces.map((n) => `"${n}"`).join(', ')}): a policy in any other namespace would not be default-deny`);
      }
    }
    for (const end of [flow.from, flow.to]) if (end.kind === 'cidr' && !isIpv4Cidr(end.cidr)) issues.add('cidr', end.cidr, 'must be an IPv4 CIDR, e.g. "10.0.0.0/16"');
    for (const end of [flow.from, flow.to]) if (end.kind === 'namespace') checkDns1123Label(issues, 'namespace', end.namespace);
    if (flow.ports.length === 0) issues.add('ports', flow.ports, 'must name at least one port');
    for (const p of flow.ports) {
      if (!validPort(p.port) || (p.endPort !== undefined && (!validPort(p.endPort) || p.endPort < p.port))) issues.add('ports', p, 'must be ports in 1-65535 with endPort >= port');
    }
    ValidationError.throwIfAny(issues.issues);
    this.declared.push(flow);

    const ports = flow.ports.map(toPolicyPort);
    if (flow.to.kind === 'pods') {
      const ns = this.namespaceOf(flow.to.group);
      new kplus.NetworkPolicy(this, `${flow.name}-ingress`, {
        metadata: this.policyMetadata(`${flow.name}-ingress`, ns),
        selector: this.pods(`${flow.name}-to`, flow.to.group),
        ingress: { rules: [{ peer: this.peer(`${flow.name}-from`, flow.from, ns), ports }] },
      });
    }
    if (flow.from.kind === 'pods') {
      const ns = this.namespaceOf(flow.from.group);
      new kplus.NetworkPolicy(this, `${flow.name}-egress`, {
        metadata: this.policyMetadata(`${flow.name}-egress`, ns),
        selector: this.pods(`${flow.name}-source`, flow.from.group),
        egress: { rules: [{ peer: this.peer(`${flow.name}-dest`, flow.to, ns), ports }] },
      });
    }
  }

  /** Allows pods to call the Kubernetes API server (on {@link NetworkFlowsProps.apiServerPorts}). */
  public allowApiServer(name: string, from: PodGroup, purpose: string): void {
    this.allow({ name, from: { kind: 'pods', group: from }, to: { kind: 'apiServer' }, ports: this.apiServerPorts.map((port) => ({ port })), purpose });
  }

  /** The namespace of a group's pods. */
  public namespaceOf(group: PodGroup): string | undefined {
    return group.namespace ?? this.namespace;
  }

  /** Metadata of a policy in `namespace`: the chart's namespace is implied, any other named. */
  private policyMetadata(name: string, namespace: string | undefined): kplus.NetworkPolicyProps['metadata'] {
    return { name, labels: { 'app.kubernetes.io/part-of': PART_OF }, ...(namespace === this.namespace ? {} : { namespace }) };
  }

  /** The selector of a group's pods in the group's own namespace (the policy lives there). */
  private pods(id: string, group: PodGroup): kplus.Pods {
    return kplus.Pods.select(this, id, { labels: { ...group.labels } });
  }

  /** A peer as seen from a policy in `policyNamespace`: pods elsewhere also by namespace. */
  private peer(id: string, peer: FlowPeer, policyNamespace: string | undefined): kplus.INetworkPolicyPeer {
    switch (peer.kind) {
      case 'pods': {
        const ns = this.namespaceOf(peer.group);
        if (ns === policyNamespace || ns === undefined) return this.pods(id, peer.group);
        return kplus.Pods.select(this, id, { labels: { ...peer.group.labels }, namespaces: kplus.Namespaces.select(this, `${id}-namespace`, { names: [ns] }) });
      }
      case 'apiServer': return kplus.NetworkPolicyIpBlock.ipv4(this, id, this.apiServerCidr);
      case 'anywhere': return kplus.NetworkPolicyIpBlock.anyIpv4(this, id);
      case 'cidr': return kplus.NetworkPolicyIpBlock.ipv4(this, id, peer.cidr);
      case 'namespace': {
        const namespaces = kplus.Namespaces.select(this, `${id}-namespace`, { names: [peer.namespace] });
        return peer.podLabels && Object.keys(peer.podLabels).length > 0 ? kplus.Pods.select(this, id, { labels: { ...peer.podLabels }, namespaces }) : namespaces;
      }
    }
  }
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

function toPolicyPort(p: FlowPort): kplus.NetworkPolicyPort {
  const protocol = p.protocol === 'UDP' ? kplus.NetworkProtocol.UDP : kplus.NetworkProtocol.TCP;
  return kplus.NetworkPolicyPort.of({ port: p.port, ...(p.endPort !== undefined && p.endPort !== p.port ? { endPort: p.endPort } : {}), protocol });
}

import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { NetworkFlows, NamespacePeer, PodGroup } from './network';
import { checkDns1123Label, checkLabels, isDns1123Subdomain, IssueCollector } from './validation';

/**
 * An Ingress in front of a UI: the production alternative to NodePorts and port-forward. Routes
 * every path of `host` to the UI's Service; the UI's pods accept connections from the ingress
 * controller's namespace only (see {@link IngressControllerOptions}).
 */
export interface UiIngressOptions {
  /** Host name the Ingress answers, e.g. "airflow.example.com". */
  readonly host: string;
  /** IngressClass of the controller that serves it (`spec.ingressClassName`). @default - the cluster's default IngressClass */
  readonly className?: string;
  /**
   * Serve HTTPS with this Secret (type kubernetes.io/tls, in the UI's namespace; e.g. made by
   * cert-manager). @default - no TLS: plain HTTP
   */
  readonly tlsSecretName?: string;
  /** Annotations for the controller (e.g. `cert-manager.io/cluster-issuer`). @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Where the controller's pods run (the only ones let through to the UI).
   * @default - the platform's `network.ingressController`, else namespace "ingress-nginx"
   */
  readonly controller?: IngressControllerOptions;
}

/** Where the ingress controller runs: NetworkPolicies let its pods (only) reach the UIs behind an Ingress. */
export interface IngressControllerOptions {
  /** Namespace of the controller's pods. @default "ingress-nginx" */
  readonly namespace?: string;
  /** Labels of the controller's pods in it. @default - every pod of the namespace */
  readonly podLabels?: Readonly<Record<string, string>>;
}

/**
 * The validated Ingress of a UI.
 * @internal
 */
export interface ResolvedUiIngress {
  readonly host: string;
  readonly className?: string;
  readonly tlsSecretName?: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly controller: NamespacePeer;
}

const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const ANNOTATION_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * Validates {@link UiIngressOptions} under `field` (e.g. "ui.ingress").
 * @internal
 */
export function resolveUiIngress(issues: IssueCollector, field: string, options: UiIngressOptions | undefined): ResolvedUiIngress | undefined {
  if (options === undefined) return undefined;
  let ok = true;
  if (typeof options.host !== 'string' || options.host.length > 253 || !HOST.test(options.host)) {
    issues.add(`${field}.host`, options.host, 'must be a fully qualified lowercase host name, e.g. "airflow.example.com" (a leading "*." allowed)');
    ok = false;
  }
  for (const key of ['className', 'tlsSecretName'] as const) {
    const value = options[key];
    if (value !== undefined && !isDns1123Subdomain(value)) {
      issues.add(`${field}.${key}`, value, `must be ${key === 'className' ? 'an IngressClass' : 'a Secret'} name (DNS-1123 subdomain)`);
      ok = false;
    }
  }
  for (const [key, value] of Object.entries(options.annotations ?? {})) {
    if (!ANNOTATION_KEY.test(key) || typeof value !== 'string') {
      issues.add(`${field}.annotations.${key}`, value, 'must be an annotation: a qualified name key and a string value');
      ok = false;
    }
  }
  const before = issues.issues.length;
  const controller = resolveIngressController(issues, `${field}.controller`, options.controller);
  if (!ok || issues.issues.length > before) return undefined;
  return {
    controller,
    host: options.host,
    ...(options.className ? { className: options.className } : {}),
    ...(options.tlsSecretName ? { tlsSecretName: options.tlsSecretName } : {}),
    annotations: { ...options.annotations },
  };
}

/**
 * Validates {@link IngressControllerOptions} under `field`.
 * @internal
 */
export function resolveIngressController(issues: IssueCollector, field: string, options: IngressControllerOptions | undefined): NamespacePeer {
  const namespace = options?.namespace ?? 'ingress-nginx';
  checkDns1123Label(issues, `${field}.namespace`, namespace);
  checkLabels(issues, `${field}.podLabels`, options?.podLabels);
  return { kind: 'namespace', namespace, ...(options?.podLabels ? { podLabels: { ...options.podLabels } } : {}) };
}

/** The URL users open through an Ingress: `https://<host>` with TLS, `http://<host>` without. */
export function ingressUrl(ingress: ResolvedUiIngress): string {
  return `${ingress.tlsSecretName ? 'https' : 'http'}://${ingress.host}`;
}

/**
 * The Ingress of one UI: `host` → the UI Service's port, with the controller's NetworkPolicy flow
 * to the UI's pods.
 */
export function addUiIngress(scope: Construct, id: string, opts: {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly service: kplus.Service;
  readonly port: number;
  readonly pods: PodGroup;
  readonly ingress: ResolvedUiIngress;
}): kplus.k8s.KubeIngress {
  const { ingress } = opts;
  const object = new kplus.k8s.KubeIngress(scope, id, {
    metadata: {
      name: opts.name,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      labels: { ...opts.labels },
      ...(Object.keys(ingress.annotations).length > 0 ? { annotations: { ...ingress.annotations } } : {}),
    },
    spec: {
      ...(ingress.className ? { ingressClassName: ingress.className } : {}),
      ...(ingress.tlsSecretName ? { tls: [{ hosts: [ingress.host], secretName: ingress.tlsSecretName }] } : {}),
      rules: [{
        host: ingress.host,
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: opts.service.name, port: { number: opts.port } } } }] },
      }],
    },
  });
  NetworkFlows.of(scope).allow({
    name: `${opts.pods.name}-ingress-controller`,
    from: ingress.controller,
    to: { kind: 'pods', group: opts.pods },
    ports: [{ port: opts.port }],
    purpose: `the ingress controller serves ${ingressUrl(ingress)}`,
  });
  return object;
}

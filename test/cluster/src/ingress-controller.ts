/**
 * A real ingress controller on the node: Traefik (built from its Go module, test/cluster/traefik)
 * with its Kubernetes Ingress provider, installed the way a cluster operator would (a namespace, a
 * ServiceAccount with the provider's read rights, an IngressClass, a Deployment). The scenario
 * requests each UI through it, so an Ingress we synthesize is proven to route: host rule, Service
 * port, TLS Secret, and the NetworkPolicy that lets the controller's namespace (only) through.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { containerSecurityContextJson, podSecurityContextJson } from '../../../lib/security';
import { expect } from './checks';
import { run } from './kube';

const MINUTE = 60_000;

/** IngressClass the controller serves; it is also the cluster's default class. */
export const INGRESS_CLASS = 'traefik';
const WEB_PORT = 8000;
const WEBSECURE_PORT = 8443;
const PING_PORT = 9000;

/** Traefik's image user (ours; upstream runs as root): the platform's restricted contexts with it. */
const RUN_AS = { user: 65532, group: 65532, fsGroup: 65532 };

/** The objects of the controller in `namespace`, running `image`. */
export function ingressControllerObjects(namespace: string, image: string): object[] {
  const labels = { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/part-of': 'spark-airflow-k8s-test' };
  const name = 'sak-test-traefik';
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'traefik', namespace, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels },
      // what Traefik's Kubernetes Ingress provider reads (its documented RBAC), and the Ingress status
      rules: [
        { apiGroups: [''], resources: ['services', 'secrets', 'nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: 'traefik', namespace }],
    },
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
      metadata: { name: INGRESS_CLASS, labels, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
      spec: { controller: 'traefik.io/ingress-controller' },
    },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'traefik', namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'traefik',
            securityContext: podSecurityContextJson(RUN_AS),
            containers: [{
              name: 'traefik',
              image,
              args: [
                `--entryPoints.web.address=:${WEB_PORT}`,
                `--entryPoints.websecure.address=:${WEBSECURE_PORT}`,
                '--entryPoints.websecure.http.tls=true',
                `--entryPoints.traefik.address=:${PING_PORT}`,
                '--ping=true',
                '--providers.kubernetesingress=true',
                '--global.checkNewVersion=false',
                '--global.sendAnonymousUsage=false',
                '--log.level=INFO',
              ],
              ports: [
                { name: 'web', containerPort: WEB_PORT },
                { name: 'websecure', containerPort: WEBSECURE_PORT },
                { name: 'ping', containerPort: PING_PORT },
              ],
              readinessProbe: { httpGet: { path: '/ping', port: 'ping' }, periodSeconds: 2 },
              livenessProbe: { httpGet: { path: '/ping', port: 'ping' }, periodSeconds: 10 },
              resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              securityContext: containerSecurityContextJson(RUN_AS),
            }],
          },
        },
      },
    },
  ];
}

/** Installs the controller in `namespace` (which must exist) and waits until it is Ready. */
export async function installIngressController(namespace: string, image: string): Promise<void> {
  const list = { apiVersion: 'v1', kind: 'List', items: ingressControllerObjects(namespace, image) };
  const apply = await run('kubectl', ['apply', '--server-side', '-f', '-'], 2 * MINUTE, JSON.stringify(list));
  expect(apply.code === 0, `kubectl apply of the ingress controller exited ${apply.code}: ${apply.stderr}`);
  const rollout = await run('kubectl', ['-n', namespace, 'rollout', 'status', 'deploy/traefik', '--timeout=120s'], 3 * MINUTE);
  expect(rollout.code === 0, `the ingress controller (Traefik) did not become Ready: ${rollout.stdout}${rollout.stderr}`);
}

/** Removes what {@link installIngressController} made (its namespace is the caller's). */
export async function uninstallIngressController(namespace: string, image: string): Promise<void> {
  const list = { apiVersion: 'v1', kind: 'List', items: ingressControllerObjects(namespace, image) };
  const del = await run('kubectl', ['delete', '--ignore-not-found', '--wait=true', '-f', '-'], 2 * MINUTE, JSON.stringify(list));
  expect(del.code === 0, `kubectl delete of the ingress controller exited ${del.code}: ${del.stderr}`);
}

/** What a request through the controller gave. */
export interface Routed {
  readonly status: number;
  readonly body: string;
  /** The subject of the certificate the controller served (HTTPS only). */
  readonly certificateSubject?: string;
}

/**
 * GETs `path` of `host` through the controller at `controllerIp`, as a browser resolving `host` to
 * it would: the Host header, and over HTTPS the SNI name, with the certificate verified against
 * `ca` for `host` (so only the Ingress's TLS Secret passes).
 */
export function viaIngress(controllerIp: string, host: string, path: string, tls?: { ca: string }): Promise<Routed> {
  return new Promise((resolvePromise, reject) => {
    const options = {
      host: controllerIp,
      port: tls ? WEBSECURE_PORT : WEB_PORT,
      path,
      method: 'GET',
      headers: { Host: host, Accept: 'application/json, text/html' },
      timeout: 15_000,
      ...(tls ? { servername: host, ca: tls.ca } : {}),
    };
    const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
      // read while the socket is still attached to the response (it is detached by 'end')
      const certificateSubject = tls ? subjectOf((res.socket as TLSSocket | null)?.getPeerCertificate()) : undefined;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), certificateSubject }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${controllerIp} for ${host}${path} in 15 s`)));
    req.on('error', reject);
    req.end();
  });
}

function subjectOf(cert: PeerCertificate | undefined): string | undefined {
  const cn = cert?.subject?.CN;
  return Array.isArray(cn) ? cn.join(',') : cn;
}

/** A self-signed certificate and key for `host` (PEM), made with openssl, for a TLS Secret. */
export async function selfSignedCertificate(host: string, dir: string): Promise<{ cert: string; key: string; certFile: string; keyFile: string }> {
  const certFile = `${dir}/${host}.crt`;
  const keyFile = `${dir}/${host}.key`;
  const r = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`, '-keyout', keyFile, '-out', certFile], MINUTE);
  expect(r.code === 0, `openssl req exited ${r.code}: ${r.stderr}`);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

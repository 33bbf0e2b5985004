import * as http from 'node:http';
import * as https from 'node:https';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { CliError, ExitCode } from './exit-codes';
import { apiStatus, type Kube, type LogEnd, type LogOptions, type LogStream, type Pod, type PodListing, type Secret, type WatchEvent, type WatchHandle } from './kube-api';

/**
 * Kubernetes configuration: a kubeconfig when KUBECONFIG is set (tests, running outside a
 * cluster), otherwise the pod's service account (token and CA under
 * /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT).
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv): { kc: KubeConfig; source: string } {
  const kc = new KubeConfig();
  if (env.KUBECONFIG) {
    try {
      kc.loadFromDefault();
    } catch (err) {
      throw new CliError(ExitCode.INTERNAL, `cannot load kubeconfig from KUBECONFIG=${env.KUBECONFIG}: ${(err as Error).message}`);
    }
    if (!kc.getCurrentCluster()) {
      throw new CliError(ExitCode.INTERNAL, `kubeconfig KUBECONFIG=${env.KUBECONFIG} has no current cluster`);
    }
    return { kc, source: `kubeconfig ${env.KUBECONFIG}` };
  }
  if (!env.KUBERNETES_SERVICE_HOST) {
    throw new CliError(
      ExitCode.INTERNAL,
      'no Kubernetes API configured: KUBERNETES_SERVICE_HOST is unset (not running in a pod) and KUBECONFIG is unset',
    );
  }
  kc.loadFromCluster();
  return { kc, source: 'in-cluster service account' };
}

export function createKube(env: NodeJS.ProcessEnv = process.env): Kube {
  const { kc, source } = loadKubeConfig(env);
  const core = kc.makeApiClient(CoreV1Api);
  const server = kc.getCurrentCluster()?.server ?? '';

  return {
    source,

    async getPod(namespace: string, name: string): Promise<Pod | undefined> {
      try {
        return await core.readNamespacedPod({ name, namespace });
      } catch (err) {
        if (apiStatus(err) === 404) {
          return undefined;
        }
        throw err;
      }
    },

    async deletePod(namespace: string, name: string): Promise<void> {
      try {
        await core.deleteNamespacedPod({ name, namespace });
      } catch (err) {
        if (apiStatus(err) !== 404) {
          throw err;
        }
      }
    },

    async configMapExists(namespace: string, name: string): Promise<boolean> {
      try {
        await core.readNamespacedConfigMap({ name, namespace });
        return true;
      } catch (err) {
        if (apiStatus(err) === 404) {
          return false;
        }
        throw err;
      }
    },

    async createSecret(namespace: string, secret: Secret): Promise<'created' | 'exists'> {
      try {
        await core.createNamespacedSecret({ namespace, body: secret });
        return 'created';
      } catch (err) {
        if (apiStatus(err) === 409) {
          return 'exists';
        }
        throw err;
      }
    },

    async listPod(namespace: string, name: string): Promise<PodListing> {
      const list = await core.listNamespacedPod({ namespace, fieldSelector: `metadata.name=${name}` });
      return { pod: list.items.find((p) => p.metadata?.name === name), resourceVersion: list.metadata?.resourceVersion ?? '' };
    },

    async watchPod(namespace, name, resourceVersion, timeoutSeconds, onEvent: (e: WatchEvent) => void, onDone): Promise<WatchHandle> {
      const controller = await new Watch(kc).watch(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
        {
          fieldSelector: `metadata.name=${name}`,
          resourceVersion: resourceVersion || undefined,
          allowWatchBookmarks: true,
          timeoutSeconds,
        },
        (type: string, object: unknown) => onEvent({ type, object }),
        onDone,
      );
      return { stop: () => controller.abort() };
    },

    streamLog(namespace, pod, container, options: LogOptions, onData): LogStream {
      const url = new URL(`${server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`);
      url.searchParams.set('container', container);
      url.searchParams.set('timestamps', 'true');
      url.searchParams.set('follow', String(options.follow));
      if (options.sinceTime) {
        url.searchParams.set('sinceTime', options.sinceTime);
      }
      let request: http.ClientRequest | undefined;
      let aborted = false;
      let settle: (end: LogEnd) => void = () => undefined;
      const done = new Promise<LogEnd>((resolve) => {
        let settled = false;
        settle = (end) => {
          if (!settled) {
            settled = true;
            resolve(end);
          }
        };
      });
      const opts: https.RequestOptions = { method: 'GET', headers: {} };
      kc.applyToHTTPSOptions(opts).then(
        () => {
          if (aborted) {
            settle({ ok: false, message: 'aborted' });
            return;
          }
          const lib = url.protocol === 'https:' ? https : http;
          request = lib.request(url, opts, (res) => {
            res.setEncoding('utf8');
            if (res.statusCode !== 200) {
              let body = '';
              res.on('data', (c: string) => (body += c));
              res.on('end', () => settle({ ok: false, status: res.statusCode, message: statusMessage(body) }));
              res.on('error', (e) => settle({ ok: false, status: res.statusCode, message: e.message }));
              return;
            }
            res.on('data', (c: string) => onData(c));
            res.on('end', () => settle({ ok: !aborted }));
            res.on('error', (e) => settle({ ok: false, message: e.message }));
            res.on('close', () => settle({ ok: false, message: res.complete ? 'closed' : 'connection closed before the log ended' }));
          });
          request.on('error', (e) => settle({ ok: false, message: e.message }));
          request.end();
        },
        (err: unknown) => settle({ ok: false, message: (err as Error).message }),
      );
      return {
        done,
        abort: () => {
          aborted = true;
          request?.destroy();
          settle({ ok: false, message: 'aborted' });
        },
      };
    },
  };
}

function statusMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string') {
      return (parsed as { message: string }).message;
    }
  } catch {
    // not a Status
  }
  return body.slice(0, 200);
}

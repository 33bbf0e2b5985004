import { PlatformConfig } from '../lib';

/** Production: workers only on dedicated Spark nodes, Guaranteed QoS, no UI exposed on nodes. */
export const prod: PlatformConfig = {
  environment: 'prod',
  spark: {
    master: { resources: { cpu: { request: '1', limit: '2' }, memory: { request: '2Gi', limit: '2Gi' }, }, daemonMemory: '1Gi' },
    worker: {
      resources: { cpu: { request: '4', limit: '4' }, memory: { request: '16Gi', limit: '16Gi' } },
      daemonMemory: '1Gi',
      nodeSelector: { 'node-role.kubernetes.io/spark': 'true' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'spark', effect: 'NoSchedule' }],
    },
    ui: { expose: false },
  },
};

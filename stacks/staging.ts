import { PlatformConfig } from '../lib';

/** Staging: production-shaped, smaller workers; UIs reached with kubectl port-forward. */
export const staging: PlatformConfig = {
  environment: 'staging',
  spark: {
    master: { resources: { cpu: { request: '500m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } } },
    worker: { resources: { cpu: { request: '2', limit: '2' }, memory: { request: '4Gi', limit: '4Gi' } } },
    ui: { expose: false },
  },
};

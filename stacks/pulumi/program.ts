/**
 * The stack program: the stack name picks the typed environment, stack config overrides a few
 * documented knobs, secrets come from Pulumi secret config, and one Platform component deploys
 * the chart. index.ts runs it; its exports are the stack outputs.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { ENVIRONMENTS } from '../environments';
import { PlatformConfig } from '../../lib';
import {
  CONFIG_NAMESPACE,
  ConfigSource,
  applyOverrides,
  checkSecrets,
  readOverrides,
  validateWithOverrides,
} from './config';
import { Platform, PlatformSecrets } from './platform';

/** The typed environment a stack deploys; an unknown stack name is an error listing the known ones. */
export function environmentForStack(stack: string, environments: Readonly<Record<string, PlatformConfig>> = ENVIRONMENTS): PlatformConfig {
  const config = Object.prototype.hasOwnProperty.call(environments, stack) ? environments[stack] : undefined;
  if (!config) {
    const known = Object.keys(environments);
    throw new pulumi.RunError(`Unknown Pulumi stack "${stack}": the stack name selects the environment, one of ${known.join(', ')} (e.g. \`pulumi stack init ${known[0]}\`)`);
  }
  return config;
}

/** The stack's config under `spark-airflow:`, as raw strings. */
function stackConfigSource(): ConfigSource {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const all = pulumi.runtime.allConfig();
  return {
    get: (key) => all[`${prefix}${key}`],
    keys: () => Object.keys(all).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
  };
}

/** Builds the stack: config, secrets, provider and the Platform component. */
export function deployStack(): Platform {
  const stack = pulumi.getStack();
  const base = environmentForStack(stack);
  const source = stackConfigSource();
  const overrides = readOverrides(stack, source);
  const config = applyOverrides(base, overrides);
  validateWithOverrides(stack, config, overrides);
  checkSecrets(stack, config, source);

  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const optionalSecret = (key: string) => (source.get(key) === undefined ? undefined : cfg.requireSecret(key));
  const secrets: PlatformSecrets = {
    airflowFernetKey: cfg.requireSecret('airflowFernetKey'),
    airflowApiSecretKey: cfg.requireSecret('airflowApiSecretKey'),
    airflowJwtSecret: cfg.requireSecret('airflowJwtSecret'),
    airflowAdminPassword: cfg.requireSecret('airflowAdminPassword'),
    sparkAuthSecret: optionalSecret('sparkAuthSecret'),
    airflowDatabaseUrl: optionalSecret('airflowDatabaseUrl'),
    airflowPostgresPassword: optionalSecret('airflowPostgresPassword'),
    eventLogAccessKeyId: optionalSecret('eventLogAccessKeyId'),
    eventLogSecretAccessKey: optionalSecret('eventLogSecretAccessKey'),
  };
  const provider = overrides.kubeContext !== undefined ? new k8s.Provider('kubernetes', { context: overrides.kubeContext }) : undefined;
  return new Platform('spark-airflow', { config, secrets }, provider ? { providers: [provider] } : {});
}

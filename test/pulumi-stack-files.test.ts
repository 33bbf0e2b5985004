/**
 * Every committed Pulumi.<stack>.yaml goes through the program's own config parsing, with its
 * values as the Pulumi CLI hands them to the program (strings; objects as JSON; `secure:` values
 * decrypted to secrets): a bad value fails here, not at `pulumi up`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '../stacks/environments';
import { CONFIG_NAMESPACE, ConfigSource, applyOverrides, readOverrides, validateWithOverrides } from '../stacks/pulumi/config';
import { environmentForStack } from '../stacks/pulumi/program';

const ROOT = path.resolve(__dirname, '..');

/** The `spark-airflow:` config of a stack file, as the CLI passes it to the program. */
function stackFileConfig(text: string): ConfigSource {
  const file = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const prefix = `${CONFIG_NAMESPACE}:`;
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(file.config ?? {})) {
    if (!key.startsWith(prefix)) continue;
    const secure = typeof value === 'object' && value !== null && 'secure' in value;
    values.set(key.slice(prefix.length), secure ? '<decrypted secret>' : typeof value === 'string' ? value : JSON.stringify(value));
  }
  return { get: (k) => values.get(k), keys: () => [...values.keys()] };
}

/** What `pulumi up` does with a stack file before deploying anything. */
function loadStackFile(stack: string, text: string): void {
  const source = stackFileConfig(text);
  const overrides = readOverrides(stack, source);
  validateWithOverrides(stack, applyOverrides(environmentForStack(stack), overrides), overrides);
}

const committed = (stack: string) => fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), 'utf8');

describe('committed Pulumi stack files', () => {
  test.each(Object.keys(ENVIRONMENTS))('Pulumi.%s.yaml passes the program\'s config parsing and validation', (stack) => {
    expect(() => loadStackFile(stack, committed(stack))).not.toThrow();
  });

  test('a value of the wrong type fails, naming the stack, the key, the value and the allowed range', () => {
    const bad = `${committed('dev')}\nconfig:\n  spark-airflow:sparkUiNodePort: thirty\n`.replace(/^config: \{\}\n/m, '');
    expect(() => loadStackFile('dev', bad)).toThrow(
      'Invalid Pulumi config for stack "dev":\n  - spark-airflow:sparkUiNodePort = "thirty": must be an integer in 30000-32767 (the Kubernetes NodePort range)',
    );
  });

  test('a value the platform refuses fails the same way, under the stack key', () => {
    const bad = 'config:\n  spark-airflow:sparkUiNodePort: 80\n  spark-airflow:sparkWorkerResources:\n    memory:\n      limit: lots\n';
    expect(() => loadStackFile('dev', bad)).toThrow(/spark-airflow:sparkUiNodePort = 80: spark\.ui\.nodePort = 80: must be an integer in 30000-32767/);
    expect(() => loadStackFile('dev', bad)).toThrow(/spark-airflow:sparkWorkerResources/);
  });

  test('an unknown key fails, listing the known ones', () => {
    expect(() => loadStackFile('prod', 'config:\n  spark-airflow:sparkUiPort: "30000"\n')).toThrow(/spark-airflow:sparkUiPort is not a known key; known keys: kubeContext, /);
  });
});

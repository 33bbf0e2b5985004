/**
 * `npm run diff -- <env>`: what `kubectl apply` would change in the current kube context
 * (`kubectl diff` over dist/<env>/). Exit codes: 0 no change, 1 changes shown, 2 a usage
 * problem or no reachable cluster (with a clear message).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../stacks/paths';

function fail(message: string): never {
  process.stderr.write(`npm run diff: ${message}\n`);
  process.exit(2);
}

function main(): void {
  const env = process.argv[2];
  const envs = fs.existsSync(path.join(REPO_ROOT, 'dist')) ? fs.readdirSync(path.join(REPO_ROOT, 'dist')).sort() : [];
  if (!env) fail(`name an environment: npm run diff -- <${envs.join('|') || 'env'}>`);
  const dir = path.join(REPO_ROOT, 'dist', env);
  if (!fs.existsSync(dir)) fail(`dist/${env} does not exist${envs.length ? ` (have: ${envs.join(', ')})` : ''}; run \`npm run synth\` first`);
  const kubectl = process.env.KUBECTL ?? 'kubectl';
  const client = spawnSync(kubectl, ['version', '--client'], { encoding: 'utf8' });
  if (client.error) fail(`${kubectl} was not found on PATH; install kubectl ${'1.28'} or set KUBECTL`);
  const context = spawnSync(kubectl, ['config', 'current-context'], { encoding: 'utf8' });
  const server = spawnSync(kubectl, ['version', '--request-timeout=5s', '-o', 'json'], { encoding: 'utf8' });
  if (server.status !== 0 || !/"serverVersion"/.test(server.stdout)) {
    const where = context.status === 0 ? `kube context "${context.stdout.trim()}"` : 'no kube context is set';
    fail(`no cluster reachable (${where}): ${(server.stderr || server.stdout).trim().split('\n').pop()}`);
  }
  process.stdout.write(`kubectl diff -f dist/${env}/ against context "${context.stdout.trim()}"\n`);
  const diff = spawnSync(kubectl, ['diff', '--server-side', '-f', dir], { stdio: 'inherit' });
  if (diff.status === 0) process.stdout.write('no changes\n');
  process.exit(diff.status === 0 || diff.status === 1 ? diff.status : 2);
}

main();

/** The deploy entry point's own errors (its real runs are in npm run test:pulumi). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DeployError, main, missingBinaries, selectStack } from '../stacks/pulumi/deploy';

describe('npm run deploy', () => {
  test.each([[[]], [['dev', 'launch']], [['dev', 'up', 'extra']]])('refuses %j with the usage', async (argv) => {
    await expect(main(argv)).rejects.toThrow(new DeployError('usage: npm run deploy -- <stack> [preview|up|refresh|destroy] [--yes] [--cwd <dir with Pulumi.yaml>]'));
  });

  test('an unknown stack names the known ones', async () => {
    await expect(selectStack('qa')).rejects.toThrow('unknown stack "qa": the stack name selects the environment, one of dev, staging, prod');
  });

  test('a directory without Pulumi.yaml is refused before Pulumi runs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-'));
    await expect(selectStack('dev', { workDir: dir })).rejects.toThrow(`no Pulumi.yaml in ${dir}`);
  });

  test('missing binaries are named with how to get them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-path-'));
    const missing = missingBinaries(dir);
    expect(missing[0]).toMatch(/^pulumi is not on PATH \(the Pulumi CLI: .*test\/pulumi-cli\/build\.sh/);
    for (const name of ['pulumi', 'pulumi-resource-kubernetes']) fs.writeFileSync(path.join(dir, name), '', { mode: 0o755 });
    expect(missingBinaries(dir)).toEqual([]);
  });
});

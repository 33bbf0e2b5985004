// Writes test/fixtures/return.json from src/fixture.ts (the real parse + build code path).
// test/return-json.test.ts fails when the committed file differs from what the code makes.
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'spark-job-fixture-'));
try {
  const outfile = join(dir, 'fixture.cjs');
  buildSync({ entryPoints: [join(root, 'src', 'fixture.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
  const { fixtureReturnJson } = createRequire(import.meta.url)(outfile);
  const fixtures = join(root, 'test', 'fixtures');
  const json = fixtureReturnJson(fixtures);
  writeFileSync(join(fixtures, 'return.json'), json);
  process.stdout.write(`wrote test/fixtures/return.json:\n${json}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

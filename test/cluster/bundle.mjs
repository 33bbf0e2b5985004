// Bundles the real-node programs (src/scenario.ts, src/provisioner.ts) with their dependencies,
// the ESM-only @kubernetes/client-node included, into CommonJS files under build/cluster/,
// as job/scripts/build.mjs does for the job CLI. Type checking: `tsc -p test/cluster`.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'build', 'cluster');
for (const name of ['scenario', 'provisioner']) {
  await build({
    entryPoints: [join(here, 'src', `${name}.ts`)],
    outfile: join(out, `${name}.js`),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    legalComments: 'none',
    logLevel: 'warning',
  });
}
console.log(`built ${out}/{scenario,provisioner}.js`);

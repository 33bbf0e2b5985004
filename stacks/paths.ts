import * as fs from 'fs';
import * as path from 'path';

/** The repository root: the nearest directory above this file holding package.json (works from stacks/ and build/stacks/). */
function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRoot(__dirname);

/** The DAG files shipped with the platform. */
export const DAGS_DIR = path.join(REPO_ROOT, 'dags');

/** The README is part of the contract: its return.json example and exit-code table follow the code. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../src/exit-codes';
import { MAIN_HELP, MONITOR_HELP } from '../src/cli-help';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

test('the README return.json example is the committed fixture', () => {
  const example = /```json\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBe(readFileSync(join(__dirname, 'fixtures', 'return.json'), 'utf8'));
});

test('the README exit-code table lists exactly the codes of src/exit-codes.ts', () => {
  const section = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('## Environment variables'));
  const documented = [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
  expect(documented).toEqual(Object.values(ExitCode));
});

test('--help texts name every exit code', () => {
  for (const code of Object.values(ExitCode)) {
    expect(MAIN_HELP).toMatch(new RegExp(`\\b${code} [a-zA-Z]`));
  }
  for (const code of [0, 1, 2, 3, 4, 5, 6, 7, 10]) {
    expect(MONITOR_HELP).toMatch(new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
  }
});

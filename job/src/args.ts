import { UsageError } from './exit-codes';

export type OptionKind = 'string' | 'boolean' | 'list';

export type OptionSpec = Readonly<Record<string, OptionKind>>;

export interface ParsedArgs {
  readonly strings: ReadonlyMap<string, string>;
  readonly booleans: ReadonlySet<string>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  /** Everything after a bare `--`, untouched. */
  readonly rest: readonly string[];
  readonly sawSeparator: boolean;
}

/**
 * A small, strict parser: `--opt value`, `--opt=value`, boolean `--flag`, repeatable list options,
 * and a bare `--` after which nothing is interpreted. Unknown options and missing values are
 * usage errors naming the option.
 */
export function parseArgs(command: string, argv: readonly string[], spec: OptionSpec): ParsedArgs {
  const strings = new Map<string, string>();
  const booleans = new Set<string>();
  const lists = new Map<string, string[]>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      return { strings, booleans, lists, rest: argv.slice(i + 1), sawSeparator: true };
    }
    if (!arg.startsWith('--')) {
      throw new UsageError(`${command}: unexpected argument "${arg}" (spark-submit arguments go after "--")`);
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const kind = spec[name];
    if (kind === undefined) {
      throw new UsageError(`${command}: unknown option --${name} (see ${command} --help)`);
    }
    if (kind === 'boolean') {
      if (eq >= 0) {
        throw new UsageError(`${command}: option --${name} takes no value, got "${arg.slice(eq + 1)}"`);
      }
      booleans.add(name);
      continue;
    }
    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next === '--') {
        throw new UsageError(`${command}: option --${name} needs a value`);
      }
      value = next;
      i++;
    }
    if (kind === 'list') {
      lists.set(name, [...(lists.get(name) ?? []), value]);
    } else {
      if (strings.has(name)) {
        throw new UsageError(`${command}: option --${name} given twice ("${strings.get(name)}" and "${value}")`);
      }
      strings.set(name, value);
    }
  }
  return { strings, booleans, lists, rest: [], sawSeparator: false };
}

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `2h`, `30m`, `90s`, `1h30m` → milliseconds. */
export function parseDuration(option: string, text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m || text.trim() === '' || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
    throw new UsageError(`${option} "${text}" is not a duration (use e.g. 90s, 30m, 2h or 1h30m)`);
  }
  const ms = ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
  if (ms <= 0) {
    throw new UsageError(`${option} "${text}" must be longer than zero`);
  }
  return ms;
}

export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || total === 0 ? `${s}s` : ''}`;
}

import { formatDuration, parseArgs, parseDuration } from '../src/args';
import { ExitCode, UsageError } from '../src/exit-codes';

describe('parseArgs', () => {
  const spec = { name: 'string', flag: 'boolean', label: 'list' } as const;

  test('reads --opt value, --opt=value, booleans, lists and everything after --', () => {
    const a = parseArgs('submit', ['--name', 'x y', '--flag', '--label=a=b', '--label', 'c=d', '--', '--name', 'z'], spec);
    expect(a.strings.get('name')).toBe('x y');
    expect(a.booleans.has('flag')).toBe(true);
    expect(a.lists.get('label')).toEqual(['a=b', 'c=d']);
    expect(a.rest).toEqual(['--name', 'z']);
    expect(a.sawSeparator).toBe(true);
  });

  test.each([
    [['--nope'], 'submit: unknown option --nope (see submit --help)'],
    [['--name'], 'submit: option --name needs a value'],
    [['--name', '--'], 'submit: option --name needs a value'],
    [['--flag=yes'], 'submit: option --flag takes no value, got "yes"'],
    [['--name', 'a', '--name', 'b'], 'submit: option --name given twice ("a" and "b")'],
    [['stray'], 'submit: unexpected argument "stray" (spark-submit arguments go after "--")'],
  ])('rejects %j with a message naming the option', (argv, message) => {
    let error: unknown;
    try {
      parseArgs('submit', argv, spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(message);
    expect((error as UsageError).exitCode).toBe(ExitCode.USAGE);
  });
});

describe('durations', () => {
  test.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['1h0m5s', 3_605_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration('--timeout', text)).toBe(ms);
  });

  test.each(['', '2', '2x', '1.5h', 'h', '0s', '-5m', '2 hours'])('%j is rejected naming the flag and value', (text) => {
    expect(() => parseDuration('--timeout', text)).toThrow(new RegExp(`^--timeout "${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
  });

  test('formats back', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(2_000)).toBe('2s');
  });
});

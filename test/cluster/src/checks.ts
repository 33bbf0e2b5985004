/**
 * A small sequential check runner for the real-node scenario: each check prints
 * `PASS <name>` or `FAIL <name>` (the reason indented below), timings print as
 * `TIME <what> <seconds>`, and the summary is `N passed, N failed` (run.sh adds the teardown
 * checks and prints the final line). A check that depends on an earlier one that failed is
 * reported as failed with that reason, never skipped silently.
 */

export class CheckFailure extends Error {}

/** Throws a CheckFailure with `message` unless `condition` holds. */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message);
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly detail?: string;
}

export class Checks {
  public readonly results: CheckResult[] = [];
  public readonly timings: { what: string; seconds: number }[] = [];
  private readonly failed = new Set<string>();

  /**
   * Runs one check. `needs` names checks that must have passed (otherwise this one fails
   * without running, naming them). Returns whether it passed.
   */
  public async run(name: string, fn: () => Promise<void> | void, needs: readonly string[] = []): Promise<boolean> {
    const t0 = Date.now();
    const missing = needs.filter((n) => this.failed.has(n) || !this.results.some((r) => r.name === n));
    let detail: string | undefined;
    if (missing.length > 0) {
      detail = `not run: needs ${missing.map((m) => `"${m}"`).join(', ')}`;
    } else {
      try {
        await fn();
      } catch (err) {
        detail = err instanceof CheckFailure ? err.message : `${(err as Error).stack ?? String(err)}`;
      }
    }
    const seconds = (Date.now() - t0) / 1000;
    const ok = detail === undefined;
    this.results.push({ name, ok, seconds, detail });
    if (!ok) this.failed.add(name);
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'} ${name} (${seconds.toFixed(1)}s)\n`);
    if (detail) process.stdout.write(`${indent(detail)}\n`);
    return ok;
  }

  /** Records and prints a timing. */
  public time(what: string, seconds: number): void {
    this.timings.push({ what, seconds });
    process.stdout.write(`TIME ${what} ${seconds.toFixed(1)}\n`);
  }

  /** Prints a fact worth reading in the output of a passing run (an INFO line). */
  public info(what: string): void {
    process.stdout.write(`INFO ${what}\n`);
  }

  public get passed(): number {
    return this.results.filter((r) => r.ok).length;
  }

  public get failures(): number {
    return this.results.length - this.passed;
  }
}

function indent(text: string): string {
  const lines = text.split('\n');
  const shown = lines.length > 40 ? [...lines.slice(0, 40), `... (${lines.length - 40} more lines)`] : lines;
  return shown.map((l) => `    ${l}`).join('\n');
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it returns a value other than undefined, at most `timeoutMs`; the error
 * names `what` and the last state `probe` reported through `state`.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: (state: { last: string }) => Promise<T | undefined>,
  intervalMs = 2000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const state = { last: 'no state seen yet' };
  for (;;) {
    try {
      const value = await probe(state);
      if (value !== undefined) return value;
    } catch (err) {
      state.last = `probe error: ${(err as Error).message}`;
    }
    if (Date.now() >= deadline) {
      throw new CheckFailure(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}; last: ${state.last}`);
    }
    await sleep(intervalMs);
  }
}

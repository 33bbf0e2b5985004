/**
 * Understanding what spark-submit prints. Spark logs through log4j, so every message may carry
 * a prefix such as `26/11/23 14:46:19 INFO Client: `; with structured logging on, a line is a
 * JSON object whose `msg` holds the message. Both are accepted.
 */

export type OutputFormat = 'spark-3.3+' | 'spark-3.0-3.2' | 'spark-2.x';

/** What a successful cluster-mode submit (waitAppCompletion=false) told us. */
export interface Deployment {
  readonly format: OutputFormat;
  readonly appName: string;
  readonly appId: string | null;
  readonly namespace: string | null;
  readonly driverPod: string;
  readonly submissionId: string | null;
}

export type FailureKind = 'already-exists' | 'pod-security' | 'forbidden' | 'connection-refused' | 'error';

const DEPLOYED_3_3 = /Deployed Spark application (.+) with application ID (\S+) and submission ID (\S+) into Kubernetes\.?\s*$/;
const DEPLOYED_3_0 = /Deployed Spark application (.+) with submission ID (\S+) into Kubernetes\.?\s*$/;
const DEPLOYED_2 = /Deployed Spark application (.+) into Kubernetes\.\s*$/;
const STATE_CHANGED = /LoggingPodStatusWatcherImpl.*State changed, new state:/;
const BLOCK_FIELD = /^\s+([a-z][a-z ]*[a-z]): (.*)$/;
const STANDALONE_APP_ID = /Connected to Spark cluster with app ID (\S+)/;

/** The log message of one output line: the `msg` of a JSON log line, else the line itself. */
export function messageOf(line: string): string {
  const trimmed = line.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { msg?: unknown }).msg === 'string') {
        return (parsed as { msg: string }).msg;
      }
    } catch {
      // not JSON after all: the raw line is the message
    }
  }
  return line.replace(/\r$/, '');
}

function splitSubmissionId(submissionId: string): { namespace: string | null; driverPod: string } {
  const colon = submissionId.indexOf(':');
  return colon < 0
    ? { namespace: null, driverPod: submissionId }
    : { namespace: submissionId.slice(0, colon), driverPod: submissionId.slice(colon + 1) };
}

/** One 2.x `LoggingPodStatusWatcherImpl` state block: `key: value` pairs, "N/A" read as absent. */
export type PodStateBlock = Readonly<Record<string, string | undefined>>;

/** All 2.x state blocks in the order printed. */
export function parseStateBlocks(lines: readonly string[]): PodStateBlock[] {
  const blocks: PodStateBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!STATE_CHANGED.test(lines[i])) {
      continue;
    }
    const block: Record<string, string | undefined> = {};
    let j = i + 1;
    for (; j < lines.length; j++) {
      const field = BLOCK_FIELD.exec(lines[j]);
      if (!field) {
        break;
      }
      block[field[1]] = field[2].trim() === 'N/A' ? undefined : field[2].trim();
    }
    blocks.push(block);
    i = j - 1;
  }
  return blocks;
}

/** `spark-app-selector -> spark-abc, spark-role -> driver` → the app selector (the app ID). */
function appIdFromLabels(labels: string | undefined): string | null {
  const match = labels ? /(?:^|,\s*)spark-app-selector -> ([^,\s]+)/.exec(labels) : null;
  return match ? match[1] : null;
}

/**
 * The deployment reported by a cluster-mode spark-submit, in any of the formats Spark has
 * printed; when several are printed, the last one wins. `undefined` when none was printed,
 * or when a 2.x deployment was printed without a state block naming the pod.
 */
export function parseDeployment(output: string): Deployment | undefined {
  const lines = output.split('\n').map(messageOf);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    let m = DEPLOYED_3_3.exec(line);
    if (m) {
      return { format: 'spark-3.3+', appName: m[1], appId: m[2], submissionId: m[3], ...splitSubmissionId(m[3]) };
    }
    m = DEPLOYED_3_0.exec(line);
    if (m) {
      return { format: 'spark-3.0-3.2', appName: m[1], appId: null, submissionId: m[2], ...splitSubmissionId(m[2]) };
    }
    m = DEPLOYED_2.exec(line);
    if (m) {
      const blocks = parseStateBlocks(lines.slice(0, i));
      const last = blocks[blocks.length - 1];
      const podName = last?.['pod name'];
      if (!last || !podName) {
        return undefined;
      }
      const namespace = last['namespace'] ?? null;
      return {
        format: 'spark-2.x',
        appName: m[1],
        appId: appIdFromLabels(last['labels']),
        namespace,
        driverPod: podName,
        submissionId: namespace ? `${namespace}:${podName}` : podName,
      };
    }
  }
  return undefined;
}

/** The app ID a client-mode driver prints once it has registered with a standalone master. */
export function parseStandaloneAppId(output: string): string | null {
  let appId: string | null = null;
  for (const line of output.split('\n')) {
    const m = STANDALONE_APP_ID.exec(messageOf(line));
    if (m) {
      appId = m[1];
    }
  }
  return appId;
}

/** What kind of failure the output shows, if any. */
export function classifyFailure(output: string): FailureKind | undefined {
  if (/reason=AlreadyExists|code=409\b|\bAlreadyExists\b|already exists/.test(output)) {
    return 'already-exists';
  }
  // PodSecurity admission answers 403 too, but RBAC is not the cause.
  if (/violates PodSecurity/.test(output)) {
    return 'pod-security';
  }
  if (/code=403\b|reason=Forbidden|\bis forbidden\b|\bForbidden\b/.test(output)) {
    return 'forbidden';
  }
  if (/Connection refused|ConnectException|UnknownHostException|No route to host/.test(output)) {
    return 'connection-refused';
  }
  if (/Exception|\bERROR\b|Error:/.test(output)) {
    return 'error';
  }
  return undefined;
}

const RELEVANT = /\bERROR\b|Exception|^Caused by|Error:|Forbidden|forbidden|already exists|refused|PodSecurity/;
const MAX_LINE = 400;

/**
 * The lines worth quoting in an error: errors, exceptions and their causes (no stack frames),
 * de-duplicated, the last `max` of them; when there are none, the last `max` non-empty lines.
 */
export function relevantLines(output: string, max = 6): string[] {
  const lines = output
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '' && !/^\s+at /.test(l) && !/^\s*\.\.\. \d+ more/.test(l));
  const seen = new Set<string>();
  const picked: string[] = [];
  for (const line of lines) {
    if (RELEVANT.test(line) && !seen.has(line)) {
      seen.add(line);
      picked.push(line);
    }
  }
  const chosen = (picked.length > 0 ? picked : lines).slice(-max);
  return chosen.map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}…` : l));
}

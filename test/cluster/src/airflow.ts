/**
 * The Airflow 3 REST API (/api/v2) as a user drives it: log in (SimpleAuthManager's /auth/token),
 * unpause and trigger a DAG, follow the run, read task instances, XComs and task logs.
 */
import { CheckFailure, waitFor } from './checks';

export interface DagRun {
  readonly dag_run_id: string;
  readonly state: string;
  readonly start_date?: string | null;
  readonly end_date?: string | null;
  readonly queued_at?: string | null;
}

export interface TaskInstance {
  readonly task_id: string;
  readonly state: string | null;
  readonly try_number: number;
  readonly start_date?: string | null;
  readonly end_date?: string | null;
}

export class AirflowClient {
  private token = '';

  constructor(public readonly baseUrl: string) {}

  /** POST /auth/token with the user's credentials (SimpleAuthManager: 201 {access_token}). */
  public async login(username: string, password: string): Promise<void> {
    const res = await fetch(`${this.baseUrl}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.text();
    if (res.status !== 201) throw new CheckFailure(`POST /auth/token: HTTP ${res.status}: ${body.slice(0, 300)}`);
    const token = (JSON.parse(body) as { access_token?: unknown }).access_token;
    if (typeof token !== 'string' || token === '') throw new CheckFailure(`POST /auth/token gave no access_token: ${body.slice(0, 300)}`);
    this.token = token;
  }

  /** One API call; throws a CheckFailure naming method, path, status and body on a non-2xx answer. */
  public async call<T>(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, accept, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new CheckFailure(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
    return (accept === 'application/json' ? JSON.parse(text) : text) as T;
  }

  public async unpause(dagId: string): Promise<void> {
    await this.call('PATCH', `/api/v2/dags/${dagId}?update_mask=is_paused`, { is_paused: false });
  }

  /** Triggers a run now with `conf`; returns its id. */
  public async trigger(dagId: string, runId: string, conf: Record<string, unknown> = {}): Promise<DagRun> {
    return this.call<DagRun>('POST', `/api/v2/dags/${dagId}/dagRuns`, { dag_run_id: runId, logical_date: null, conf });
  }

  public async dagRun(dagId: string, runId: string): Promise<DagRun> {
    return this.call<DagRun>('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`);
  }

  /** Waits until the run is success or failed; returns it (whatever its end state). */
  public async waitForRun(dagId: string, runId: string, timeoutMs: number): Promise<DagRun> {
    return waitFor(`DAG run ${dagId}/${runId} to finish`, timeoutMs, async (state) => {
      const run = await this.dagRun(dagId, runId);
      const tis = await this.taskInstances(dagId, runId).catch(() => []);
      state.last = `run ${run.state}; tasks ${tis.map((t) => `${t.task_id}=${t.state}#${t.try_number}`).join(', ')}`;
      return run.state === 'success' || run.state === 'failed' ? run : undefined;
    }, 3000);
  }

  public async taskInstances(dagId: string, runId: string): Promise<TaskInstance[]> {
    const r = await this.call<{ task_instances: TaskInstance[] }>('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances`);
    return r.task_instances;
  }

  public async taskInstance(dagId: string, runId: string, taskId: string): Promise<TaskInstance> {
    return this.call<TaskInstance>('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}`);
  }

  /** The XCom `return_value` of a task (what KubernetesPodOperator read from /airflow/xcom/return.json). */
  public async returnValue(dagId: string, runId: string, taskId: string): Promise<unknown> {
    const r = await this.call<{ value: unknown }>(
      'GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}/xcomEntries/return_value?deserialize=true`,
    );
    return r.value;
  }

  /** The text of a task try's log, as the UI shows it (all sources merged). */
  public async taskLog(dagId: string, runId: string, taskId: string, tryNumber: number): Promise<string> {
    const r = await this.call<{ content: unknown }>(
      'GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}/logs/${tryNumber}?full_content=true`,
    );
    return logText(r.content);
  }
}

/** Airflow 3 returns structured log lines ({event, timestamp, level, ...}); older forms are text. */
export function logText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((entry) => {
      if (typeof entry === 'string') return entry;
      if (entry && typeof entry === 'object') {
        const e = entry as Record<string, unknown>;
        const event = typeof e.event === 'string' ? e.event : JSON.stringify(e);
        const extra = Object.entries(e).filter(([k]) => !['event', 'timestamp', 'level', 'logger', 'sources'].includes(k));
        return extra.length > 0 ? `${event} ${extra.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}` : event;
      }
      return String(entry);
    }).join('\n');
  }
  return JSON.stringify(content);
}

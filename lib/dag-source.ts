import * as fs from 'fs';
import * as path from 'path';
import { isDns1123Subdomain, IssueCollector } from './validation';

/** Largest total size of a ConfigMap's data (the API server rejects bigger objects). */
export const CONFIG_MAP_MAX_BYTES = 1024 * 1024;

/** Airflow's ignore file in a DAG folder. */
export const AIRFLOW_IGNORE = '.airflowignore';
/** Glob rule that hides the kubelet's `..data` and `..<timestamp>` entries of a ConfigMap volume. */
export const KUBELET_DIRS_IGNORE = '..*/';

/** Where DAGs are mounted in every Airflow container that parses or runs them. */
export const DAGS_MOUNT_PATH = '/opt/airflow/dags';

/** Options of {@link DagSource.configMap}. */
export interface ConfigMapDagSourceOptions {
  /**
   * Directory whose files are packed into the ConfigMap at synth (recursively; `__pycache__`,
   * `*.pyc` and dotfiles are skipped).
   * @default "dags" relative to the current working directory
   */
  readonly directory?: string;
  /**
   * Name of the ConfigMap.
   * @default "airflow-dags"
   */
  readonly name?: string;
}

/** Options of {@link DagSource.gitSync}. */
export interface GitSyncDagSourceOptions {
  /** Repository URL: `https://host/path`, `ssh://user@host/path` or `user@host:path`. */
  readonly repo: string;
  /** Branch (or tag) to follow. @default "main" */
  readonly branch?: string;
  /** Directory of the DAGs inside the repository. @default - the repository root */
  readonly subPath?: string;
  /** How often to pull, as a Go duration (`30s`, `5m`), at least 10s. @default "60s" */
  readonly period?: string;
  /**
   * Secret with `username` and `password` (HTTPS) keys for a private repository.
   * @default - anonymous access
   */
  readonly credentialsSecret?: string;
}

/** A file packed into the DAG ConfigMap. */
export interface PackedDagFile {
  /** ConfigMap key: the relative path with "/" replaced by "__". */
  readonly key: string;
  /** Path relative to the DAG folder. */
  readonly path: string;
  /** Content, as text when it is valid UTF-8. */
  readonly text?: string;
  /** Content, base64, for binary files. */
  readonly base64?: string;
  /** Size in bytes as stored in the ConfigMap. */
  readonly size: number;
}

/** The kinds of DAG sources. */
export type DagSourceKind = 'configMap' | 'gitSync' | 'persistentVolumeClaim' | 'hostPath';

/**
 * Where Airflow gets its DAGs. Choose with a static factory; the volume is mounted at
 * /opt/airflow/dags in every container that parses or runs DAGs.
 */
export abstract class DagSource {
  /** The DAG files of a directory packed into a ConfigMap at synth (the default). */
  public static configMap(options: ConfigMapDagSourceOptions = {}): DagSource {
    return new ConfigMapDagSource(options);
  }

  /** A git-sync sidecar that keeps a clone of a repository in an emptyDir. */
  public static gitSync(options: GitSyncDagSourceOptions): DagSource {
    return new GitSyncDagSource(options);
  }

  /** An existing PersistentVolumeClaim (e.g. ReadOnlyMany storage filled by CI). */
  public static persistentVolumeClaim(claimName: string): DagSource {
    return new PvcDagSource(claimName);
  }

  /**
   * A directory on the node (the old single-node way). Dev-only opt-in: Pod Security
   * `baseline` and `restricted` forbid hostPath volumes, so the namespace must enforce `privileged`.
   */
  public static hostPath(hostDirectory: string): DagSource {
    return new HostPathDagSource(hostDirectory);
  }

  /** Which kind of source this is. */
  public abstract readonly kind: DagSourceKind;

  /** Validates the source; `field` is the config path for messages. @internal */
  public abstract validate(issues: IssueCollector, field: string): void;
}

/** @internal */
export class ConfigMapDagSource extends DagSource {
  public readonly kind = 'configMap';
  public readonly directory: string;
  public readonly name: string;
  private packed?: PackedDagFile[];

  constructor(options: ConfigMapDagSourceOptions) {
    super();
    this.directory = path.resolve(options.directory ?? 'dags');
    this.name = options.name ?? 'airflow-dags';
  }

  /**
   * The packed files, sorted by key (deterministic), plus a generated `.airflowignore`.
   *
   * The kubelet lays a ConfigMap volume out as a `..<timestamp>` directory, a `..data` link to it
   * and one link per key. Airflow's DAG discovery follows links, reaches that directory twice and
   * stops with "Detected recursive loop". The `.airflowignore` (glob syntax, which airflow.cfg
   * pins) hides those `..` entries; a `.airflowignore` of the DAG folder is kept and extended.
   */
  public files(): PackedDagFile[] {
    if (!this.packed) {
      const own = path.join(this.directory, AIRFLOW_IGNORE);
      const existing = fs.existsSync(own) ? fs.readFileSync(own, 'utf8') : '';
      const text = `${existing}${existing && !existing.endsWith('\n') ? '\n' : ''}${KUBELET_DIRS_IGNORE}\n`;
      this.packed = [...packDirectory(this.directory), { key: AIRFLOW_IGNORE, path: AIRFLOW_IGNORE, text, size: Buffer.byteLength(text) }]
        .sort((a, b) => a.key.localeCompare(b.key));
    }
    return this.packed;
  }

  public validate(issues: IssueCollector, field: string): void {
    if (!fs.existsSync(this.directory) || !fs.statSync(this.directory).isDirectory()) {
      issues.add(`${field}.directory`, this.directory, 'must be an existing directory of DAG files');
      return;
    }
    const files = this.files();
    for (const f of files) {
      if (!/^[-._a-zA-Z0-9]+$/.test(f.key) || f.key.length > 253) {
        issues.add(`${field}.directory`, this.directory, `holds ${JSON.stringify(f.path)}, whose name cannot be a ConfigMap key (allowed: a-z, A-Z, 0-9, "-", "_", "." in names)`);
      }
    }
    const total = files.reduce((sum, f) => sum + f.size, 0);
    if (total > CONFIG_MAP_MAX_BYTES) {
      const largest = [...files].sort((a, b) => b.size - a.size || a.path.localeCompare(b.path)).slice(0, 3);
      issues.add(`${field}.directory`, this.directory,
        `holds ${total} bytes of DAG files, over the ${CONFIG_MAP_MAX_BYTES}-byte ConfigMap limit; largest: ${largest.map((f) => `${f.path} (${f.size} bytes)`).join(', ')}; ` +
        'move data files out of the DAG folder or use DagSource.gitSync() or DagSource.persistentVolumeClaim()');
    }
  }
}

const GIT_URL = /^(https:\/\/[A-Za-z0-9.-]+(:[0-9]+)?\/[A-Za-z0-9._~\/-]+|ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:[0-9]+)?\/[A-Za-z0-9._~\/-]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._~\/-]+)$/;
const GIT_REF = /^(?!\/|.*\/\/|.*\.\.|.*\/$|.*\.lock$|.*@\{)[A-Za-z0-9._\/-]+$/;
const DURATION = /^([0-9]+)(s|m|h)$/;

/** @internal */
export class GitSyncDagSource extends DagSource {
  public readonly kind = 'gitSync';
  public readonly repo: string;
  public readonly branch: string;
  public readonly subPath: string;
  public readonly period: string;
  public readonly credentialsSecret?: string;

  constructor(options: GitSyncDagSourceOptions) {
    super();
    this.repo = options.repo;
    this.branch = options.branch ?? 'main';
    this.subPath = options.subPath ?? '';
    this.period = options.period ?? '60s';
    this.credentialsSecret = options.credentialsSecret;
  }

  public validate(issues: IssueCollector, field: string): void {
    if (typeof this.repo !== 'string' || !GIT_URL.test(this.repo) || this.repo.includes('..')) {
      issues.add(`${field}.repo`, this.repo, 'must be a git URL: https://host/path, ssh://user@host/path or user@host:path (no credentials in the URL; use credentialsSecret)');
    } else if (/^https:\/\/[^/]*@/.test(this.repo)) {
      issues.add(`${field}.repo`, this.repo, 'must not embed credentials; use credentialsSecret');
    }
    if (!GIT_REF.test(this.branch)) issues.add(`${field}.branch`, this.branch, 'must be a valid git branch or tag name');
    if (this.subPath !== '' && (path.posix.isAbsolute(this.subPath) || this.subPath.split('/').includes('..') || !/^[A-Za-z0-9._\/-]+$/.test(this.subPath))) {
      issues.add(`${field}.subPath`, this.subPath, 'must be a relative path inside the repository without ".."');
    }
    const period = DURATION.exec(this.period);
    const seconds = period ? Number(period[1]) * { s: 1, m: 60, h: 3600 }[period[2] as 's' | 'm' | 'h'] : 0;
    if (seconds < 10) issues.add(`${field}.period`, this.period, 'must be a duration of at least 10s, e.g. "30s", "5m"');
    if (this.credentialsSecret !== undefined && !isDns1123Subdomain(this.credentialsSecret)) {
      issues.add(`${field}.credentialsSecret`, this.credentialsSecret, 'must be the name of a Secret (DNS-1123 subdomain)');
    }
  }
}

/** @internal */
export class PvcDagSource extends DagSource {
  public readonly kind = 'persistentVolumeClaim';
  constructor(public readonly claimName: string) {
    super();
  }

  public validate(issues: IssueCollector, field: string): void {
    if (!isDns1123Subdomain(this.claimName)) {
      issues.add(`${field}.claimName`, this.claimName, 'must be the name of a PersistentVolumeClaim (DNS-1123 subdomain)');
    }
  }
}

/** @internal */
export class HostPathDagSource extends DagSource {
  public readonly kind = 'hostPath';
  constructor(public readonly hostDirectory: string) {
    super();
  }

  public validate(issues: IssueCollector, field: string): void {
    if (typeof this.hostDirectory !== 'string' || !path.posix.isAbsolute(this.hostDirectory) || this.hostDirectory.split('/').includes('..')) {
      issues.add(`${field}.path`, this.hostDirectory, 'must be an absolute path on the node without ".."');
    }
  }
}

/** Packs every file of a directory (sorted, deterministic). */
export function packDirectory(directory: string): PackedDagFile[] {
  const out: PackedDagFile[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      if (name.startsWith('.') || name === '__pycache__' || name.endsWith('.pyc')) continue;
      const full = path.join(dir, name);
      const stat = fs.statSync(full);
      if (stat.isDirectory()) {
        walk(full);
        continue;
      }
      if (!stat.isFile()) continue;
      const rel = path.relative(directory, full).split(path.sep).join('/');
      const key = rel.split('/').join('__');
      const bytes = fs.readFileSync(full);
      const text = bytes.toString('utf8');
      if (Buffer.from(text, 'utf8').equals(bytes)) out.push({ key, path: rel, text, size: bytes.length });
      else {
        const base64 = bytes.toString('base64');
        out.push({ key, path: rel, base64, size: base64.length });
      }
    }
  };
  walk(directory);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

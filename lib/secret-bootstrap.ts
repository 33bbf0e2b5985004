import { ApiObject, Chart, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { objectLabels, selectorLabels } from './labels';
import { NetworkFlows } from './network';
import { ParsedResources, toKplusResources } from './resources';
import { containerSecurityContext, hardenPodSpec, podSecurityContext, RunAs } from './security';
import { nameJobAfterTemplate } from './jobs';
import { SECRETS_BOOTSTRAP_SCRIPT } from './secret-bootstrap-script';
import { imageSuppressions, suppress, SUPPRESSIONS } from './scanners';
import { checkDns1123Label, IssueCollector, ValidationError } from './validation';
import { AIRFLOW_UID, IMAGES } from './versions';

/** How one key of a generated Secret gets its value. */
export type GeneratedValue = RandomValue | PostgresUrlValue;

/** A random value: a Fernet key (32 random bytes, URL-safe base64) or a URL-safe token of 32 random bytes. */
export interface RandomValue {
  /** `fernet` or `token`. */
  readonly generate: 'fernet' | 'token';
}

/** A SQLAlchemy PostgreSQL URL whose password is another (generated) key of the same Secret. */
export interface PostgresUrlValue {
  /** Discriminator. */
  readonly generate: 'postgres-url';
  /** The key of the generated password. */
  readonly passwordKey: string;
  /** Database user. */
  readonly user: string;
  /** Database host. */
  readonly host: string;
  /** Database port. */
  readonly port: number;
  /** Database name. */
  readonly database: string;
}

/** A Secret the bootstrap Job creates when it does not exist. */
export interface GeneratedSecret {
  /** Secret name (DNS-1123 label). */
  readonly name: string;
  /** Keys and how to generate them. */
  readonly keys: Readonly<Record<string, GeneratedValue>>;
}

/** Props of {@link SecretBootstrap}. */
export interface SecretBootstrapProps {
  /**
   * An image with python3 (standard library only is used).
   * @default IMAGES.airflow
   */
  readonly image?: string;
  /**
   * Numeric user the image runs as.
   * @default - uid 50000, gid 0 (the airflow user)
   */
  readonly runAs?: RunAs;
}

const BOOTSTRAP_RESOURCES: ParsedResources = { cpuRequestMillis: 50, cpuLimitMillis: 200, memoryRequestBytes: 64 * 2 ** 20, memoryLimitBytes: 128 * 2 ** 20 };

/** Name of the bootstrap Job and of its ServiceAccount, Role, RoleBinding and ConfigMap. */
export const SECRET_BOOTSTRAP_NAME = 'secrets-bootstrap';

/**
 * An in-cluster Job that creates the platform's Secrets with random values when they are absent,
 * so `kubectl apply -f dist/<env>/` works on a fresh cluster with no manual secret step and no
 * secret value ever appears in the manifests. Re-applying is safe: an existing Secret is left alone.
 *
 * Its ServiceAccount may create Secrets and get only the ones it manages (RBAC cannot restrict
 * `create` by name, as the name is not known when the request is authorized).
 * Constructs register their Secrets with {@link SecretBootstrap.of}(scope).generate(...).
 */
export class SecretBootstrap extends Construct {
  /** The SecretBootstrap of the chart `scope` belongs to; created on first use with `props`. */
  public static of(scope: IConstruct, props: SecretBootstrapProps = {}): SecretBootstrap {
    const chart = Chart.of(scope);
    const existing = chart.node.tryFindChild(SecretBootstrap.ID);
    return existing instanceof SecretBootstrap ? existing : new SecretBootstrap(chart, props);
  }

  private static readonly ID = 'SecretBootstrap';

  /** The Job. */
  public readonly job: kplus.Job;
  private readonly role: kplus.Role;
  private readonly specs: kplus.ConfigMap;
  private readonly names: string[] = [];
  private readonly serviceAccount: kplus.ServiceAccount;
  private readonly labels: Record<string, string>;
  private readonly copies = new Map<string, { role: kplus.Role; names: string[] }>();

  private constructor(chart: Chart, props: SecretBootstrapProps) {
    super(chart, SecretBootstrap.ID);
    const runAs = props.runAs ?? { user: AIRFLOW_UID, group: 0, fsGroup: 0 };
    const selector = selectorLabels(SECRET_BOOTSTRAP_NAME, 'bootstrap', SECRET_BOOTSTRAP_NAME);
    const labels = objectLabels(selector);
    this.labels = labels;
    const metadata = { name: SECRET_BOOTSTRAP_NAME, labels };
    const sa = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata, automountToken: true });
    this.serviceAccount = sa;
    this.role = this.createSecretsRole('');
    this.specs = new kplus.ConfigMap(this, 'Script', { metadata, data: { 'bootstrap.py': SECRETS_BOOTSTRAP_SCRIPT } });
    this.job = new kplus.Job(this, 'Job', {
      metadata,
      backoffLimit: 6,
      serviceAccount: sa,
      automountServiceAccountToken: true,
      securityContext: podSecurityContext(runAs),
      containers: [{
        name: 'bootstrap',
        image: props.image ?? IMAGES.airflow,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['python3', '/opt/bootstrap/bootstrap.py'],
        resources: toKplusResources(BOOTSTRAP_RESOURCES),
        securityContext: containerSecurityContext(runAs),
      }],
    });
    const [container] = this.job.containers;
    container.mount('/opt/bootstrap', kplus.Volume.fromConfigMap(this.job, 'ScriptVolume', this.specs, { name: 'bootstrap' }), { readOnly: true });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this.job, 'tmp-volume', 'tmp'));
    for (const [key, value] of Object.entries(labels)) this.job.podMetadata.addLabel(key, value);
    hardenPodSpec(ApiObject.of(this.job), '/spec/template/spec');
    nameJobAfterTemplate(this.job, SECRET_BOOTSTRAP_NAME);
    suppress(this.job, ...imageSuppressions([props.image ?? IMAGES.airflow]), SUPPRESSIONS.apiToken);
    NetworkFlows.of(this).allowApiServer('secrets-bootstrap-kube-api', { name: SECRET_BOOTSTRAP_NAME, labels: selector }, 'the bootstrap Job reads and creates its Secrets');
  }

  /** The Secrets registered so far. */
  public get secretNames(): readonly string[] {
    return this.names;
  }

  /** The namespaces each registered Secret is copied into. */
  public copiesOf(name: string): readonly string[] {
    return [...this.copies.entries()].filter(([, c]) => c.names.includes(name)).map(([ns]) => ns).sort();
  }

  /**
   * Keeps a copy of the registered Secret `name` in `namespace`: created when absent and updated
   * when its data differs from the original's, so that pods there mount it without any identity
   * of that namespace reading the chart's namespace. The Job gets `create` on Secrets of
   * `namespace` and `get`/`update` on the copy only.
   */
  public copy(name: string, namespace: string): void {
    const issues = new IssueCollector(`secrets-bootstrap ${name}`);
    if (!this.names.includes(name)) issues.add('name', name, 'must be registered with generate() before it is copied');
    if (checkDns1123Label(issues, 'namespace', namespace) && namespace === Chart.of(this).namespace) issues.add('namespace', namespace, 'must differ from the namespace of the original');
    if (this.copies.get(namespace)?.names.includes(name)) issues.add('namespace', namespace, 'already has a copy of this Secret');
    ValidationError.throwIfAny(issues.issues);
    let target = this.copies.get(namespace);
    if (!target) {
      target = { role: this.createSecretsRole(`-${namespace}`, namespace), names: [] };
      this.copies.set(namespace, target);
    }
    target.names.push(name);
    target.role.allow(['get', 'update'], kplus.Secret.fromSecretName(this, `Copy-${namespace}-${name}`, name));
  }

  /**
   * A Role that may create Secrets, bound to the Job's ServiceAccount, in `namespace` (default: the
   * chart's); `idSuffix` tells the construct ids apart. RBAC cannot restrict `create` by name.
   */
  private createSecretsRole(idSuffix: string, namespace?: string): kplus.Role {
    const metadata = { name: SECRET_BOOTSTRAP_NAME, labels: this.labels, ...(namespace === undefined ? {} : { namespace }) };
    const role = new kplus.Role(this, `Role${idSuffix}`, { metadata });
    role.allow(['create'], kplus.ApiResource.custom({ apiGroup: '', resourceType: 'secrets' }));
    new kplus.RoleBinding(this, `Binding${idSuffix}`, { metadata, role }).addSubjects(this.serviceAccount);
    return role;
  }

  /** Registers a Secret to create when absent. */
  public generate(secret: GeneratedSecret): void {
    const issues = new IssueCollector(`secrets-bootstrap ${secret.name}`);
    checkDns1123Label(issues, 'name', secret.name);
    if (this.names.includes(secret.name)) issues.add('name', secret.name, 'is registered twice');
    for (const [key, value] of Object.entries(secret.keys)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(key)) issues.add(`keys.${key}`, key, 'must be a Secret key: a-z, A-Z, 0-9, "-", "_", "."');
      if (value.generate === 'postgres-url' && secret.keys[value.passwordKey]?.generate !== 'token') {
        issues.add(`keys.${key}.passwordKey`, value.passwordKey, 'must name a generated token key of the same Secret');
      }
    }
    ValidationError.throwIfAny(issues.issues);
    this.names.push(secret.name);
    this.role.allow(['get'], kplus.Secret.fromSecretName(this, `Target-${secret.name}`, secret.name));
    const keys = Object.keys(secret.keys).sort().map((key) => ({ key, ...secret.keys[key] }));
    // Rendered at synth (cdk8s resolves the Lazy), so copies registered later are included.
    const spec = Lazy.any({ produce: () => `${JSON.stringify({ name: secret.name, keys, copyTo: this.copiesOf(secret.name) }, null, 2)}\n` });
    this.specs.addData(`secret-${secret.name}.json`, spec as unknown as string);
  }
}

/**
 * Airflow login per environment (lib/airflow/auth.ts): staging and prod use the FAB auth manager
 * with the admin created by the migration Job, dev SimpleAuthManager with the password file written
 * from the Secret. The rendered admin steps are run for real with the pinned Airflow
 * (requirements/airflow-lock.txt, installed by jest's globalSetup): the FAB one against a SQLite
 * database migrated by `airflow db migrate`, the SimpleAuthManager one followed by the manager's
 * own start-up, which must neither generate nor print a password.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AIRFLOW_SECRET_KEYS, AUTH_MANAGER_CLASSES, PlatformConfig, ValidationError, validatePlatformConfig } from '../lib';
import { ENVIRONMENTS } from '../stacks/environments';
import { find, findJob, K8sObject, podSpec, synthPlatform, workloads } from './support/synth';

type Container = { name: string; args?: string[]; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] };

function airflowCfg(objects: K8sObject[]): string {
  return find(objects, 'ConfigMap', 'airflow-config').data['airflow.cfg'] as string;
}

/** Every container (init included) of every pod template, as `<workload>/<container>`. */
function allContainers(objects: K8sObject[]): { where: string; c: Container }[] {
  return workloads(objects).flatMap((w) => [...(podSpec(w).initContainers ?? []), ...podSpec(w).containers]
    .map((c: Container) => ({ where: `${w.metadata.name}/${c.name}`, c })));
}

function readsAdminPassword(c: Container): boolean {
  return (c.env ?? []).some((e) => e.valueFrom?.secretKeyRef?.key === AIRFLOW_SECRET_KEYS.adminPassword);
}

function venvPython(): string {
  const venv = process.env.SPARK_AIRFLOW_VENV;
  if (!venv) throw new Error('SPARK_AIRFLOW_VENV is not set: run through jest (globalSetup builds the Airflow venv)');
  return path.join(venv, 'bin', 'python');
}

describe.each(['staging', 'prod'])('%s: the FAB auth manager', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);

  test('airflow.cfg names the FAB auth manager and nothing of SimpleAuthManager', () => {
    const cfg = airflowCfg(objects);
    expect(cfg).toContain(`auth_manager = ${AUTH_MANAGER_CLASSES.fab}`);
    expect(cfg).not.toContain('simple_auth_manager');
  });

  test('the migration Job migrates (init container), then creates the admin from the Secret; only it reads the password', () => {
    const job = findJob(objects, 'airflow-db-migrate');
    const spec = podSpec(job);
    expect(spec.initContainers.map((c: Container) => c.name)).toEqual(['wait-for-db', 'migrate']);
    expect(spec.containers.map((c: Container) => c.name)).toEqual(['admin-user']);
    const admin = spec.containers[0] as Container;
    expect(admin.env?.find((e) => e.name === 'AIRFLOW_ADMIN_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'airflow-secrets', key: 'admin-password' });
    expect(admin.env?.find((e) => e.name === 'AIRFLOW_ADMIN_USERNAME')?.value).toBe('admin');
    expect(allContainers(objects).filter(({ c }) => readsAdminPassword(c)).map(({ where }) => where)).toEqual([`${job.metadata.name}/admin-user`]);
  });

  test('the api-server has no password file step', () => {
    const api = find(objects, 'Deployment', 'airflow-api-server');
    expect((podSpec(api).initContainers ?? []).map((c: Container) => c.name)).toEqual(['wait-for-migrations']);
  });
});

describe('dev: SimpleAuthManager with the password from the Secret', () => {
  const objects = synthPlatform(ENVIRONMENTS.dev);

  test('airflow.cfg: one user admin, a password file in the api-server\'s emptyDir', () => {
    const cfg = airflowCfg(objects);
    expect(cfg).toContain(`auth_manager = ${AUTH_MANAGER_CLASSES.simple}`);
    expect(cfg).toContain('simple_auth_manager_users = admin:admin');
    expect(cfg).toContain('simple_auth_manager_passwords_file = /opt/airflow/auth/simple_auth_manager_passwords.json');
  });

  test('an init container of the api-server, and nothing else, reads the password; the migration only migrates', () => {
    expect(allContainers(objects).filter(({ c }) => readsAdminPassword(c)).map(({ where }) => where)).toEqual(['airflow-api-server/auth-password-file']);
    const spec = podSpec(findJob(objects, 'airflow-db-migrate'));
    expect(spec.containers.map((c: Container) => c.name)).toEqual(['migrate']);
  });

  test('the bootstrap Job generates admin-password with the other Airflow keys', () => {
    const spec = JSON.parse(find(objects, 'ConfigMap', 'secrets-bootstrap').data['secret-airflow-secrets.json'] as string) as { keys: { key: string }[] };
    expect(spec.keys).toContainEqual({ key: 'admin-password', generate: 'token' });
  });
});

describe('the admin steps, run with the pinned Airflow', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-auth-'));
  const password = 'correct horse battery staple 42';

  function script(objects: K8sObject[], workload: string, container: string): string {
    const w = workloads(objects).find((o) => o.metadata.name === workload || o.metadata.name.startsWith(`${workload}-`));
    const c = [...(podSpec(w as K8sObject).initContainers ?? []), ...podSpec(w as K8sObject).containers].find((x: Container) => x.name === container) as Container;
    expect(c.args?.slice(0, 2)).toEqual(['python', '-c']);
    return c.args?.[2] as string;
  }

  test('SimpleAuthManager: the file written from the Secret is the one the manager uses; it generates and prints nothing', () => {
    const home = path.join(work, 'simple');
    fs.mkdirSync(home);
    const file = path.join(home, 'passwords.json');
    const step = script(synthPlatform(ENVIRONMENTS.dev), 'airflow-api-server', 'auth-password-file').replace('/opt/airflow/auth/simple_auth_manager_passwords.json', file);
    const envBase = { ...process.env, AIRFLOW_HOME: home, AIRFLOW__CORE__LOAD_EXAMPLES: 'False', AIRFLOW__CORE__AUTH_MANAGER: AUTH_MANAGER_CLASSES.simple, AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: 'admin:admin', AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE: file };
    const out = execFileSync(venvPython(), ['-c', step], { env: { ...envBase, AIRFLOW_ADMIN_USERNAME: 'admin', AIRFLOW_ADMIN_PASSWORD: password }, encoding: 'utf8' });
    expect(out).not.toContain(password);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    const start = spawnSync(venvPython(), ['-c', [
      'from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager',
      'm = SimpleAuthManager(); m.init()',
      'import json; print("PASSWORDS " + json.dumps(SimpleAuthManager.get_passwords()))',
    ].join('\n')], { env: envBase, encoding: 'utf8' });
    expect(start.status).toBe(0);
    expect(start.stdout + start.stderr).not.toMatch(/Password for user/);
    expect(JSON.parse(/PASSWORDS (.*)/.exec(start.stdout)?.[1] ?? '{}')).toEqual({ admin: password });
  });

  test('SimpleAuthManager: a missing or short password fails the init container, naming the Secret key', () => {
    const step = script(synthPlatform(ENVIRONMENTS.dev), 'airflow-api-server', 'auth-password-file').replace('/opt/airflow/auth/', `${work}/`);
    const r = spawnSync(venvPython(), ['-c', step], { env: { ...process.env, AIRFLOW_ADMIN_USERNAME: 'admin', AIRFLOW_ADMIN_PASSWORD: 'short' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the admin password (Secret key admin-password) is missing or shorter than 12 characters');
  });

  test('FAB: the first run creates the admin, a second run with a rotated Secret resets the password; the hash matches only the current one', () => {
    const home = path.join(work, 'fab');
    fs.mkdirSync(home);
    const env = { ...process.env, AIRFLOW_HOME: home, AIRFLOW__CORE__LOAD_EXAMPLES: 'False', AIRFLOW__CORE__AUTH_MANAGER: AUTH_MANAGER_CLASSES.fab, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${home}/airflow.db` };
    execFileSync(path.join(path.dirname(venvPython()), 'airflow'), ['db', 'migrate'], { env, stdio: 'ignore' });
    const step = script(synthPlatform(ENVIRONMENTS.staging), 'airflow-db-migrate', 'admin-user');
    const adminEnv = { ...env, AIRFLOW_ADMIN_USERNAME: 'admin', AIRFLOW_ADMIN_EMAIL: 'admin@localhost' };
    const first = execFileSync(venvPython(), ['-c', step], { env: { ...adminEnv, AIRFLOW_ADMIN_PASSWORD: password }, encoding: 'utf8' });
    expect(first).toContain('created the admin user admin (role Admin)');
    const rotated = `${password} rotated`;
    const second = execFileSync(venvPython(), ['-c', step], { env: { ...adminEnv, AIRFLOW_ADMIN_PASSWORD: rotated }, encoding: 'utf8' });
    expect(second).toContain('admin user admin exists: active, role Admin, password set from the Secret');
    expect(first + second).not.toContain(password);
    const check = execFileSync(venvPython(), ['-c', [
      'import sqlite3, sys',
      'from werkzeug.security import check_password_hash',
      `row = sqlite3.connect("${home}/airflow.db").execute("select u.password, r.name from ab_user u join ab_user_role ur on ur.user_id = u.id join ab_role r on r.id = ur.role_id where u.username = 'admin'").fetchone()`,
      `print(check_password_hash(row[0], sys.argv[1]), check_password_hash(row[0], sys.argv[2]), row[1])`,
    ].join('\n'), rotated, password], { env, encoding: 'utf8' });
    expect(check.trim().split('\n').pop()).toBe('True False Admin');
  });
});

describe('auth options are validated with the full field path', () => {
  const withAuth = (auth: Record<string, unknown>): PlatformConfig => ({ ...ENVIRONMENTS.staging, airflow: { ...ENVIRONMENTS.staging.airflow, auth } as PlatformConfig['airflow'] });

  test.each([
    [{ manager: 'ldap' }, 'airflow.auth.manager', 'must be one of "fab", "simple"'],
    [{ adminUsername: 'ad:min' }, 'airflow.auth.adminUsername', 'must be 1-64 characters'],
    [{ adminEmail: 'not an address' }, 'airflow.auth.adminEmail', 'must be an e-mail address'],
  ])('%j', (auth, field, allowed) => {
    let error: unknown;
    try {
      validatePlatformConfig(withAuth(auth));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issue = (error as ValidationError).issues.find((i) => i.field === field);
    expect(issue?.problem ?? JSON.stringify((error as ValidationError).issues)).toContain(allowed);
    expect((error as Error).message).toContain('staging');
  });
});

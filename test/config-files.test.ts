/**
 * Every rendered configuration file reads back as written, checked with the real readers:
 * `java.util.Properties` (how Spark loads spark-defaults.conf) and Airflow's own config parser
 * (requirements/airflow-lock.txt, installed by jest's globalSetup), over hostile values.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { iniValueProblem, PlatformConfig, renderIni, renderProperties } from '../lib';
import { ENVIRONMENTS } from '../stacks/environments';
import { find, synthPlatform } from './support/synth';

const HOSTILE: Record<string, string> = {
  'spark.app.name': 'nightly\\',
  'spark.a': 'ends with two backslashes \\\\',
  'spark.b': ' leading space',
  'spark.c': 'trailing space ',
  'spark.d': 'a=b:c#d!e',
  'spark.e': '#starts like a comment',
  'spark.f': '!also a comment',
  'spark.g': 'line\nbreak\r\nand\ttab\fform feed',
  'spark.h': '\\u0041 is not A',
  'spark.i': 'ünïcødé and 😀',
  'spark.j': '',
  'spark.k': 'control \u0001 \u007f',
  'key with spaces': 'value',
  'key=with:separators#and!marks': 'value',
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'config-files-'));

/** Reads a properties file with java.util.Properties.load (UTF-8), as Spark does; key -> value. */
function javaProperties(file: string): Record<string, string> {
  const src = path.join(work, 'Dump.java');
  if (!fs.existsSync(path.join(work, 'Dump.class'))) {
    fs.writeFileSync(src, [
      'import java.io.*; import java.nio.charset.StandardCharsets; import java.util.*;',
      'public class Dump { public static void main(String[] a) throws Exception {',
      '  Properties p = new Properties();',
      '  try (Reader r = new InputStreamReader(new FileInputStream(a[0]), StandardCharsets.UTF_8)) { p.load(r); }',
      '  Base64.Encoder e = Base64.getEncoder();',
      '  for (String k : new TreeSet<>(p.stringPropertyNames()))',
      '    System.out.println(e.encodeToString(k.getBytes(StandardCharsets.UTF_8)) + " " + e.encodeToString(p.getProperty(k).getBytes(StandardCharsets.UTF_8)));',
      '} }',
    ].join('\n'));
    execFileSync('javac', ['-d', work, src]);
  }
  const out = execFileSync('java', ['-cp', work, 'Dump', file], { encoding: 'utf8' });
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => l.split(' ')).map(([k, v]) => [b64(k), b64(v ?? '')]));
}

/** Reads an airflow.cfg with Airflow's AirflowConfigParser; section -> key -> value (interpolated). */
function airflowConfig(file: string): Record<string, Record<string, string>> {
  const venv = process.env.SPARK_AIRFLOW_VENV;
  if (!venv) throw new Error('SPARK_AIRFLOW_VENV is not set: run through jest (globalSetup builds the Airflow venv)');
  const script = [
    'import json, sys',
    'from airflow.configuration import AirflowConfigParser',
    'p = AirflowConfigParser()',
    'p.read_string(open(sys.argv[1], encoding="utf-8").read())',
    'print(json.dumps({s: {k: p.get(s, k) for k in p._sections[s]} for s in p._sections}))',
  ].join('\n');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRFLOW__')));
  return JSON.parse(execFileSync(path.join(venv, 'bin', 'python'), ['-c', script, file], { encoding: 'utf8', env: { ...env, AIRFLOW_HOME: work } })) as Record<string, Record<string, string>>;
}

describe('spark-defaults.conf reads back through java.util.Properties', () => {
  test('hostile keys and values survive, and what follows them is not swallowed', () => {
    const file = path.join(work, 'hostile.conf');
    const entries = { ...HOSTILE, 'spark.authenticate': 'true' };
    fs.writeFileSync(file, renderProperties(entries));
    expect(javaProperties(file)).toEqual(entries);
  });

  test.each(Object.keys(ENVIRONMENTS))('%s: the rendered spark-defaults.conf files mean what the config says', (env) => {
    const objects = synthPlatform(ENVIRONMENTS[env]);
    for (const name of ['spark-master-conf', 'spark-pod-templates']) {
      const file = path.join(work, `${env}-${name}.conf`);
      fs.writeFileSync(file, find(objects, 'ConfigMap', name).data['spark-defaults.conf']);
      const read = javaProperties(file);
      if (name === 'spark-master-conf') expect(read['spark.authenticate']).toBe('true');
      expect(Object.keys(read).every((k) => k.startsWith('spark.'))).toBe(true);
    }
  });

  test('the issue\'s reproduction: a sparkConf value ending in a backslash no longer switches authentication off', () => {
    const config: PlatformConfig = { ...ENVIRONMENTS.dev, spark: { ...ENVIRONMENTS.dev.spark, sparkConf: { 'spark.app.name': 'nightly\\' } } };
    const file = path.join(work, 'repro.conf');
    fs.writeFileSync(file, find(synthPlatform(config), 'ConfigMap', 'spark-master-conf').data['spark-defaults.conf']);
    const read = javaProperties(file);
    expect(read['spark.app.name']).toBe('nightly\\');
    expect(read['spark.authenticate']).toBe('true');
    expect(read['spark.network.crypto.enabled']).toBe('true');
  });
});

describe('airflow.cfg reads back through Airflow\'s own parser', () => {
  test('hostile values survive (% interpolation, comment and separator characters, unicode)', () => {
    const values: Record<string, string> = {
      percent: '100% %(not_a_reference)s %% %',
      hash: 'a # not a comment ; nor this',
      separators: 'k=v:w',
      brackets: '[section] like',
      quotes: '"double" \'single\'',
      backslash: 'C:\\path\\',
      unicode: 'ünïcødé 😀',
      url: 'https://airflow.example.com/ops%2Fteam?x',
      empty: '',
    };
    const file = path.join(work, 'hostile.cfg');
    fs.writeFileSync(file, renderIni({ core: { load_examples: 'False' }, hostile: values }));
    const read = airflowConfig(file);
    expect(read.hostile).toEqual(values);
  });

  test('what configparser cannot represent is refused, not written', () => {
    expect(iniValueProblem('two\nlines')).toBe('must be a single line (airflow.cfg has no escape for a line break)');
    expect(iniValueProblem(' padded')).toBe('must not start or end with white space (configparser strips it)');
    expect(() => renderIni({ core: { x: 'a\nb' } })).toThrow('airflow.cfg: [core] x = "a\\nb": must be a single line');
    expect(() => renderIni({ core: { 'Upper Key': 'v' } })).toThrow('is not a plain lower-case name');
  });

  test.each(Object.keys(ENVIRONMENTS))('%s: the rendered airflow.cfg means what the construct wrote', (env) => {
    const cfg = find(synthPlatform(ENVIRONMENTS[env]), 'ConfigMap', 'airflow-config').data['airflow.cfg'] as string;
    const file = path.join(work, `${env}-airflow.cfg`);
    fs.writeFileSync(file, cfg);
    const read = airflowConfig(file);
    expect(read.core.executor).toBe('LocalExecutor');
    expect(read.api.base_url).toMatch(/^(http:\/\/localhost:(30001|8080)|https:\/\/airflow\.(staging\.)?example\.com)$/);
    expect(read.core.dags_folder).toBe('/opt/airflow/dags');
  });

  test('a base URL with % reads back unchanged (percent-encoding survives interpolation)', () => {
    const config: PlatformConfig = { ...ENVIRONMENTS.dev, airflow: { ...ENVIRONMENTS.dev.airflow, ui: { expose: true, nodePort: 30001, baseUrl: 'https://example.com/airflow%20ui' } } };
    const file = path.join(work, 'percent.cfg');
    fs.writeFileSync(file, find(synthPlatform(config), 'ConfigMap', 'airflow-config').data['airflow.cfg']);
    expect(airflowConfig(file).api.base_url).toBe('https://example.com/airflow%20ui');
  });
});

/**
 * Rendering of the configuration files the platform writes into ConfigMaps, so that every value
 * reads back as written: `spark-defaults.conf` (read by `java.util.Properties.load`) and
 * `airflow.cfg` (read by Airflow's parser, a `configparser.ConfigParser` with `%` interpolation).
 *
 * Written raw, a value that ends in a backslash joins the next line into itself
 * (`spark.app.name nightly\` swallows `spark.authenticate true`), and a `%` breaks Airflow's
 * interpolation. test/config-files.test.ts reads the rendered files with a real
 * `java.util.Properties` and with Airflow's own parser, over hostile values.
 */

/**
 * Escapes a key or value as `Properties.store` does: backslash, the separators `=` and `:`, the
 * comment starts `#` and `!`, tab, newline, carriage return and form feed, every other control
 * character as `\uXXXX`, and a leading space (every space, in a key). Other characters stay as they
 * are: Spark reads the file as UTF-8.
 */
export function escapeProperty(text: string, kind: 'key' | 'value'): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    switch (c) {
      case '\\': out += '\\\\'; break;
      case ' ': out += i === 0 || kind === 'key' ? '\\ ' : ' '; break;
      case '\t': out += '\\t'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\f': out += '\\f'; break;
      case '=': case ':': case '#': case '!': out += `\\${c}`; break;
      default: {
        const code = c.charCodeAt(0);
        out += code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : c;
      }
    }
  }
  return out;
}

/** A properties file (`key value` lines, keys in sorted order: deterministic output). */
export function renderProperties(entries: Readonly<Record<string, string>>): string {
  return Object.keys(entries).sort().map((key) => `${escapeProperty(key, 'key')} ${escapeProperty(entries[key], 'value')}`).join('\n') + '\n';
}

/** Why an INI value cannot be written so that configparser reads it back, or undefined when it can. */
export function iniValueProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return 'must be a single line (airflow.cfg has no escape for a line break)';
  if (value !== value.trim()) return 'must not start or end with white space (configparser strips it)';
  return undefined;
}

/**
 * An INI file as Airflow reads it: `[section]` headers and `key = value` lines, in the given
 * order. `%` is doubled (Airflow's parser interpolates `%(name)s`). Throws for what configparser
 * cannot represent: a key that is not a plain lower-case name, a value with a line break or
 * leading or trailing white space (callers validate user values with {@link iniValueProblem}).
 */
export function renderIni(sections: Readonly<Record<string, Readonly<Record<string, string>>>>): string {
  return Object.entries(sections).map(([section, entries]) => {
    if (!/^[a-z0-9_.-]+$/.test(section)) throw new Error(`airflow.cfg: section name ${JSON.stringify(section)} is not a plain name`);
    const lines = Object.entries(entries).map(([key, value]) => {
      if (!/^[a-z0-9_]+$/.test(key)) throw new Error(`airflow.cfg: key ${JSON.stringify(key)} in [${section}] is not a plain lower-case name`);
      const problem = iniValueProblem(value);
      if (problem) throw new Error(`airflow.cfg: [${section}] ${key} = ${JSON.stringify(value)}: ${problem}`);
      return `${key} = ${value.replace(/%/g, '%%')}`;
    });
    return `[${section}]\n${lines.join('\n')}\n`;
  }).join('\n');
}

/** Escapes text for an XML element's content. */
function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * A Hadoop `*-site.xml` (`core-site.xml`): one `<property>` per entry, names in sorted order
 * (deterministic output). Hadoop's `Configuration` reads it from the classpath (Spark puts
 * SPARK_CONF_DIR there).
 */
export function renderHadoopSite(entries: Readonly<Record<string, string>>): string {
  const properties = Object.keys(entries).sort()
    .map((name) => `  <property><name>${escapeXml(name)}</name><value>${escapeXml(entries[name])}</value></property>`);
  return ['<?xml version="1.0" encoding="UTF-8"?>', '<configuration>', ...properties, '</configuration>', ''].join('\n');
}

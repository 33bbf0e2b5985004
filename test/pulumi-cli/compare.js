// Compares the objects `pulumi up` rendered (renderYamlToDirectory) with dist/<env>.
// Expected differences: Pulumi adds its Secrets; dist/ keeps the in-cluster secrets bootstrap
// objects (secrets-bootstrap*), which the Pulumi program switches off. Every other object must be
// identical, field for field.
// usage: node compare.js <rendered dir> <dist/<env>/spark-airflow.k8s.yaml>
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const [renderedDir, distFile] = process.argv.slice(2);
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
const load = (file) => YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean);
// The provider round-trips every object through the typed Kubernetes structs, so what it writes
// differs from cdk8s in form, not meaning: keys sorted, zero values omitted (`hostNetwork: false`,
// `minReadySeconds: 0`, `apiGroup: ""`, `{}`), quantities canonical (`1000m` -> `1`,
// `1024Mi` -> `1Gi`). Compare both sides in that canonical form.
const UNITS = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const quantity = (q) => {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  return m ? Number(m[1]) * (m[2] ? UNITS[m[2]] : 1) : q;
};
const isZero = (v) => v === false || v === 0 || v === '' || v === null
  || (Array.isArray(v) && v.length === 0) || (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
const canonical = (v, key) => {
  if (Array.isArray(v)) return v.map((x) => canonical(x));
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) {
      const c = (key === 'limits' || key === 'requests') ? quantity(v[k]) : canonical(v[k], k);
      if (!isZero(c)) out[k] = c;
    }
    return out;
  }
  return v;
};
const id = (o) => `${o.apiVersion}|${o.kind}|${o.metadata.namespace || ''}|${o.metadata.name}`;
const strip = (o) => {
  const c = JSON.parse(JSON.stringify(o));
  // Annotations Pulumi adds to what it renders.
  for (const k of Object.keys(c.metadata.annotations || {})) if (k.startsWith('pulumi.com/')) delete c.metadata.annotations[k];
  if (c.metadata.annotations && Object.keys(c.metadata.annotations).length === 0) delete c.metadata.annotations;
  return c;
};
const rendered = new Map(walk(renderedDir).filter((f) => /\.ya?ml$/.test(f)).flatMap(load).map((o) => [id(o), strip(o)]));
const dist = new Map(load(distFile).map((o) => [id(o), o]));
const onlyPulumi = [...rendered.keys()].filter((k) => !dist.has(k));
const onlyDist = [...dist.keys()].filter((k) => !rendered.has(k));
const differing = [...rendered.keys()].filter((k) => dist.has(k) && JSON.stringify(canonical(rendered.get(k))) !== JSON.stringify(canonical(dist.get(k))));
console.log(`rendered ${rendered.size} objects, dist ${dist.size}`);
console.log(`only in Pulumi: ${onlyPulumi.join(', ') || '-'}`);
console.log(`only in dist:   ${onlyDist.join(', ') || '-'}`);
console.log(`differing:      ${differing.join(', ') || '-'}`);
const unexpected = onlyPulumi.filter((k) => !k.startsWith('v1|Secret|'))
  .concat(onlyDist.filter((k) => !k.split('|')[3].startsWith('secrets-bootstrap')), differing);
if (unexpected.length > 0) { console.error(`unexpected: ${unexpected.join(', ')}`); process.exitCode = 1; } else console.log('OK: same objects as dist/ except the Secrets (Pulumi) and the secrets bootstrap (cdk8s)');

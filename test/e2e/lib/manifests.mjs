// Small helpers for run.sh that need a YAML parser (the repository's `yaml` package).
//   manifests.mjs list <dir>                 "<Kind> <namespace|-> <name>" per object in <dir>/*.yaml
//   manifests.mjs namespaces <dir>           the Namespace objects of <dir>, as YAML
//   manifests.mjs pvs <dir> <prefix>         a PersistentVolume pre-bound to each PVC of <dir> (and to each
//                                            claim a StatefulSet's claim templates make), as YAML
//   manifests.mjs pin-template <in> <out> <label-key>
//                                            copy of a pod template with a nodeSelector no Node matches
//   manifests.mjs bootstrap-rbac <dir>      "<sa> <secret>..." per ServiceAccount named *bootstrap* whose
//                                            Roles grant create on secrets: the Secret names it may get
//   manifests.mjs template-pod <template> <name> <image> <sa>
//                                            a Pod from a Spark pod template, as Spark fills it in
//                                            (name, image, service account; its labels), as JSON
//   manifests.mjs clone-pod <name>           stdin: a Pod as JSON; stdout: a creatable copy named <name>
//   manifests.mjs pod-summary                stdin: a Pod as JSON; stdout: JSON of the fields run.sh checks
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse, stringify } from 'yaml';

const [cmd, ...args] = process.argv.slice(2);

function objects(dir) {
  const out = [];
  for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${f}: ${doc.errors[0].message}`);
      const o = doc.toJSON();
      if (o) out.push(o);
    }
  }
  return out;
}

const stdin = () => JSON.parse(readFileSync(0, 'utf8'));

switch (cmd) {
  case 'list':
    for (const o of objects(args[0])) console.log(`${o.kind} ${o.metadata?.namespace ?? '-'} ${o.metadata?.name}`);
    break;
  case 'namespaces':
    process.stdout.write(objects(args[0]).filter((o) => o.kind === 'Namespace').map((o) => stringify(o)).join('---\n'));
    break;
  case 'pvs': {
    const [dir, prefix] = args;
    const all = objects(dir);
    // the claims a StatefulSet makes from its templates: <template>-<statefulset>-<ordinal>
    const templated = all.filter((o) => o.kind === 'StatefulSet').flatMap((sts) => (sts.spec.volumeClaimTemplates ?? []).flatMap((t) =>
      Array.from({ length: sts.spec.replicas ?? 1 }, (_, i) => ({ ...t, metadata: { ...t.metadata, name: `${t.metadata.name}-${sts.metadata.name}-${i}`, namespace: sts.metadata.namespace } }))));
    const pvs = [...all.filter((o) => o.kind === 'PersistentVolumeClaim'), ...templated]
      .map((pvc) => ({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: `${prefix}-${pvc.metadata.namespace}-${pvc.metadata.name}`.slice(0, 253), labels: { 'e2e.spark-airflow-k8s/fixture': 'true' } },
        spec: {
          capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
          accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
          volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
          storageClassName: pvc.spec?.storageClassName ?? '',
          persistentVolumeReclaimPolicy: 'Retain',
          claimRef: { namespace: pvc.metadata.namespace, name: pvc.metadata.name },
          // never mounted: kwok runs no containers
          hostPath: { path: `/tmp/e2e-pv/${pvc.metadata.name}` },
        },
      }));
    process.stdout.write(pvs.map((o) => stringify(o)).join('---\n'));
    break;
  }
  case 'pin-template': {
    const [input, output, key] = args;
    const pod = parse(readFileSync(input, 'utf8'));
    pod.spec = pod.spec ?? {};
    pod.spec.nodeSelector = { ...(pod.spec.nodeSelector ?? {}), [key]: 'true' };
    writeFileSync(output, stringify(pod));
    break;
  }
  case 'bootstrap-rbac': {
    const objs = objects(args[0]);
    // the grants in the ServiceAccount's own namespace (the platform's)
    const roles = new Map(objs.filter((o) => o.kind === 'Role').map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r]));
    for (const sa of objs.filter((o) => o.kind === 'ServiceAccount' && /bootstrap/.test(o.metadata.name))) {
      const ns = sa.metadata.namespace;
      const rules = objs
        .filter((b) => b.kind === 'RoleBinding' && b.roleRef?.kind === 'Role' && b.metadata.namespace === ns)
        .filter((b) => (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === sa.metadata.name && s.namespace === ns))
        .flatMap((b) => roles.get(`${ns}/${b.roleRef.name}`)?.rules ?? []);
      const onSecrets = rules.filter((r) => (r.apiGroups ?? []).includes('') && (r.resources ?? []).includes('secrets'));
      if (!onSecrets.some((r) => r.verbs.includes('create'))) continue;
      const names = onSecrets.filter((r) => r.verbs.includes('get')).flatMap((r) => r.resourceNames ?? ['*']);
      console.log([sa.metadata.name, ...names].join(' '));
    }
    break;
  }
  case 'template-pod': {
    const [file, name, image, sa] = args;
    const pod = parse(readFileSync(file, 'utf8'));
    pod.metadata = { ...(pod.metadata ?? {}), name, labels: { ...(pod.metadata?.labels ?? {}), 'spark-role': 'executor' } };
    pod.spec = pod.spec ?? {};
    pod.spec.serviceAccountName = sa;
    pod.spec.restartPolicy = 'Never';
    pod.spec.containers = (pod.spec.containers ?? [{ name: 'spark-kubernetes-executor' }]).map((c) => ({
      ...c,
      image,
      args: ['executor'],
      resources: { requests: { cpu: '1', memory: '1408Mi' }, limits: { memory: '1408Mi' } },
    }));
    console.log(JSON.stringify(pod));
    break;
  }
  case 'clone-pod': {
    const pod = stdin();
    const { name: _n, uid: _u, resourceVersion: _r, creationTimestamp: _c, managedFields: _m, generateName: _g, ...meta } = pod.metadata;
    const { nodeName: _node, ...spec } = pod.spec;
    console.log(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { ...meta, name: args[0] }, spec }));
    break;
  }
  case 'pod-summary': {
    const p = stdin();
    console.log(
      JSON.stringify({
        name: p.metadata.name,
        labels: p.metadata.labels ?? {},
        created: p.metadata.creationTimestamp,
        serviceAccount: p.spec.serviceAccountName,
        nodeName: p.spec.nodeName ?? null,
        nodeSelector: p.spec.nodeSelector ?? null,
        phase: p.status?.phase,
        containers: p.spec.containers.map((c) => c.name),
        image: p.spec.containers[0]?.image,
      }),
    );
    break;
  }
  default:
    console.error('usage: manifests.mjs list|namespaces|pvs|pin-template|clone-pod|pod-summary ...');
    process.exit(2);
}

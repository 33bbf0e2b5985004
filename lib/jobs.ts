import { createHash } from 'crypto';
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/**
 * Names a Job after its pod template: `<base>-<first 8 hex digits of sha256(spec.template)>`,
 * computed when the chart is synthesized, after every construct has finished the template.
 *
 * A Job's pod template is immutable: with a fixed name, `kubectl apply` of changed manifests
 * fails (`spec.template: field is immutable`), so no upgrade could ever change a Job (found on a
 * real node). Named after its template, a changed Job is a new Job that runs once, and
 * re-applying unchanged manifests is a no-op. Finished Jobs of earlier versions stay until you
 * delete them.
 */
export function nameJobAfterTemplate(job: kplus.Job, base: string): void {
  const obj = ApiObject.of(job);
  const synthesize = obj.toJson.bind(obj);
  obj.toJson = () => {
    const json = synthesize();
    const template = JSON.stringify(json.spec?.template ?? {});
    json.metadata = { ...json.metadata, name: `${base}-${createHash('sha256').update(template).digest('hex').slice(0, 8)}` };
    return json;
  };
}

/** Recommended Kubernetes labels shared by every object of the platform. */
export const PART_OF = 'spark-airflow-k8s';

import type * as kplus from 'cdk8s-plus-28';

/** Makes a Service select the pods that carry every one of `labels`. */
export function selectPods(service: kplus.Service, labels: Record<string, string>): void {
  for (const [key, value] of Object.entries(labels)) service.selectLabel(key, value);
}

/** Labels that identify one component; used both on pods and in selectors. */
export function selectorLabels(name: string, component: string, instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
  };
}

/** Selector labels plus the labels that describe the object without selecting it. */
export function objectLabels(selector: Record<string, string>, version?: string): Record<string, string> {
  return {
    ...selector,
    'app.kubernetes.io/part-of': PART_OF,
    ...(version === undefined ? {} : { 'app.kubernetes.io/version': version }),
  };
}

/** Recommended Kubernetes labels shared by every object of the platform. */
export const PART_OF = 'spark-airflow-k8s';

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

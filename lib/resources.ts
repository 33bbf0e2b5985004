import * as kplus from 'cdk8s-plus-28';
import { Size } from 'cdk8s';
import { IssueCollector } from './validation';
import { parseCpuMillis, parseMemoryBytes } from './quantity';

/** A request/limit pair of one resource, as Kubernetes quantities (e.g. `500m`, `2Gi`). */
export interface ResourceRange {
  /** The amount the scheduler reserves for the container. */
  readonly request: string;
  /** The hard cap. For memory, exceeding it gets the container OOM-killed (exit 137). */
  readonly limit: string;
}

/** CPU and memory of one container. Both requests and limits are always set. */
export interface ContainerResources {
  /** CPU, e.g. `{ request: '500m', limit: '2' }`. */
  readonly cpu: ResourceRange;
  /** Memory as a whole number of mebibytes, e.g. `{ request: '2Gi', limit: '2Gi' }`. */
  readonly memory: ResourceRange;
}

/** Parsed, validated resources. */
export interface ParsedResources {
  /** CPU request in millicores. */
  readonly cpuRequestMillis: number;
  /** CPU limit in millicores. */
  readonly cpuLimitMillis: number;
  /** Memory request in bytes. */
  readonly memoryRequestBytes: number;
  /** Memory limit in bytes. */
  readonly memoryLimitBytes: number;
}

const MIB = 2 ** 20;
const CPU_ALLOWED = 'must be a positive CPU quantity with at most millicore precision, e.g. "250m", "1", "1.5"';
const MEMORY_ALLOWED = 'must be a positive memory quantity that is a whole number of mebibytes, e.g. "512Mi", "2Gi"';

/** Checks a memory quantity that is a whole number of MiB; returns it in MiB when valid. */
export function checkMemoryMiB(issues: IssueCollector, field: string, value: unknown): number | undefined {
  const bytes = typeof value === 'string' ? parseMemoryBytes(value) : undefined;
  if (bytes === undefined || bytes % MIB !== 0) {
    issues.add(field, value, MEMORY_ALLOWED);
    return undefined;
  }
  return bytes / MIB;
}

function memory(issues: IssueCollector, field: string, value: unknown): number | undefined {
  const mib = checkMemoryMiB(issues, field, value);
  return mib === undefined ? undefined : mib * MIB;
}

function cpu(issues: IssueCollector, field: string, value: unknown): number | undefined {
  const millis = typeof value === 'string' ? parseCpuMillis(value) : undefined;
  if (millis === undefined) {
    issues.add(field, value, CPU_ALLOWED);
    return undefined;
  }
  return millis;
}

/** Validates quantities and request <= limit; returns the parsed values when valid. */
export function validateResources(issues: IssueCollector, field: string, resources: ContainerResources | undefined): ParsedResources | undefined {
  if (resources === undefined || resources.cpu === undefined || resources.memory === undefined) {
    issues.add(field, resources, 'must set cpu and memory, each with a request and a limit');
    return undefined;
  }
  const cpuRequest = cpu(issues, `${field}.cpu.request`, resources.cpu.request);
  const cpuLimit = cpu(issues, `${field}.cpu.limit`, resources.cpu.limit);
  const memRequest = memory(issues, `${field}.memory.request`, resources.memory.request);
  const memLimit = memory(issues, `${field}.memory.limit`, resources.memory.limit);
  if (cpuRequest !== undefined && cpuLimit !== undefined && cpuRequest > cpuLimit) {
    issues.add(`${field}.cpu.request`, resources.cpu.request, `must not exceed the limit ${JSON.stringify(resources.cpu.limit)}`);
  }
  if (memRequest !== undefined && memLimit !== undefined && memRequest > memLimit) {
    issues.add(`${field}.memory.request`, resources.memory.request, `must not exceed the limit ${JSON.stringify(resources.memory.limit)}`);
  }
  if (cpuRequest === undefined || cpuLimit === undefined || memRequest === undefined || memLimit === undefined) return undefined;
  return { cpuRequestMillis: cpuRequest, cpuLimitMillis: cpuLimit, memoryRequestBytes: memRequest, memoryLimitBytes: memLimit };
}

/** cdk8s-plus resources from validated values (CPU in millicores, memory in Mi). */
export function toKplusResources(parsed: ParsedResources): kplus.ContainerResources {
  return {
    cpu: { request: kplus.Cpu.millis(parsed.cpuRequestMillis), limit: kplus.Cpu.millis(parsed.cpuLimitMillis) },
    memory: { request: Size.mebibytes(parsed.memoryRequestBytes / MIB), limit: Size.mebibytes(parsed.memoryLimitBytes / MIB) },
  };
}

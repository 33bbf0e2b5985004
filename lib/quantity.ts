/**
 * Parsing of Kubernetes resource quantities (the subset used for CPU and memory).
 *
 * Accepts the canonical forms the API server accepts for these resources:
 * plain numbers (`2`, `0.5`, `1e3`), decimal SI suffixes (`m`, `k`, `M`, `G`, `T`, `P`, `E`)
 * and binary suffixes (`Ki`, `Mi`, `Gi`, `Ti`, `Pi`, `Ei`).
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([mkMGTPE])|[eE]([+-]?[0-9]+))?$/;

/** Parses a quantity into its numeric value, or returns undefined when it is not a valid quantity. */
export function parseQuantity(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = QUANTITY.exec(text.trim() === text ? text : '');
  if (!match) return undefined;
  const [, digits, binary, decimal, exponent] = match;
  const base = Number(digits);
  if (binary !== undefined) return base * BINARY[binary];
  if (decimal !== undefined) return base * DECIMAL[decimal];
  if (exponent !== undefined) return base * 10 ** Number(exponent);
  return base;
}

/** A memory quantity in bytes, or undefined when not a valid positive whole number of bytes. */
export function parseMemoryBytes(text: string): number | undefined {
  const value = parseQuantity(text);
  if (value === undefined || value <= 0 || !Number.isInteger(value)) return undefined;
  return value;
}

/** A CPU quantity in millicores, or undefined when not a valid positive quantity with at most millicore precision. */
export function parseCpuMillis(text: string): number | undefined {
  const value = parseQuantity(text);
  if (value === undefined || value <= 0) return undefined;
  const millis = Math.round(value * 1000);
  if (Math.abs(millis - value * 1000) > 1e-6 || millis < 1) return undefined;
  return millis;
}

const MIB = 2 ** 20;

/** Formats bytes as whole mebibytes, e.g. `1536Mi`. */
export function formatMiB(bytes: number): string {
  return `${Math.floor(bytes / MIB)}Mi`;
}

/** Converts bytes to whole mebibytes (rounded down). */
export function toMiB(bytes: number): number {
  return Math.floor(bytes / MIB);
}

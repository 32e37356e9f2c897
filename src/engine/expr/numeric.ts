/** i64 bounds as JS numbers (both round to ±2^63). */
export const I64_MAX = 9223372036854775807;

/** i64 arithmetic: truncate toward zero, saturate at ±(2^63-1). */
export function saturateI64(x: number): number {
  if (x >= I64_MAX) return I64_MAX;
  if (x <= -I64_MAX) return -I64_MAX;
  return Math.trunc(x);
}

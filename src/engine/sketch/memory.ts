/**
 * Rough V8 heap sizes (64-bit, Node 24) for the sketches' `...Bytes` estimates, calibrated with
 * process.memoryUsage() over 200k instances. They are for reporting bytes per entity, not exact.
 */

/** A typed array: the JSTypedArray and JSArrayBuffer objects and the backing-store bookkeeping. */
export const TYPED_ARRAY_OVERHEAD_BYTES = 200;

/** An empty Map (its JS object and minimal hash table). */
export const MAP_OVERHEAD_BYTES = 160;

/** One Map entry: key, value and chain slots plus its share of the bucket array. */
export const MAP_ENTRY_BYTES = 36;

/** A plain JS array of `n` unboxed doubles: the JSArray (32 B) and its FixedDoubleArray (16 B + 8 n). */
export function doubleArrayBytes(n: number): number {
  return 48 + 8 * n;
}

/** A plain object with `fields` in-object properties. */
export function objectBytes(fields: number): number {
  return 24 + 8 * fields;
}

export function typedArrayBytes(a: ArrayBufferView): number {
  return TYPED_ARRAY_OVERHEAD_BYTES + a.byteLength;
}

/** A primitive held in a slot: strings and non-small-integer numbers are heap objects. */
export function primitiveBytes(v: string | number | boolean): number {
  if (typeof v === "string") return 16 + ((v.length + 7) & ~7);
  if (typeof v === "number") return (v | 0) === v ? 0 : 16;
  return 0;
}

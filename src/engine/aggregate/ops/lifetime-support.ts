import { TesseraError } from "../../../errors/tessera-error.ts";
import type { ErrorCode } from "../../../errors/codes.ts";
import { parseDuration } from "../../registry/parse-duration.ts";
import type { ParamContext, RawParams } from "../operator.ts";
import type { Row, Value, ValueType } from "../../types.ts";

/**
 * Shared parameter parsing and value helpers for the operators beyond the windowed core
 * (lifetime-ops.ts and its family files). Error codes follow beava-behaviour.md §1.4.
 */

/** Largest `n` / `samples` an op accepts (beava §1.4: n ∈ [1, 1024]). */
export const MAX_N = 1024;

export function fail(code: ErrorCode, ctx: ParamContext, op: string, reason: string): never {
  throw new TesseraError(code, `${ctx.feature} (${op}): ${reason}`, { reason });
}

export interface FieldRef {
  readonly field: string;
  readonly type: ValueType;
}

/** `field` must be a non-empty string naming a field of the upstream schema. */
export function requireField(params: RawParams, ctx: ParamContext, op: string): FieldRef {
  if (params.field === undefined) fail("aggregation_unknown_field", ctx, op, "`field` is required");
  return checkField(params.field, ctx, op, "field");
}

/**
 * An optional `field` (has_seen, streaks, first_seen_in_window): the beava SDK sends one, so it is
 * accepted and field-checked, but those ops count events, not values — `where` is their gate.
 */
export function optionalField(params: RawParams, ctx: ParamContext, op: string): FieldRef | undefined {
  return params.field === undefined ? undefined : checkField(params.field, ctx, op, "field");
}

/**
 * A field given under either of two wire names (`lat_field` | `lat`); when neither is present the
 * field is the one named like the short form (a field called "lat").
 */
export function aliasedField(params: RawParams, ctx: ParamContext, op: string, names: readonly [string, string]): FieldRef {
  const [a, b] = names;
  const va = params[a];
  const vb = params[b];
  if (va !== undefined && vb !== undefined && va !== vb) {
    fail("invalid_registration", ctx, op, `\`${a}\` and \`${b}\` name different fields`);
  }
  return checkField(va ?? vb ?? b, ctx, op, va !== undefined ? a : b);
}

function checkField(field: unknown, ctx: ParamContext, op: string, name: string): FieldRef {
  if (typeof field !== "string" || field === "") {
    fail("aggregation_unknown_field", ctx, op, `\`${name}\` must be a field name`);
  }
  const type = ctx.fieldType(field);
  if (type === undefined) fail("aggregation_unknown_field", ctx, op, `unknown field ${JSON.stringify(field)}`);
  return { field, type };
}

/**
 * An integer count param in [1, MAX_N]. beava reports a bad or missing `n` as
 * `aggregation_unknown_field` (§1.4 item 5); `samples` follows the same rule here.
 */
export function countParam(
  params: RawParams,
  ctx: ParamContext,
  op: string,
  name: string,
  fallback?: number,
): number {
  const v = params[name] ?? fallback;
  if (v === undefined) fail("aggregation_unknown_field", ctx, op, `\`${name}\` is required`);
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_N) {
    fail("aggregation_unknown_field", ctx, op, `\`${name}\` must be an integer in [1, ${MAX_N}]`);
  }
  return v;
}

/** `field` plus a required `n`: the buffer ops (first_n, last_n, lag, …). */
export function fieldAndN(params: RawParams, ctx: ParamContext, op: string): FieldRef & { readonly n: number } {
  const { field, type } = requireField(params, ctx, op);
  return { field, type, n: countParam(params, ctx, op, "n") };
}

/**
 * A positive duration param (`half_life`, `sub_window`): a duration string as for `window`
 * ("forever" is not a duration here) or a positive finite number of milliseconds. beava sends
 * both failures on the wire as `invalid_registration` (§1.4 items 2–3).
 */
export function durationParam(params: RawParams, ctx: ParamContext, op: string, name: string): number {
  const v = params[name];
  if (v === undefined) fail("invalid_registration", ctx, op, `\`${name}\` is required`);
  if (typeof v === "number") {
    if (Number.isFinite(v) && v > 0) return v;
  } else {
    let ms: number | "forever" | undefined;
    try {
      ms = parseDuration(v);
    } catch {
      ms = undefined;
    }
    if (typeof ms === "number") return ms;
  }
  fail("invalid_registration", ctx, op, `\`${name}\` must be a positive duration like "10m" (got ${JSON.stringify(v)})`);
}

/** A finite number param with a default; `check` narrows the accepted range. */
export function numberParam(
  params: RawParams,
  ctx: ParamContext,
  op: string,
  name: string,
  fallback: number,
  check: (v: number) => boolean,
  code: ErrorCode,
  expected: string,
): number {
  const v = params[name] ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || !check(v)) {
    fail(code, ctx, op, `\`${name}\` must be ${expected} (got ${JSON.stringify(v)})`);
  }
  return v;
}

/** The first of two alias names that is present (`capacity` | `expected_n`). */
export function aliasedParam(params: RawParams, ctx: ParamContext, op: string, a: string, b: string): unknown {
  const va = params[a];
  const vb = params[b];
  if (va !== undefined && vb !== undefined && va !== vb) {
    fail("invalid_registration", ctx, op, `\`${a}\` and \`${b}\` are aliases and disagree`);
  }
  return va ?? vb;
}

/** An f64 result as a feature value: NaN and ±Infinity (overflow, 0/0) read as null. */
export function finite(x: number | null): number | null {
  return x !== null && Number.isFinite(x) ? x : null;
}

/** A value-keeping op's input: the field's value as pushed; null and missing are skipped. */
export function presentField(row: Row, field: string): Value | undefined {
  const v = row[field];
  return v === null ? undefined : v;
}

/**
 * Exact typed equality of two values. Numbers compare numerically (i64 and f64 are both JS numbers,
 * so 20 and 20.0 are equal); a number never equals a string ("1" ≠ 1); lists and maps compare
 * structurally.
 */
export function valueEquals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Sets a key of an output map. Keys can come from event data (event_type_mix categories), and a
 * plain assignment of "__proto__" would replace the object's prototype instead of adding a key.
 */
export function setKey(out: Record<string, Value>, key: string, v: Value): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  else out[key] = v;
}

/** A fixed-capacity ring of values: `buf` grows to `n`, then `head` is the oldest slot. */
export interface Ring<T> {
  buf: T[];
  head: number;
}

export function ringPush<T>(r: Ring<T>, n: number, v: T): void {
  if (r.buf.length < n) {
    r.buf.push(v);
  } else {
    r.buf[r.head] = v;
    r.head = r.head + 1 === n ? 0 : r.head + 1;
  }
}

/** The ring's contents oldest → newest (a fresh array). */
export function ringValues<T>(r: Ring<T>): T[] {
  return r.head === 0 ? r.buf.slice() : r.buf.slice(r.head).concat(r.buf.slice(0, r.head));
}

/** The i-th newest element (0 = newest); the caller ensures i < buf.length. */
export function ringFromNewest<T>(r: Ring<T>, i: number): T {
  const len = r.buf.length;
  // While filling, head stays 0 and the newest is at len - 1; once full, the newest is at head - 1.
  return r.buf[(r.head - 1 - i + 2 * len) % len]!;
}

import { isNumericType, T } from "../../types.ts";
import type { ValueType } from "../../types.ts";
import type { ParamContext, RawParams } from "../operator.ts";
import { fail, requireField } from "./lifetime-support.ts";

/**
 * Parameter helpers shared by the windowed core operators (count, sum, mean, min/max, variance,
 * ratio, distinct, quantile, top_k, entropy).
 */

/** A numeric op's input field: required, and i64, f64 or json (json values are checked per event). */
export function numericFieldParam(params: RawParams, ctx: ParamContext, op: string): { field: string; type: ValueType } {
  const ref = requireField(params, ctx, op);
  if (!isNumericType(ref.type) && ref.type.kind !== "json") {
    // beava accepts e.g. `sum` over a str field and always answers null; an error is more useful.
    fail("aggregation_unknown_field", ctx, op, `field ${JSON.stringify(ref.field)} must be numeric (i64 or f64), got ${ref.type.kind}`);
  }
  return ref;
}

/** An integer param in [lo, hi] with a default. */
export function intParam(
  params: RawParams,
  ctx: ParamContext,
  op: string,
  name: string,
  fallback: number,
  lo: number,
  hi: number,
  code: "invalid_top_k_k" | "invalid_registration",
): number {
  const v = params[name] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    fail(code, ctx, op, `\`${name}\` must be an integer in [${lo}, ${hi}] (got ${JSON.stringify(v)})`);
  }
  return v;
}

/** Output of a numeric reduction that keeps the input's integer-ness (sum): i64 in, i64 out. */
export function numericOutput(input: ValueType): ValueType {
  return input.kind === "i64" ? T.i64 : T.f64;
}

/** An f64 result as a feature value: NaN and ±Infinity are not representable, so they read as null. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

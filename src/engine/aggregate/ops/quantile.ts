import { quantileAdd, quantileCreate, quantileMerge, quantileQuery } from "../../sketch/quantile-sketch.ts";
import type { QuantileSketch } from "../../sketch/quantile-sketch.ts";
import { QUANTILE_DEFAULT_ALPHA } from "../../sketch/quantile-sketch.ts";
import { T } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";
import { numericField } from "../operator.ts";
import { fail, numberParam } from "./lifetime-support.ts";
import { intParam, numericFieldParam } from "./windowed-support.ts";

export interface QuantileParams {
  readonly field: string;
  readonly q: number;
  /** Relative accuracy of the sketch once it leaves exact mode. */
  readonly alpha: number;
}

/** Tecton's approx_percentile precision range (t-digest compression there). */
const MIN_PRECISION = 20;
const MAX_PRECISION = 500;
const DEFAULT_PRECISION = 100;

function quantileOp(
  op: string,
  params: readonly string[],
  parse: OperatorDef<QuantileParams, QuantileSketch>["parse"],
): OperatorDef<QuantileParams, QuantileSketch> {
  return {
    op,
    windowSupport: "windowed",
    params,
    parse,
    outputType: () => T.f64,
    fields: (p) => [p.field],
    create: (p) => quantileCreate({ alpha: p.alpha }),
    update(s, p, row) {
      const v = numericField(row, p.field);
      // quantileAdd ignores non-finite values (beava §2.3).
      if (v !== undefined) quantileAdd(s, v);
      return s;
    },
    read: (s, p) => quantileQuery(s, p.q),
    merge(into, from) {
      quantileMerge(into, from);
      return into;
    },
  };
}

/** beava `quantile`: q strictly inside (0, 1), default 0.5; exact up to 256 values, then α = 1 %. */
export const quantileOpDef = quantileOp("quantile", ["field", "q"], (params, ctx) => ({
  field: numericFieldParam(params, ctx, "quantile").field,
  q: numberParam(params, ctx, "quantile", "q", 0.5, (q) => q > 0 && q < 1, "invalid_percentile_q", "a number strictly between 0 and 1"),
  alpha: QUANTILE_DEFAULT_ALPHA,
}));

/**
 * Tecton `approx_percentile(percentile, precision)`: percentile in [0, 1] (required); precision
 * 20..500 (default 100) is mapped to relative accuracy α = 1/precision, so the default matches
 * beava's α = 1 %.
 */
export const approxPercentileOp = quantileOp("approx_percentile", ["field", "percentile", "precision"], (params, ctx) => {
  const op = "approx_percentile";
  const field = numericFieldParam(params, ctx, op).field;
  if (params.percentile === undefined) fail("invalid_percentile_q", ctx, op, "`percentile` is required");
  const q = numberParam(params, ctx, op, "percentile", NaN, (v) => v >= 0 && v <= 1, "invalid_percentile_q", "a number in [0, 1]");
  const precision = intParam(params, ctx, op, "precision", DEFAULT_PRECISION, MIN_PRECISION, MAX_PRECISION, "invalid_registration");
  return { field, q, alpha: 1 / precision };
});

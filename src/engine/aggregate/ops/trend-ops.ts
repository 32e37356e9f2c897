import type { OperatorDef } from "../operator.ts";
import { numericField } from "../operator.ts";
import { T } from "../../types.ts";
import { finite } from "./lifetime-support.ts";
import { numericFieldParam } from "./windowed-support.ts";

/**
 * trend / trend_residual (beava §2.3): an ordinary least-squares line of value against processing
 * time (ms). beava sums x, x², xy directly; with x ≈ 1.7e12 ms, x² loses every digit that matters.
 * Here times are taken relative to the first value's and the fit uses Welford-style centred
 * co-moments, so neither the sums nor the running mean time carry epoch-sized rounding.
 */

interface TrendParams {
  readonly field: string;
}

interface TrendState {
  n: number;
  /** Time of the first value; the times below are relative to it. */
  t0: number;
  /** Mean time and mean value. */
  mx: number;
  my: number;
  /** Σ(x − mx)² and Σ(x − mx)(y − my). */
  sxx: number;
  sxy: number;
  lastX: number;
  lastY: number;
}

function slope(s: TrendState): number | null {
  return s.n < 2 || s.sxx === 0 ? null : s.sxy / s.sxx;
}

function trendDef(op: string, read: (s: TrendState) => number | null): OperatorDef<TrendParams, TrendState> {
  return {
    op,
    windowSupport: "lifetime",
    params: ["field"],
    parse: (params, ctx) => ({ field: numericFieldParam(params, ctx, op).field }),
    outputType: () => T.f64,
    fields: (p) => [p.field],
    create: () => ({ n: 0, t0: 0, mx: 0, my: 0, sxx: 0, sxy: 0, lastX: 0, lastY: 0 }),
    update(s, p, row, _matched, now) {
      const y = numericField(row, p.field);
      if (y === undefined) return s;
      if (s.n === 0) s.t0 = now;
      const x = now - s.t0;
      s.n++;
      const dx = x - s.mx;
      s.mx += dx / s.n;
      s.my += (y - s.my) / s.n;
      s.sxx += dx * (x - s.mx);
      s.sxy += dx * (y - s.my);
      s.lastX = x;
      s.lastY = y;
      return s;
    },
    read: (s) => finite(read(s)),
  };
}

/** OLS slope, value units per ms; null with fewer than 2 values or no spread in time. */
export const trendOp = trendDef("trend", slope);

/** The latest value minus the fitted line at its time (the last residual, not an RMS). */
export const trendResidualOp = trendDef("trend_residual", (s) => {
  const b = slope(s);
  return b === null ? null : s.lastY - (s.my + b * (s.lastX - s.mx));
});

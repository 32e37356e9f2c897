import type { OperatorDef } from "../operator.ts";
import { numericField } from "../operator.ts";
import { T } from "../../types.ts";
import type { Value } from "../../types.ts";
import {
  aliasedParam,
  durationParam,
  fail,
  finite,
  presentField,
  requireField,
  valueEquals,
} from "./lifetime-support.ts";
import { numericFieldParam } from "./windowed-support.ts";

/**
 * Velocity operators (beava §2.3): rate_of_change, inter_arrival_stats, burst_count,
 * delta_from_prev, outlier_count, value_change_count, z_score. Lifetime: beava accepts and ignores
 * a `window` on these; here the catalogue rejects it (DESIGN §4).
 */

interface FieldParams {
  readonly field: string;
}

function parseNumericField(op: string): OperatorDef<FieldParams>["parse"] {
  return (params, ctx) => ({ field: numericFieldParam(params, ctx, op).field });
}

interface RateState {
  last: number;
  t: number | null;
  rate: number | null;
}

/** (x − prev)/(t − prev_t) per millisecond, over the last two values with t advancing. */
export const rateOfChangeOp: OperatorDef<FieldParams, RateState> = {
  op: "rate_of_change",
  windowSupport: "lifetime",
  params: ["field"],
  parse: parseNumericField("rate_of_change"),
  outputType: () => T.f64,
  fields: (p) => [p.field],
  create: () => ({ last: 0, t: null, rate: null }),
  update(s, p, row, _matched, now) {
    const x = numericField(row, p.field);
    if (x === undefined) return s;
    if (s.t !== null && now > s.t) s.rate = (x - s.last) / (now - s.t);
    s.last = x;
    s.t = now;
    return s;
  },
  read: (s) => finite(s.rate),
};

interface GapState {
  t: number | null;
  sum: number;
  n: number;
}

/** Mean gap in ms between consecutive matched events (a clock step back counts as 0). */
export const interArrivalStatsOp: OperatorDef<Record<string, never>, GapState> = {
  op: "inter_arrival_stats",
  windowSupport: "lifetime",
  params: [],
  parse: () => ({}),
  outputType: () => T.f64,
  fields: () => [],
  create: () => ({ t: null, sum: 0, n: 0 }),
  update(s, _p, _row, _matched, now) {
    if (s.t !== null) {
      s.sum += Math.max(0, now - s.t);
      s.n++;
    }
    s.t = now;
    return s;
  },
  read: (s) => (s.n === 0 ? null : finite(s.sum / s.n)),
};

interface BurstParams {
  readonly subWindowMs: number;
}

interface BurstState {
  /** Start of the current sub-window bucket (floor(now / sub_window) · sub_window). */
  epoch: number | null;
  count: number;
  max: number;
}

/**
 * The most matched events ever seen in one aligned sub_window bucket. Only the current bucket is
 * kept: buckets are visited in time order, so a finished one can no longer grow (beava keeps a ring
 * of 64 only to absorb a clock stepping back; here such an event simply opens a new bucket).
 */
export const burstCountOp: OperatorDef<BurstParams, BurstState> = {
  op: "burst_count",
  windowSupport: "lifetime",
  params: ["sub_window"],
  parse: (params, ctx) => ({ subWindowMs: durationParam(params, ctx, "burst_count", "sub_window") }),
  outputType: () => T.i64,
  fields: () => [],
  create: () => ({ epoch: null, count: 0, max: 0 }),
  update(s, p, _row, _matched, now) {
    const epoch = Math.floor(now / p.subWindowMs) * p.subWindowMs;
    if (epoch !== s.epoch) {
      s.epoch = epoch;
      s.count = 0;
    }
    s.count++;
    if (s.count > s.max) s.max = s.count;
    return s;
  },
  read: (s) => s.max,
};

interface DeltaState {
  prev: number | null;
  delta: number | null;
}

/** x − previous value, as f64; null until two values. */
export const deltaFromPrevOp: OperatorDef<FieldParams, DeltaState> = {
  op: "delta_from_prev",
  windowSupport: "lifetime",
  params: ["field"],
  parse: parseNumericField("delta_from_prev"),
  outputType: () => T.f64,
  fields: (p) => [p.field],
  create: () => ({ prev: null, delta: null }),
  update(s, p, row) {
    const x = numericField(row, p.field);
    if (x === undefined) return s;
    if (s.prev !== null) s.delta = x - s.prev;
    s.prev = x;
    return s;
  },
  read: (s) => finite(s.delta),
};

/** Welford running moments; `m2` is the sum of squared deviations. */
interface Moments {
  n: number;
  mean: number;
  m2: number;
}

function welford(s: Moments, x: number): void {
  s.n++;
  const d = x - s.mean;
  s.mean += d / s.n;
  s.m2 += d * (x - s.mean);
}

const sampleVariance = (s: Moments): number => (s.n < 2 ? 0 : s.m2 / (s.n - 1));

interface OutlierParams extends FieldParams {
  readonly sigma: number;
}

interface OutlierState extends Moments {
  outliers: number;
}

/** Values needed before outliers are counted (beava). */
const OUTLIER_BASELINE = 5;

/**
 * Counts values further than sigma sample standard deviations from the mean of the values before
 * them, once at least 5 are known. `threshold` is the beava SDK's name for `sigma`.
 */
export const outlierCountOp: OperatorDef<OutlierParams, OutlierState> = {
  op: "outlier_count",
  windowSupport: "lifetime",
  params: ["field", "sigma", "threshold"],
  parse(params, ctx) {
    const { field } = numericFieldParam(params, ctx, "outlier_count");
    const sigma = aliasedParam(params, ctx, "outlier_count", "sigma", "threshold") ?? 3.0;
    if (typeof sigma !== "number" || !Number.isFinite(sigma) || sigma <= 0) {
      fail("invalid_registration", ctx, "outlier_count", "`sigma` must be a positive number");
    }
    return { field, sigma };
  },
  outputType: () => T.i64,
  fields: (p) => [p.field],
  create: () => ({ n: 0, mean: 0, m2: 0, outliers: 0 }),
  update(s, p, row) {
    const x = numericField(row, p.field);
    if (x === undefined) return s;
    if (s.n >= OUTLIER_BASELINE) {
      const v = sampleVariance(s);
      if (v > 0 && Math.abs(x - s.mean) > p.sigma * Math.sqrt(v)) s.outliers++;
    }
    welford(s, x);
    return s;
  },
  read: (s) => s.outliers,
};

interface ChangeState {
  /** The previous non-null value; null before the first. */
  prev: Value;
  changes: number;
}

/** Number of times a value differed from the one before it (exact typed equality; any type). */
export const valueChangeCountOp: OperatorDef<FieldParams, ChangeState> = {
  op: "value_change_count",
  windowSupport: "lifetime",
  params: ["field"],
  parse: (params, ctx) => ({ field: requireField(params, ctx, "value_change_count").field }),
  outputType: () => T.i64,
  fields: (p) => [p.field],
  create: () => ({ prev: null, changes: 0 }),
  update(s, p, row) {
    const v = presentField(row, p.field);
    if (v === undefined) return s;
    if (s.prev !== null && !valueEquals(s.prev, v)) s.changes++;
    s.prev = v;
    return s;
  },
  read: (s) => s.changes,
};

interface ZState extends Moments {
  last: number;
}

/**
 * (last − mean)/sample_std over all values, the last one included. beava's `baseline_window` is
 * not accepted: it is ignored there, and a window that is not honoured is rejected (DESIGN §4).
 */
export const zScoreOp: OperatorDef<FieldParams, ZState> = {
  op: "z_score",
  windowSupport: "lifetime",
  params: ["field"],
  parse: parseNumericField("z_score"),
  outputType: () => T.f64,
  fields: (p) => [p.field],
  create: () => ({ n: 0, mean: 0, m2: 0, last: 0 }),
  update(s, p, row) {
    const x = numericField(row, p.field);
    if (x === undefined) return s;
    welford(s, x);
    s.last = x;
    return s;
  },
  read(s) {
    const v = sampleVariance(s);
    return v > 0 ? finite((s.last - s.mean) / Math.sqrt(v)) : null;
  },
};

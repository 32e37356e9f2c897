import type { OperatorDef, ParamContext, RawParams } from "../operator.ts";
import { numericField } from "../operator.ts";
import { T } from "../../types.ts";
import { durationParam, finite } from "./lifetime-support.ts";
import { numericFieldParam } from "./windowed-support.ts";

/**
 * Exponential-decay operators (beava §2.3): ewma (alias ema), ewvar, ew_zscore, decayed_sum,
 * decayed_count, plus the time-weighted average twa. Time is processing time in ms; `half_life` is
 * a positive duration. Decayed sums and counts decay to READ time (DESIGN §4), unlike beava, which
 * only decays when the next event arrives.
 */

interface HalfLifeParams {
  readonly halfLifeMs: number;
}

interface DecayParams extends HalfLifeParams {
  readonly field: string;
}

function parseDecay(op: string) {
  return (params: RawParams, ctx: ParamContext): DecayParams => {
    // beava checks half_life before the field (§1.4 items 2 and 4).
    const halfLifeMs = durationParam(params, ctx, op, "half_life");
    return { field: numericFieldParam(params, ctx, op).field, halfLifeMs };
  };
}

/** The weight of a value `dtMs` old: 2^(−dt/half_life). */
function decayFactor(dtMs: number, halfLifeMs: number): number {
  return Math.pow(2, -dtMs / halfLifeMs);
}

/**
 * The smoothing weight of a new observation after `dtMs`: 1 − 2^(−dt/half_life) (the same as
 * 1 − exp(−dt·ln2/half_life)). Observations at the same instant or with the clock behind get 1/2,
 * beava's rule for ewma, applied to ewvar/ew_zscore too so their mean always equals ewma.
 */
function smoothingWeight(dtMs: number, halfLifeMs: number): number {
  return dtMs > 0 ? 1 - decayFactor(dtMs, halfLifeMs) : 0.5;
}

interface EwmaState {
  v: number;
  /** Time of the last observation that advanced the clock; null until the first value. */
  t: number | null;
}

export const ewmaOp: OperatorDef<DecayParams, EwmaState> = {
  op: "ewma",
  aliases: ["ema"],
  windowSupport: "lifetime",
  params: ["field", "half_life"],
  parse: parseDecay("ewma"),
  outputType: () => T.f64,
  fields: (p) => [p.field],
  create: () => ({ v: 0, t: null }),
  update(s, p, row, _matched, now) {
    const x = numericField(row, p.field);
    if (x === undefined) return s;
    if (s.t === null) {
      s.v = x;
      s.t = now;
      return s;
    }
    const dt = now - s.t;
    const a = smoothingWeight(dt, p.halfLifeMs);
    s.v = a * x + (1 - a) * s.v;
    if (dt > 0) s.t = now;
    return s;
  },
  read: (s) => (s.t === null ? null : finite(s.v)),
};

interface EwVarState {
  mean: number;
  /** Exponentially weighted variance (beava's decay-adapted Welford "m2"). */
  m2: number;
  last: number;
  t: number | null;
}

function ewVarUpdate(s: EwVarState, p: DecayParams, x: number, now: number): void {
  if (s.t === null) {
    s.mean = x;
    s.m2 = 0;
    s.last = x;
    s.t = now;
    return;
  }
  const dt = now - s.t;
  const a = smoothingWeight(dt, p.halfLifeMs);
  const delta = x - s.mean;
  const mean = s.mean + a * delta;
  s.m2 = (1 - a) * s.m2 + a * delta * (x - mean);
  s.mean = mean;
  s.last = x;
  if (dt > 0) s.t = now;
}

function ewVarDef(op: string, read: (s: EwVarState) => number | null): OperatorDef<DecayParams, EwVarState> {
  return {
    op,
    windowSupport: "lifetime",
    params: ["field", "half_life"],
    parse: parseDecay(op),
    outputType: () => T.f64,
    fields: (p) => [p.field],
    create: () => ({ mean: 0, m2: 0, last: 0, t: null }),
    update(s, p, row, _matched, now) {
      const x = numericField(row, p.field);
      if (x !== undefined) ewVarUpdate(s, p, x, now);
      return s;
    },
    read: (s) => (s.t === null ? null : finite(read(s))),
  };
}

export const ewvarOp = ewVarDef("ewvar", (s) => Math.max(0, s.m2));

/** (last − ewmean) / sqrt(ewvar); null while the variance is 0 (e.g. after one value). */
export const ewZscoreOp = ewVarDef("ew_zscore", (s) => {
  const v = Math.max(0, s.m2);
  return v === 0 ? null : (s.last - s.mean) / Math.sqrt(v);
});

interface DecayedState {
  /** Σ x·2^(−(t − t_x)/half_life): the decayed total as of time `t`. */
  total: number;
  /** The latest event time seen; null until the first value. */
  t: number | null;
}

function addDecayed(s: DecayedState, p: HalfLifeParams, x: number, now: number): void {
  if (s.t === null) {
    s.total = x;
    s.t = now;
  } else if (now >= s.t) {
    s.total = s.total * decayFactor(now - s.t, p.halfLifeMs) + x;
    s.t = now;
  } else {
    // The clock stepped back: decay the value itself to `t`, so the total stays exact.
    s.total += x * decayFactor(s.t - now, p.halfLifeMs);
  }
}

function readDecayed(s: DecayedState, p: HalfLifeParams, now: number): number | null {
  return s.t === null ? null : finite(s.total * decayFactor(Math.max(0, now - s.t), p.halfLifeMs));
}

export const decayedSumOp: OperatorDef<DecayParams, DecayedState> = {
  op: "decayed_sum",
  windowSupport: "lifetime",
  params: ["field", "half_life"],
  parse: parseDecay("decayed_sum"),
  outputType: () => T.f64,
  fields: (p) => [p.field],
  create: () => ({ total: 0, t: null }),
  update(s, p, row, _matched, now) {
    const x = numericField(row, p.field);
    if (x !== undefined) addDecayed(s, p, x, now);
    return s;
  },
  read: readDecayed,
};

/** decayed_count: decayed_sum with x = 1 per matched event. Empty → null, as beava. */
export const decayedCountOp: OperatorDef<HalfLifeParams, DecayedState> = {
  op: "decayed_count",
  windowSupport: "lifetime",
  params: ["half_life"],
  parse: (params, ctx) => ({ halfLifeMs: durationParam(params, ctx, "decayed_count", "half_life") }),
  outputType: () => T.f64,
  fields: () => [],
  create: () => ({ total: 0, t: null }),
  update(s, p, _row, _matched, now) {
    addDecayed(s, p, 1, now);
    return s;
  },
  read: readDecayed,
};

interface FieldParams {
  readonly field: string;
}

interface TwaState {
  /** Σ value·dt over the closed intervals between consecutive values. */
  area: number;
  span: number;
  last: number;
  t: number | null;
}

/**
 * Time-weighted average of a gauge: each value holds until the next one (beava). The interval
 * after the latest value is not counted, so the result only moves when an event arrives.
 */
export const twaOp: OperatorDef<FieldParams, TwaState> = {
  op: "twa",
  windowSupport: "lifetime",
  params: ["field"],
  parse: (params, ctx) => ({ field: numericFieldParam(params, ctx, "twa").field }),
  outputType: () => T.f64,
  fields: (p) => [p.field],
  create: () => ({ area: 0, span: 0, last: 0, t: null }),
  update(s, p, row, _matched, now) {
    const x = numericField(row, p.field);
    if (x === undefined) return s;
    if (s.t !== null && now > s.t) {
      s.area += s.last * (now - s.t);
      s.span += now - s.t;
    }
    s.last = x;
    if (s.t === null || now > s.t) s.t = now;
    return s;
  },
  read: (s) => (s.t === null ? null : finite(s.span === 0 ? s.last : s.area / s.span)),
};

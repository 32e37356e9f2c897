import { quantileAdd, quantileCreate, quantileMerge, quantileOfSorted, quantileQuery, quantileResetSketch } from "../../sketch/quantile-sketch.ts";
import type { QuantileSketch } from "../../sketch/quantile-sketch.ts";
import { QUANTILE_DEFAULT_ALPHA, QUANTILE_EXACT_CAPACITY } from "../../sketch/quantile-sketch.ts";
import { sortedCount, sortedDoubles, sortedInsert } from "../../sketch/sorted-doubles.ts";
import { T } from "../../types.ts";
import type { Row } from "../../types.ts";
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

/**
 * The state grows with the values seen, so quiet entities (and quiet buckets) stay small: NaN (none
 * yet) → the single value → the sorted values (sorted-doubles.ts, while at most the exact capacity
 * of 256) → a QuantileSketch beyond, which is then a UDDSketch. A sketch object plus its buffer costs
 * ~400 B where one value costs 16 and two 64; each form answers exactly what the sketch fed the same
 * values would (promotion replays the sorted values; the UDDSketch does not depend on order).
 */
type QuantileState = number | number[] | QuantileSketch;

/** The state after adding the finite value x (-0 folded into 0, as quantileAdd does). */
function addValue(s: QuantileState, x: number, p: QuantileParams): QuantileState {
  if (x === 0) x = 0;
  if (typeof s === "number") {
    if (s !== s) return x;
    return exactOrSketch(sortedInsert(sortedInsert(sortedDoubles(2), s, false), x, false), p);
  }
  if (Array.isArray(s)) return exactOrSketch(sortedInsert(s, x, false), p);
  quantileAdd(s, x);
  return s;
}

function exactOrSketch(a: number[], p: QuantileParams): QuantileState {
  const n = sortedCount(a);
  if (n <= QUANTILE_EXACT_CAPACITY) return a;
  const sk = quantileCreate({ alpha: p.alpha });
  for (let i = 0; i < n; i++) quantileAdd(sk, a[i]!);
  return sk;
}

/** A sketch holding the values of s (s itself when it is one). */
function sketchOf(s: QuantileState, p: QuantileParams): QuantileSketch {
  if (typeof s !== "number" && !Array.isArray(s)) return s;
  const sk = quantileCreate({ alpha: p.alpha });
  if (typeof s === "number") {
    if (s === s) quantileAdd(sk, s);
  } else {
    for (let i = 0, n = sortedCount(s); i < n; i++) quantileAdd(sk, s[i]!);
  }
  return sk;
}

function mergeStates(into: QuantileState, from: QuantileState, p: QuantileParams): QuantileState {
  if (typeof from === "number") return from !== from ? into : addValue(into, from, p);
  if (Array.isArray(from)) {
    let out = into;
    for (let i = 0, n = sortedCount(from); i < n; i++) out = addValue(out, from[i]!, p);
    return out;
  }
  const sk = sketchOf(into, p);
  quantileMerge(sk, from);
  return sk;
}

function readState(s: QuantileState, p: QuantileParams): number | null {
  if (typeof s === "number") return s === s ? s : null;
  if (Array.isArray(s)) return quantileOfSorted(s, sortedCount(s), p.q);
  return quantileQuery(s, p.q);
}

/** The value an event contributes: a finite number (-0 folded into 0), NaN for none. */
function finiteValue(p: QuantileParams, row: Row): number {
  const v = numericField(row, p.field);
  // Non-finite values are ignored (beava §2.3).
  return v === undefined || !Number.isFinite(v) ? NaN : v === 0 ? 0 : v;
}

// Scratch for reads, reused (the engine is single-threaded).
let sorted = new Float64Array(QUANTILE_EXACT_CAPACITY);
const mergeScratch = new Map<number, QuantileSketch>();

/**
 * The quantile over states and loose values together (a window, or inline + spilled state). While
 * that is at most the exact capacity (256) of values, all in exact forms, the answer is the exact
 * interpolation over all of them, as the merged state would give: a reused buffer is sorted instead
 * of building that state.
 */
function readAll(states: readonly QuantileState[], n: number, loose: ArrayLike<number>, nl: number, p: QuantileParams): number | null {
  if (nl === 0 && n === 1) return readState(states[0]!, p);
  let total = nl;
  let exact = true;
  for (let i = 0; i < n; i++) {
    const s = states[i]!;
    if (typeof s === "number") total += s === s ? 1 : 0;
    else if (Array.isArray(s)) total += sortedCount(s);
    else if (s.values === null) exact = false;
    else total += s.count;
  }
  if (!exact || total > QUANTILE_EXACT_CAPACITY) {
    // The merged state is a sketch: build it in a reused one (sketches do not depend on order).
    let acc = mergeScratch.get(p.alpha);
    if (acc === undefined) mergeScratch.set(p.alpha, (acc = quantileCreate({ alpha: p.alpha })));
    quantileResetSketch(acc);
    for (let i = 0; i < nl; i++) quantileAdd(acc, loose[i]!);
    for (let i = 0; i < n; i++) mergeStates(acc, states[i]!, p);
    return quantileQuery(acc, p.q);
  }
  if (total === 0) return null;
  if (sorted.length < total) sorted = new Float64Array(total);
  let k = 0;
  for (let i = 0; i < nl; i++) sorted[k++] = loose[i]!;
  for (let i = 0; i < n; i++) {
    const s = states[i]!;
    if (typeof s === "number") {
      if (s === s) sorted[k++] = s;
    } else {
      const v = Array.isArray(s) ? s : s.values!;
      const m = Array.isArray(s) ? sortedCount(s) : s.count;
      for (let j = 0; j < m; j++) sorted[k++] = v[j]!;
    }
  }
  return quantileOfSorted(sorted.subarray(0, k).sort(), k, p.q);
}

function quantileOp(
  op: string,
  params: readonly string[],
  parse: OperatorDef<QuantileParams, QuantileState>["parse"],
): OperatorDef<QuantileParams, QuantileState> {
  return {
    op,
    windowSupport: "windowed",
    params,
    parse,
    outputType: () => T.f64,
    fields: (p) => [p.field],
    create: () => NaN,
    update(s, p, row) {
      const x = finiteValue(p, row);
      return x !== x ? s : addValue(s, x, p);
    },
    read: readState,
    merge: mergeStates,
    // The first two values stay in the entity's number array.
    inline: {
      width: 2,
      unique: false,
      value: finiteValue,
      state(a, o, n, p) {
        let s: QuantileState = NaN;
        for (let k = 0; k < n; k++) s = addValue(s, a[o + k]!, p);
        return s;
      },
      read: (states, n, loose, nl, p) => readAll(states, n, loose, nl, p),
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

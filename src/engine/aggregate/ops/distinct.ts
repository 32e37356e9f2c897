import { distinctAddHash, distinctCreate, distinctEstimate, distinctMerge, distinctUnionEstimate } from "../../sketch/distinct-counter.ts";
import type { DistinctCounter } from "../../sketch/distinct-counter.ts";
import { HLL_MAX_PRECISION, HLL_MIN_PRECISION } from "../../sketch/hyperloglog.ts";
import { hashValue } from "../../sketch/hash.ts";
import { sortedCount, sortedDoubles, sortedInsert } from "../../sketch/sorted-doubles.ts";
import { T } from "../../types.ts";
import type { Row } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";
import { presentField, requireField } from "./lifetime-support.ts";
import { intParam } from "./windowed-support.ts";

export interface DistinctParams {
  readonly field: string;
  /** HLL precision once promoted. */
  readonly precision: number;
  /** Distinct values counted exactly before promotion. */
  readonly threshold: number;
}

/** beava's n_unique: exact up to 1024 distinct values, then HLL p=12 (≈1.6 % standard error). */
const N_UNIQUE_PRECISION = 12;
const N_UNIQUE_THRESHOLD = 1024;
/** Tecton's approx_count_distinct default precision. */
const ACD_DEFAULT_PRECISION = 8;

/**
 * The state grows with the values seen, so quiet entities (and quiet buckets) stay small:
 * -1 (none yet) → one value's hash (a number) → the sorted hashes (sorted-doubles.ts, while at most
 * `threshold`) → a DistinctCounter once there are more, which is then an HLL. A counter object plus
 * its buffer costs ~150 B where one hash costs 16 and two 64; each form answers exactly what the
 * counter fed the same values would.
 */
type DistinctState = number | number[] | DistinctCounter;

const EMPTY = -1;

/** The state after adding hash h. */
function addHash(s: DistinctState, h: number, p: DistinctParams): DistinctState {
  if (typeof s === "number") {
    if (s === EMPTY || s === h) return h;
    return exactOrCounter(sortedInsert(sortedInsert(sortedDoubles(2), s, true), h, true), p);
  }
  if (Array.isArray(s)) return exactOrCounter(sortedInsert(s, h, true), p);
  distinctAddHash(s, h);
  return s;
}

function exactOrCounter(a: number[], p: DistinctParams): DistinctState {
  const n = sortedCount(a);
  if (n <= p.threshold) return a;
  const c = distinctCreate(p.precision, p.threshold);
  for (let i = 0; i < n; i++) distinctAddHash(c, a[i]!);
  return c;
}

function readState(s: DistinctState): number {
  return typeof s === "number" ? (s === EMPTY ? 0 : 1) : Array.isArray(s) ? sortedCount(s) : distinctEstimate(s);
}

/** The value hash an event contributes, NaN for none. Values are hashed with their type, so 1 and "1" differ (beava §2.3). */
function valueHash(p: DistinctParams, row: Row): number {
  const v = presentField(row, p.field);
  return v === undefined || (typeof v === "number" && Number.isNaN(v)) ? NaN : hashValue(v);
}

// Scratch for reads, reused (the engine is single-threaded).
const counters: (DistinctCounter | undefined)[] = [];
const lists: (number[] | undefined)[] = [];
const listLengths: number[] = [];
const singles: number[] = [];

/** The distinct count over states and loose hashes together (a window, or inline + spilled state). */
function readAll(states: readonly DistinctState[], n: number, loose: ArrayLike<number>, nl: number, p: DistinctParams): number {
  if (nl === 0 && n === 1) return readState(states[0]!);
  let nc = 0;
  let nlists = 0;
  let ns = 0;
  for (let i = 0; i < nl; i++) singles[ns++] = loose[i]!;
  for (let i = 0; i < n; i++) {
    const s = states[i]!;
    if (typeof s === "number") {
      if (s !== EMPTY) singles[ns++] = s;
    } else if (Array.isArray(s)) {
      lists[nlists] = s;
      listLengths[nlists++] = sortedCount(s);
    } else {
      counters[nc++] = s;
    }
  }
  const out = distinctUnionEstimate(p.precision, p.threshold, counters as DistinctCounter[], nc, lists as number[][], listLengths, nlists, singles, ns);
  counters.fill(undefined, 0, nc);
  lists.fill(undefined, 0, nlists);
  return out;
}

function distinctOp(
  op: string,
  aliases: readonly string[],
  params: readonly string[],
  parse: OperatorDef<DistinctParams, DistinctState>["parse"],
): OperatorDef<DistinctParams, DistinctState> {
  return {
    op,
    aliases,
    windowSupport: "windowed",
    params,
    parse,
    outputType: () => T.i64,
    fields: (p) => [p.field],
    create: () => EMPTY,
    update(s, p, row) {
      const h = valueHash(p, row);
      return h !== h ? s : addHash(s, h, p);
    },
    read: readState,
    merge(into, from, p) {
      if (typeof from === "number") return from === EMPTY ? into : addHash(into, from, p);
      if (Array.isArray(from)) {
        let out = into;
        for (let i = 0, n = sortedCount(from); i < n; i++) out = addHash(out, from[i]!, p);
        return out;
      }
      let c = into;
      if (typeof c === "number" || Array.isArray(c)) {
        c = distinctCreate(p.precision, p.threshold);
        if (typeof into === "number") {
          if (into !== EMPTY) distinctAddHash(c, into);
        } else {
          for (let i = 0, n = sortedCount(into as number[]); i < n; i++) distinctAddHash(c, (into as number[])[i]!);
        }
      }
      distinctMerge(c, from);
      return c;
    },
    // The first two hashes stay in the entity's number array (thresholds are at least 2).
    inline: {
      width: 2,
      unique: true,
      value: valueHash,
      state(a, o, n, p) {
        let s: DistinctState = EMPTY;
        for (let k = 0; k < n; k++) s = addHash(s, a[o + k]!, p);
        return s;
      },
      read: (states, n, loose, nl, p) => readAll(states, n, loose, nl, p),
    },
  };
}

export const nUniqueOp = distinctOp("n_unique", [], ["field"], (params, ctx) => ({
  field: requireField(params, ctx, "n_unique").field,
  precision: N_UNIQUE_PRECISION,
  threshold: N_UNIQUE_THRESHOLD,
}));

/**
 * Tecton's `approx_count_distinct(precision)`: a HyperLogLog of that precision (4..16, default 8).
 * Small sets are counted exactly while the exact hashes (8 B each) take no more room than the HLL's
 * 2^p one-byte registers, i.e. up to 2^p / 8 values; beyond that it is the HLL.
 */
export const approxCountDistinctOp = distinctOp("approx_count_distinct", [], ["field", "precision"], (params, ctx) => {
  const field = requireField(params, ctx, "approx_count_distinct").field;
  const precision = intParam(params, ctx, "approx_count_distinct", "precision", ACD_DEFAULT_PRECISION, HLL_MIN_PRECISION, HLL_MAX_PRECISION, "invalid_registration");
  return { field, precision, threshold: (1 << precision) / 8 };
});

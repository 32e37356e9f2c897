import { assertHllPrecision, hllAddHash, hllBytes, hllClear, hllCreate, hllEstimate, hllMerge, type Hll } from "./hyperloglog.ts";
import { doubleArrayBytes, objectBytes } from "./memory.ts";

/**
 * Distinct counter (n_unique, approx_count_distinct): exact up to `threshold` distinct values, then a
 * HyperLogLog of precision p.
 *
 * Exact mode keeps the 53-bit value hashes (hash.ts) sorted in a plain JS array of doubles that
 * doubles in capacity as needed (from 4), so it costs 8 B per distinct value (8 KB at the default
 * 1024) and merges by a linear sorted union. A JS double array has ~48 B of overhead where a small
 * Float64Array has ~200 B, which matters because most per-entity (and per-bucket) counters are small. Counting hashes rather than values is exact barring a 53-bit collision
 * (probability ~6e-11 at 1024 values). When a value beyond the threshold arrives, the stored hashes
 * are replayed into the HLL, so the promoted sketch is identical to one fed the whole stream.
 */
export interface DistinctCounter {
  readonly p: number;
  readonly threshold: number;
  /** Exact mode: the number of distinct hashes, held sorted in `hashes[0..n)`. */
  n: number;
  /** Exact mode storage (length = capacity); null once promoted. */
  hashes: number[] | null;
  /** Sketch mode; null while exact. */
  hll: Hll | null;
}

export const DISTINCT_EXACT_THRESHOLD = 1024;

const INITIAL_CAPACITY = 4;

/** A double array of `n` slots (NaN-filled, so V8 stores it unboxed from the start). */
function doubles(n: number): number[] {
  return new Array<number>(n).fill(NaN);
}

export function distinctCreate(p: number, threshold: number = DISTINCT_EXACT_THRESHOLD): DistinctCounter {
  if (!Number.isInteger(threshold) || threshold < 0) throw new RangeError(`exact threshold must be a non-negative integer, got ${threshold}`);
  if (threshold === 0) return { p, threshold, n: 0, hashes: null, hll: hllCreate(p) };
  assertHllPrecision(p);
  return { p, threshold, n: 0, hashes: doubles(Math.min(INITIAL_CAPACITY, threshold)), hll: null };
}

/** Index of `h` in the sorted prefix, or -(insertion point) - 1 when absent. */
function search(a: readonly number[], n: number, h: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = a[mid]!;
    if (v < h) lo = mid + 1;
    else if (v > h) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

function promote(s: DistinctCounter, hashes: ArrayLike<number>, n: number): Hll {
  const hll = hllCreate(s.p);
  for (let i = 0; i < n; i++) hllAddHash(hll, hashes[i]!);
  s.hll = hll;
  s.hashes = null;
  s.n = 0;
  return hll;
}

export function distinctAddHash(s: DistinctCounter, h: number): void {
  if (s.hll !== null) {
    hllAddHash(s.hll, h);
    return;
  }
  let a = s.hashes as number[];
  const n = s.n;
  const at = search(a, n, h);
  if (at >= 0) return;
  if (n === s.threshold) {
    hllAddHash(promote(s, a, n), h);
    return;
  }
  if (n === a.length) {
    const grown = doubles(Math.min(Math.max(a.length * 2, INITIAL_CAPACITY), s.threshold));
    for (let i = 0; i < n; i++) grown[i] = a[i]!;
    s.hashes = a = grown;
  }
  const ins = -at - 1;
  a.copyWithin(ins + 1, ins, n);
  a[ins] = h;
  s.n = n + 1;
}

/**
 * Distinct values seen: exact in exact mode; in sketch mode the rounded HLL estimate, floored at
 * threshold + 1 because a promoted counter has provably seen more than `threshold` distinct values.
 */
export function distinctEstimate(s: DistinctCounter): number {
  if (s.hll === null) return s.n;
  return Math.max(Math.round(hllEstimate(s.hll)), s.threshold + 1);
}

/** Folds `from` into `into`. Exact + exact stays exact while the union is within the threshold. */
export function distinctMerge(into: DistinctCounter, from: DistinctCounter): void {
  if (into.p !== from.p || into.threshold !== from.threshold) {
    throw new RangeError("cannot merge distinct counters with different precision or threshold");
  }
  if (from.hll !== null) {
    const hll = into.hll ?? promote(into, into.hashes as number[], into.n);
    hllMerge(hll, from.hll);
    return;
  }
  const b = from.hashes as number[];
  const nb = from.n;
  if (into.hll !== null) {
    for (let i = 0; i < nb; i++) hllAddHash(into.hll, b[i]!);
    return;
  }
  const a = into.hashes as number[];
  const na = into.n;
  const union = doubles(na + nb);
  const n = mergeUnique(a, na, b, nb, union);
  if (n > into.threshold) {
    promote(into, union, n);
    return;
  }
  if (n < union.length) union.length = n;
  into.hashes = union;
  into.n = n;
}

// Scratch for distinctUnionEstimate: reused across reads (the engine is single-threaded).
let unionA = new Float64Array(1024);
let unionB = new Float64Array(1024);
let singleScratch = new Float64Array(64);
const hllScratch = new Map<number, Hll>();

/** Sorted union (without repeats) of a[0..na) and b[0..nb) into out; returns its length. */
function mergeUnique(a: ArrayLike<number>, na: number, b: ArrayLike<number>, nb: number, out: number[] | Float64Array): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < na && j < nb) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out[n++] = x;
      i++;
    } else if (y < x) {
      out[n++] = y;
      j++;
    } else {
      out[n++] = x;
      i++;
      j++;
    }
  }
  while (i < na) out[n++] = a[i++]!;
  while (j < nb) out[n++] = b[j++]!;
  return n;
}

/**
 * What distinctEstimate would give after distinctMerge-ing the counters `counters[0..nc)`, the
 * sorted hash lists `lists[0..nl)` (each ascending, without repeats, `listLengths[i]` long) and the
 * single hashes `singles[0..ns)` into one counter (same p and threshold), without building it: an
 * exact union is a linear merge into reused buffers, a larger one a reused HLL seeded from a copy of
 * the first promoted counter. A window read merges up to 64 buckets; this keeps it linear in their
 * size and free of allocations.
 */
export function distinctUnionEstimate(
  p: number,
  threshold: number,
  counters: readonly DistinctCounter[],
  nc: number,
  lists: readonly (readonly number[])[],
  listLengths: ArrayLike<number>,
  nl: number,
  singles: ArrayLike<number>,
  ns: number,
): number {
  let first: Hll | null = null;
  let total = ns;
  for (let i = 0; i < nc; i++) {
    const c = counters[i]!;
    if (c.hll !== null) first ??= c.hll;
    else total += c.n;
  }
  for (let i = 0; i < nl; i++) total += listLengths[i]!;
  if (first === null) {
    if (unionA.length < total) {
      unionA = new Float64Array(2 * total);
      unionB = new Float64Array(2 * total);
    }
    // The singles first (few: inline numbers and one-value buckets), sorted, then each list merged in.
    if (singleScratch.length < ns) singleScratch = new Float64Array(2 * ns);
    for (let i = 0; i < ns; i++) singleScratch[i] = singles[i]!;
    const sorted = singleScratch.subarray(0, ns).sort();
    let n = 0;
    for (let i = 0; i < ns; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) unionA[n++] = sorted[i]!;
    let cur = unionA;
    let other = unionB;
    const step = (b: ArrayLike<number>, nb: number): void => {
      n = mergeUnique(cur, n, b, nb, other);
      const t = cur;
      cur = other;
      other = t;
    };
    for (let i = 0; i < nl && n <= threshold; i++) step(lists[i]!, listLengths[i]!);
    for (let i = 0; i < nc && n <= threshold; i++) step(counters[i]!.hashes as number[], counters[i]!.n);
    if (n <= threshold) return n;
  }
  let hll = hllScratch.get(p);
  if (hll === undefined) hllScratch.set(p, (hll = hllCreate(p)));
  if (first !== null) {
    hll.registers.set(first.registers);
    hll.histogram.set(first.histogram);
  } else {
    hllClear(hll);
  }
  for (let i = 0; i < ns; i++) hllAddHash(hll, singles[i]!);
  for (let i = 0; i < nl; i++) {
    const list = lists[i]!;
    for (let j = 0; j < listLengths[i]!; j++) hllAddHash(hll, list[j]!);
  }
  for (let i = 0; i < nc; i++) {
    const c = counters[i]!;
    if (c.hll === first) continue;
    if (c.hll !== null) hllMerge(hll, c.hll);
    else for (let j = 0; j < c.n; j++) hllAddHash(hll, (c.hashes as number[])[j]!);
  }
  return Math.max(Math.round(hllEstimate(hll)), threshold + 1);
}

export function distinctBytes(s: DistinctCounter): number {
  return objectBytes(5) + (s.hll !== null ? hllBytes(s.hll) : doubleArrayBytes((s.hashes as number[]).length));
}

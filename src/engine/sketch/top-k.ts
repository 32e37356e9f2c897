import { hashValue } from "./hash.ts";
import { MAP_ENTRY_BYTES, MAP_OVERHEAD_BYTES, objectBytes, primitiveBytes, typedArrayBytes } from "./memory.ts";

/**
 * Heavy hitters (top_k): exact counts up to `exactCapacity` distinct values (default 1024), then a
 * count-min sketch (width 2048, depth 4, conservative update) plus a min-heap of candidates holding
 * the original typed values.
 *
 * Sketch mode. Row j of the CMS is indexed by bits [11j, 11j+11) of the 53-bit value hash, so the four
 * rows use disjoint hash bits. Conservative update raises each of a value's counters only up to its
 * new estimate; estimates still never undercount, and each overcounts by at most ε·N (ε = e/2048 ≈
 * 0.13 %, N = total weight) with probability ≥ 1 − e^−4 — CU counters never exceed plain CMS counters.
 * A candidate's heap count is the CMS estimate at its last update, which is the tightest upper bound
 * we have (its true count has not changed since, while its counters may have been raised by others).
 * The heap keeps max(2k, 32) candidates so values near the k-th place are not lost to churn.
 *
 * Merging adds CMS counters (estimates stay upper bounds and the ε·N bound holds for the combined N);
 * each candidate of either side is re-estimated as min(merged CMS, its upper bound on each side) and
 * the heaviest are kept. Exact + exact adds counts and stays exact while within capacity.
 *
 * Output: `[{value, count}]`, count descending then value ascending, where strings < numbers <
 * booleans and values of one type compare with JS `<` (numbers numerically, strings by UTF-16 code
 * unit, false < true); at most k entries.
 */
export type TopKValue = string | number | boolean;

export interface TopKEntry {
  readonly value: TopKValue;
  readonly count: number;
}

export interface TopKSketch {
  /** CMS_DEPTH rows of CMS_WIDTH counters, row-major. */
  readonly cms: Float64Array;
  /** Candidate min-heap (worst candidate at 0) as parallel arrays of `size` entries. */
  readonly values: TopKValue[];
  readonly counts: Float64Array;
  readonly hashes: Float64Array;
  /** Candidate value -> heap position. */
  readonly index: Map<TopKValue, number>;
  size: number;
}

export interface TopK {
  readonly k: number;
  readonly exactCapacity: number;
  /** Exact mode counts; null once promoted. */
  exact: Map<TopKValue, number> | null;
  /** Sketch mode; null while exact. */
  sketch: TopKSketch | null;
}

export const TOP_K_MAX_K = 1024;
export const TOP_K_EXACT_CAPACITY = 1024;
export const CMS_WIDTH = 2048;
export const CMS_DEPTH = 4;

const WIDTH_MASK = CMS_WIDTH - 1;
const ROW_DIVISORS = [1, 2 ** 11, 2 ** 22, 2 ** 33];

export function topKCreate(k: number, exactCapacity: number = TOP_K_EXACT_CAPACITY): TopK {
  if (!Number.isInteger(k) || k < 1 || k > TOP_K_MAX_K) throw new RangeError(`k must be an integer in [1, ${TOP_K_MAX_K}], got ${k}`);
  if (!Number.isInteger(exactCapacity) || exactCapacity < 0) throw new RangeError(`exactCapacity must be a non-negative integer, got ${exactCapacity}`);
  return exactCapacity > 0
    ? { k, exactCapacity, exact: new Map(), sketch: null }
    : { k, exactCapacity, exact: null, sketch: createSketch(k) };
}

function candidateCapacity(k: number): number {
  return Math.max(2 * k, 32);
}

function createSketch(k: number): TopKSketch {
  const capacity = candidateCapacity(k);
  return {
    cms: new Float64Array(CMS_DEPTH * CMS_WIDTH),
    values: [],
    counts: new Float64Array(capacity),
    hashes: new Float64Array(capacity),
    index: new Map(),
    size: 0,
  };
}

function typeRank(v: TopKValue): number {
  return typeof v === "string" ? 0 : typeof v === "number" ? 1 : 2;
}

/** Output order of values: strings < numbers < booleans, then by value. */
export function compareTopKValues(a: TopKValue, b: TopKValue): number {
  const ta = typeRank(a);
  const tb = typeRank(b);
  if (ta !== tb) return ta - tb;
  // Same type here; the casts only satisfy TS (`<` on two strings compares them as strings).
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function compareEntries(a: TopKEntry, b: TopKEntry): number {
  return b.count - a.count || compareTopKValues(a.value, b.value);
}

function cmsEstimate(cms: Float64Array, h: number): number {
  let m = Infinity;
  for (let j = 0; j < CMS_DEPTH; j++) {
    const c = cms[j * CMS_WIDTH + (Math.floor(h / ROW_DIVISORS[j]) & WIDTH_MASK)];
    if (c < m) m = c;
  }
  return m;
}

/** Conservative update by `w`; returns the value's new estimate. */
function cmsAdd(cms: Float64Array, h: number, w: number): number {
  const est = cmsEstimate(cms, h) + w;
  for (let j = 0; j < CMS_DEPTH; j++) {
    const at = j * CMS_WIDTH + (Math.floor(h / ROW_DIVISORS[j]) & WIDTH_MASK);
    if (cms[at] < est) cms[at] = est;
  }
  return est;
}

/** Heap order: lower count is worse; on a tie the value that sorts later in the output is worse. */
function worse(sk: TopKSketch, i: number, j: number): boolean {
  const ci = sk.counts[i];
  const cj = sk.counts[j];
  return ci < cj || (ci === cj && compareTopKValues(sk.values[i], sk.values[j]) > 0);
}

function swap(sk: TopKSketch, i: number, j: number): void {
  const v = sk.values[i];
  sk.values[i] = sk.values[j];
  sk.values[j] = v;
  const c = sk.counts[i];
  sk.counts[i] = sk.counts[j];
  sk.counts[j] = c;
  const h = sk.hashes[i];
  sk.hashes[i] = sk.hashes[j];
  sk.hashes[j] = h;
  sk.index.set(sk.values[i], i);
  sk.index.set(sk.values[j], j);
}

function siftUp(sk: TopKSketch, i: number): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!worse(sk, i, parent)) return;
    swap(sk, i, parent);
    i = parent;
  }
}

function siftDown(sk: TopKSketch, i: number): void {
  const n = sk.size;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) return;
    const r = l + 1;
    const child = r < n && worse(sk, r, l) ? r : l;
    if (!worse(sk, child, i)) return;
    swap(sk, i, child);
    i = child;
  }
}

/** Offers a value with its current upper-bound count to the candidate heap. */
function offer(sk: TopKSketch, v: TopKValue, h: number, count: number): void {
  const at = sk.index.get(v);
  if (at !== undefined) {
    sk.counts[at] = count;
    siftDown(sk, at);
    return;
  }
  if (sk.size < sk.counts.length) {
    const i = sk.size++;
    sk.values[i] = v;
    sk.counts[i] = count;
    sk.hashes[i] = h;
    sk.index.set(v, i);
    siftUp(sk, i);
    return;
  }
  const worstCount = sk.counts[0];
  if (count < worstCount || (count === worstCount && compareTopKValues(v, sk.values[0]) >= 0)) return;
  sk.index.delete(sk.values[0]);
  sk.values[0] = v;
  sk.counts[0] = count;
  sk.hashes[0] = h;
  sk.index.set(v, 0);
  siftDown(sk, 0);
}

function sketchAdd(sk: TopKSketch, v: TopKValue, w: number): void {
  const h = hashValue(v);
  offer(sk, v, h, cmsAdd(sk.cms, h, w));
}

function promote(s: TopK, exact: Map<TopKValue, number>): TopKSketch {
  const sk = createSketch(s.k);
  for (const [v, c] of exact) sketchAdd(sk, v, c);
  s.exact = null;
  s.sketch = sk;
  return sk;
}

function addWeighted(s: TopK, v: TopKValue, w: number): void {
  const exact = s.exact;
  if (exact !== null) {
    const c = exact.get(v);
    if (c !== undefined) {
      exact.set(v, c + w);
      return;
    }
    if (exact.size < s.exactCapacity) {
      exact.set(v, w);
      return;
    }
    sketchAdd(promote(s, exact), v, w);
    return;
  }
  sketchAdd(s.sketch as TopKSketch, v, w);
}

export function topKAdd(s: TopK, v: TopKValue): void {
  addWeighted(s, v, 1);
}

/** Inserts into `best` (sorted, at most k long) if the pair ranks among the best k so far. */
function insertBounded(best: TopKEntry[], k: number, value: TopKValue, count: number): void {
  const n = best.length;
  if (n === k) {
    const last = best[n - 1];
    if (count < last.count || (count === last.count && compareTopKValues(value, last.value) >= 0)) return;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = best[mid];
    if (e.count > count || (e.count === count && compareTopKValues(e.value, value) < 0)) lo = mid + 1;
    else hi = mid;
  }
  if (n === k) best.pop();
  best.splice(lo, 0, { value, count });
}

/** The at most k heaviest values, count descending then value ascending. */
export function topKResult(s: TopK): TopKEntry[] {
  const k = s.k;
  const size = s.exact !== null ? s.exact.size : (s.sketch as TopKSketch).size;
  // Reads must stay cheap: with many more values than k, a bounded insertion beats sorting them all.
  if (size > 4 * k) {
    const best: TopKEntry[] = [];
    if (s.exact !== null) {
      s.exact.forEach((count, value) => insertBounded(best, k, value, count));
    } else {
      const sk = s.sketch as TopKSketch;
      for (let i = 0; i < sk.size; i++) insertBounded(best, k, sk.values[i], sk.counts[i]);
    }
    return best;
  }
  const entries: TopKEntry[] = [];
  if (s.exact !== null) {
    for (const [value, count] of s.exact) entries.push({ value, count });
  } else {
    const sk = s.sketch as TopKSketch;
    for (let i = 0; i < sk.size; i++) entries.push({ value: sk.values[i], count: sk.counts[i] });
  }
  entries.sort(compareEntries);
  if (entries.length > k) entries.length = k;
  return entries;
}

/** Folds `from` into `into` (does not modify `from`). */
export function topKMerge(into: TopK, from: TopK): void {
  if (into.k !== from.k || into.exactCapacity !== from.exactCapacity) {
    throw new RangeError("cannot merge top-k states with different k or capacity");
  }
  if (from.exact !== null) {
    for (const [v, c] of from.exact) addWeighted(into, v, c);
    return;
  }
  const a = into.sketch ?? promote(into, into.exact as Map<TopKValue, number>);
  const b = from.sketch as TopKSketch;
  // Upper bounds per side for every candidate of either side, taken before the counters are added.
  const values: TopKValue[] = [];
  const hashes: number[] = [];
  const bounds: number[] = [];
  for (let i = 0; i < a.size; i++) {
    const at = b.index.get(a.values[i]);
    values.push(a.values[i]);
    hashes.push(a.hashes[i]);
    bounds.push(a.counts[i] + (at !== undefined ? b.counts[at] : cmsEstimate(b.cms, a.hashes[i])));
  }
  for (let i = 0; i < b.size; i++) {
    if (a.index.has(b.values[i])) continue;
    values.push(b.values[i]);
    hashes.push(b.hashes[i]);
    bounds.push(b.counts[i] + cmsEstimate(a.cms, b.hashes[i]));
  }
  for (let i = 0; i < a.cms.length; i++) a.cms[i] += b.cms[i];
  a.index.clear();
  a.values.length = 0;
  a.size = 0;
  for (let i = 0; i < values.length; i++) offer(a, values[i], hashes[i], Math.min(bounds[i], cmsEstimate(a.cms, hashes[i])));
}

export function topKBytes(s: TopK): number {
  let bytes = objectBytes(4);
  if (s.exact !== null) {
    bytes += MAP_OVERHEAD_BYTES + s.exact.size * MAP_ENTRY_BYTES;
    for (const v of s.exact.keys()) bytes += primitiveBytes(v);
    return bytes;
  }
  const sk = s.sketch as TopKSketch;
  bytes += objectBytes(6) + typedArrayBytes(sk.cms) + typedArrayBytes(sk.counts) + typedArrayBytes(sk.hashes);
  bytes += MAP_OVERHEAD_BYTES + sk.size * MAP_ENTRY_BYTES + 16 + 8 * sk.size;
  for (let i = 0; i < sk.size; i++) bytes += primitiveBytes(sk.values[i]);
  return bytes;
}

import { objectBytes, typedArrayBytes } from "./memory.ts";

/**
 * Quantile sketch (quantile, approx_percentile): exact up to `exactCapacity` values (default 256),
 * then a UDDSketch (Epicoco et al. 2020, "The UDDSketch: accurate tracking of quantiles in data
 * streams"): DDSketch's logarithmic buckets, with a uniform collapse when over budget.
 *
 * Sketch mode. With γ = (1+α)/(1−α), a value x > 0 goes to bucket i = ⌈log_γ x⌉, covering
 * (γ^(i−1), γ^i]; the bucket's representative 2γ^i/(γ+1) is within relative error α of every value
 * in it. Negative values use a mirrored store over |x|; zeros are counted apart. Non-finite values are
 * ignored. The two stores are dense count arrays over their [lo, hi] index ranges, and the sum of both
 * ranges is kept within `maxBuckets` (default 2048).
 *
 * Accuracy consequence of the bound: when a new value would stretch the ranges past `maxBuckets`,
 * every bucket pair (2j−1, 2j) is merged into j, i.e. γ becomes γ² and α becomes 2α/(1+α²) for ALL
 * quantiles (nothing is lost at either tail, unlike DDSketch's collapse of the lowest buckets). With
 * α = 0.01 and 2048 buckets the ranges cover about 17 orders of magnitude per sign before the first
 * collapse; with α = 0.001 only about 1.8. `quantileAlpha` reports the current guarantee. Collapsing
 * happens only when needed, so the level reached is the smallest that fits all data seen; hence
 * merging sketches gives exactly the sketch of the concatenated stream.
 *
 * Queries. For q the rank is r = q·(n−1) (numpy "linear"): with sorted values x_0..x_{n−1},
 * f = ⌊r⌋ and t = r − f, the answer is x_f + t·(x_{f+1} − x_f). In exact mode that is computed from
 * the values. In sketch mode each x_k is replaced by its bucket representative (x_0 and x_{n−1} by the
 * exact min and max; others clamped into [min, max]), so the error is at most
 * α·((1−t)|x_f| + t|x_{f+1}|): within relative error α of the true answer whenever x_f and x_{f+1}
 * share a sign, and exactly DDSketch's guarantee (within α of x_{⌊q(n−1)⌋}) when t = 0.
 */
export interface BucketStore {
  /** Bucket index held at counts[0]. */
  base: number;
  counts: Float64Array;
  /** Lowest and highest non-empty indices; lo > hi when empty. */
  lo: number;
  hi: number;
}

export interface QuantileSketch {
  /** Configured relative accuracy (the guarantee before any collapse). */
  readonly alpha: number;
  readonly maxBuckets: number;
  readonly exactCapacity: number;
  /** Number of (finite) values added. */
  count: number;
  /** Exact mode: the values, sorted, in values[0..count); null once promoted. */
  values: Float64Array | null;
  /** ln γ at the current collapse level (ln((1+α)/(1−α)) doubled once per collapse). */
  lnGamma: number;
  zeros: number;
  min: number;
  max: number;
  pos: BucketStore | null;
  neg: BucketStore | null;
}

export interface QuantileOptions {
  readonly alpha?: number;
  readonly maxBuckets?: number;
  readonly exactCapacity?: number;
}

export const QUANTILE_DEFAULT_ALPHA = 0.01;
export const QUANTILE_MAX_BUCKETS = 2048;
export const QUANTILE_EXACT_CAPACITY = 256;

const INITIAL_VALUES = 8;
const MIN_STORE_LENGTH = 16;

export function quantileCreate(options: QuantileOptions = {}): QuantileSketch {
  const alpha = options.alpha ?? QUANTILE_DEFAULT_ALPHA;
  const maxBuckets = options.maxBuckets ?? QUANTILE_MAX_BUCKETS;
  const exactCapacity = options.exactCapacity ?? QUANTILE_EXACT_CAPACITY;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`relative accuracy must be in (0, 1), got ${alpha}`);
  // Repeated collapses drive every index to 0 or 1, so 2 buckets per sign always fit eventually.
  if (!Number.isInteger(maxBuckets) || maxBuckets < 4) throw new RangeError(`maxBuckets must be an integer >= 4, got ${maxBuckets}`);
  if (!Number.isInteger(exactCapacity) || exactCapacity < 0) throw new RangeError(`exactCapacity must be a non-negative integer, got ${exactCapacity}`);
  return {
    alpha,
    maxBuckets,
    exactCapacity,
    count: 0,
    values: exactCapacity > 0 ? new Float64Array(Math.min(INITIAL_VALUES, exactCapacity)) : null,
    lnGamma: Math.log((1 + alpha) / (1 - alpha)),
    zeros: 0,
    min: Infinity,
    max: -Infinity,
    pos: exactCapacity > 0 ? null : emptyStore(),
    neg: exactCapacity > 0 ? null : emptyStore(),
  };
}

function emptyStore(): BucketStore {
  return { base: 0, counts: new Float64Array(0), lo: 0, hi: -1 };
}

function span(st: BucketStore): number {
  return st.hi >= st.lo ? st.hi - st.lo + 1 : 0;
}

function collapse(s: QuantileSketch): void {
  collapseStore(s.pos as BucketStore);
  collapseStore(s.neg as BucketStore);
  s.lnGamma *= 2;
}

function collapseStore(st: BucketStore): void {
  if (st.hi < st.lo) return;
  const lo = Math.ceil(st.lo / 2);
  const hi = Math.ceil(st.hi / 2);
  const counts = new Float64Array(Math.max(MIN_STORE_LENGTH, hi - lo + 1));
  for (let i = st.lo; i <= st.hi; i++) counts[Math.ceil(i / 2) - lo] += st.counts[i - st.base];
  st.base = lo;
  st.counts = counts;
  st.lo = lo;
  st.hi = hi;
}

/** Adds `w` to bucket `i` (an index at the current level) of `st`, collapsing first if over budget. */
function addToStore(s: QuantileSketch, st: BucketStore, other: BucketStore, i: number, w: number): void {
  for (;;) {
    const lo = st.hi >= st.lo ? Math.min(st.lo, i) : i;
    const hi = st.hi >= st.lo ? Math.max(st.hi, i) : i;
    if (hi - lo + 1 + span(other) <= s.maxBuckets) {
      if (lo < st.base || hi >= st.base + st.counts.length) reallocate(st, lo, hi, s.maxBuckets);
      st.counts[i - st.base] += w;
      st.lo = lo;
      st.hi = hi;
      return;
    }
    collapse(s);
    i = Math.ceil(i / 2);
  }
}

/**
 * Grows the dense array to cover [lo, hi] plus 25 % slack (at most maxBuckets long). The slack goes on
 * the side that grew, since ranges creep outwards one end at a time (a new minimum or maximum).
 */
function reallocate(st: BucketStore, lo: number, hi: number, maxBuckets: number): void {
  const needed = hi - lo + 1;
  const held = st.counts.length;
  // A buffer that is already long enough is reused: the counts move within it (a reused merge
  // target, e.g. a window read, then allocates nothing).
  const length = held >= needed ? held : Math.min(maxBuckets, Math.max(MIN_STORE_LENGTH, needed + (needed >> 2)));
  const slack = length - needed;
  const base = st.hi < st.lo ? lo - (slack >> 1) : lo < st.base ? lo - slack : lo;
  if (length === held) {
    const c = st.counts;
    if (st.hi >= st.lo) {
      const from = st.lo - st.base;
      const to = st.lo - base;
      const n = st.hi - st.lo + 1;
      c.copyWithin(to, from, from + n);
      // Outside the moved counts everything must read 0 (the invariant outside [lo, hi]).
      c.fill(0, 0, to);
      c.fill(0, to + n);
    } else {
      c.fill(0);
    }
    st.base = base;
    return;
  }
  const counts = new Float64Array(length);
  if (st.hi >= st.lo) counts.set(st.counts.subarray(st.lo - st.base, st.hi - st.base + 1), st.lo - base);
  st.base = base;
  st.counts = counts;
}

function addToSketch(s: QuantileSketch, x: number, w: number): void {
  if (x < s.min) s.min = x;
  if (x > s.max) s.max = x;
  if (x > 0) addToStore(s, s.pos as BucketStore, s.neg as BucketStore, Math.ceil(Math.log(x) / s.lnGamma), w);
  else if (x < 0) addToStore(s, s.neg as BucketStore, s.pos as BucketStore, Math.ceil(Math.log(-x) / s.lnGamma), w);
  else s.zeros += w;
}

function promote(s: QuantileSketch): void {
  const values = s.values as Float64Array;
  const n = s.count;
  s.values = null;
  s.pos = emptyStore();
  s.neg = emptyStore();
  for (let i = 0; i < n; i++) addToSketch(s, values[i], 1);
}

function search(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Empties `s` into sketch mode (no exact values), keeping its store buffers: a reusable target for
 * merging many sketches, e.g. the buckets of a window at read time, without allocating.
 */
export function quantileResetSketch(s: QuantileSketch): void {
  s.count = 0;
  s.values = null;
  s.lnGamma = Math.log((1 + s.alpha) / (1 - s.alpha));
  s.zeros = 0;
  s.min = Infinity;
  s.max = -Infinity;
  for (const st of [s.pos, s.neg]) {
    if (st !== null && st.hi >= st.lo) st.counts.fill(0, st.lo - st.base, st.hi - st.base + 1);
  }
  s.pos = resetStore(s.pos);
  s.neg = resetStore(s.neg);
}

function resetStore(st: BucketStore | null): BucketStore {
  if (st === null) return emptyStore();
  st.lo = 0;
  st.hi = -1;
  return st;
}

/** Adds one value; NaN and ±Infinity are ignored. */
export function quantileAdd(s: QuantileSketch, x: number): void {
  if (!Number.isFinite(x)) return;
  if (x === 0) x = 0; // folds -0
  let a = s.values;
  if (a !== null) {
    const n = s.count;
    if (n < s.exactCapacity) {
      if (n === a.length) {
        const grown = new Float64Array(Math.min(a.length * 2, s.exactCapacity));
        grown.set(a);
        s.values = a = grown;
      }
      const at = search(a, n, x);
      a.copyWithin(at + 1, at, n);
      a[at] = x;
      s.count = n + 1;
      return;
    }
    promote(s);
  }
  addToSketch(s, x, 1);
  s.count++;
}

export function quantileCount(s: QuantileSketch): number {
  return s.count;
}

/** The current relative-accuracy guarantee: 0 while exact, α after 0 collapses, 2α/(1+α²) after 1, ... */
export function quantileAlpha(s: QuantileSketch): number {
  return s.values !== null ? 0 : Math.tanh(s.lnGamma / 2);
}

/** The representative of the k-th smallest value (0-based) in sketch mode. */
function sketchValueAt(s: QuantileSketch, k: number): number {
  if (k === 0) return s.min;
  if (k === s.count - 1) return s.max;
  const neg = s.neg as BucketStore;
  const pos = s.pos as BucketStore;
  const lnG = s.lnGamma;
  // 2γ^i/(γ+1) in log space, so it stays finite even after many collapses (γ = e^lnG huge).
  const shift = Math.LN2 - lnG - Math.log1p(Math.exp(-lnG));
  let seen = 0;
  let v = 0;
  let found = false;
  for (let i = neg.hi; i >= neg.lo; i--) {
    seen += neg.counts[i - neg.base];
    if (seen > k) {
      v = -Math.exp(i * lnG + shift);
      found = true;
      break;
    }
  }
  if (!found) {
    seen += s.zeros;
    if (seen <= k) {
      for (let i = pos.lo; i <= pos.hi; i++) {
        seen += pos.counts[i - pos.base];
        if (seen > k) {
          v = Math.exp(i * lnG + shift);
          break;
        }
      }
    }
  }
  return v < s.min ? s.min : v > s.max ? s.max : v;
}

/**
 * numpy's lerp, which is exact at both ends and monotone in t; except where b − a overflows
 * (values of opposite signs near ±1.8e308), where numpy answers ±Infinity: the weighted sum
 * cannot overflow there, so the answer stays between a and b.
 */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  if (d === Infinity) return a * (1 - t) + b * t;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/**
 * The q-quantile of the ascending values a[0..n) (n >= 1) with numpy "linear" interpolation: what
 * an exact-mode sketch holding them answers.
 */
export function quantileOfSorted(a: ArrayLike<number>, n: number, q: number): number {
  const r = q * (n - 1);
  const f = Math.floor(r);
  const t = r - f;
  return t === 0 ? a[f]! : lerp(a[f]!, a[f + 1]!, t);
}

/** The q-quantile (q in [0, 1]) with numpy "linear" interpolation; null when empty. */
export function quantileQuery(s: QuantileSketch, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const n = s.count;
  if (n === 0) return null;
  const r = q * (n - 1);
  const f = Math.floor(r);
  const t = r - f;
  const a = s.values;
  if (a !== null) return quantileOfSorted(a, n, q);
  const lo = sketchValueAt(s, f);
  return t === 0 ? lo : lerp(lo, sketchValueAt(s, f + 1), t);
}

/** Folds `from` into `into` (does not modify `from`): equal to the sketch of both streams concatenated. */
export function quantileMerge(into: QuantileSketch, from: QuantileSketch): void {
  if (into.alpha !== from.alpha || into.maxBuckets !== from.maxBuckets || into.exactCapacity !== from.exactCapacity) {
    throw new RangeError("cannot merge quantile sketches with different parameters");
  }
  const fromValues = from.values;
  if (fromValues !== null) {
    for (let i = 0; i < from.count; i++) quantileAdd(into, fromValues[i]);
    return;
  }
  if (into.values !== null) promote(into);
  while (into.lnGamma < from.lnGamma) collapse(into);
  const pos = into.pos as BucketStore;
  const neg = into.neg as BucketStore;
  mergeStore(into, pos, neg, from.pos as BucketStore, from.lnGamma);
  mergeStore(into, neg, pos, from.neg as BucketStore, from.lnGamma);
  into.zeros += from.zeros;
  into.count += from.count;
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
}

function mergeStore(s: QuantileSketch, st: BucketStore, other: BucketStore, src: BucketStore, srcLnGamma: number): void {
  for (let i = src.lo; i <= src.hi; i++) {
    const w = src.counts[i - src.base];
    if (w === 0) continue;
    // Collapsing d times maps i to ⌈i/2^d⌉; the level ratio is an exact power of two.
    addToStore(s, st, other, Math.ceil(i / (s.lnGamma / srcLnGamma)), w);
  }
}

function storeBytes(st: BucketStore | null): number {
  return st === null ? 0 : objectBytes(4) + typedArrayBytes(st.counts);
}

export function quantileBytes(s: QuantileSketch): number {
  return objectBytes(11) + (s.values !== null ? typedArrayBytes(s.values) : storeBytes(s.pos) + storeBytes(s.neg));
}

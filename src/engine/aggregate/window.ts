import type { Row, Value } from "../types.ts";
import type { OperatorDef } from "./operator.ts";

/**
 * How a feature's events are grouped in time (DESIGN §4 "Windows"):
 * - lifetime: one op state for all time;
 * - continuous (beava): buckets of `bucketMs = ceil(W/64)`; at read time `now` a bucket counts iff
 *   0 <= now − bucket_start < W, so the result covers (W − bucketMs, W] of history;
 * - tiled (Tecton): tiles of `intervalMs`; only complete tiles count: the window is [end − W, end)
 *   with end = floor(now / interval) * interval (or an explicit end), and `end` is the effective time.
 */
export type WindowSpec =
  | { readonly kind: "lifetime" }
  | { readonly kind: "continuous"; readonly windowMs: number; readonly bucketMs: number }
  | { readonly kind: "tiled"; readonly windowMs: number; readonly intervalMs: number };

export const CONTINUOUS_BUCKETS = 64;

/**
 * Windowed state is a flat array `[index0, state0, index1, state1, ...]` of the live buckets (or
 * tiles) in ascending index order, where a bucket's start is `index * width`. A flat array of exact
 * length is the most compact container V8 offers (no per-bucket object), and bucket indices fit in a
 * small integer for any window of a minute or more. The array is allocated on the feature's first
 * event and replaced (not grown) when a bucket is added, so it never carries spare capacity.
 */
export type Buckets = unknown[];

/**
 * Applies one event to the bucket with index `idx`, first dropping buckets whose index is below
 * `minLive` (they can never be read again) and, at `cap` buckets, the oldest. Returns the array to
 * keep (the same one when the event lands in the newest bucket, the common case).
 */
export function updateBuckets<P, S>(
  w: Buckets | undefined,
  idx: number,
  minLive: number,
  cap: number,
  def: OperatorDef<P, S>,
  p: P,
  row: Row,
  matched: boolean,
  now: number,
): Buckets {
  if (w === undefined) return [idx, def.update(def.create(p), p, row, matched, now)];
  const last = w.length - 2;
  if (w[last] === idx) {
    w[last + 1] = def.update(w[last + 1] as S, p, row, matched, now);
    return w;
  }
  // Out-of-order time (a test clock moved back) may hit an existing older bucket.
  for (let i = last - 2; i >= 0; i -= 2) {
    if (w[i] === idx) {
      w[i + 1] = def.update(w[i + 1] as S, p, row, matched, now);
      return w;
    }
  }
  return insertBucket(w, idx, minLive, cap, def.update(def.create(p), p, row, matched, now));
}

function insertBucket(w: Buckets, idx: number, minLive: number, cap: number, state: unknown): Buckets {
  let from = 0;
  while (from < w.length && (w[from] as number) < minLive) from += 2;
  let pairs = (w.length - from) / 2 + 1;
  // The cap only binds when the clock jumps around; normal eviction keeps at most `cap` live.
  if (pairs > cap) {
    from += 2 * (pairs - cap);
    pairs = cap;
  }
  const out: Buckets = new Array(2 * pairs);
  let o = 0;
  let inserted = false;
  for (let i = from; i < w.length; i += 2) {
    if (!inserted && (w[i] as number) > idx) {
      out[o++] = idx;
      out[o++] = state;
      inserted = true;
    }
    out[o++] = w[i];
    out[o++] = w[i + 1];
  }
  if (!inserted) {
    out[o++] = idx;
    out[o] = state;
  }
  return out;
}

/**
 * The value over the buckets with lo <= index < hi: `empty` when none, the bucket itself when one,
 * else the merge of all of them into a fresh state. Never mutates stored state.
 */
export function readBuckets<P, S>(w: Buckets, lo: number, hi: number, def: OperatorDef<P, S>, p: P, empty: S, now: number): Value {
  let first = -1;
  let acc: S | undefined;
  for (let i = 0; i < w.length; i += 2) {
    const idx = w[i] as number;
    if (idx < lo || idx >= hi) continue;
    if (first < 0) {
      first = i + 1;
      continue;
    }
    acc ??= def.merge!(def.create(p), w[first] as S, p);
    acc = def.merge!(acc, w[i + 1] as S, p);
  }
  if (acc !== undefined) return def.read(acc, p, now);
  return def.read(first < 0 ? empty : (w[first] as S), p, now);
}

/** Continuous window: the lowest live bucket index at time `now` (older buckets are out of window). */
export function continuousMinLive(now: number, windowMs: number, bucketMs: number): number {
  return Math.floor((now - windowMs) / bucketMs) + 1;
}

/** Tiled window ending at the tile boundary `end`: tiles [end/I − W/I, end/I). */
export function tiledRange(end: number, windowMs: number, intervalMs: number): [number, number] {
  const hi = end / intervalMs;
  return [hi - windowMs / intervalMs, hi];
}

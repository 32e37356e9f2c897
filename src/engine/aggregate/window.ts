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

// Per-entity bucket storage (one ring per window, shared by the window's features) is in
// state/bucket-ring.ts; this file only defines the window arithmetic.

/** Continuous window: the lowest live bucket index at time `now` (older buckets are out of window). */
export function continuousMinLive(now: number, windowMs: number, bucketMs: number): number {
  return Math.floor((now - windowMs) / bucketMs) + 1;
}


/** Tiled window: the end of the last complete tile at `t` (Tecton's effectiveTime). */
export function tileEnd(t: number, intervalMs: number): number {
  return Math.floor(t / intervalMs) * intervalMs;
}

/**
 * Small exact sets and multisets of doubles as ONE plain JS array: the values ascending, then NaN
 * padding up to the capacity (a power of two). The sketch ops (n_unique's hashes, quantile's values)
 * use it for their exact mode before they need a sketch: two values cost 64 B, where a sketch object
 * with a typed-array buffer costs ~400 B, and most buckets of most entities hold a handful of values.
 * NaN can be the padding because neither hashes nor quantile inputs (finite numbers) are ever NaN.
 */

/** A double array of capacity `n`, empty (NaN-filled, so V8 stores it unboxed from the start). */
export function sortedDoubles(n: number): number[] {
  return new Array<number>(n).fill(NaN);
}

/** Number of values (the non-NaN prefix). */
export function sortedCount(a: readonly number[]): number {
  let n = a.length;
  // The padding is less than half of the array (it doubles only when full).
  while (n > 0 && a[n - 1] !== a[n - 1]) n--;
  return n;
}

/** Index of the first value >= x (x not NaN) among the first n. */
function lowerBound(a: readonly number[], n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Inserts x (not NaN) keeping the order; with `unique`, an x already present is not added again.
 * Returns the array holding the result: `a` itself, or a copy with twice the capacity when full.
 */
export function sortedInsert(a: number[], x: number, unique: boolean): number[] {
  const n = sortedCount(a);
  const at = lowerBound(a, n, x);
  if (unique && at < n && a[at] === x) return a;
  let b = a;
  if (n === a.length) {
    b = sortedDoubles(Math.max(2, 2 * a.length));
    for (let i = 0; i < at; i++) b[i] = a[i]!;
  }
  for (let i = n; i > at; i--) b[i] = a[i - 1]!;
  b[at] = x;
  return b;
}

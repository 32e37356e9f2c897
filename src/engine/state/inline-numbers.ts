/**
 * Inline numbers (aggregate/slots.ts InlineForm): the first few numbers of an n_unique or quantile
 * state, kept sorted in a region of the entity's number array (NaN-padded) until they overflow
 * into the op's object state, after which the region is marked SPILLED.
 */

/** Marks a region whose numbers moved into the object state (inline numbers are finite). */
export const SPILLED = -Infinity;

/** Inserts x into the sorted inline region a[at..at+w) (NaN-padded); false when it is full. */
export function insertInline(a: number[], at: number, w: number, x: number, unique: boolean): boolean {
  let n = 0;
  while (n < w && a[at + n] === a[at + n]) n++;
  let i = 0;
  while (i < n && a[at + i]! < x) i++;
  if (unique && i < n && a[at + i] === x) return true;
  if (n === w) return false;
  for (let k = n; k > i; k--) a[at + k] = a[at + k - 1]!;
  a[at + i] = x;
  return true;
}

/** Copies the numbers of the region a[at..at+w) to out[n..] (which has room); returns the new count. */
export function copyInline(a: readonly number[], at: number, w: number, out: Float64Array, n: number): number {
  for (let k = 0; k < w; k++) {
    const x = a[at + k]!;
    if (x === x && x !== SPILLED) out[n++] = x;
  }
  return n;
}

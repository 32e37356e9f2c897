/**
 * The inline f64 accumulators behind the ops' slot forms (aggregate/slots.ts), as integer kinds so the
 * hot loops switch on a small int. Each occupies `accWidth(kind)` consecutive numbers of an entity's
 * number array (in the lifetime row or a bucket row). This file owns their empty values and how
 * buckets combine; how an event updates them is compiled per layout (hot-path.ts).
 */

/** [c] */
export const ACC_COUNT = 0;
/** [n, Σx] */
export const ACC_SUM = 1;
/** [n, Σx, M2] */
export const ACC_MOMENTS = 2;
/** [v], NaN when empty */
export const ACC_MIN = 3;
export const ACC_MAX = 4;
/** [matched, total] */
export const ACC_RATIO = 5;

export function accWidth(kind: number): number {
  switch (kind) {
    case ACC_SUM:
    case ACC_RATIO:
      return 2;
    case ACC_MOMENTS:
      return 3;
    default:
      return 1;
  }
}

/** Writes the empty accumulator at a[o..]. */
export function accInit(a: number[], o: number, kind: number): void {
  switch (kind) {
    case ACC_MIN:
    case ACC_MAX:
      a[o] = NaN;
      return;
    case ACC_MOMENTS:
      a[o] = 0;
      a[o + 1] = 0;
      a[o + 2] = 0;
      return;
    case ACC_SUM:
    case ACC_RATIO:
      a[o] = 0;
      a[o + 1] = 0;
      return;
    default:
      a[o] = 0;
  }
}

/**
 * Folds the accumulator at src[s..] into dst[d..] (bucket merge at read time). Moments use Chan's
 * pairwise update, which is exact in real arithmetic, so a window equals one accumulator fed all of
 * its events up to rounding.
 */
export function accCombine(dst: number[], d: number, src: readonly number[], s: number, kind: number): void {
  switch (kind) {
    case ACC_COUNT:
      dst[d] += src[s]!;
      return;
    case ACC_RATIO:
      dst[d] += src[s]!;
      dst[d + 1] += src[s + 1]!;
      return;
    case ACC_MIN: {
      const v = src[s]!;
      // NaN (empty) never wins: `v < NaN` and `NaN < x` are both false.
      if (v < dst[d]! || dst[d] !== dst[d]) dst[d] = v;
      return;
    }
    case ACC_MAX: {
      const v = src[s]!;
      if (v > dst[d]! || dst[d] !== dst[d]) dst[d] = v;
      return;
    }
    default: {
      const nb = src[s]!;
      if (nb === 0) return;
      const na = dst[d]!;
      if (kind === ACC_MOMENTS && na > 0) {
        const n = na + nb;
        const delta = src[s + 1]! / nb - dst[d + 1]! / na;
        dst[d + 2] += src[s + 2]! + (delta * delta * na * nb) / n;
      } else if (kind === ACC_MOMENTS) {
        dst[d + 2] = src[s + 2]!;
      }
      dst[d] = na + nb;
      dst[d + 1] += src[s + 1]!;
    }
  }
}

/**
 * Folds the accumulator at offset `off` of each row `src[rows[i]..]` (i < n, oldest first) into
 * dst[d..]: accCombine over many buckets, with the kind dispatched once instead of per bucket.
 */
export function accCombineRows(dst: number[], d: number, src: readonly number[], rows: Int32Array, n: number, off: number, kind: number): void {
  switch (kind) {
    case ACC_COUNT: {
      let c = dst[d]!;
      for (let i = 0; i < n; i++) c += src[rows[i]! + off]!;
      dst[d] = c;
      return;
    }
    case ACC_RATIO:
    case ACC_SUM: {
      let x = dst[d]!;
      let y = dst[d + 1]!;
      for (let i = 0; i < n; i++) {
        const r = rows[i]! + off;
        x += src[r]!;
        y += src[r + 1]!;
      }
      dst[d] = x;
      dst[d + 1] = y;
      return;
    }
    case ACC_MOMENTS: {
      // Chan's pairwise update, bucket by bucket (as accCombine).
      let na = dst[d]!;
      let sa = dst[d + 1]!;
      let m2 = dst[d + 2]!;
      for (let i = 0; i < n; i++) {
        const r = rows[i]! + off;
        const nb = src[r]!;
        if (nb === 0) continue;
        if (na > 0) {
          const delta = src[r + 1]! / nb - sa / na;
          m2 += src[r + 2]! + (delta * delta * na * nb) / (na + nb);
        } else {
          m2 = src[r + 2]!;
        }
        na += nb;
        sa += src[r + 1]!;
      }
      dst[d] = na;
      dst[d + 1] = sa;
      dst[d + 2] = m2;
      return;
    }
    default:
      for (let i = 0; i < n; i++) accCombine(dst, d, src, rows[i]! + off, kind);
  }
}

/**
 * Latency recording and order statistics for benches.
 *
 * Samples are kept exactly (a growable Float64Array, sorted once at the end) rather than bucketed: a
 * bench run holds at most a few million samples, which is a few MB, and exact percentiles avoid having
 * to reason about bucket error when two cases differ by a few percent.
 */

/** Collects per-request latencies in microseconds. */
export class LatencyRecorder {
  private buf = new Float64Array(1 << 14);
  private n = 0;

  record(micros: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = micros;
  }

  get count(): number {
    return this.n;
  }

  /** Sorted copy of the samples (the recorder stays usable). */
  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort();
  }

  summary(): LatencySummary {
    return summarizeSorted(this.sorted());
  }
}

export interface LatencySummary {
  readonly count: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

/**
 * Nearest-rank percentile of an ascending array (p in [0, 100]); NaN when empty. Nearest-rank returns
 * an observed sample, so a p99 never reports a latency no request actually had.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarizeSorted(sorted: ArrayLike<number>): LatencySummary {
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i] as number;
  return {
    count: sorted.length,
    meanUs: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    p50Us: percentileSorted(sorted, 50),
    p90Us: percentileSorted(sorted, 90),
    p99Us: percentileSorted(sorted, 99),
    p999Us: percentileSorted(sorted, 99.9),
    maxUs: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  };
}

/** Median of unsorted values (mean of the two middle ones for even counts); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Smallest and largest value, for showing the spread behind a median. */
export function range(values: readonly number[]): { min: number; max: number } {
  return { min: Math.min(...values), max: Math.max(...values) };
}

/** A median over rounds with the range behind it. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

// A round that failed, or a figure the platform cannot read (no /proc), leaves a null or NaN behind:
// the medians below are over what was measured.
function finite(values: readonly (number | null | undefined)[]): number[] {
  return values.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
}

/** Median of the finite values; null when there are none. */
export function nmedian(values: readonly (number | null | undefined)[]): number | null {
  const v = finite(values);
  return v.length === 0 ? null : median(v);
}

/** Median, min and max of the finite values; null when there are none. */
export function spread(values: readonly (number | null | undefined)[]): Spread | null {
  const v = finite(values);
  return v.length === 0 ? null : { median: median(v), ...range(v) };
}

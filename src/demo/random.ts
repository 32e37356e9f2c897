/**
 * Seeded randomness for the demo's synthetic stream (and the benchmarks' and tests' workloads, through
 * bench/lib/random.ts): the same seed gives the same events on every machine (Math.random cannot be
 * seeded).
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32: 32 bits of state, fast, and statistically good enough for synthetic data. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** A uniform integer in [0, n). */
export function randomInt(r: Rng, n: number): number {
  return Math.floor(r.next() * n);
}

/** A standard normal draw (Box–Muller). */
export function normal(r: Rng): number {
  const u = 1 - r.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
}

/**
 * Draws ranks 1..n with P(i) ∝ 1/i^s: a few very active entities and a long tail, as real traffic.
 * The cumulative table costs 8 bytes per rank; each draw is a binary search.
 */
export function zipf(r: Rng, n: number, s: number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cdf[i] = total += 1 / (i + 1) ** s;
  return () => {
    const u = r.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

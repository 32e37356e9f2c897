/**
 * Seeded key draws for the suite's workloads: uniform, or zipfian with α = 1 (P(rank i) ∝ 1/i), over
 * a key space of `n` entities. Zipf ranks are scattered over the key space by a fixed permutation, so
 * the hottest keys are not simply entity 0, 1, 2, ... (which would also be the first ones preloaded).
 */
import { scatteredZipf, type Rng } from "../lib/random.ts";

export type KeyDistribution = "uniform" | "zipf";

/** The zipf exponent of every zipfian workload in the suite (the issue's α = 1). */
export const ZIPF_ALPHA = 1;

/** A draw of entity indexes in [0, n). */
export function keyDraw(r: Rng, n: number, dist: KeyDistribution): () => number {
  return dist === "uniform" ? () => Math.floor(r.next() * n) : scatteredZipf(r, n, ZIPF_ALPHA);
}

/** "zipf α=1 over 100k" / "uniform over 1M". */
export function describeKeys(dist: KeyDistribution, n: number): string {
  return `${dist === "zipf" ? `zipf α=${ZIPF_ALPHA}` : "uniform"} over ${compact(n)}`;
}

/** 1000 → "1k", 1000000 → "1M", 2500 → "2.5k", 8040000 → "8.04M". */
export function compact(n: number): string {
  const trim = (x: number): string => String(Number(x.toFixed(2)));
  if (n >= 1_000_000) return `${trim(n / 1_000_000)}M`;
  if (n >= 1_000) return `${trim(n / 1_000)}k`;
  return String(n);
}

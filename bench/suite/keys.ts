/**
 * Seeded key draws for the suite's workloads: uniform, or zipfian with α = 1 (P(rank i) ∝ 1/i), over
 * a key space of `n` entities. Zipf ranks are scattered over the key space by a fixed permutation, so
 * the hottest keys are not simply entity 0, 1, 2, ... (which would also be the first ones preloaded).
 */
import { zipf, type Rng } from "../lib/random.ts";

export type KeyDistribution = "uniform" | "zipf";

/** The zipf exponent of every zipfian workload in the suite (the issue's α = 1). */
export const ZIPF_ALPHA = 1;

/** Multiplier of the rank → index permutation: a prime, so it is a bijection of 0..n-1 for n < it. */
const SCATTER = 2_654_435_761n;

/** A draw of entity indexes in [0, n). Zipf builds an n-entry table (8 B per entity) once. */
export function keyDraw(r: Rng, n: number, dist: KeyDistribution): () => number {
  if (dist === "uniform") return () => Math.floor(r.next() * n);
  const z = zipf(r, n, ZIPF_ALPHA);
  const big = BigInt(n);
  // n < 2^32 always here, so (rank - 1) × SCATTER fits a double exactly only below 2^53: use BigInt.
  return () => Number((BigInt(z() - 1) * SCATTER) % big);
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

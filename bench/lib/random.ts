/**
 * Seeded random streams for tests and benchmarks: deterministic across runs and machines. The
 * generators live with the demo (product code does not import from bench/); this adds what only the
 * tests and benches need.
 */
import { zipf, type Rng } from "../../src/demo/random.ts";

export { createRng as rng, normal, zipf, type Rng } from "../../src/demo/random.ts";

/** A uniformly random integer in [0, 2^53), standing in for a perfect 53-bit hash. */
export function randomHash(r: Rng): number {
  return Math.floor(r.next() * 2 ** 21) * 2 ** 32 + Math.floor(r.next() * 2 ** 32);
}

/** Multiplier of the rank → index permutation: a prime, so it is a bijection of 0..n-1 for n below it. */
const SCATTER = 2_654_435_761n;

/**
 * Entity indexes in [0, n) with zipf(s) ranks, scattered over the key space by a fixed permutation so
 * that the hottest keys are not simply 0, 1, 2, ... (also the first ones preloaded). Builds an n-entry
 * table (8 B per entity) once.
 */
export function scatteredZipf(r: Rng, n: number, s: number): () => number {
  const z = zipf(r, n, s);
  const big = BigInt(n);
  // (rank - 1) × SCATTER overflows a double's exact range: BigInt.
  return () => Number((BigInt(z() - 1) * SCATTER) % big);
}

/** One of `xs`, uniformly. */
export function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[Math.floor(r.next() * xs.length)] as T;
}

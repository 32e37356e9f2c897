/**
 * Seeded random streams for tests and benchmarks: deterministic across runs and machines. The
 * generators live with the demo (product code does not import from bench/); this adds what only the
 * tests need.
 */
import type { Rng } from "../../src/demo/random.ts";

export { createRng as rng, normal, zipf, type Rng } from "../../src/demo/random.ts";

/** A uniformly random integer in [0, 2^53), standing in for a perfect 53-bit hash. */
export function randomHash(r: Rng): number {
  return Math.floor(r.next() * 2 ** 21) * 2 ** 32 + Math.floor(r.next() * 2 ** 32);
}

import { objectBytes, typedArrayBytes } from "./memory.ts";

/**
 * Bloom filter (bloom_member) over the 53-bit hashes of hash.ts, sized for `capacity` insertions at
 * false-positive rate `fpr`: m = ⌈−n·ln p / ln²2⌉ bits and k = max(1, round(m/n · ln 2)) probes.
 * Probes use enhanced double hashing (Dillinger & Manolios 2004): g_i = h1 + i·h2 + (i³−i)/6 mod m,
 * with h1 the low 32 hash bits and h2 a remix of all 53 (so it spans 32 bits even though the high
 * lane has only 21), which avoids the probe-pattern collisions of plain double hashing.
 * Past `capacity` insertions the FPR rises as usual (≈ (1 − e^(−kN/m))^k); it is not resized.
 */
export interface BloomFilter {
  /** Number of bits. */
  readonly m: number;
  /** Number of probes per value. */
  readonly k: number;
  readonly bits: Int32Array;
}

export const BLOOM_DEFAULT_CAPACITY = 1024;
export const BLOOM_DEFAULT_FPR = 0.01;
/** 2^31 bits (256 MB) is far beyond any sane per-entity filter; larger requests are refused. */
export const BLOOM_MAX_BITS = 2 ** 31;

const TWO_POW_32 = 4294967296;

export function bloomCreate(capacity: number = BLOOM_DEFAULT_CAPACITY, fpr: number = BLOOM_DEFAULT_FPR): BloomFilter {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  if (!(fpr > 0 && fpr < 1)) throw new RangeError(`fpr must be in (0, 1), got ${fpr}`);
  const m = Math.max(32, Math.ceil((-capacity * Math.log(fpr)) / (Math.LN2 * Math.LN2)));
  if (m > BLOOM_MAX_BITS) throw new RangeError(`a Bloom filter for capacity ${capacity} at fpr ${fpr} needs ${m} bits (max ${BLOOM_MAX_BITS})`);
  const k = Math.max(1, Math.round((m / capacity) * Math.LN2));
  return { m, k, bits: new Int32Array(Math.ceil(m / 32)) };
}

function h2Of(h: number, lo: number): number {
  let x = ((h / TWO_POW_32) >>> 0) ^ Math.imul(lo, 0x9e3779b1);
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Sets the bits of hash `h`. Returns whether they were all set already, i.e. whether the value
 * (probably) had been added before — one pass for "seen this before?" checks.
 */
export function bloomAdd(s: BloomFilter, h: number): boolean {
  const { m, k, bits } = s;
  const lo = h >>> 0;
  let a = lo % m;
  let b = h2Of(h, lo) % m;
  let present = true;
  for (let i = 0; i < k; i++) {
    const word = a >>> 5;
    const mask = 1 << (a & 31);
    if ((bits[word] & mask) === 0) {
      present = false;
      bits[word] |= mask;
    }
    // a, b < m and i + 1 < m, so one conditional subtraction replaces the (float) modulo.
    a += b;
    if (a >= m) a -= m;
    b += i + 1;
    if (b >= m) b -= m;
  }
  return present;
}

export function bloomMightContain(s: BloomFilter, h: number): boolean {
  const { m, k, bits } = s;
  const lo = h >>> 0;
  let a = lo % m;
  let b = h2Of(h, lo) % m;
  for (let i = 0; i < k; i++) {
    if ((bits[a >>> 5] & (1 << (a & 31))) === 0) return false;
    a += b;
    if (a >= m) a -= m;
    b += i + 1;
    if (b >= m) b -= m;
  }
  return true;
}

export function bloomBytes(s: BloomFilter): number {
  return objectBytes(3) + typedArrayBytes(s.bits);
}
